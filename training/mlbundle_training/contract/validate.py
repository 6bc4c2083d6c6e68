"""Checks documents of the contract against its JSON Schemas (``schema/*.schema.json``).

The schemas (draft 2020-12) are the one definition of manifest.json, parity.json and the
active pointer that both sides use: training validates what it writes and reads here, the
Go side embeds the same files (package ``schema`` in that directory). They describe the
structure; the rules between fields (files named by a section are listed, sizes and hashes
match, ``num_labels`` equals the number of labels) stay in :mod:`.checkpoint`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ..errors import TrainingError

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SCHEMAS = ("manifest", "parity", "pointer")


@functools.cache
def _validator(name: str):
    from jsonschema import Draft202012Validator

    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}")
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_path(name: str) -> Path:
    """The file of schema ``name`` (manifest, parity, pointer)."""
    return SCHEMA_DIR / f"{name}.schema.json"


def problems(name: str, doc: Any) -> list[str]:
    """Every way ``doc`` breaks schema ``name``, each as ``<JSON path>: <reason>``."""
    errors = sorted(_validator(name).iter_errors(doc), key=lambda e: e.json_path)
    return [f"{e.json_path}: {e.message}" for e in errors]


def check(name: str, doc: Any, what: str) -> None:
    """Raise TrainingError naming ``what`` and the failing fields when ``doc`` breaks schema ``name``."""
    found = problems(name, doc)
    if found:
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise TrainingError(f"{what} does not match {name}.schema.json: " + "; ".join(found[:10]) + more)
