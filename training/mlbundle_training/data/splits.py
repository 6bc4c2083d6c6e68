"""Train/validation splits: the seed's random 80/20 and leave-one-out by latest timestamp."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contract.checkpoint import write_json_atomic
from ..errors import TrainingError
from .interactions import Interactions, write_jsonl

log = logging.getLogger(__name__)
SINGLE_POLICIES = ("error", "train-only")


@dataclass
class Split:
    """Row indices of a split; ``name`` is ``random`` or ``leave-one-out``."""

    name: str
    train: np.ndarray
    validation: np.ndarray


def random_split(inter: Interactions, validation_share: float = 0.2, seed: int = 0) -> Split:
    """The seed's split: a random ``validation_share`` of rows, the rest for training."""
    if not 0 < validation_share < 1:
        raise TrainingError(f"validation share must be in (0, 1), got {validation_share}")
    perm = np.random.default_rng(seed).permutation(len(inter))
    n_val = max(1, int(round(len(inter) * validation_share)))
    return Split("random", np.sort(perm[n_val:]), np.sort(perm[:n_val]))


def leave_one_out(inter: Interactions, single: str = "error") -> Split:
    """Hold out each user's latest interaction (ties: the later record).

    A user with a single interaction has nothing left to train on: ``single="error"``
    raises naming the first such users; ``"train-only"`` keeps their interaction in
    training and leaves them out of the evaluation.
    """
    if single not in SINGLE_POLICIES:
        raise TrainingError(f"single-interaction policy must be one of {SINGLE_POLICIES}")
    n = len(inter)
    order = np.lexsort((np.arange(n), inter.timestamps, inter.users))  # by user, time, row
    users_sorted = inter.users[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = users_sorted[1:] != users_sorted[:-1]
    counts = np.bincount(inter.users, minlength=inter.num_users)
    lonely = np.flatnonzero(counts == 1)
    if len(lonely):
        names = ", ".join(inter.user_ids[u] for u in lonely[:5])
        if single == "error":
            raise TrainingError(
                f"leave-one-out: {len(lonely)} user(s) have a single interaction ({names}"
                f"{', ...' if len(lonely) > 5 else ''}); remove them or use "
                "--single-interaction train-only to train on them without evaluating them")
        log.warning("leave-one-out: %d single-interaction users kept for training only", len(lonely))
        last &= counts[users_sorted] > 1
    return Split("leave-one-out", np.sort(order[~last]), np.sort(order[last]))


def make_split(inter: Interactions, name: str, seed: int = 0, single: str = "error") -> Split:
    """Dispatch on the split name (``random`` or ``leave-one-out``)."""
    if name == "random":
        return random_split(inter, seed=seed)
    if name == "leave-one-out":
        return leave_one_out(inter, single)
    raise TrainingError(f"unknown split {name!r}: want random or leave-one-out")


def write_prepared(inter: Interactions, split: Split, out_dir: str | os.PathLike,
                   seed: int) -> dict:
    """Write train/validation JSONL, users.json/items.json and spec.json; return the spec."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrainingError(f"output directory {out} is not writable: {e.strerror or e}") from e
    files = {"train": "train.jsonl", "validation": "validation.jsonl",
             "users": "users.json", "items": "items.json"}
    n_train = write_jsonl(inter, out / files["train"], split.train)
    n_val = write_jsonl(inter, out / files["validation"], split.validation)
    (out / files["users"]).write_text(json.dumps(inter.user_ids), encoding="utf-8")
    (out / files["items"]).write_text(json.dumps(inter.item_ids), encoding="utf-8")
    spec = {**inter.summary(), "seed": seed, "split": split.name,
            "train_interactions": n_train, "validation_interactions": n_val, "files": files}
    write_json_atomic(out / "spec.json", spec)
    return spec
