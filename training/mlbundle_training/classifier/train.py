"""Fine-tune the taxonomy classifier (MiniLM-L6 + multi-label head) and export it.

Stages: load + validate the dataset (a classification JSON file, or a Reuters-21578 JSON
directory), split train/validation (seeded), augment a small training split, tokenise
once, train with BCE on logits (positives weighted for rare codes) in length-bucketed,
dynamically padded batches (AdamW, linear warm-up/decay; bf16 autocast on CUDA), tune
per-label thresholds on validation (shrunk toward a global one), report
micro/macro/per-label P/R/F1, then export the checkpoint (classifier.export).

Two recipes (``--recipe``; flags given explicitly win over the recipe):
- ``budget`` (default), for a CPU: all of MiniLM's 6 layers frozen and computed once
  (classifier.cached); the head reads the mean-pooled outputs of the top 3 layers
  (``--pool-layers``), and a bag-of-wordpieces TF-IDF branch (classifier.lexical,
  ``--lexical``) adds its logits; both train for 20 epochs (head lr 1e-2, lexical lr 1e-2),
  max length 128 (``--freeze-layers 4`` trains the top 2 layers too, at ``--lr``, with
  ``--pool-layers 2`` at most);
- ``plan``, for a GPU: full fine-tuning, 3 epochs, batch 16, lr 2e-5, max length 256,
  plain BCE and per-label thresholds, last layer pooled, no lexical branch.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..data.augment import augment_classification_data
from ..data.classification import ClassificationData, Label, load_classification_data
from .batches import cross_fitted_metrics, encode, multi_hot, predict_logits, sigmoid
from .cached import fit_cached
from .loop import COMPILE_MODES, PRECISIONS, fit, make_optimizer
from .rare import pos_weights, shrunk_thresholds
from .model import DEPTHS, ENCODERS, build_classifier, load_tokenizer
from ..errors import TrainingError
from ..metrics import precision_recall_f1

log = logging.getLogger(__name__)


RECIPES = {
    "budget": {},
    "plan": {"epochs": 3, "batch_size": 16, "lr": 2e-5, "head_lr": 1e-3, "max_length": 256,
             "freeze_layers": 0, "lexical": False, "pool_layers": 1, "pos_weight_power": 0.0,
             "threshold_shrink": 0.0},
}


@dataclass
class ClassifierConfig:
    """Everything one classifier run needs (filled from the CLI flags)."""

    data: str = ""
    output_dir: str = "models"
    version: str = "benchmark_v1"
    recipe: str = "budget"
    epochs: int = 20
    batch_size: int = 16
    lr: float = 1e-4
    head_lr: float = 1e-2
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 128
    freeze_layers: int = 6
    lexical: bool = True
    lexical_lr: float = 1e-2
    pool_layers: int = 3
    pos_weight_power: float = 0.5
    threshold_shrink: float = 5.0
    val_fraction: float = 0.15
    augment_target: int = 500
    seed: int = 0
    device: str = "auto"
    encoder: str = "minilm"
    max_steps: int = 0
    eval_batch_size: int = 64
    int8: bool = True
    limit: int = 0
    threads: int = 0
    precision: str = "auto"
    compile: str = "none"
    log_every: int = 10

    @classmethod
    def from_recipe(cls, recipe: str = "budget", **values) -> "ClassifierConfig":
        """A config with the named recipe's settings, then ``values`` on top."""
        if recipe not in RECIPES:
            raise TrainingError(f"recipe must be one of {', '.join(RECIPES)}, got {recipe!r}")
        return cls(**{**RECIPES[recipe], "recipe": recipe, **values})


@dataclass
class TrainResult:
    """A trained classifier and what the export step needs from training."""

    model: torch.nn.Module
    tokenizer: object
    labels: list[Label]
    thresholds: np.ndarray
    val_texts: list[str]
    val_ids: list[list[int]]
    val_true: np.ndarray
    metrics: dict
    per_label: list[dict]
    data_summary: dict
    history: list[dict] = field(default_factory=list)


def pick_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; otherwise the named device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as e:
        raise TrainingError(f"--device {name!r}: {e}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {name}: CUDA is not available on this machine")
    return dev


def load_dataset(cfg: ClassifierConfig) -> ClassificationData:
    """The dataset named by ``cfg.data``: a dataset JSON file or a Reuters JSON directory."""
    if not cfg.data:
        raise TrainingError("--data is required (a classification JSON file or a Reuters-21578 directory)")
    p = Path(cfg.data)
    if p.is_dir():
        from ..data.reuters import convert_reuters

        data, _ = convert_reuters(p, limit=cfg.limit or None)
        return data
    data = load_classification_data(p)
    if cfg.limit:
        data.samples = data.samples[:cfg.limit]
    return data


def split(samples, val_fraction: float, seed: int):
    """Seeded random train/validation split; both sides get at least one sample."""
    if len(samples) < 2:
        raise TrainingError(f"need at least 2 usable samples to split train/validation, got {len(samples)}")
    if not 0 < val_fraction < 1:
        raise TrainingError(f"--val-fraction must be in (0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = min(len(samples) - 1, max(1, round(val_fraction * len(samples))))
    return [samples[i] for i in order[n_val:]], [samples[i] for i in order[:n_val]]


def _check_config(cfg: ClassifierConfig) -> None:
    problems = []
    for name in ("epochs", "batch_size", "max_length", "eval_batch_size"):
        if getattr(cfg, name) < 1:
            problems.append(f"--{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
    if cfg.max_length < 3 or cfg.max_length > 512:
        problems.append(f"--max-length must be in 3..512, got {cfg.max_length}")
    if cfg.log_every < 0:
        problems.append(f"--log-every must be >= 0, got {cfg.log_every}")
    if cfg.lr <= 0 or cfg.head_lr <= 0 or cfg.lexical_lr <= 0:
        problems.append("--lr, --head-lr and --lexical-lr must be > 0")
    if cfg.precision not in PRECISIONS:
        problems.append(f"--precision must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.compile not in COMPILE_MODES:
        problems.append(f"--compile must be one of {', '.join(COMPILE_MODES)}, got {cfg.compile!r}")
    if cfg.pool_layers < 1:
        problems.append(f"--pool-layers must be >= 1, got {cfg.pool_layers}")
    if cfg.freeze_layers < 0 or cfg.pos_weight_power < 0 or cfg.threshold_shrink < 0:
        problems.append("--freeze-layers, --pos-weight-power and --threshold-shrink must be >= 0")
    if cfg.recipe not in RECIPES:
        problems.append(f"--recipe must be one of {', '.join(RECIPES)}, got {cfg.recipe!r}")
    if cfg.encoder not in ENCODERS:
        problems.append(f"--encoder must be one of {', '.join(ENCODERS)}, got {cfg.encoder!r}")
    if problems:
        raise TrainingError("; ".join(problems))


def train(cfg: ClassifierConfig, data: ClassificationData | None = None) -> TrainResult:
    """Run the training stages (no export) and return the model with its evaluation."""
    _check_config(cfg)
    data = data or load_dataset(cfg)
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    labels = data.taxonomy
    index = {lab.code: i for i, lab in enumerate(labels)}
    train_s, val_s = split(data.samples, cfg.val_fraction, cfg.seed)
    n_train = len(train_s)
    train_s = augment_classification_data(train_s, cfg.augment_target, cfg.seed)
    tokenizer = load_tokenizer()
    t0 = time.perf_counter()
    train_ids = encode(tokenizer, [t for t, _ in train_s], cfg.max_length)
    val_ids = encode(tokenizer, [t for t, _ in val_s], cfg.max_length)
    y_train = torch.from_numpy(multi_hot([c for _, c in train_s], index).astype(np.float32))
    y_val = multi_hot([c for _, c in val_s], index)
    log.info("classifier data: %d labels, %d train (after augmentation), %d validation, tokenised in %.1fs",
             len(labels), len(train_s), len(val_s), time.perf_counter() - t0)

    depth = DEPTHS[cfg.encoder]
    trained = depth - cfg.freeze_layers if 0 < cfg.freeze_layers < depth else depth
    if cfg.pool_layers > trained:  # pooled layers must all be trained, or all frozen (classifier.cached)
        log.info("--pool-layers %d: pooling the top %d layers (%d layers, %d frozen)", cfg.pool_layers, trained,
                 depth, cfg.freeze_layers)
        cfg.pool_layers = trained
    model = build_classifier(cfg.encoder, len(labels), cfg.seed, lexical=cfg.lexical, pool_layers=cfg.pool_layers)
    model.init_bias(y_train.mean(0))
    if model.lexical is not None:
        model.lexical.set_idf(train_ids)
    depth = len(model.encoder.encoder.layer)
    if cfg.freeze_layers > depth:
        log.info("--freeze-layers %d > the encoder's %d layers: freezing all (head only)", cfg.freeze_layers, depth)
        cfg.freeze_layers = depth
    pw = pos_weights(y_train, cfg.pos_weight_power)
    if cfg.freeze_layers:  # lower layers computed once, on the CPU (classifier.cached)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pw)
        history, logits = fit_cached(model, train_ids, y_train, val_ids, y_val, cfg, loss_fn, make_optimizer)
    else:
        model.to(device)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=None if pw is None else pw.to(device))
        history = fit(model, train_ids, y_train, val_ids, y_val, cfg, device, loss_fn)
        logits = predict_logits(model, val_ids, cfg.eval_batch_size, device)
    probs = sigmoid(logits)  # fp32, as served
    model.to("cpu").float().eval()
    tuner = lambda p, y: shrunk_thresholds(p, y, cfg.threshold_shrink)  # noqa: E731
    thresholds = tuner(probs, y_val)
    tuned = cross_fitted_metrics(probs, y_val, cfg.seed, tuner)
    at_half = precision_recall_f1(y_val, probs >= 0.5)
    per_label = [{"code": lab.code, "threshold": float(th), **fig}
                 for lab, th, fig in zip(labels, thresholds, tuned["per_label"])]
    metrics = {k: tuned[k] for k in ("micro_precision", "micro_recall", "micro_f1",
                                     "macro_precision", "macro_recall", "macro_f1")}
    metrics.update({"micro_f1@0.5": at_half["micro_f1"], "macro_f1@0.5": at_half["macro_f1"]})
    log.info("%s", json.dumps({"validation": {k: round(v, 4) for k, v in metrics.items()}}))
    log.info("%s", json.dumps({"per_label": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                                             for r in per_label]}))
    summary = {"source": cfg.data, "labels": len(labels), "samples": len(data.samples),
               "skipped_records": len(data.problems), "train": n_train, "validation": len(val_ids),
               "augmented_to": len(train_s)}
    return TrainResult(model, tokenizer, labels, thresholds, [t for t, _ in val_s], val_ids, y_val,
                       metrics, per_label, summary, history)


def run(cfg: ClassifierConfig) -> Path:
    """Train then export; returns the checkpoint directory (manifest written last)."""
    from .export import export_checkpoint

    from ..contract.checkpoint import validate_version

    validate_version(cfg.version)
    target = Path(cfg.output_dir) / "classifier" / cfg.version
    if (target / "manifest.json").exists():
        raise TrainingError(f"{target}: version {cfg.version} already exists (manifest.json present)")
    root = Path(cfg.output_dir)
    while not root.exists() and root != root.parent:
        root = root.parent
    if not root.is_dir() or not os.access(root, os.W_OK):
        raise TrainingError(f"output directory {cfg.output_dir} is not writable ({root} is not a writable directory)")
    result = train(cfg)
    return export_checkpoint(result, cfg)
