"""GPU benchmark: our classifier loop beside the Hugging Face Trainer, in the same run.

Same data (Reuters-21578 TRAIN articles with topics, seeded 15% validation split), same
model (all-MiniLM-L6-v2 + mean pooling + linear head, BCE), same seed hyper-parameters
(3 epochs, batch 16, lr 2e-5, max length 256, dynamic padding). Reported per variant:
training seconds (3 epochs, train only), samples/s, and validation micro/macro F1 (at 0.5
and with per-label thresholds tuned on one half of validation, scored on the other).

Usage (on the GPU machine, from the repository root):

    PYTHONPATH=training HF_HUB_OFFLINE=1 python training/bench/gpu_classifier.py \\
        --data ../shared/data/reuters21578-train --out gpu_classifier.json

Variants: ``trainer`` (HF Trainer, default precision as in PEERS.md), ``trainer-bf16``,
``ours`` (bf16 autocast, fused AdamW, length buckets), ``ours-fp32``, ``ours-compiled``
(torch.compile reduce-overhead). ``--encoder tiny --limit 300 --device cpu`` gives a
quick CPU smoke run of the script itself (numbers meaningless).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The Trainer needs `accelerate` (+ psutil), which the training image does not: a benchmark-only
# install, `pip install --target ~/.cache/mlbundle/bench-extra accelerate psutil`, is picked up here.
_EXTRA = Path(os.environ.get("BENCH_EXTRA", Path.home() / ".cache/mlbundle/bench-extra"))
if _EXTRA.is_dir():
    sys.path.append(str(_EXTRA))

from mlbundle_training.classifier.batches import (collate, cross_fitted_metrics, encode,  # noqa: E402
                                                  multi_hot, predict_logits, sigmoid)
from mlbundle_training.classifier.model import build_classifier, load_tokenizer  # noqa: E402
from mlbundle_training.metrics import precision_recall_f1  # noqa: E402
from mlbundle_training.data.reuters import convert_reuters  # noqa: E402
from mlbundle_training.classifier.train import ClassifierConfig, pick_device, split, train  # noqa: E402


class _WithLoss(torch.nn.Module):
    """The classifier in the shape the Trainer expects: returns {"loss", "logits"}."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, input_ids, attention_mask, token_type_ids, labels=None):
        logits = self.inner(input_ids, attention_mask, token_type_ids)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels)
        return out


def _scores(probs: np.ndarray, y: np.ndarray, seed: int) -> dict:
    half = precision_recall_f1(y, probs >= 0.5)
    tuned = cross_fitted_metrics(probs, y, seed)
    return {"micro_f1@0.5": round(half["micro_f1"], 4), "macro_f1@0.5": round(half["macro_f1"], 4),
            "micro_f1_tuned": round(tuned["micro_f1"], 4), "macro_f1_tuned": round(tuned["macro_f1"], 4)}


def run_trainer(data, args, bf16: bool) -> dict:
    """HF Trainer: 2 data-loader workers, dynamic padding, no evaluation or saving during training."""
    from transformers import Trainer, TrainingArguments

    device = pick_device(args.device)
    tok = load_tokenizer()
    index = {lab.code: i for i, lab in enumerate(data.taxonomy)}
    train_s, val_s = split(data.samples, 0.15, args.seed)
    ids = encode(tok, [t for t, _ in train_s], args.max_length)
    y = multi_hot([c for _, c in train_s], index).astype(np.float32)
    rows = [{"input_ids": r, "labels": y[i]} for i, r in enumerate(ids)]

    def collator(batch):
        out = collate([b["input_ids"] for b in batch], range(len(batch)))
        out["labels"] = torch.from_numpy(np.stack([b["labels"] for b in batch]))
        return out

    torch.manual_seed(args.seed)
    inner = build_classifier(args.encoder, len(index), args.seed)
    targs = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="hf-trainer-"), per_device_train_batch_size=16,
        learning_rate=2e-5, num_train_epochs=args.epochs, bf16=bf16, dataloader_num_workers=args.workers,
        save_strategy="no", eval_strategy="no", report_to=[], logging_steps=100, seed=args.seed,
        remove_unused_columns=False, use_cpu=device.type == "cpu", max_steps=args.max_steps or -1)
    trainer = Trainer(model=_WithLoss(inner), args=targs, train_dataset=rows, data_collator=collator)
    out = trainer.train()
    seconds = float(out.metrics["train_runtime"])
    val_ids = encode(tok, [t for t, _ in val_s], args.max_length)
    probs = sigmoid(predict_logits(inner.to(device), val_ids, 64, device))
    y_val = multi_hot([c for _, c in val_s], index)
    return {"train_seconds": round(seconds, 2), "samples_per_s": round(len(rows) * args.epochs / seconds, 1),
            **_scores(probs, y_val, args.seed)}


def run_ours(data, args, precision: str, compile_mode: str) -> dict:
    """Our loop (mlbundle_training.classifier.train.train) with the seed hyper-parameters."""
    cfg = ClassifierConfig.from_recipe("plan", data=args.data, epochs=args.epochs, batch_size=16, lr=2e-5,
                                       max_length=args.max_length, val_fraction=0.15, augment_target=0,
                                       seed=args.seed, device=args.device, encoder=args.encoder,
                                       precision=precision, compile=compile_mode, max_steps=args.max_steps)
    res = train(cfg, data)
    seconds = sum(h["train_seconds"] for h in res.history)
    seen = sum(h["samples_per_s"] * h["train_seconds"] for h in res.history)
    probs = sigmoid(predict_logits(res.model, res.val_ids, 64, torch.device("cpu")))
    return {"train_seconds": round(seconds, 2), "samples_per_s": round(seen / seconds, 1),
            "epochs": res.history, **_scores(probs, res.val_true, args.seed)}


VARIANTS = {
    "trainer": lambda d, a: run_trainer(d, a, bf16=False),
    "trainer-bf16": lambda d, a: run_trainer(d, a, bf16=True),
    "ours": lambda d, a: run_ours(d, a, "bf16", "none"),
    "ours-fp32": lambda d, a: run_ours(d, a, "fp32", "none"),
    "ours-compiled": lambda d, a: run_ours(d, a, "bf16", "reduce-overhead"),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(os.environ.get("MLBUNDLE_DATA", "../shared/data"), "reuters21578-train"),
                   help="Reuters-21578 JSON directory (default: $MLBUNDLE_DATA/reuters21578-train)")
    p.add_argument("--variants", default="trainer,ours,ours-fp32,ours-compiled",
                   help=f"comma-separated, from {', '.join(VARIANTS)}")
    p.add_argument("--epochs", type=int, default=3, help="epochs (seed: 3)")
    p.add_argument("--max-length", type=int, default=256, help="max tokens (seed: 256)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the runs")
    p.add_argument("--device", default="auto", help="auto, cuda, cpu")
    p.add_argument("--encoder", default="minilm", choices=("minilm", "tiny"), help="tiny: smoke runs only")
    p.add_argument("--limit", type=int, default=0, help="first N articles (0: all)")
    p.add_argument("--max-steps", type=int, default=0, help="stop each run after N steps (0: full epochs)")
    p.add_argument("--workers", type=int, default=2, help="Trainer data-loader workers (PEERS.md: 2)")
    p.add_argument("--out", help="write the JSON result here too")
    args = p.parse_args(argv)
    if not Path(args.data).is_dir():
        print(f"gpu_classifier: Reuters data not found at {args.data}; skipped", file=sys.stderr)
        return 0
    if args.device == "auto" and not torch.cuda.is_available():
        print("gpu_classifier: no CUDA device; skipped (use --device cpu for a smoke run)", file=sys.stderr)
        return 0
    data, _ = convert_reuters(args.data, limit=args.limit or None)
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "torch": torch.__version__,
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
              "articles": len(data.samples), "labels": len(data.taxonomy), "runs": {}}
    for name in args.variants.split(","):
        result["runs"][name] = VARIANTS[name](data, args)
        print(json.dumps({name: {k: v for k, v in result["runs"][name].items() if k != "epochs"}}), flush=True)
    runs = result["runs"]
    if "trainer" in runs:
        result["speedup_vs_trainer"] = {n: round(runs["trainer"]["train_seconds"] / r["train_seconds"], 2)
                                        for n, r in runs.items() if n != "trainer"}
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
