"""The retrieval index file of an ncf checkpoint: its layout, reader, search and parity check.

The layout is part of the checkpoint contract (docs/checkpoint.md "Retrieval index"); Go's
``shared/ivf`` reads the same bytes and runs the same search. How the index is built from a
model lives in ``ncf/retrieval.py``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TrainingError

FORMAT = "mlbundle-ivf"
FORMAT_VERSION = 1
MAGIC = b"MLBIVF\x00\x00"
ARTIFACT = "retrieval_index"
FILE = "retrieval.ivf"


@dataclass
class IVF:
    """An inverted file; rows of ``vectors``/``ids`` are grouped list by list."""

    centroids: np.ndarray  # [lists, dim] float32
    offsets: np.ndarray  # [lists + 1] uint32
    ids: np.ndarray  # [items] uint32: item index of each row
    vectors: np.ndarray  # [items, dim] float32, row order
    queries: np.ndarray  # [users, dim] float32
    exact: bool

    @property
    def dim(self) -> int:
        return int(self.centroids.shape[1])

    @property
    def lists(self) -> int:
        return int(self.centroids.shape[0])


def write(path: str | Path, ivf: IVF) -> None:
    """Write the index file (layout: docs/checkpoint.md "Retrieval index")."""
    users, items = len(ivf.queries), len(ivf.ids)
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<8I", FORMAT_VERSION, ivf.dim, users, items, ivf.lists,
                            int(ivf.exact), 0, 0))
        for a, dt in ((ivf.centroids, "<f4"), (ivf.offsets, "<u4"), (ivf.ids, "<u4"),
                      (ivf.vectors, "<f4"), (ivf.queries, "<f4")):
            np.ascontiguousarray(a, dtype=dt).tofile(f)


def read(path: str | Path, users: int, items: int, dim: int) -> IVF:
    """Read and check an index file as serving does; raise TrainingError naming the fault."""
    raw = Path(path).read_bytes()
    if raw[:8] != MAGIC or len(raw) < 40:
        raise TrainingError(f"{path}: not a retrieval index (magic)")
    version, d, u, n, k, exact, _, _ = struct.unpack("<8I", raw[8:40])
    if version != FORMAT_VERSION or d != dim or u != users or n != items or not 0 < k <= n or exact > 1:
        raise TrainingError(f"{path}: header (version {version}, dim {d}, users {u}, items {n}, "
                            f"lists {k}) disagrees with the manifest")
    sizes = [k * d, k + 1, n, n * d, u * d]
    if len(raw) != 40 + 4 * sum(sizes):
        raise TrainingError(f"{path}: {len(raw)} bytes, want {40 + 4 * sum(sizes)}")
    parts, at = [], 40
    for size, dt in zip(sizes, ("<f4", "<u4", "<u4", "<f4", "<f4")):
        parts.append(np.frombuffer(raw, dtype=dt, count=size, offset=at))
        at += 4 * size
    c, off, ids, vec, q = parts
    if off[0] != 0 or off[-1] != n or np.any(np.diff(off.astype(np.int64)) < 0):
        raise TrainingError(f"{path}: offsets do not cut the items into lists")
    if np.any(ids >= n) or len(np.unique(ids)) != n:
        raise TrainingError(f"{path}: rows do not hold every item once")
    if not all(np.isfinite(a).all() for a in (c, vec, q)):
        raise TrainingError(f"{path}: a vector value is not finite")
    return IVF(c.reshape(k, d), off, ids, vec.reshape(n, d), q.reshape(u, d), bool(exact))


def search(ivf: IVF, user: int, scan: int, candidates: int,
           skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The items and scores Go's ``ivf.Search`` returns: best first, ties to the lower item.

    Lists are taken best centroid first until ``scan`` rows were scored and ``candidates``
    items not in ``skip`` (a boolean mask over items) were seen.
    """
    q = ivf.queries[user]
    cs = ivf.centroids @ q
    order = np.lexsort((np.arange(ivf.lists), -cs))
    rows, kept = 0, 0
    take = []
    for lst in order:
        if rows >= scan and kept >= candidates:
            break
        s, e = int(ivf.offsets[lst]), int(ivf.offsets[lst + 1])
        take.append(np.arange(s, e))
        rows += e - s
        kept += int(e - s if skip is None else np.count_nonzero(~skip[ivf.ids[s:e]]))
    r = np.concatenate(take) if take else np.zeros(0, np.int64)
    items = ivf.ids[r].astype(np.int64)
    scores = ivf.vectors[r] @ q
    if skip is not None:
        keep = ~skip[items]
        items, scores = items[keep], scores[keep]
    best = np.lexsort((items, -scores))[:candidates]
    return items[best], scores[best].astype(np.float32)


PARITY_CANDIDATES = 50
PARITY_TOLERANCE = 1e-4


def check_parity(d: Path, artifact: dict, users: int, items: int, cases: list[dict]) -> None:
    """Read the index as serving does and require :func:`search` to reproduce ``cases``."""
    if artifact.get("format") != FORMAT or artifact.get("format_version") != FORMAT_VERSION:
        raise TrainingError(f"{d}: retrieval index is {artifact.get('format')} version "
                            f"{artifact.get('format_version')}, want {FORMAT} version {FORMAT_VERSION}")
    ivf = read(d / artifact["file"], users, items, artifact.get("dim", 0))
    if not cases:
        raise TrainingError(f"{d}/parity.json has no retrieval case for the retrieval index")
    for c in cases:
        got, scores = search(ivf, c["user"], c["scan"], c["candidates"])
        want = np.asarray(c["scores"], np.float64)
        if len(got) != len(c["items"]) or np.any(np.abs(scores - want) > c["tolerance"]):
            raise TrainingError(f"{d}: retrieval parity for user {c['user']}: scores differ")
        odd = set(got.tolist()) ^ set(c["items"])
        last = want[-1] if len(want) else 0.0
        if any(abs(float(ivf.vectors[np.flatnonzero(ivf.ids == i)[0]] @ ivf.queries[c["user"]]) - last)
               > c["tolerance"] for i in odd):
            raise TrainingError(f"{d}: retrieval parity for user {c['user']}: other candidates")
