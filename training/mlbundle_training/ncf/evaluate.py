"""NCF evaluation: sampled ranking (target vs 99 negatives) and full ranking over all items.

Both protocols rank each validation interaction's item for its user. Sampled: against 99
items that are no positive of that user (drawn once per run with a fixed seed, so epochs
compare). Full: against every item except the user's training positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import metrics
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
    """Full-ranking HR@k / NDCG@k, training positives excluded.

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
        u = torch.as_tensor(cu, device=dev).repeat_interleave(num_items)
        scores = model(u, all_items.repeat(len(cu))).float().view(len(cu), num_items).cpu().numpy()
        mask = np.zeros_like(scores, dtype=bool)
        for r, user in enumerate(cu):
            mask[r, ti[starts[user]:starts[user + 1]]] = True
        got = metrics.full_ranking(scores, ci, mask, k)
        hr += got[f"full_hr@{k}"] * len(cu)
        nd += got[f"full_ndcg@{k}"] * len(cu)
    n = max(1, len(rows))
    return {f"full_hr@{k}": hr / n, f"full_ndcg@{k}": nd / n}


def popularity_metrics(ev: EvalSet, train_items: np.ndarray, train_users: np.ndarray,
                       num_items: int, k: int = 10) -> dict[str, float]:
    """The popularity baseline (score = training interaction count) on the same protocol."""
    counts = np.bincount(train_items, minlength=num_items).astype(np.float64)
    # a tiny item-index tie-break keeps ties from all counting against the target
    counts += np.linspace(0, 1e-6, num_items)

    class _Pop(torch.nn.Module):
        def forward(self, user: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
            return torch.as_tensor(counts, device=item.device)[item]

    pop = _Pop()
    return {**sampled_metrics(pop, ev, k),
            **full_metrics(pop, ev, train_users, train_items, num_items, k)}
