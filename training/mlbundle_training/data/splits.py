"""Train / validation / test splits: leave-last-out by timestamp, or random 80/10/10.

Settings (epochs, hyper-parameters, the model itself) are chosen on **validation** only;
**test** is scored once, by the chosen model, and reported. Leave-one-out holds out each
user's latest interaction for test and the one before it for validation (ties: the later
record counts as later); everything earlier trains.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..contract.checkpoint import write_json_atomic
from ..errors import TrainingError
from .interactions import Interactions, write_jsonl

log = logging.getLogger(__name__)
SINGLE_POLICIES = ("error", "train-only")
PARTS = ("train", "validation", "test")


@dataclass
class Split:
    """Row indices of a split; ``name`` is ``random`` or ``leave-one-out``."""

    name: str
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        """Interactions per part."""
        return {part: int(len(getattr(self, part))) for part in PARTS}

    def describe(self) -> str:
        """One sentence naming what each part holds (for manifests and logs)."""
        if self.name == "leave-one-out":
            return ("per user, the latest interaction is test and the second latest validation "
                    "(users with 3 or more; with 2, test only); earlier ones train")
        return "rows drawn at random: 10% validation, 10% test, the rest train"


def random_split(inter: Interactions, validation_share: float = 0.1, test_share: float = 0.1,
                 seed: int = 0) -> Split:
    """A random ``validation_share`` and ``test_share`` of rows; the rest trains."""
    if not (0 < validation_share < 1 and 0 < test_share < 1 and validation_share + test_share < 1):
        raise TrainingError(f"validation and test shares must be in (0, 1) with a sum below 1, "
                            f"got {validation_share} and {test_share}")
    perm = np.random.default_rng(seed).permutation(len(inter))
    n_val = max(1, int(round(len(inter) * validation_share)))
    n_test = max(1, int(round(len(inter) * test_share)))
    return Split("random", np.sort(perm[n_val + n_test:]), np.sort(perm[:n_val]),
                 np.sort(perm[n_val:n_val + n_test]))


def leave_one_out(inter: Interactions, single: str = "error") -> Split:
    """Each user's latest interaction -> test, the second latest -> validation.

    A user needs 3 interactions to be in validation and 2 to be in test. A user with a
    single interaction has nothing left to train on: ``single="error"`` raises naming the
    first such users; ``"train-only"`` keeps their interaction in training and leaves them
    out of the evaluation.
    """
    if single not in SINGLE_POLICIES:
        raise TrainingError(f"single-interaction policy must be one of {SINGLE_POLICIES}")
    n = len(inter)
    order = np.lexsort((np.arange(n), inter.timestamps, inter.users))  # by user, time, row
    users_sorted = inter.users[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = users_sorted[1:] != users_sorted[:-1]
    second = np.zeros(n, dtype=bool)
    second[:-1] = last[1:] & (users_sorted[:-1] == users_sorted[1:])
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
    per_row = counts[users_sorted]
    test = last & (per_row >= 2)
    validation = second & (per_row >= 3)
    train = ~(test | validation)
    return Split("leave-one-out", np.sort(order[train]), np.sort(order[validation]),
                 np.sort(order[test]))


def make_split(inter: Interactions, name: str, seed: int = 0, single: str = "error") -> Split:
    """Dispatch on the split name (``random`` or ``leave-one-out``)."""
    if name == "random":
        return random_split(inter, seed=seed)
    if name == "leave-one-out":
        return leave_one_out(inter, single)
    raise TrainingError(f"unknown split {name!r}: want random or leave-one-out")


def write_prepared(inter: Interactions, split: Split, out_dir: str | os.PathLike,
                   seed: int) -> dict[str, Any]:
    """Write train/validation/test JSONL, users.json/items.json and spec.json; return the spec."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrainingError(f"output directory {out} is not writable: {e.strerror or e}") from e
    files = {**{part: f"{part}.jsonl" for part in PARTS}, "users": "users.json",
             "items": "items.json"}
    counts = {f"{part}_interactions": write_jsonl(inter, out / files[part], getattr(split, part))
              for part in PARTS}
    (out / files["users"]).write_text(json.dumps(inter.user_ids), encoding="utf-8")
    (out / files["items"]).write_text(json.dumps(inter.item_ids), encoding="utf-8")
    spec = {**inter.summary(), "seed": seed, "split": split.name, **counts, "files": files}
    write_json_atomic(out / "spec.json", spec)
    return spec
