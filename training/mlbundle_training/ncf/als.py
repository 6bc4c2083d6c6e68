"""Implicit-feedback ALS (Hu, Koren and Volinsky, 2008), exported as a dot-product model.

Confidence of an observed (user, item) pair is ``1 + alpha * w``, with ``w`` 1
(``weighting="binary"``), the interaction's weight (``"weight"``: counts, ratings) or
``log1p`` of it (``"log"``); unobserved pairs have confidence 1 and preference 0. Each
iteration solves, for every user at once and then every item,
``(Yᵀ Y + Yᵀ (C_u - I) Y + λ I) x_u = Yᵀ C_u p_u`` with ``cg_steps`` conjugate-gradient
steps warm-started from the current factors (the ``implicit`` library's method): a step is
a few batched tensor operations over the non-zeros, O(nnz · factors), never a dense matrix.

The model is an NCF ``gmf`` whose output layer is fixed to ones and bias zero, so its score
is the dot product ``u · v`` and it travels through the same checkpoint contract as NCF
(``score_all.onnx`` is one ``[1, f] x [f, items]`` Gemm; item vectors are the item
factors; cold start from popularity). After every iteration the validation metrics are
taken and the best iteration is kept.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from ..data.interactions import Interactions
from ..errors import TrainingError
from .evaluate import Evaluation, evaluate
from .model import NCF, NCFShape

log = logging.getLogger(__name__)
WEIGHTINGS = ("binary", "weight", "log")


@dataclass
class ALSConfig:
    """Knobs of one ALS fit."""

    factors: int = 32
    regularization: float = 0.1
    alpha: float = 1.0
    iterations: int = 15
    cg_steps: int = 3
    weighting: str = "binary"
    seed: int = 0

    def check(self) -> None:
        """Raise TrainingError on knobs that cannot fit."""
        if self.factors < 1 or self.iterations < 1 or self.cg_steps < 1:
            raise TrainingError("als: factors, iterations and cg-steps must be >= 1")
        if self.regularization < 0 or self.alpha <= 0:
            raise TrainingError("als: regularization must be >= 0 and alpha > 0")
        if self.weighting not in WEIGHTINGS:
            raise TrainingError(f"als: weighting {self.weighting!r} not in {WEIGHTINGS}")


def confidence_minus_one(weights: np.ndarray, cfg: ALSConfig) -> np.ndarray:
    """``c - 1 = alpha * w`` per observed pair (see module doc)."""
    w = np.asarray(weights, dtype=np.float64)
    if cfg.weighting == "binary":
        w = np.ones_like(w)
    elif cfg.weighting == "log":
        w = np.log1p(w)
    return (cfg.alpha * w).astype(np.float32)


@torch.no_grad()
def half_step(x: torch.Tensor, y: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
              cm1: torch.Tensor, reg: float, cg_steps: int) -> None:
    """Update every row of ``x`` in place: its weighted least squares given ``y``.

    ``rows[j]``/``cols[j]``: the j-th observed pair (row of ``x``, row of ``y``), ``cm1[j]``
    its confidence minus one.
    """
    yty = y.t() @ y + reg * torch.eye(x.shape[1], dtype=y.dtype, device=y.device)
    ye = y.index_select(0, cols)

    def matvec(v: torch.Tensor) -> torch.Tensor:
        s = (ye * v.index_select(0, rows)).sum(1).mul_(cm1)
        return (v @ yty).index_add_(0, rows, ye * s.unsqueeze(1))

    r = torch.zeros_like(x).index_add_(0, rows, ye * (cm1 + 1).unsqueeze(1)) - matvec(x)
    p = r.clone()
    rs = (r * r).sum(1)
    for _ in range(cg_steps):
        ap = matvec(p)
        step = (rs / (p * ap).sum(1).clamp_min(1e-20)).unsqueeze(1)
        x.addcmul_(step, p)
        r.addcmul_(step, ap, value=-1)
        rs_new = (r * r).sum(1)
        p.mul_((rs_new / rs.clamp_min(1e-20)).unsqueeze(1)).add_(r)
        rs = rs_new


def dot_model(user_factors: torch.Tensor, item_factors: torch.Tensor) -> NCF:
    """An NCF ``gmf`` that scores ``user_factors[u] · item_factors[i]``."""
    m = NCF(NCFShape(user_factors.shape[0], item_factors.shape[0], "gmf", user_factors.shape[1]))
    with torch.no_grad():
        m.gmf_user.weight.copy_(user_factors)
        m.gmf_item.weight.copy_(item_factors)
        m.out.weight.fill_(1.0)
        m.out.bias.zero_()
    return m.eval()


@dataclass
class ALSResult:
    """The best iteration's model, its validation metrics and the per-iteration history."""

    model: NCF
    config: ALSConfig
    validation: dict[str, float]
    history: list[dict[str, Any]]
    best_iteration: int
    seconds: float


def train_als(cfg: ALSConfig, data: Interactions, evaluation: Evaluation,
              select_metric: str = "full_ndcg@10", k: int = 10,
              eval_rows: int = 2000) -> ALSResult:
    """Fit on the training part; keep the iteration with the best validation ``select_metric``."""
    cfg.check()
    t0 = time.perf_counter()
    rows = evaluation.split.train
    g = torch.Generator().manual_seed(cfg.seed)
    uf = torch.randn(data.num_users, cfg.factors, generator=g) * 0.01
    itf = torch.randn(data.num_items, cfg.factors, generator=g) * 0.01
    u = torch.as_tensor(data.users[rows], dtype=torch.long)
    i = torch.as_tensor(data.items[rows], dtype=torch.long)
    cm1 = torch.as_tensor(confidence_minus_one(data.weights[rows], cfg))
    history: list[dict[str, Any]] = []
    best, best_state, best_it = -1.0, None, 0
    for it in range(1, cfg.iterations + 1):
        half_step(uf, itf, u, i, cm1, cfg.regularization, cfg.cg_steps)
        half_step(itf, uf, i, u, cm1, cfg.regularization, cfg.cg_steps)
        model = dot_model(uf, itf)
        val = evaluate(model, evaluation.validation, k, eval_rows)
        rec = {"event": "iteration", "iteration": it,
               **{f"validation_{name}": round(v, 6) for name, v in val.items()}}
        history.append(rec)
        log.info(json.dumps(rec))
        if val[select_metric] > best:
            best, best_it, best_state = val[select_metric], it, copy.deepcopy(model)
    assert best_state is not None
    final = evaluate(best_state, evaluation.validation, k)
    return ALSResult(best_state, cfg, final, history, best_it, time.perf_counter() - t0)


def settings(cfg: ALSConfig) -> dict[str, Any]:
    """The knobs for manifests and trial records."""
    return asdict(cfg)
