"""Classifier benchmarks on Reuters-21578 (TRAIN part, own seeded validation split).

- ``reuters``: fine-tune + export on every article with topics; micro/macro F1 of the
  PyTorch model, model.onnx and model.int8.onnx, plus training throughput.
- ``augment``: on a small subset (the most frequent codes), the same fine-tune with and
  without augmentation, for several seeds: does augmentation lower validation F1?

The data is read in place (``--data``, default ``../shared/data/reuters21578-train``);
when it is absent the benchmark says so and exits 0 without numbers. Results are printed
as JSON (and written to ``--out``); copy them into docs/benchmarks.md with date and machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..data.classification import ClassificationData
from ..data.reuters import DEFAULT_DIR, convert_reuters
from ..classifier.train import ClassifierConfig, run, train

log = logging.getLogger(__name__)


def _subset(data: ClassificationData, top: int, n: int, seed: int) -> ClassificationData:
    counts = data.label_counts()
    keep = sorted(counts, key=lambda c: -counts[c])[:top]
    samples = []
    for text, codes in data.samples:
        cs = [c for c in codes if c in keep]
        if cs:
            samples.append((text, cs))
    order = np.random.default_rng(seed).permutation(len(samples))[:n]
    taxonomy = [lab for lab in data.taxonomy if lab.code in keep]
    return ClassificationData([samples[i] for i in order], taxonomy)


def bench_augment(args) -> dict:
    """Validation F1 with and without augmentation on a small Reuters subset."""
    data, _ = convert_reuters(args.data)
    sub = _subset(data, args.top, args.samples, 0)
    rows = []
    n_train = len(sub.samples) - round(0.25 * len(sub.samples))
    # control: no augmentation but as many optimizer steps as the augmented run
    settings = [(0, args.epochs), (args.target, args.epochs),
                (0, round(args.epochs * max(args.target, n_train) / n_train))]
    settings = {"none": settings[:2], "also": settings, "only": settings[2:]}[args.control]
    for seed in range(args.seeds):
        for target, epochs in settings:
            cfg = ClassifierConfig(data=args.data, epochs=epochs, max_length=args.max_length,
                                   val_fraction=0.25, augment_target=target, seed=seed, threads=args.threads,
                                   lr=args.lr)
            t = time.perf_counter()
            res = train(cfg, sub)
            rows.append({"seed": seed, "augment_target": target, "epochs": epochs,
                         "train": res.data_summary["augmented_to"],
                         "micro_f1": round(res.metrics["micro_f1"], 4), "macro_f1": round(res.metrics["macro_f1"], 4),
                         "micro_f1@0.5": round(res.metrics["micro_f1@0.5"], 4),
                         "seconds": round(time.perf_counter() - t, 1)})
            log.info("%s", json.dumps(rows[-1]))
    mean = {}
    for target, epochs in settings:
        sel = [r for r in rows if (r["augment_target"], r["epochs"]) == (target, epochs)]
        mean[f"augment_target={target},epochs={epochs}"] = {k: round(float(np.mean([r[k] for r in sel])), 4)
                             for k in ("micro_f1", "macro_f1", "micro_f1@0.5")}
    return {"bench": "augment", "subset": {"samples": len(sub.samples), "labels": len(sub.taxonomy)},
            "epochs": args.epochs, "max_length": args.max_length, "runs": rows, "mean": mean}


def bench_reuters(args) -> dict:
    """Fine-tune on the Reuters TRAIN part and export; F1 of fp32 and int8."""
    out = Path(args.workdir or tempfile.mkdtemp(prefix="mlbundle-bench-"))
    cfg = ClassifierConfig(data=args.data, output_dir=str(out), version=f"reuters-{int(time.time())}",
                           epochs=args.epochs, max_length=args.max_length, lr=args.lr,
                           batch_size=args.batch_size, threads=args.threads, limit=args.limit)
    t = time.perf_counter()
    d = run(cfg)
    total = time.perf_counter() - t
    manifest = json.loads((d / "manifest.json").read_text())
    ev = json.loads((d / "evaluation.json").read_text())
    m = manifest["metrics"]
    keys = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "micro_f1@0.5", "macro_f1@0.5",
            "micro_f1_onnx", "macro_f1_onnx", "micro_f1_int8", "macro_f1_int8")
    return {"bench": "reuters", "config": asdict(cfg), "checkpoint": str(d), "data": manifest["data"],
            "metrics": {k: round(m[k], 4) for k in keys if k in m}, "history": ev["history"],
            "total_seconds": round(total, 1),
            "sizes": {f: manifest["files"][f]["size"] for f in ("model.onnx", "model.int8.onnx")
                      if f in manifest["files"]}}


def main(argv: list[str] | None = None) -> int:
    """``python -m mlbundle_training.bench.classifier {reuters,augment} [flags]``."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", choices=("reuters", "augment"), help="benchmark to run")
    p.add_argument("--data", default=os.path.join(os.environ["MLBUNDLE_DATA"], "reuters21578-train")
                   if os.environ.get("MLBUNDLE_DATA") else DEFAULT_DIR,
                   help="Reuters-21578 JSON directory (default: $MLBUNDLE_DATA/reuters21578-train or ../shared/data/...)")
    p.add_argument("--out", help="also write the JSON result here")
    p.add_argument("--epochs", type=int, default=3, help="training epochs")
    p.add_argument("--max-length", type=int, default=256, help="max tokens")
    p.add_argument("--lr", type=float, default=2e-5, help="encoder learning rate (reuters)")
    p.add_argument("--batch-size", type=int, default=16, help="batch size (reuters)")
    p.add_argument("--limit", type=int, default=0, help="first N articles only (reuters; 0: all)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    p.add_argument("--workdir", help="where the benchmark checkpoint goes (default: a temp dir)")
    p.add_argument("--samples", type=int, default=400, help="subset size (augment)")
    p.add_argument("--top", type=int, default=8, help="most frequent codes kept (augment)")
    p.add_argument("--target", type=int, default=600, help="augmentation target size (augment)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per setting (augment)")
    p.add_argument("--control", choices=("none", "also", "only"), default="also",
                   help="augment: runs without augmentation for as many steps as the augmented run")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not Path(args.data).is_dir():
        print(f"bench classifier: Reuters data not found at {args.data}; skipped", file=sys.stderr)
        return 0
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result = bench_reuters(args) if args.which == "reuters" else bench_augment(args)
    result.update({"started": started, "machine": f"{platform.machine()} {platform.processor() or ''}".strip()})
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
