"""The active pointer of a local store, ``<root>/<kind>/ACTIVE``, under the one rule both
sides follow (docs/checkpoint.md, "Active pointer"; the Go side is shared/modelstore):

- ``created_at`` is an instant: RFC 3339 with any offset, compared to the nanosecond,
  never as text (``2026-12-02T03:00:00+05:00`` is earlier than ``2026-12-02T01:50:00Z``);
- a candidate replaces the pointer only when strictly newer; an equal time is stale unless
  it is the very version already active (a repeat, which changes nothing);
- the read-compare-write holds an exclusive ``flock`` on ``<root>/<kind>/.ACTIVE.lock``
  (the lock file the Go side takes) and replaces the file by rename;
- a pointer pinned by a rollback by hand (``mlbundle promote``) is never replaced here;
- a file that cannot be read as a pointer (not JSON, another kind, an invalid version or
  time) counts as none: the version being promoted replaces it, with a warning.

testdata/contract/pointer_cases.json holds the cases both test suites run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Iterator

from ..errors import TrainingError
from . import checkpoint as ckpt
from . import validate

log = logging.getLogger(__name__)
POINTER = "ACTIVE"
LOCK = ".ACTIVE.lock"
_INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


class StaleError(TrainingError):
    """The pointer names a version created later (or another version at the same time)."""


class CorruptPointerError(TrainingError):
    """The pointer file exists but cannot be read as a pointer."""


def parse_instant(s: Any) -> tuple[int, int]:
    """RFC 3339 time with a zone -> (UTC epoch seconds, nanoseconds); TrainingError otherwise."""
    m = _INSTANT.match(s) if isinstance(s, str) else None
    try:
        if not m:
            raise ValueError("want RFC 3339 with seconds and a zone, e.g. 2026-12-02T01:50:00Z")
        zone = "+00:00" if m[3] == "Z" else m[3]
        t = _dt.datetime.fromisoformat(m[1] + zone)
    except ValueError as e:
        raise TrainingError(f"created_at {s!r} is not a time: {e}") from None
    return int(t.timestamp()), int((m[2] or "0").ljust(9, "0"))


def format_instant(at: tuple[int, int]) -> str:
    """(seconds, nanoseconds) -> UTC RFC 3339, fraction without trailing zeros (as Go writes it)."""
    t = _dt.datetime.fromtimestamp(at[0], _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{at[1]:09d}".rstrip("0")
    return f"{t}.{frac}Z" if frac else f"{t}Z"


def replaces(candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Whether ``candidate`` may become the active version while ``current`` is."""
    if current is None:
        return True
    a, b = parse_instant(candidate["created_at"]), parse_instant(current["created_at"])
    return a > b or (a == b and candidate["version"] == current["version"])


@contextlib.contextmanager
def locked(root: str | os.PathLike, kind: str) -> Iterator[None]:
    """Hold the exclusive lock of ``<root>/<kind>``'s pointer (waits for other holders)."""
    d = Path(root) / kind
    d.mkdir(parents=True, exist_ok=True)
    fd = os.open(d / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read(root: str | os.PathLike, kind: str) -> dict[str, Any] | None:
    """The pointer of ``kind``, or None when there is none; CorruptPointerError when the file
    cannot be read as a pointer (TrainingError when it cannot be read at all)."""
    path = Path(root) / kind / POINTER
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise TrainingError(f"{path}: {e.strerror or e}") from e
    try:
        doc = json.loads(text)
        validate.check("pointer", doc, str(path))
        if doc["kind"] != kind:
            raise TrainingError(f"{path} names kind {doc['kind']!r}")
        parse_instant(doc["created_at"])
    except (json.JSONDecodeError, TrainingError) as e:
        raise CorruptPointerError(f"{path} is not a pointer: {e}") from e
    return doc


def promote(root: str | os.PathLike, kind: str, version: str, created_at: str) -> dict[str, Any]:
    """Point ``<root>/<kind>/ACTIVE`` at ``version`` under the rule above; return the pointer.

    Raises StaleError (naming both versions) when the active one is newer or another
    version of the same time, TrainingError when an argument or the current pointer is bad.
    """
    ckpt.validate_kind(kind)
    ckpt.validate_version(version)
    new = {"kind": kind, "version": version, "created_at": format_instant(parse_instant(created_at))}
    with locked(root, kind):
        try:
            cur = read(root, kind)
        except CorruptPointerError as e:
            log.warning("%s; replacing it with %s", e, version)
            cur = None
        if cur is not None and cur.get("pinned"):
            raise StaleError(f"{Path(root) / kind / POINTER} holds {cur['version']}, pinned by a rollback "
                             f"(mlbundle promote); {version} is not activated")
        if not replaces(new, cur):
            raise StaleError(f"{Path(root) / kind / POINTER} holds {cur['version']} (created "
                             f"{cur['created_at']}), not older than {version} (created {created_at})")
        if cur != new:
            ckpt.write_json_atomic(Path(root) / kind / POINTER, new, indent=None)
    return new
