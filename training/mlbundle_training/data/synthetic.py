"""Reproducible synthetic interactions with structure worth learning.

The generator (vectorised numpy, so ML-20M-sized sets take seconds) builds:

- **latent taste groups**: every item belongs to one of ``groups``; every user has a primary
  group and picks from it with probability ``affinity``, otherwise from a second group
  (drift) or at random. A model that learns the groups beats popularity ranking;
- **Zipf-like popularity**: within a group items are drawn with weight ``1 / rank**zipf``;
- **long-tailed user activity**: per-user counts follow a Pareto law (at least
  ``min_per_user`` each, so leave-one-out has something to train on);
- **temporal patterns**: a daily rhythm (evening peak) and a weekly one (busier weekends),
  item introduction times (an item is never used before it exists; ``launch_share`` of items
  exist from day 0) and drift (a share of users move towards their second group over time).

Interactions are unique per (user, item); ids are ``u<n>``/``i<n>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import TrainingError
from .interactions import Interactions

DAY = 86400.0
_HOURLY = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 5, 5, 4, 4, 4, 5, 7, 9, 10, 9, 6, 3],
                   dtype=np.float64)  # evening peak
_WEEKLY = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 1.5, 1.5])  # Monday..Sunday


@dataclass
class SyntheticSpec:
    """Knobs of :func:`create_synthetic_interactions` (all reproducible under ``seed``)."""

    seed: int = 0
    users: int = 200
    items: int = 150
    count: int = 4000
    groups: int = 8
    affinity: float = 0.8
    zipf: float = 1.0
    activity_alpha: float = 1.2
    min_per_user: int = 3
    days: int = 120
    start: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    launch_share: float = 0.5
    drift_share: float = 0.3


def create_synthetic_interactions(seed: int = 0, users: int = 200, items: int = 150,
                                  count: int = 4000, **kw: float) -> Interactions:
    """Generate interactions (see module doc); ``count`` >= 1000 by default."""
    spec = SyntheticSpec(seed=seed, users=users, items=items, count=count, **kw)  # type: ignore[arg-type]
    _check(spec)
    rng = np.random.default_rng(spec.seed)
    g = spec.groups
    item_group = rng.integers(0, g, spec.items)
    # popularity: a Zipf weight by a random rank, normalised within each group
    pop = 1.0 / (rng.permutation(spec.items) + 1.0) ** spec.zipf
    order = np.lexsort((-pop, item_group))  # items sorted by group, then popularity
    cum = np.zeros(spec.items)
    for k in range(g):
        members = order[item_group[order] == k]
        if len(members):
            cum[members] = np.cumsum(pop[members]) / pop[members].sum() + k
    group_start = np.searchsorted(item_group[order], np.arange(g))
    intro = np.where(rng.random(spec.items) < spec.launch_share, 0.0,
                     rng.random(spec.items) * 0.8 * spec.days * DAY)

    primary = rng.integers(0, g, spec.users)
    second = (primary + rng.integers(1, max(g, 2), spec.users)) % g
    drifts = rng.random(spec.users) < spec.drift_share
    activity = rng.pareto(spec.activity_alpha, spec.users) + 1.0
    per_user = _spread(rng, spec.count, activity, spec.min_per_user, spec.items // 2)

    users = np.repeat(np.arange(spec.users), per_user)
    pairs: np.ndarray = np.empty(0, np.int64)
    times: np.ndarray = np.empty(0)
    need = per_user.copy()
    for round_ in range(60):  # later rounds top up the duplicates removed
        u = np.repeat(np.arange(spec.users), need)
        if not len(u):
            break
        t = _times(rng, len(u), spec)
        frac = (t - spec.start) / (spec.days * DAY)
        p_primary = np.where(drifts[u], spec.affinity * (1 - frac), spec.affinity)
        p_second = np.where(drifts[u], spec.affinity * frac, (1 - spec.affinity) / 2)
        r = rng.random(len(u))
        grp = np.where(r < p_primary, primary[u],
                       np.where(r < p_primary + p_second, second[u], rng.integers(0, g, len(u))))
        if round_ >= 5:  # a heavy user exhausted the groups: any group fills the rest
            grp = rng.integers(0, g, len(u))
        pos = np.searchsorted(cum[order], grp + rng.random(len(u)) * (1 - 1e-12))
        pos = np.clip(pos, group_start[grp], None)
        it = order[np.minimum(pos, spec.items - 1)]
        if round_ >= 10:  # the popular items of every group are used up: any item will do
            it = rng.integers(0, spec.items, len(u))
        t = np.maximum(t, spec.start + intro[it] + rng.random(len(u)) * DAY)
        pairs = np.concatenate([pairs, u.astype(np.int64) * spec.items + it])
        times = np.concatenate([times, t])
        pairs, first = np.unique(pairs, return_index=True)
        times = times[first]
        need = np.maximum(per_user - np.bincount(pairs // spec.items, minlength=spec.users), 0)
    del users
    srt = np.argsort(times, kind="stable")
    u_idx, i_idx, times = pairs[srt] // spec.items, pairs[srt] % spec.items, times[srt]
    inter = Interactions(u_idx, i_idx, times, np.ones(len(srt), np.float32),
                         [f"u{n}" for n in range(spec.users)], [f"i{n}" for n in range(spec.items)],
                         source=f"synthetic(seed={spec.seed})")
    inter.extra = {"item_group": item_group, "user_group": primary, "spec": spec}
    from .item_texts import synthetic_item_texts

    inter.item_texts = synthetic_item_texts(inter.item_ids, item_group, spec.seed)
    return inter


def _spread(rng: np.random.Generator, count: int, activity: np.ndarray, low: int,
            high: int) -> np.ndarray:
    """Per-user counts summing to ``count``, proportional to ``activity``, in [low, high]."""
    n = np.full(len(activity), low)
    for _ in range(50):
        left = count - int(n.sum())
        room = n < high
        if left <= 0 or not room.any():
            break
        w = np.where(room, activity, 0.0)
        n = np.minimum(n + rng.multinomial(left, w / w.sum()), high)
    return n


def _times(rng: np.random.Generator, n: int, spec: SyntheticSpec) -> np.ndarray:
    """Event times with a weekly and a daily rhythm over ``spec.days`` days."""
    day_of = np.arange(spec.days)
    weekday = ((spec.start // DAY + 3 + day_of) % 7).astype(int)  # 1970-01-01 was a Thursday
    w = _WEEKLY[weekday]
    day = rng.choice(spec.days, n, p=w / w.sum())
    hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    return spec.start + day * DAY + hour * 3600.0 + rng.random(n) * 3600.0


def _check(spec: SyntheticSpec) -> None:
    problems = []
    if spec.users < 2 or spec.items < 2 * spec.min_per_user:
        problems.append(f"users ({spec.users}) >= 2 and items ({spec.items}) >= 2*min_per_user")
    if spec.count < spec.min_per_user * spec.users:
        problems.append(f"count ({spec.count}) >= min_per_user*users ({spec.min_per_user * spec.users})")
    if spec.count > spec.users * spec.items // 2:
        problems.append(f"count ({spec.count}) <= half the matrix ({spec.users * spec.items // 2})")
    if not 0 < spec.affinity <= 1 or spec.groups < 1:
        problems.append("0 < affinity <= 1 and groups >= 1")
    if problems:
        raise TrainingError("synthetic data: need " + "; ".join(problems))
