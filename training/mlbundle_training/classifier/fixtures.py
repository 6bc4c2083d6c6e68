"""Small committed classifier checkpoints for the Go tests (``make fixtures``).

Trains the tiny encoder (:mod:`.train`) and writes each checkpoint with :mod:`.export`;
kept apart from both so that neither imports the other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..data.classification import ClassificationData, Label
from ..data.classification_sample import TAXONOMY, make_sample_dataset
from .export import export_checkpoint
from .train import ClassifierConfig, train


def many_label_dataset(num_labels: int = 1000, samples: int = 1200, seed: int = 0):
    """Synthetic dataset with ``num_labels`` codes: each label owns three made-up words."""
    rng = np.random.default_rng(seed)
    syll = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "ze", "pu", "da", "fi"]
    words = {}
    for j in range(num_labels):
        a, b, c, e = (syll[(j // 12 ** k) % 12] for k in range(4))
        words[j] = [f"{a}{b}{c}{e}", f"{e}{c}{b}{a}n", f"{b}{a}{e}{c}s"]
    taxonomy = [Label(f"L{j:04d}", f"Synthetic label {j:04d}") for j in range(num_labels)]
    rows, seen = [], set()
    while len(rows) < samples:
        labs = sorted(set(rng.integers(0, num_labels, size=int(rng.integers(1, 3))).tolist()))
        toks = [w for j in labs for w in words[j]] + ["report", "about", "the", "market"]
        text = " ".join(rng.permutation(toks).tolist())
        if text not in seen:
            seen.add(text)
            rows.append((text, [taxonomy[j].code for j in labs]))
    return ClassificationData(rows, taxonomy)


FIXTURE_TIME = "2026-01-01T00:00:00Z"


def make_fixtures(out_dir: str | Path) -> list[Path]:
    """Small committed checkpoints for the Go tests (deterministic, each file < 1.5 MB).

    ``classifier/tiny-v1``: the tiny encoder (MiniLM's vocabulary and tokenizer settings,
    factorised embedding, 2 layers, hidden 32) fine-tuned briefly on the sample dataset
    (9 labels); ``classifier/labels1k-v1``: the same encoder with 1,000 synthetic labels.
    """
    out = Path(out_dir)
    made = []
    jobs = [
        ("tiny-v1", ClassificationData(make_sample_dataset(), list(TAXONOMY)), 0),
        ("labels1k-v1", many_label_dataset(), 40),
    ]
    for version, data, max_steps in jobs:
        target = out / "classifier" / version
        if target.exists():
            shutil.rmtree(target)
        cfg = ClassifierConfig(data="fixture", output_dir=str(out), version=version, encoder="tiny",
                               epochs=12, batch_size=16, lr=5e-3, head_lr=2e-2, max_length=128,
                               max_steps=max_steps, threads=1, seed=0,
                               freeze_layers=0, pos_weight_power=0.0, threshold_shrink=0.0, lexical=False,
                               pool_layers=1)  # as committed
        result = train(cfg, data)
        result.data_summary["source"] = "synthetic" if version == "labels1k-v1" else "testdata/classification/sample.json"
        for rec in result.history:  # timings would make every rebuild differ
            rec.pop("train_seconds", None)
            rec.pop("samples_per_s", None)
        made.append(export_checkpoint(result, cfg, created_at=FIXTURE_TIME, revision="fixture"))
    return made
