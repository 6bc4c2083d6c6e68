"""Peer for the Go classify benchmark: the same checkpoint run the Hugging Face way.

A transformers ``Pipeline`` (fast tokenizer, PyTorch eager forward, sigmoid +
the manifest's thresholds) over the training code's TextClassifier with the
weights read back from the checkpoint's model.onnx (so the very same model;
the script checks its logits against parity.json before timing).

Usage:
  PYTHONPATH=training HF_HUB_OFFLINE=1 $V/bin/python shared/classify/testdata/hf_peer.py \
      CHECKPOINT_DIR --text-file F [--serve] [--batches 1,32 --iters 200] [--threads 1]
Alone it prints one JSON object: per batch size p50/p99 latency in ms. With --serve (how
the Go benchmark BenchmarkClassify runs it, so that both sides are timed in alternating
blocks under the same machine load) it prints "ready", then answers each stdin line
"BATCH CALLS" with the milliseconds of CALLS pipeline calls on BATCH copies of the text,
wall clock and CPU time of the calling thread (the one torch thread computes there).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import onnx
import torch
import transformers
from onnx import numpy_helper
from transformers import Pipeline

from mlbundle_training.classifier.model import build_classifier, load_tokenizer


def load_weights(model: torch.nn.Module, onnx_path: Path) -> None:
    """Copy model.onnx's initializers into model (MatMul weights come transposed)."""
    graph = onnx.load(str(onnx_path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    by_node = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            # node names look like /encoder/encoder/layer.0/attention/self/query/MatMul
            path = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
            by_node[path + ".weight"] = inits[node.input[1]].T
    state = model.state_dict()
    missing = []
    for name in state:
        arr = inits.get(name, by_node.get(name))
        if arr is None or tuple(arr.shape) != tuple(state[name].shape):
            missing.append(name)
            continue
        state[name] = torch.from_numpy(np.array(arr, copy=True)).to(state[name].dtype)
    if missing:
        sys.exit(f"hf_peer: {len(missing)} parameters not found in {onnx_path}: {missing[:5]}")
    model.load_state_dict(state)


class PipelineModel(torch.nn.Module):
    """The classifier with the attributes a Pipeline expects of a transformers model."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner
        self.config = inner.encoder.config

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def can_generate(self) -> bool:
        return False

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.inner(input_ids, attention_mask, token_type_ids)


class MultiLabelPipeline(Pipeline):
    """Text -> labels whose sigmoid score reaches their threshold, highest first."""

    def __init__(self, *args, labels, thresholds, max_length, **kwargs):
        self.labels, self.thresholds, self.max_length = labels, np.asarray(thresholds), max_length
        super().__init__(*args, **kwargs)

    def _sanitize_parameters(self, **kwargs):
        return {}, {}, {}

    def preprocess(self, text):
        return self.tokenizer(text, truncation=True, max_length=self.max_length, return_tensors="pt")

    def _forward(self, inputs):
        return {"logits": self.model(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])}

    def postprocess(self, outputs):
        scores = torch.sigmoid(outputs["logits"][0]).numpy()
        keep = np.flatnonzero(scores >= self.thresholds)
        keep = keep[np.argsort(-scores[keep], kind="stable")]
        return [{"code": self.labels[j]["code"], "name": self.labels[j]["name"], "score": float(scores[j])} for j in keep]


def percentile(xs, q):
    return float(np.percentile(np.asarray(xs) * 1e3, q))


def serve(pipe, text: str, warmup: int) -> None:
    """Answer each stdin line "BATCH CALLS" with CALLS timed calls on BATCH copies of the
    text: one line of "wall_ms,cpu_ms" pairs."""
    for _ in range(warmup):
        pipe([text], batch_size=1)
    print("ready", flush=True)
    for line in sys.stdin:
        bs, calls = (int(x) for x in line.split())
        texts = [text] * bs
        pairs = []
        for _ in range(calls):
            t, c = time.perf_counter(), time.thread_time()
            out = pipe(texts, batch_size=bs)
            wall, cpu = (time.perf_counter() - t) * 1e3, (time.thread_time() - c) * 1e3
            assert len(out) == bs
            pairs.append(f"{wall:.4f},{cpu:.4f}")
        print(" ".join(pairs), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", help="classifier version directory (manifest.json, model.onnx, parity.json)")
    p.add_argument("--text-file", required=True, help="file holding the benchmark text")
    p.add_argument("--batches", default="1,32", help="comma-separated batch sizes")
    p.add_argument("--iters", type=int, default=200, help="timed calls per batch size (batch 32 gets a quarter)")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls first")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--serve", action="store_true", help="time one call per stdin line (batch size)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    d = Path(args.checkpoint)
    manifest = json.loads((d / "manifest.json").read_text())
    sec = manifest["classifier"]
    model = build_classifier("minilm", len(sec["labels"]))
    load_weights(model, d / "model.onnx")
    model.eval()
    pipe = MultiLabelPipeline(model=PipelineModel(model), tokenizer=load_tokenizer(), framework="pt", device=-1,
                              labels=sec["labels"], thresholds=sec["thresholds"], max_length=sec["max_length"])
    parity = json.loads((d / "parity.json").read_text())
    worst = 0.0
    with torch.inference_mode():
        for case in parity.get("texts", []):
            enc = pipe.preprocess(case["text"])
            got = pipe._forward(enc)["logits"][0].numpy()
            worst = max(worst, float(np.max(np.abs(got - np.asarray(case["logits"])))))
    if worst > 1e-3:
        sys.exit(f"hf_peer: logits differ from parity.json by {worst}: not the same model")
    text = Path(args.text_file).read_text()
    if args.serve:
        serve(pipe, text, args.warmup)
        return
    results = {}
    for bs in (int(b) for b in args.batches.split(",")):
        texts = [text] * bs
        iters = max(20, args.iters // (4 if bs > 1 else 1))
        for _ in range(args.warmup):
            pipe(texts, batch_size=bs)
        times = []
        for _ in range(iters):
            t = time.perf_counter()
            out = pipe(texts, batch_size=bs)
            times.append(time.perf_counter() - t)
        assert len(out) == bs
        results[str(bs)] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "n": iters}
    print(json.dumps({"peer": "transformers Pipeline, PyTorch eager (fp32)", "torch": torch.__version__,
                      "transformers": transformers.__version__, "threads": args.threads,
                      "parity_max_abs_diff": worst, "results": results}))


if __name__ == "__main__":
    main()
