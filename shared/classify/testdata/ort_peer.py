"""Python ONNX Runtime peer for the Go classify benchmark (BenchmarkClassify).

The same checkpoint graph (model.onnx, or model.int8.onnx with --int8) run from Python:
the Hugging Face fast tokenizer on the checkpoint's vocab.txt, onnxruntime's
InferenceSession with the intra-op threads the Go side uses, sigmoid + the manifest's
thresholds. Beside the Go numbers it shows what Go adds over the same runtime.

Protocol (as hf_peer.py --serve): prints "ready", then answers each stdin line
"BATCH CALLS" with CALLS "wall_ms,cpu_ms" pairs of calls on BATCH copies of the text.

    $V/bin/python shared/classify/testdata/ort_peer.py CHECKPOINT_DIR --text-file F [--int8] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from transformers import BertTokenizerFast


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", help="classifier version directory")
    p.add_argument("--text-file", required=True, help="file holding the benchmark text")
    p.add_argument("--int8", action="store_true", help="run the manifest's int8 model")
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads (0: its default)")
    args = p.parse_args()
    d = Path(args.checkpoint)
    sec = json.loads((d / "manifest.json").read_text())["classifier"]
    model = d / (sec.get("int8_file") or "model.onnx") if args.int8 else d / "model.onnx"
    so = ort.SessionOptions()
    if args.threads:
        so.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    tok = BertTokenizerFast(vocab=str(d / sec["tokenizer"]["vocab_file"]),
                            do_lower_case=sec["tokenizer"].get("lowercase", True))
    thresholds = np.asarray(sec["thresholds"], np.float32)
    text = Path(args.text_file).read_text()

    def classify(texts: list[str]) -> list[list[int]]:
        enc = tok(texts, truncation=True, max_length=sec["max_length"], padding=True, return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        scores = 1 / (1 + np.exp(-sess.run(None, feed)[0]))
        return [np.flatnonzero(row >= thresholds).tolist() for row in scores]

    for _ in range(5):
        classify([text])
    print("ready", flush=True)
    for line in sys.stdin:
        bs, calls = (int(x) for x in line.split())
        texts, pairs = [text] * bs, []
        for _ in range(calls):
            t, c = time.perf_counter(), time.thread_time()
            out = classify(texts)
            pairs.append(f"{(time.perf_counter() - t) * 1e3:.4f},{(time.thread_time() - c) * 1e3:.4f}")
            assert len(out) == bs
        print(" ".join(pairs), flush=True)


if __name__ == "__main__":
    main()
