"""Python recommend peers for BenchmarkRecommend (shared/recommend/bench_test.go).

``--engine torch`` (default):
The seed design's serving path on the same checkpoint: rebuild the NCF model from the
checkpoint's model.pt, then per request look the user up, score every item with the eager
model (the user index repeated over all item indices), mask the user's seen items, take the
top k and map indices back to ids with the sigmoid score. Seen items are held in a Python
dict (no database read, unlike the Go side, which reads SQLite on every call).

``--engine ort``: the same request loop, but the scores come from the checkpoint's own
``score_all.onnx`` through Python ONNX Runtime (one intra-op thread, as the Go service
runs it): beside the torch peer it separates the gain of the graph from the gain of Go.

Prints one JSON line: {"p50_ms", "p99_ms", "cpu_p50_ms", "requests", "items", "threads",
"latencies_ms"}; cpu_p50_ms is the CPU time of the calling thread per request, which is
where one-thread torch and ONNX Runtime compute (it moves far less with other load than
wall time).

``--serve``: the benchmark's turns instead (shared/benchtest.Peer): after the warm-up it
prints "ready", then answers each stdin line "CALLS" with CALLS "wall_ms,cpu_ms" pairs.
Run from the repository root with PYTHONPATH=training and the training venv's python.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mlbundle_training.ncf.export import load_pt


def torch_scores(d: Path):
    """The eager model from model.pt: logits of every item for one user index."""
    model = load_pt(d / "model.pt").eval()
    return lambda u, items: model(torch.full((len(items),), u, dtype=torch.long), items)


def ort_scores(d: Path):
    """score_all.onnx through Python ONNX Runtime, one intra-op thread."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(d / "score_all.onnx"), so, providers=["CPUExecutionProvider"])
    return lambda u, items: torch.from_numpy(sess.run(None, {"user": np.array([u], np.int64)})[0])


def serve(call, k: int, seen: set[str]) -> None:
    """Prints "ready", then times CALLS requests for each stdin line "CALLS"."""
    print("ready", flush=True)
    for line in sys.stdin:
        pairs = []
        for _ in range(int(line)):
            t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            answer = call()
            pairs.append(f"{(time.perf_counter_ns() - t0) / 1e6:.4f},{(time.thread_time_ns() - c0) / 1e6:.4f}")
            assert len(answer) == k and not seen & {i for i, _ in answer}
        print(" ".join(pairs), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True, help="an ncf version directory")
    ap.add_argument("--user", required=True, help="external user id to recommend for")
    ap.add_argument("--seen", default="", help="comma-separated item ids the user has seen")
    ap.add_argument("--k", type=int, default=10, help="items per answer")
    ap.add_argument("--requests", type=int, default=200, help="timed requests")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch default)")
    ap.add_argument("--engine", choices=("torch", "ort"), default="torch", help="what scores the items")
    ap.add_argument("--serve", action="store_true", help="answer timed turns from stdin (see above)")
    ns = ap.parse_args()
    if ns.threads > 0:
        torch.set_num_threads(ns.threads)

    d = Path(ns.checkpoint)
    score = ort_scores(d) if ns.engine == "ort" else torch_scores(d)
    user_ids = json.loads((d / "users.json").read_text(encoding="utf-8"))
    item_ids = json.loads((d / "items.json").read_text(encoding="utf-8"))
    user_index = {u: i for i, u in enumerate(user_ids)}
    item_index = {x: i for i, x in enumerate(item_ids)}
    all_items = torch.arange(len(item_ids), dtype=torch.long)
    seen_store = {ns.user: set(filter(None, ns.seen.split(",")))}

    def recommend(user_id: str, k: int) -> list[tuple[str, float]]:
        u = user_index[user_id]
        seen = [item_index[i] for i in seen_store.get(user_id, ()) if i in item_index]
        with torch.inference_mode():
            logits = score(u, all_items)
            if seen:
                logits[torch.tensor(seen, dtype=torch.long)] = float("-inf")
            top = torch.topk(logits, k)
            scores = torch.sigmoid(top.values).tolist()
        return [(item_ids[i], s) for i, s in zip(top.indices.tolist(), scores)]

    for _ in range(ns.warmup):
        recommend(ns.user, ns.k)
    if ns.serve:
        serve(lambda: recommend(ns.user, ns.k), ns.k, seen_store[ns.user])
        return
    lat, cpu = np.empty(ns.requests), np.empty(ns.requests)
    for r in range(ns.requests):
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        answer = recommend(ns.user, ns.k)
        lat[r], cpu[r] = (time.perf_counter_ns() - t0) / 1e6, (time.thread_time_ns() - c0) / 1e6
    assert len(answer) == ns.k and not seen_store[ns.user] & {i for i, _ in answer}
    print(json.dumps({"p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
                      "cpu_p50_ms": float(np.percentile(cpu, 50)),
                      "requests": ns.requests, "items": len(item_ids),
                      "threads": 1 if ns.engine == "ort" else torch.get_num_threads(),
                      "engine": ns.engine, "latencies_ms": lat.round(4).tolist()}))


if __name__ == "__main__":
    main()
