"""Interaction data: validation, file loaders (JSON, JSONL, MovieLens) and writers.

Record format (JSON array, ``{"interactions": [...]}`` or JSONL, one object a line)::

    {"user_id": "u1", "item_id": "i9", "timestamp": "2026-01-02T03:04:05Z", "weight": 1, "event": "view",
     "category": "news"}

``user_id``/``item_id``: ids by :func:`check_id` (integers are accepted and turned into their
decimal strings); ``timestamp``: ISO-8601 (no zone means UTC) or epoch seconds, from 1970 to
24 h ahead; ``weight``: optional positive number (default 1); ``event``: optional text of at
most 64 bytes without control characters; ``category``: optional, the item's category under
the id rules (the latest record of an item that names one wins; the NCF checkpoint carries it
as item_categories.json, which the category filter of recommend reads). The id and record rules are shared with the Go side
(testdata/contract/interactions.json, docs/checkpoint.md "Ids"). Bad records are skipped with a warning that
names the record (index, or line for JSONL) and field; loading fails when nothing usable
remains. Duplicates, i.e. the same (user, item) pair more than once, are merged into one
interaction that keeps the latest timestamp and the summed weight (implicit feedback: a
pair is either a positive or not); their number is reported.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from ..contract.ids import check_id
from ..errors import TrainingError

log = logging.getLogger(__name__)
MAX_WARNINGS = 10
MAX_EVENT_BYTES = 64
MAX_FUTURE_SKEW_S = 24 * 3600


@dataclass
class Interactions:
    """Interactions as index arrays plus the index -> external id maps.

    ``users``/``items`` are 0-based indices into ``user_ids``/``item_ids`` (sorted by first
    appearance); ``timestamps`` are epoch seconds; ``weights`` default to 1.
    """

    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray
    weights: np.ndarray
    user_ids: list[str]
    item_ids: list[str]
    source: str = "memory"
    skipped: int = 0
    duplicates: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    item_categories: dict[str, str] = field(default_factory=dict)
    # item id -> title and description (data/item_texts.py); placing items by text needs it
    item_texts: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    @property
    def num_users(self) -> int:
        """Number of distinct users."""
        return len(self.user_ids)

    @property
    def num_items(self) -> int:
        """Number of distinct items."""
        return len(self.item_ids)

    @property
    def density(self) -> float:
        """Share of the user x item matrix that holds an interaction."""
        cells = self.num_users * self.num_items
        return len(self) / cells if cells else 0.0

    def subset(self, rows: np.ndarray) -> "Interactions":
        """The same id maps with only the given rows (a split)."""
        return Interactions(self.users[rows], self.items[rows], self.timestamps[rows],
                            self.weights[rows], self.user_ids, self.item_ids, self.source,
                            item_categories=self.item_categories, item_texts=self.item_texts)

    def summary(self) -> dict[str, Any]:
        """Counts for logs and manifests."""
        return {"source": self.source, "interactions": len(self), "users": self.num_users,
                "items": self.num_items, "density": round(self.density, 6),
                "skipped_records": self.skipped, "merged_duplicates": self.duplicates}


def _id(rec: dict, key: str) -> str:
    if key not in rec:
        raise ValueError(f"field {key!r} is missing")
    v = rec[key]
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise ValueError(f"field {key!r} must be a string, got {type(v).__name__}")
    s = str(v)
    problem = check_id(s)
    if problem:
        raise ValueError(f"field {key!r} {problem}")
    return s


def parse_timestamp(v: Any) -> float:
    """ISO-8601 string or epoch seconds -> epoch seconds (ValueError when neither)."""
    if isinstance(v, bool):
        raise ValueError("field 'timestamp' must be ISO-8601 or epoch seconds, got a boolean")
    if isinstance(v, (int, float)):
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"field 'timestamp' must be non-negative epoch seconds, got {v}")
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            t = _dt.datetime.fromisoformat(s)
        except ValueError:
            try:
                return parse_timestamp(float(s))
            except ValueError:
                raise ValueError(f"field 'timestamp' is not ISO-8601 or epoch seconds: {v!r}") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return t.timestamp()
    raise ValueError(f"field 'timestamp' must be a string or number, got {type(v).__name__}")


def validate_record(rec: Any) -> tuple[str, str, float, float]:
    """One record -> (user_id, item_id, epoch seconds, weight); ValueError names the field."""
    if isinstance(rec, Malformed):
        raise ValueError(rec.msg)
    if not isinstance(rec, dict):
        raise ValueError(f"not a JSON object ({type(rec).__name__})")
    user, item = _id(rec, "user_id"), _id(rec, "item_id")
    if "timestamp" not in rec:
        raise ValueError("field 'timestamp' is missing")
    ts = parse_timestamp(rec["timestamp"])
    if ts < 0:
        raise ValueError(f"field 'timestamp' must not be before 1970-01-01T00:00:00Z, got {rec['timestamp']!r}")
    if ts > time.time() + MAX_FUTURE_SKEW_S:
        raise ValueError(f"field 'timestamp' must not be more than 24h in the future, got {rec['timestamp']!r}")
    w = rec.get("weight", 1.0)
    if w is None:
        w = 1.0
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w <= 0:
        raise ValueError(f"field 'weight' must be a positive number, got {w!r}")
    ev = rec.get("event")
    if ev is not None and not isinstance(ev, str):
        raise ValueError(f"field 'event' must be a string, got {type(ev).__name__}")
    if ev is not None and (len(ev.encode("utf-8", "replace")) > MAX_EVENT_BYTES
                           or any(unicodedata.category(c) in ("Cc", "Cs") for c in ev)):
        raise ValueError(f"field 'event' must be valid text of at most {MAX_EVENT_BYTES} bytes")
    return user, item, ts, float(w)


def record_category(rec: dict) -> str | None:
    """The record's optional ``category`` (ValueError names the field when it is bad)."""
    c = rec.get("category")
    if c is None:
        return None
    if not isinstance(c, str):
        raise ValueError(f"field 'category' must be a string, got {type(c).__name__}")
    problem = check_id(c)
    if problem:
        raise ValueError(f"field 'category' {problem}")
    return c


def from_records(records: Iterable[tuple[str, Any]], source: str) -> Interactions:
    """Validate ``(where, record)`` pairs and build Interactions (see module doc)."""
    users: list[str] = []
    items: list[str] = []
    ts: list[float] = []
    ws: list[float] = []
    total = bad = 0
    first = ""
    cats: dict[str, str] = {}
    cat_time: dict[str, float] = {}
    for where, rec in records:
        total += 1
        try:
            u, i, t, w = validate_record(rec)
            c = record_category(rec)
        except ValueError as e:
            bad += 1
            first = first or f"{where}: {e}"
            if bad <= MAX_WARNINGS:
                log.warning("%s: %s: %s: skipped", source, where, e)
            continue
        users.append(u)
        items.append(i)
        ts.append(t)
        ws.append(w)
        if c is not None and t >= cat_time.get(i, -math.inf):
            cats[i], cat_time[i] = c, t
    if bad:
        log.warning("%s: skipped %d of %d records", source, bad, total)
    if not users:
        detail = f"; first problem: {first}" if first else ""
        raise TrainingError(f"{source}: no usable interactions ({total} records, {bad} invalid){detail}")
    inter = build(users, items, np.asarray(ts), np.asarray(ws), source, skipped=bad)
    inter.item_categories = cats
    return inter


def build(users: list[str] | np.ndarray, items: list[str] | np.ndarray, ts: np.ndarray,
          ws: np.ndarray, source: str, skipped: int = 0) -> Interactions:
    """Index external ids (first appearance order) and merge duplicate pairs."""
    uids, uidx = _index(users)
    iids, iidx = _index(items)
    pair = uidx.astype(np.int64) * len(iids) + iidx
    uniq, inverse = np.unique(pair, return_inverse=True)
    dups = len(pair) - len(uniq)
    if dups:
        counts = np.bincount(inverse)
        k = int(np.argmax(counts > 1))  # the first pair that occurs more than once
        log.warning("%s: merged %d duplicate (user, item) interactions (latest timestamp, summed "
                    "weight), e.g. user_id %r item_id %r appears %d times", source, dups,
                    uids[int(uniq[k]) // len(iids)], iids[int(uniq[k]) % len(iids)], int(counts[k]))
        t = np.full(len(uniq), -np.inf)
        np.maximum.at(t, inverse, ts)
        w = np.zeros(len(uniq))
        np.add.at(w, inverse, ws)
        order = np.argsort(t, kind="stable")
        uniq, t, w = uniq[order], t[order], w[order]
        uidx, iidx, ts, ws = uniq // len(iids), uniq % len(iids), t, w
    return Interactions(np.asarray(uidx, np.int64), np.asarray(iidx, np.int64),
                        np.asarray(ts, np.float64), np.asarray(ws, np.float32),
                        list(uids), list(iids), source, skipped, dups)


def _index(ids: list[str] | np.ndarray) -> tuple[list[str], np.ndarray]:
    arr = np.asarray(ids, dtype=object)
    uniq, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # first appearance order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return [str(x) for x in uniq[order]], rank[inverse].astype(np.int64)


def _json_records(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise TrainingError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    head = text.lstrip()[:1]
    if path.suffix != ".jsonl" and head in ("[", "{") and not _looks_jsonl(text):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise TrainingError(f"{path}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
        if isinstance(doc, dict) and "user_id" in doc:  # a one-record JSONL file
            doc = [doc]
        if isinstance(doc, dict):
            if not isinstance(doc.get("interactions"), list):
                raise TrainingError(f"{path}: a JSON object must hold an 'interactions' array")
            doc = doc["interactions"]
        for i, rec in enumerate(doc):
            yield f"record {i}", rec
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield f"line {n}", Malformed(f"malformed JSON at column {e.colno}: {e.msg}")
            continue
        yield f"line {n}", rec


class Malformed:
    """Stands for a line that did not parse; validation reports its message."""

    def __init__(self, msg: str):
        self.msg = msg


def _looks_jsonl(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return len(lines) > 1 and lines[0].strip().startswith("{") and lines[0].strip().endswith("}")


def load_json(path: str | os.PathLike) -> Interactions:
    """Load a JSON array / JSONL file of interaction records."""
    p = Path(path)
    if not p.exists():
        raise TrainingError(f"data path {p} does not exist")
    if p.is_dir():
        raise TrainingError(f"data path {p} is a directory, want a JSON or JSONL file")
    return from_records(_json_records(p), str(p))


def load_movielens(path: str | os.PathLike) -> Interactions:
    """MovieLens 100K ``u.data`` (user, item, rating, epoch; tab-separated) -> Interactions.

    Every rating is an implicit positive (as in the NCF paper); the rating becomes the weight.
    """
    p = Path(path)
    if not p.is_file():
        raise TrainingError(f"MovieLens file {p} does not exist")
    recs = []
    with p.open(encoding="latin-1") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4 or not all(x.isdigit() for x in parts):
                recs.append((f"line {n}", Malformed(
                    f"want 4 tab-separated integers, got {line.strip()[:40]!r}")))
                continue
            recs.append((f"line {n}", {"user_id": parts[0], "item_id": parts[1],
                                       "timestamp": int(parts[3]), "weight": int(parts[2]),
                                       "event": "rating"}))
    inter = from_records(recs, str(p))
    from .item_texts import movielens_item_texts  # u.item beside u.data, when present

    inter.item_texts = movielens_item_texts(p.with_name("u.item"))
    return inter


def to_records(inter: Interactions, rows: np.ndarray | None = None) -> Iterator[dict[str, Any]]:
    """Interactions back to JSON records (timestamps as ISO-8601 UTC)."""
    rows = np.arange(len(inter)) if rows is None else rows
    for r in rows:
        t = _dt.datetime.fromtimestamp(float(inter.timestamps[r]), _dt.timezone.utc)
        rec = {"user_id": inter.user_ids[inter.users[r]], "item_id": inter.item_ids[inter.items[r]],
               "timestamp": t.isoformat().replace("+00:00", "Z")}
        if inter.weights[r] != 1:
            rec["weight"] = float(inter.weights[r])
        if rec["item_id"] in inter.item_categories:
            rec["category"] = inter.item_categories[rec["item_id"]]
        yield rec


def write_jsonl(inter: Interactions, path: str | os.PathLike, rows: np.ndarray | None = None) -> int:
    """Write interactions as JSONL; returns the number of records written."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for rec in to_records(inter, rows):
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
            n += 1
    return n
