"""Classification dataset: load, validate and write taxonomy-labelled texts.

The dataset is one JSON document::

    {"taxonomy": [{"code": "earn", "name": "Earnings", "parent": null}, ...],
     "samples":  [{"text": "...", "taxonomy_codes": ["earn"]}, ...]}

``load_classification_data`` checks every record, names the index and field of each
problem, skips bad records (counting them) and fails with a clear message when nothing
usable remains or the file itself cannot be used.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TrainingError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Label:
    """One taxonomy entry: code (the classifier's output), display name, optional parent."""

    code: str
    name: str
    parent: str | None = None

    def to_json(self) -> dict:
        """The manifest/dataset form of this label."""
        return {"code": self.code, "name": self.name, "parent": self.parent}


@dataclass
class ClassificationData:
    """A validated dataset: (text, codes) pairs, the taxonomy and the problems skipped."""

    samples: list[tuple[str, list[str]]]
    taxonomy: list[Label]
    problems: list[str] = field(default_factory=list)

    def label_counts(self) -> dict[str, int]:
        """Number of samples carrying each taxonomy code (codes without samples: 0)."""
        counts = {lab.code: 0 for lab in self.taxonomy}
        for _, codes in self.samples:
            for c in codes:
                counts[c] += 1
        return counts


def _check_taxonomy(raw, source: str) -> tuple[list[Label], list[str]]:
    if not isinstance(raw, list):
        raise TrainingError(f"{source}: field 'taxonomy' must be a list, got {type(raw).__name__}")
    labels: list[Label] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"taxonomy[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object, got {type(entry).__name__}")
            continue
        code, name, parent = entry.get("code"), entry.get("name", entry.get("code")), entry.get("parent")
        if not isinstance(code, str) or not code.strip():
            problems.append(f"{where}.code: must be a non-empty string, got {code!r}")
            continue
        if code in seen:
            problems.append(f"{where}.code: duplicate code {code!r}")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}.name: must be a non-empty string, got {name!r}")
            continue
        if parent is not None and not isinstance(parent, str):
            problems.append(f"{where}.parent: must be a string or null, got {parent!r}")
            continue
        seen.add(code)
        labels.append(Label(code, name, parent))
    for i, lab in enumerate(labels):
        if lab.parent is not None and lab.parent not in seen:
            problems.append(f"taxonomy code {lab.code!r}: parent {lab.parent!r} is not a taxonomy code; parent dropped")
            labels[i] = Label(lab.code, lab.name, None)
    if not labels:
        raise TrainingError(f"{source}: taxonomy has no usable entries")
    return labels, problems


def _check_sample(i: int, rec, known: set[str]) -> tuple[tuple[str, list[str]] | None, str | None]:
    where = f"samples[{i}]"
    if not isinstance(rec, dict):
        return None, f"{where}: must be an object, got {type(rec).__name__}"
    if "text" not in rec:
        return None, f"{where}.text: missing"
    text = rec["text"]
    if not isinstance(text, str):
        return None, f"{where}.text: must be a string, got {type(text).__name__}"
    if not text.strip():
        return None, f"{where}.text: empty"
    if "taxonomy_codes" not in rec:
        return None, f"{where}.taxonomy_codes: missing"
    codes = rec["taxonomy_codes"]
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None, f"{where}.taxonomy_codes: must be a list of strings, got {codes!r}"
    if not codes:
        return None, f"{where}.taxonomy_codes: empty list"
    unknown = [c for c in codes if c not in known]
    if unknown:
        return None, f"{where}.taxonomy_codes: unknown taxonomy code(s) {', '.join(map(repr, unknown))}"
    return (text, list(dict.fromkeys(codes))), None


def validate_classification_data(doc, source: str = "<data>") -> ClassificationData:
    """Validate a parsed dataset document; see the module doc for the rules."""
    if not isinstance(doc, dict):
        raise TrainingError(f"{source}: top level must be an object with 'taxonomy' and 'samples', got {type(doc).__name__}")
    for key in ("taxonomy", "samples"):
        if key not in doc:
            raise TrainingError(f"{source}: missing top-level field {key!r}")
    labels, problems = _check_taxonomy(doc["taxonomy"], source)
    raw = doc["samples"]
    if not isinstance(raw, list):
        raise TrainingError(f"{source}: field 'samples' must be a list, got {type(raw).__name__}")
    known = {lab.code for lab in labels}
    samples: list[tuple[str, list[str]]] = []
    for i, rec in enumerate(raw):
        sample, problem = _check_sample(i, rec, known)
        if problem:
            problems.append(problem)
        else:
            samples.append(sample)
    for p in problems:
        log.warning("%s: %s", source, p)
    if problems:
        log.warning("%s: %d problem(s); %d of %d samples kept", source, len(problems), len(samples), len(raw))
    if not samples:
        detail = f"; first problem: {problems[0]}" if problems else ""
        raise TrainingError(f"{source}: no usable samples ({len(raw)} records, {len(problems)} problems){detail}")
    return ClassificationData(samples, labels, problems)


def load_classification_data(path: str | Path) -> ClassificationData:
    """Read and validate a classification dataset file (see the module doc)."""
    p = Path(path)
    if not p.is_file():
        raise TrainingError(f"{p}: classification data file does not exist")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise TrainingError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise TrainingError(f"{p}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return validate_classification_data(doc, str(p))


def dataset_document(samples: list[tuple[str, list[str]]], taxonomy: list[Label]) -> dict:
    """The JSON document form of a dataset (inverse of ``validate_classification_data``)."""
    return {
        "taxonomy": [lab.to_json() for lab in taxonomy],
        "samples": [{"text": t, "taxonomy_codes": list(c)} for t, c in samples],
    }


def write_classification_data(path: str | Path, samples, taxonomy: list[Label]) -> None:
    """Write a dataset document (UTF-8, one sample per line for readable diffs)."""
    doc = dataset_document(samples, taxonomy)
    lines = ["{", '  "taxonomy": [']
    lines.append(",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in doc["taxonomy"]))
    lines += ["  ],", '  "samples": [']
    lines.append(",\n".join("    " + json.dumps(s, ensure_ascii=False) for s in doc["samples"]))
    lines += ["  ]", "}", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
