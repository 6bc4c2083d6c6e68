"""Help for rare codes: positive-weighted BCE and per-label thresholds shrunk to a global one.

- ``pos_weights``: the BCE weight of each label's positives, ``(negatives / positives) **
  power`` capped at ``cap`` (power 0: plain BCE; 0.5: the square root of the imbalance).
- ``shrunk_thresholds``: a label's own best threshold on validation is trusted in
  proportion to its validation positives ``n``: ``(n * own + k * global) / (n + k)``,
  where ``global`` is the one threshold that maximises micro-F1 over all labels. A code
  seen twice in validation then stays near the global threshold instead of jumping to
  whatever separated those two documents; labels without a positive get the global one.
"""

from __future__ import annotations

import numpy as np
import torch

from .batches import GRID, tune_thresholds


def pos_weights(y: torch.Tensor, power: float, cap: float = 50.0) -> torch.Tensor | None:
    """Per-label BCE positive weights from the training targets ``y`` [n, labels]; None at power 0."""
    if power == 0:
        return None
    pos = y.sum(0).clamp(min=1.0)
    return ((len(y) - pos).clamp(min=1.0) / pos).pow(power).clamp(max=cap)


def global_threshold(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = GRID) -> float:
    """The single threshold (from ``grid``) with the best micro-F1 over all labels."""
    best, best_f1 = 0.5, -1.0
    for g in grid:
        pred = probs >= g
        tp = float((pred & y_true).sum())
        denom = 2 * tp + float((pred & ~y_true).sum()) + float((~pred & y_true).sum())
        f1 = 2 * tp / denom if denom else 0.0
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(g - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(g), f1
    return best


def shrunk_thresholds(probs: np.ndarray, y_true: np.ndarray, k: float) -> np.ndarray:
    """Per-label thresholds shrunk toward the global one with strength ``k`` (0: per-label only)."""
    own = tune_thresholds(probs, y_true)
    if k <= 0:
        return own
    g = global_threshold(probs, y_true)
    n = y_true.sum(0).astype(np.float64)
    return ((n * own + k * g) / (n + k)).astype(np.float32)
