"""Recommender evaluation: sampled ranking (target vs 99 negatives) and full ranking.

Both protocols rank each held-out interaction's item for its user. Sampled: against 99
items that are no positive of that user in any split (drawn once per run with a fixed
seed, so epochs and models compare). Full: against every item except those the user
interacted with in earlier parts of the split (training for validation; training and
validation for test). Metrics: HR@K and NDCG@K (sampled), Recall@K and NDCG@K (full).
:data:`PROTOCOL` is the sentence manifests carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import metrics
from ..data.interactions import Interactions
from ..data.splits import Split
from ..errors import TrainingError
from .negatives import make_generator, positive_keys, sample_negatives


@dataclass
class EvalSet:
    """Validation pairs with their fixed sampled negatives, on the training device."""

    users: torch.Tensor
    items: torch.Tensor
    negatives: torch.Tensor  # [n, num_negatives]


def make_eval_set(users: np.ndarray, items: np.ndarray, all_users: np.ndarray,
                  all_items: np.ndarray, num_items: int, device: torch.device,
                  num_negatives: int = 99, seed: int = 12345) -> EvalSet:
    """Validation pairs + ``num_negatives`` per pair that are no positive (any split)."""
    u = torch.as_tensor(users, dtype=torch.long, device=device)
    i = torch.as_tensor(items, dtype=torch.long, device=device)
    keys = positive_keys(torch.as_tensor(all_users, device=device),
                         torch.as_tensor(all_items, device=device), num_items)
    neg = sample_negatives(u, keys, num_items, num_negatives, make_generator(device, seed))
    return EvalSet(u, i, neg)


@torch.no_grad()
def sampled_metrics(model: torch.nn.Module, ev: EvalSet, k: int = 10,
                    chunk: int = 1 << 16) -> dict[str, float]:
    """HR@k / NDCG@k of each validation item against its sampled negatives."""
    model.eval()
    n, c = ev.negatives.shape
    pos, neg = [], []
    for s in range(0, n, max(1, chunk // (c + 1))):
        u = ev.users[s:s + chunk // (c + 1)]
        pos.append(model(u, ev.items[s:s + len(u)]).float().cpu())
        uu = u.repeat_interleave(c)
        neg.append(model(uu, ev.negatives[s:s + len(u)].reshape(-1)).float().cpu().view(-1, c))
    return metrics.sampled_ranking(torch.cat(pos).numpy(), torch.cat(neg).numpy(), k)


@torch.no_grad()
def full_metrics(model: torch.nn.Module, ev: EvalSet, train_users: np.ndarray,
                 train_items: np.ndarray, num_items: int, k: int = 10,
                 max_rows: int = 10000, cells: int = 1 << 22, seed: int = 0) -> dict[str, float]:
    """Full-ranking Recall@k / NDCG@k, the given (training) positives excluded.

    At most ``max_rows`` validation rows (a seeded sample) keep big catalogues tractable.
    """
    model.eval()
    dev = ev.users.device
    rows = np.arange(ev.users.numel())
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
    vu, vi = ev.users.cpu().numpy()[rows], ev.items.cpu().numpy()[rows]
    order = np.argsort(train_users, kind="stable")
    tu, ti = train_users[order], train_items[order]
    starts = np.searchsorted(tu, np.arange(int(max(tu.max(initial=0), vu.max(initial=0))) + 2))
    step = max(1, cells // num_items)
    all_items = torch.arange(num_items, device=dev)
    hr = nd = 0.0
    for s in range(0, len(rows), step):
        cu, ci = vu[s:s + step], vi[s:s + step]
        u = torch.as_tensor(cu, device=dev)
        if hasattr(model, "score_items"):  # NCF: a matrix product for dot-product models
            scores = model.score_items(u).float().cpu().numpy()
        else:
            scores = model(u.repeat_interleave(num_items), all_items.repeat(len(cu))).float()
            scores = scores.view(len(cu), num_items).cpu().numpy()
        mask = np.zeros_like(scores, dtype=bool)
        for r, user in enumerate(cu):
            mask[r, ti[starts[user]:starts[user + 1]]] = True
        got = metrics.full_ranking(scores, ci, mask, k)
        hr += got[f"full_recall@{k}"] * len(cu)
        nd += got[f"full_ndcg@{k}"] * len(cu)
    n = max(1, len(rows))
    return {f"full_recall@{k}": hr / n, f"full_ndcg@{k}": nd / n}


class Popularity(torch.nn.Module):
    """The popularity baseline as a model: score = training interaction count.

    A tiny item-index tie-break keeps ties from all counting against the target.
    """

    def __init__(self, train_items: np.ndarray, num_items: int):
        super().__init__()
        counts = np.bincount(train_items, minlength=num_items).astype(np.float64)
        self.register_buffer("counts", torch.as_tensor(counts + np.linspace(0, 1e-6, num_items)))

    def forward(self, user: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        return self.counts.to(item.device)[item]


def popularity_metrics(ev: EvalSet, train_items: np.ndarray, train_users: np.ndarray,
                       num_items: int, k: int = 10) -> dict[str, float]:
    """The popularity baseline (score = training interaction count) on the same protocol."""
    pop = Popularity(train_items, num_items)
    return {**sampled_metrics(pop, ev, k),
            **full_metrics(pop, ev, train_users, train_items, num_items, k)}


PROTOCOL = ("choose on validation, report on test; sampled: HR@{k} and NDCG@{k} of the held-out "
            "item against {negatives} items the user never interacted with; full: Recall@{k} "
            "and NDCG@{k} against every item the user did not interact with in earlier parts")


@dataclass
class HeldOut:
    """One held-out part of a split (validation or test), ready to rank."""

    name: str
    ev: EvalSet
    known_users: np.ndarray  # interactions of earlier parts: left out of the full ranking
    known_items: np.ndarray
    num_items: int


def held_out(data: Interactions, split: Split, part: str, device: torch.device,
             num_negatives: int = 99, seed: int = 0) -> HeldOut:
    """The ``validation`` or ``test`` part of ``split`` with its fixed sampled negatives."""
    rows = getattr(split, part)
    if not len(rows):
        raise TrainingError(f"{split.name} split: the {part} part is empty ({split.describe()}); "
                            "more interactions per user are needed")
    known = split.train if part == "validation" else np.concatenate([split.train, split.validation])
    offset = {"validation": 7919, "test": 7927}[part]
    ev = make_eval_set(data.users[rows], data.items[rows], data.users, data.items, data.num_items,
                       device, num_negatives, seed=seed + offset)
    return HeldOut(part, ev, data.users[known], data.items[known], data.num_items)


def evaluate(model: torch.nn.Module, part: HeldOut, k: int = 10,
             max_rows: int = 10000) -> dict[str, float]:
    """Sampled HR/NDCG@k and full Recall/NDCG@k of ``model`` on one held-out part."""
    return {**sampled_metrics(model, part.ev, k),
            **full_metrics(model, part.ev, part.known_users, part.known_items, part.num_items,
                           k, max_rows)}


def prefixed(prefix: str, values: dict[str, float]) -> dict[str, float]:
    """``{"hr@10": x}`` -> ``{"<prefix>_hr@10": x}``."""
    return {f"{prefix}_{k}": v for k, v in values.items()}


SELECT_METRICS = ("hr@{k}", "ndcg@{k}", "full_recall@{k}", "full_ndcg@{k}")


@dataclass
class Evaluation:
    """A split with its validation and test parts ready to rank (shared by every model that
    is trained and compared on it)."""

    split: Split
    validation: HeldOut
    test: HeldOut

    @classmethod
    def build(cls, data: Interactions, split: Split, device: torch.device, negatives: int = 99,
              seed: int = 0) -> "Evaluation":
        """Validation and test parts of ``split`` with fixed sampled negatives."""
        return cls(split, held_out(data, split, "validation", device, negatives, seed),
                   held_out(data, split, "test", device, negatives, seed))

    def popularity(self, data: Interactions, k: int = 10) -> dict[str, float]:
        """``popularity_validation_*`` and ``popularity_test_*`` of the training counts."""
        pop = Popularity(data.items[self.split.train], data.num_items)
        return {**prefixed("popularity_validation", evaluate(pop, self.validation, k)),
                **prefixed("popularity_test", evaluate(pop, self.test, k))}

    def describe(self, k: int = 10) -> dict[str, Any]:
        """The protocol for manifests: split, part sizes, how each part is ranked."""
        return {"split": self.split.name, "parts": self.split.describe(), **self.split.sizes(),
                "protocol": PROTOCOL.format(k=k, negatives=self.validation.ev.negatives.shape[1])}
