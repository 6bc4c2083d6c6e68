"""Held-back splits of the real benchmark data, made once and kept outside the repository.

The real data sets are read in place from ``$MLBUNDLE_DATA`` (default ``../shared/data``);
the splits derived from them go to ``$MLBUNDLE_CACHE/bench-data`` (default
``~/.cache/mlbundle/bench-data``), never into the checkout.

- Reuters-21578 TRAIN part: an article whose text hashes into the lowest
  ``TEST_PERCENT`` of 100 buckets is held back for the test part; training (which splits
  its own validation share off the rest) never sees it. Hashing the text keeps duplicates
  on one side.
- MovieLens 100K: users whose id hashes into the lowest ``COLD_PERCENT`` buckets are held
  out of training entirely (cold-start users: their history but the latest rating is what
  serving sees, the latest is the target). For every other user the latest rating (ties by
  item id) is the test item; training gets the rest.

``python -m mlbench.data`` writes the splits and prints where.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

TEST_PERCENT = 15
COLD_PERCENT = 5


def data_root() -> Path:
    """Where the real data sets are read (``MLBUNDLE_DATA``, default ``../shared/data``)."""
    return Path(os.environ.get("MLBUNDLE_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def cache_root() -> Path:
    """Where derived splits go (``$MLBUNDLE_CACHE/bench-data``)."""
    base = os.environ.get("MLBUNDLE_CACHE") or str(Path.home() / ".cache" / "mlbundle")
    return Path(base) / "bench-data"


def bucket(key: str) -> int:
    """A stable bucket in 0..99 for a string."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % 100


@dataclass
class Paths:
    """The files one ``prepare`` writes."""

    reuters_train: Path
    reuters_test: Path
    ml_train: Path
    ml_test: Path
    ml_cold: Path

    @classmethod
    def at(cls, root: Path) -> "Paths":
        return cls(root / "reuters-train.json", root / "reuters-test.json", root / "ml100k-train.jsonl",
                   root / "ml100k-test.json", root / "ml100k-coldstart.json")


def split_reuters(src: Path, out: Paths) -> dict:
    """Write the Reuters train part (classification JSON for train-classifier) and test part."""
    from mlbundle_training.data.reuters import convert_reuters

    data, _ = convert_reuters(src)
    taxonomy = [{"code": lab.code, "name": lab.name} for lab in data.taxonomy]
    parts: dict[str, list] = {"train": [], "test": []}
    for text, codes in data.samples:
        parts["test" if bucket(text) < TEST_PERCENT else "train"].append({"text": text, "taxonomy_codes": codes})
    for name, path in (("train", out.reuters_train), ("test", out.reuters_test)):
        path.write_text(json.dumps({"taxonomy": taxonomy, "samples": parts[name]}))
    return {"train": len(parts["train"]), "test": len(parts["test"]), "labels": len(taxonomy)}


def split_movielens(src: Path, out: Paths) -> dict:
    """Write the ml-100k training JSONL, the test items and the cold-start users."""
    by_user: dict[str, list[tuple[int, str]]] = {}
    for line in src.read_text().splitlines():
        if not line.strip():
            continue
        u, i, _, ts = line.split("\t")
        by_user.setdefault(u, []).append((int(ts), i))
    test, cold, n_train = {}, {}, 0
    with out.ml_train.open("w") as f:
        for u, rows in sorted(by_user.items()):
            rows.sort(key=lambda r: (r[0], r[1]))
            latest = rows[-1]
            if bucket("user:" + u) < COLD_PERCENT:
                cold[u] = {"history": [i for _, i in rows[:-1]], "target": latest[1]}
                continue
            test[u] = latest[1]
            for ts, i in rows[:-1]:
                f.write(json.dumps({"user_id": u, "item_id": i, "timestamp": ts}) + "\n")
                n_train += 1
    out.ml_test.write_text(json.dumps(test))
    out.ml_cold.write_text(json.dumps(cold))
    return {"train": n_train, "test_users": len(test), "cold_users": len(cold)}


def prepare(root: Path | None = None) -> tuple[Paths, dict]:
    """Write every split whose source is present; returns the paths and what was made."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    out, made = Paths.at(root), {}
    reuters, ml = data_root() / "reuters21578-train", data_root() / "ml-100k" / "u.data"
    made["reuters"] = split_reuters(reuters, out) if reuters.is_dir() else f"skipped: {reuters} absent"
    made["ml100k"] = split_movielens(ml, out) if ml.is_file() else f"skipped: {ml} absent"
    return out, made


def main() -> int:
    out, made = prepare()
    print(json.dumps({"dir": str(out.reuters_train.parent), **made}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
