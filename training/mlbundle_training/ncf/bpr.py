"""Matrix factorisation under the pairwise BPR loss (Rendle et al., 2009), exported as a
dot-product model.

For a training positive ``(u, i)`` and a sampled item ``j`` that is no positive of ``u``,
the score difference is ``x = p_u · (q_i - q_j) + b_i - b_j`` and the loss
``-log σ(x) + reg · (|p_u|² + |q_i|² + |q_j|² + b_i² + b_j²) / 2`` per triple, summed over
a batch. User and item rows live in one table ``[users + items, factors + 1]``: a user's
last column is fixed to 1 and an item's last column is its bias, so the score of a pair is
the plain dot product of its two rows.

One epoch: one negative per training positive, drawn with :func:`.negatives.sample_negatives`
(never a positive of that user), the triples shuffled and fed in batches. The gradient of
a batch is written out (no autograd) and applied with :class:`.rowadam.RowAdam` to the rows
the batch touches only, so a step costs the batch, not the catalogue. Every
``eval_every`` epochs the validation metrics are taken; the best evaluation is kept, and
training stops after ``patience`` evaluations without a better one.

The model travels as :func:`.als.dot_model` (the same export as ALS): ``score_all.onnx``
is one Gemm, item vectors are the item rows, cold start from popularity.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..data.interactions import Interactions
from ..errors import TrainingError
from .als import dot_model
from .evaluate import Evaluation, evaluate
from .model import NCF
from .negatives import make_generator, positive_index, sample_negatives
from .rowadam import RowAdam

log = logging.getLogger(__name__)


@dataclass
class BPRConfig:
    """Knobs of one BPR fit."""

    factors: int = 64
    lr: float = 0.005
    regularization: float = 0.001
    batch_size: int = 1024
    epochs: int = 100
    eval_every: int = 5
    patience: int = 4
    seed: int = 0

    def check(self) -> None:
        """Raise TrainingError on knobs that cannot fit."""
        if min(self.factors, self.batch_size, self.epochs, self.eval_every) < 1:
            raise TrainingError("bpr: factors, batch-size, epochs and eval-every must be >= 1")
        if self.lr <= 0 or self.regularization < 0 or self.patience < 0:
            raise TrainingError("bpr: lr must be > 0, regularization and patience >= 0")


@dataclass
class BPRResult:
    """The best evaluation's model, its validation metrics and the evaluation history."""

    model: NCF
    config: BPRConfig
    validation: dict[str, float]
    history: list[dict[str, Any]]
    best_epoch: int
    seconds: float


def init_table(num_users: int, num_items: int, factors: int, seed: int) -> torch.Tensor:
    """``[users + items, factors + 1]``: N(0, 0.01) factors, users' last column 1, biases 0."""
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(num_users + num_items, factors + 1, generator=g) * 0.01
    t[:num_users, -1] = 1.0
    t[num_users:, -1] = 0.0
    return t


@torch.no_grad()
def bpr_step(table: torch.Tensor, opt: RowAdam, u: torch.Tensor, i: torch.Tensor,
             j: torch.Tensor, reg: float) -> float:
    """One batch: ``u`` user rows, ``i``/``j`` positive/negative item rows (already offset
    by the number of users); returns the batch's mean BPR loss (without the penalty)."""
    pu, qi, qj = table.index_select(0, u), table.index_select(0, i), table.index_select(0, j)
    diff = qi - qj
    x = (pu * diff).sum(1)
    s = torch.sigmoid(-x).unsqueeze(1)  # -d(-log σ(x))/dx
    gu = torch.addcmul(pu * reg, s, diff, value=-1)
    gu[:, -1] = 0.0  # the users' constant column
    gi = torch.addcmul(qi * reg, s, pu, value=-1)
    gj = torch.addcmul(qj * reg, s, pu)
    opt.set_grad("rows", torch.cat([u, i, j]), torch.cat([gu, gi, gj]))
    opt.step()
    return float(torch.nn.functional.softplus(-x).mean())


def as_model(table: torch.Tensor, num_users: int) -> NCF:
    """The dot-product model of a table: users' rows · items' rows."""
    return dot_model(table[:num_users], table[num_users:])


def train_bpr(cfg: BPRConfig, data: Interactions, evaluation: Evaluation,
              select_metric: str = "full_ndcg@10", k: int = 10,
              eval_rows: int = 2000) -> BPRResult:
    """Fit on the training part; keep the evaluation with the best validation ``select_metric``."""
    cfg.check()
    t0 = time.perf_counter()
    rows = evaluation.split.train
    nu = data.num_users
    users = torch.as_tensor(data.users[rows], dtype=torch.long)
    items = torch.as_tensor(data.items[rows], dtype=torch.long)
    keys = positive_index(users, items, nu, data.num_items)
    table = init_table(nu, data.num_items, cfg.factors, cfg.seed)
    opt = RowAdam({"rows": table}, lr=cfg.lr)
    gen = make_generator(torch.device("cpu"), cfg.seed)
    history: list[dict[str, Any]] = []
    best, best_table, best_epoch, losses = -1.0, table.clone(), 0, []
    for epoch in range(1, cfg.epochs + 1):
        neg = sample_negatives(users, keys, data.num_items, 1, gen).view(-1)
        order = torch.randperm(len(users), generator=gen)
        for s in range(0, len(order), cfg.batch_size):
            b = order[s:s + cfg.batch_size]
            losses.append(bpr_step(table, opt, users[b], items[b] + nu, neg[b] + nu,
                                   cfg.regularization))
        if epoch % cfg.eval_every and epoch != cfg.epochs:
            continue
        val = evaluate(as_model(table, nu), evaluation.validation, k, eval_rows)
        rec = {"event": "epoch", "epoch": epoch, "loss": round(sum(losses) / len(losses), 6),
               **{f"validation_{name}": round(v, 6) for name, v in val.items()}}
        losses = []
        history.append(rec)
        log.info(json.dumps(rec))
        if val[select_metric] > best:
            best, best_epoch, best_table = val[select_metric], epoch, table.clone()
        elif cfg.patience and epoch - best_epoch >= cfg.patience * cfg.eval_every:
            break
    model = as_model(best_table, nu)
    final = evaluate(model, evaluation.validation, k)
    return BPRResult(model, cfg, final, history, best_epoch, time.perf_counter() - t0)


def settings(cfg: BPRConfig) -> dict[str, Any]:
    """The knobs for manifests and trial records."""
    return asdict(cfg)
