"""NCF quality on the held-back MovieLens 100K test part, beside its peers on the same split.

The model is the benchmark checkpoint ``ncf-ml100k`` (``scripts/bench.sh models ncf``
trains it on the training part; users held out for cold start never reach it). For every
test user, the latest rating is the target:

- sampled ranking: the target against the same 99 items the user never rated (seeded),
  scored with the checkpoint's ``model.onnx`` through ONNX Runtime: HR@10, NDCG@10;
- full ranking: the target against every item the user has not rated in training, scored
  with ``score_all.onnx`` (what serving runs): recall@10 (= HR@10 with one target), NDCG@10.

Peers on the same split and the same candidates: popularity (training counts), and
``implicit`` ALS / BPR when installed (``pip install --target ~/.cache/mlbundle/bench-extra
implicit``; the run says when they are skipped). Cold start and the seen-items check run in
Go through the serving path (BenchmarkRecommendQuality).

In fast mode (``BENCH_MODE=fast``) the committed fixture is scored on made-up targets:
only the code path is exercised.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from mlbundle_training.metrics import full_ranking, sampled_ranking

from . import fixtures
from .data import cache_root

NEGATIVES = 99
PARITY_USERS = 20


def load_split(items: list[str], users: list[str]):
    """Training history (item indices per user) and the test target per user index."""
    index = {x: i for i, x in enumerate(items)}
    if fixtures.mode() == "fast":
        hist = {u: [(u * 7 + j) % len(items) for j in range(5)] for u in range(len(users))}
        return hist, {u: (u * 7 + 5) % len(items) for u in range(len(users))}
    d = cache_root()
    if not (d / "ml100k-test.json").is_file():
        raise fixtures.Missing(f"{d}/ml100k-test.json: make it with `scripts/bench.sh data`")
    uindex = {x: i for i, x in enumerate(users)}
    hist: dict[int, list[int]] = {}
    for line in (d / "ml100k-train.jsonl").read_text().splitlines():
        r = json.loads(line)
        hist.setdefault(uindex[r["user_id"]], []).append(index[r["item_id"]])
    targets = {uindex[u]: index[i] for u, i in json.loads((d / "ml100k-test.json").read_text()).items()
               if u in uindex and i in index}
    return hist, targets


def session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def implicit_models(n_users: int, n_items: int, hist: dict[int, list[int]], seed: int = 0) -> dict:
    """Factor matrices of implicit ALS and BPR trained on the same history (empty if absent)."""
    extra = Path.home() / ".cache" / "mlbundle" / "bench-extra"
    if extra.is_dir() and str(extra) not in sys.path:
        sys.path.append(str(extra))
    try:
        import scipy.sparse as sp
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking
    except ImportError as e:
        fixtures.skip("ncf peers implicit ALS/BPR", f"{e} (python -m pip install --target {extra} implicit)")
        return {}
    rows = [(u, i) for u, items in hist.items() for i in items]
    u, i = np.array(rows).T
    m = sp.csr_matrix((np.ones(len(u), np.float32), (u, i)), shape=(n_users, n_items))
    out = {}
    for name, model in (("implicit ALS", AlternatingLeastSquares(factors=64, iterations=15, regularization=0.05,
                                                                   random_state=seed)),
                        ("implicit BPR", BayesianPersonalizedRanking(factors=64, iterations=100, random_state=seed))):
        t = time.perf_counter()
        model.fit(m, show_progress=False)
        out[name] = (np.asarray(model.user_factors), np.asarray(model.item_factors), time.perf_counter() - t)
    return out


def kept_history(d: Path) -> list[dict]:
    """The validation record of each epoch (or ALS iteration) of the benchmark model's
    training, kept in its model.pt; iterations are shown as epochs."""
    if fixtures.mode() == "fast" or not (d / "model.pt").is_file():
        return []
    import torch

    blob = torch.load(str(d / "model.pt"), map_location="cpu", weights_only=True)
    out = []
    for rec in blob.get("history") or []:
        rec = {("epoch" if k == "iteration" else k): v for k, v in rec.items() if k != "event"}
        out.append(rec)
    return out


def write_parity(d: Path, users: np.ndarray) -> None:
    """PyTorch-eager logits of every item for a few users (model.pt), for the Go parity
    benchmark (BenchmarkParityNCF in shared/recommend)."""
    out = os.environ.get("BENCH_RESULTS")
    if not out:
        return
    import torch

    from mlbundle_training.ncf.export import load_pt

    model = load_pt(d / "model.pt").eval()
    ids = json.loads((d / "users.json").read_text())
    n_items = len(json.loads((d / "items.json").read_text()))
    rows = []
    with torch.inference_mode():
        for u in users:
            logits = model(torch.full((n_items,), int(u), dtype=torch.long), torch.arange(n_items))
            rows.append({"user_id": ids[int(u)], "logits": logits.tolist()})
    (Path(out) / "ncf-scores.json").write_text(json.dumps({"checkpoint": str(d), "users": rows}))


def main() -> int:
    try:
        d = fixtures.checkpoint("ncf-ml100k")
        users = json.loads((d / "users.json").read_text())
        items = json.loads((d / "items.json").read_text())
        hist, targets = load_split(items, users)
    except fixtures.Missing as e:
        fixtures.skip("ncf quality", str(e))
        return 0
    manifest = json.loads((d / "manifest.json").read_text())
    test_users = np.array(sorted(targets), np.int64)
    tg = np.array([targets[u] for u in test_users], np.int64)
    rng = np.random.default_rng(7919)
    negs = np.empty((len(test_users), NEGATIVES), np.int64)
    for r, u in enumerate(test_users):
        rated = set(hist.get(int(u), [])) | {int(tg[r])}
        pool = np.setdiff1d(np.arange(len(items)), np.fromiter(rated, np.int64))
        negs[r] = rng.choice(pool, NEGATIVES, replace=len(pool) < NEGATIVES)
    mask = np.zeros((len(test_users), len(items)), bool)
    for r, u in enumerate(test_users):
        mask[r, hist.get(int(u), [])] = True

    pair, full = session(d / "model.onnx"), session(d / "score_all.onnx")
    cand = np.concatenate([tg[:, None], negs], axis=1)
    logits = pair.run(None, {"user": np.repeat(test_users, NEGATIVES + 1),
                             "item": cand.reshape(-1)})[0].reshape(cand.shape)
    scores = np.stack([full.run(None, {"user": np.array([u], np.int64)})[0] for u in test_users])
    rows = {"mlbundle NCF": {**sampled_ranking(logits[:, 0], logits[:, 1:]), **full_ranking(scores, tg, mask)}}

    counts = np.bincount(np.concatenate([np.asarray(v, np.int64) for v in hist.values()]), minlength=len(items))
    pop = np.broadcast_to(counts.astype(np.float64), scores.shape)
    rows["popularity"] = {**sampled_ranking(counts[tg].astype(float), counts[negs].astype(float)),
                          **full_ranking(pop, tg, mask)}
    if fixtures.mode() != "fast":
        for name, (uf, itf, secs) in implicit_models(len(users), len(items), hist).items():
            uvec = uf[test_users]
            rows[name] = {**sampled_ranking(np.sum(uvec * itf[tg], axis=1), np.einsum("nd,ncd->nc", uvec, itf[negs])),
                          **full_ranking(uvec @ itf.T, tg, mask), "fit_seconds": secs}

    ours, base = rows["mlbundle NCF"], rows["popularity"]
    extra = {"users": int(len(test_users)), "items": len(items), "checkpoint": manifest["version"],
             "hyperparameters": manifest.get("hyperparameters", {})}
    for key in ("hr@10", "ndcg@10", "full_recall@10", "full_ndcg@10"):
        fixtures.check(f"ncf.{key}", ours[key], "", extra)
    fixtures.check("ncf.x_popular_ndcg@10", ours["ndcg@10"] / max(base["ndcg@10"], 1e-9), "x", extra)
    fixtures.note("ncf.peers", {"rows": rows, "split": "ml-100k, latest rating per user held back; "
                                f"{len(test_users)} test users, 99 sampled negatives"})
    write_parity(d, test_users[:PARITY_USERS])
    history = manifest.get("history") or manifest.get("training", {}).get("history") or kept_history(d)
    if history:
        fixtures.note("ncf.history", {"history": history})
    return fixtures.exit_code()


if __name__ == "__main__":
    sys.exit(main())
