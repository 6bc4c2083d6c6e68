"""Reuters-21578 (JSON conversion) -> classification dataset.

Each record's ``topics`` list gives the taxonomy codes and ``title`` + ``body`` the text.
Records without topics (or without any text) are skipped and counted. Label names come
from ``cat-descriptions_*.txt`` when present and parseable ("Trade (TRADE)" -> name
"Trade"), else the code itself. The data stays where it is: nothing is copied into the
repository.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .classification import ClassificationData, Label
from ..errors import TrainingError

log = logging.getLogger(__name__)

DEFAULT_DIR = "../shared/data/reuters21578-train"

_NAMED = re.compile(r"^(?P<name>.+?)\s*\((?P<code>[A-Za-z0-9][A-Za-z0-9.-]*)\)\s*$")
_BARE = re.compile(r"^[A-Z0-9][A-Z0-9.-]*$")


@dataclass
class ReutersStats:
    """What the conversion kept and skipped."""

    records: int = 0
    kept: int = 0
    no_topics: int = 0
    no_text: int = 0


def parse_category_names(text: str) -> dict[str, str]:
    """Code -> display name from the cat-descriptions file ("Name (CODE)" or a bare CODE line)."""
    names: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("*"):
            continue
        m = _NAMED.match(line)
        if m:
            names[m["code"].lower()] = m["name"].strip()
        elif _BARE.match(line):
            names.setdefault(line.lower(), line.lower())
    return names


def _record_text(rec: dict) -> str:
    title = rec.get("title") or ""
    body = rec.get("body") or ""
    title = title.strip() if isinstance(title, str) else ""
    body = " ".join(body.split()) if isinstance(body, str) else ""
    if title and body:
        return f"{title}. {body}"
    return title or body


def convert_reuters(data_dir: str | Path = DEFAULT_DIR, limit: int | None = None) -> tuple[ClassificationData, ReutersStats]:
    """Convert every ``*.json`` file of a Reuters-21578 JSON directory, in name order."""
    d = Path(data_dir)
    files = sorted(d.glob("*.json"))
    if not files:
        raise TrainingError(f"{d}: no Reuters-21578 *.json files (expected e.g. {DEFAULT_DIR})")
    names: dict[str, str] = {}
    for desc in sorted(d.glob("cat-descriptions*.txt")):
        names.update(parse_category_names(desc.read_text(encoding="latin-1")))
    stats = ReutersStats()
    samples: list[tuple[str, list[str]]] = []
    for f in files:
        try:
            records = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise TrainingError(f"{f}: not a Reuters JSON file: {e}") from None
        if not isinstance(records, list):
            raise TrainingError(f"{f}: expected a JSON list of articles")
        for rec in records:
            stats.records += 1
            topics = rec.get("topics") if isinstance(rec, dict) else None
            if not topics or not isinstance(topics, list):
                stats.no_topics += 1
                continue
            text = _record_text(rec)
            if not text:
                stats.no_text += 1
                continue
            samples.append((text, list(dict.fromkeys(str(t) for t in topics))))
            if limit is not None and len(samples) >= limit:
                break
        if limit is not None and len(samples) >= limit:
            break
    stats.kept = len(samples)
    if not samples:
        raise TrainingError(f"{d}: no article with topics")
    codes = sorted({c for _, cs in samples for c in cs})
    taxonomy = [Label(c, names.get(c, c)) for c in codes]
    log.info("reuters: %d records, %d kept, %d without topics, %d without text, %d codes",
             stats.records, stats.kept, stats.no_topics, stats.no_text, len(codes))
    return ClassificationData(samples, taxonomy), stats
