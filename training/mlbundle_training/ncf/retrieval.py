"""Candidate retrieval index of an ncf checkpoint (docs/checkpoint.md "Retrieval index").

An inverted file (IVF): the items' retrieval vectors are cut into k-means lists; one query
vector per user. Serving (Go, ``shared/ivf``) scores the centroids against the user's query,
scans the best lists with a dot product and re-ranks the best-scoring items with the model.
:func:`search` here is the same search, so the export can write the candidates of a few
users into parity.json and Go must find the same ones.

Retrieval vectors (:func:`retrieval_vectors`):

- ``gmf`` (and ALS, exported as a gmf): the score is ``(u * w_out) . v + b``, so the user
  query ``u * w_out`` and the item vector ``v`` give the model's order exactly;
- ``neumf`` and ``mlp``: the score is not a dot product. The item vector is what the model
  precomputes per item (the GMF item vector, the MLP item side of the first tower layer) and
  each user's query is distilled from the model by least squares (:func:`retrieval_vectors`);
  the GMF branch alone finds under half of the exact top 10 in 1000 candidates. The model
  re-ranks the candidates; recall against the number of candidates: docs/recommend.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..contract.ivf import (  # noqa: F401  (the file format, re-exported for callers)
    ARTIFACT, FILE, FORMAT, FORMAT_VERSION, IVF, MAGIC, PARITY_CANDIDATES, PARITY_TOLERANCE,
    check_parity, read, search, write,
)
from .model import NCF

# Export writes an index from this many items on: at 20,000 items scoring every item was
# faster, at 50,000 the two-stage answer took 1.3x less CPU, at 100,000 2.5x less
# (BenchmarkTwoStage, docs/recommend.md "Two-stage retrieval").
MIN_ITEMS = 50_000
# Distillation of the user queries of a non-dot-product model (see retrieval_vectors).
DISTILL_SAMPLE = 20_000
DISTILL_TOP = 2_000
DISTILL_TOP_WEIGHT = 10.0


def item_features(model: NCF) -> np.ndarray:
    """Item retrieval vectors: the GMF item vector and the MLP item side of the first tower
    layer (``W_item v + b``), whichever the variant has, concatenated."""
    parts = []
    with torch.no_grad():
        if model.use_gmf:
            parts.append(model.gmf_item.weight.float())
        if model.use_mlp:
            first, half = model.tower[0], model.mlp_user.embedding_dim
            parts.append(model.mlp_item.weight.float() @ first.weight[:, half:].float().t() + first.bias.float())
    return np.ascontiguousarray(torch.cat(parts, 1).detach().numpy(), np.float32)


def retrieval_vectors(model: NCF, sample: int = DISTILL_SAMPLE, seed: int = 0) -> tuple[np.ndarray, np.ndarray, bool]:
    """(user queries [users, d], item vectors [items, d], exact).

    ``gmf``: the exact dot product. Otherwise the item vectors are :func:`item_features`
    and each user's query is distilled from the model: a ridge fit of the model's logits
    on ``sample`` random items, then refitted with the fit's own top items weighted up, so
    that the query ranks the model's best items high (recall: docs/recommend.md).
    """
    items = item_features(model)
    if not model.use_mlp:
        with torch.no_grad():
            f = model.gmf_user.embedding_dim
            w = model.out.weight.detach().float()[0, :f]
            users = (model.gmf_user.weight.float() * w).detach().numpy()
        return np.ascontiguousarray(users, np.float32), items, True
    rng = np.random.default_rng(seed)
    n, d = items.shape
    feats = np.concatenate([items, np.ones((n, 1), np.float32)], 1)
    queries = np.empty((model.shape.num_users, d), np.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # many small fits: a second thread only waits (measured 40x slower on a busy host)
    try:
        _distill(model, feats, queries, sample, rng)
    finally:
        torch.set_num_threads(threads)
    return queries, items, False


def _distill(model: NCF, feats: np.ndarray, queries: np.ndarray, sample: int,
             rng: np.random.Generator) -> None:
    """Fill ``queries`` with each user's distilled query (see :func:`retrieval_vectors`)."""
    n, d = len(feats), queries.shape[1]
    with torch.no_grad():
        for u in range(len(queries)):
            idx = rng.choice(n, min(n, sample), replace=False)
            q = _fit(model, feats, u, idx, np.ones(len(idx), np.float32))
            top = np.argpartition(-(feats @ q), min(n, DISTILL_TOP) - 1)[:DISTILL_TOP]
            idx2 = np.concatenate([idx, top])
            w = np.concatenate([np.ones(len(idx)), np.full(len(top), DISTILL_TOP_WEIGHT)]).astype(np.float32)
            queries[u] = _fit(model, feats, u, idx2, w)[:d]


def _fit(model: NCF, feats: np.ndarray, user: int, idx: np.ndarray, weights: np.ndarray,
         ridge: float = 1e-3) -> np.ndarray:
    """Weighted ridge regression of the user's logits on the items ``idx`` onto ``feats``
    (torch, so that it runs on torch's threads)."""
    it = torch.from_numpy(idx.astype(np.int64))
    y = model(torch.full_like(it, user), it).detach().double()
    a = torch.from_numpy(feats[idx]).double()
    aw = a * torch.from_numpy(weights).double()[:, None]
    q = torch.linalg.solve(a.t() @ aw + ridge * torch.eye(a.shape[1], dtype=torch.float64), aw.t() @ y)
    return q.float().numpy()


def default_lists(items: int) -> int:
    """Lists for a catalogue: about sqrt(items) (1,000 lists of 1,000 items at 1M), at least 1."""
    return max(1, min(items, int(round(np.sqrt(items)))))


def kmeans(x: np.ndarray, k: int, iterations: int = 10, sample: int = 64, seed: int = 0) -> np.ndarray:
    """k-means centroids of the rows of ``x`` (trained on at most ``sample * k`` rows)."""
    rng = np.random.default_rng(seed)
    n = len(x)
    train = x if n <= sample * k else x[rng.choice(n, sample * k, replace=False)]
    t = torch.from_numpy(np.ascontiguousarray(train, np.float32))
    c = t[torch.from_numpy(rng.choice(len(t), k, replace=False))].clone()
    for _ in range(iterations):
        a = assign(t, c)
        sums = torch.zeros_like(c).index_add_(0, a, t)
        counts = torch.bincount(a, minlength=k).unsqueeze(1)
        empty = counts[:, 0] == 0
        c = torch.where(empty.unsqueeze(1), c, sums / counts.clamp(min=1))
    return c.numpy()


def assign(x: torch.Tensor, c: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """Index of the nearest centroid (Euclidean) of each row of ``x``."""
    cn = (c * c).sum(1)
    out = torch.empty(len(x), dtype=torch.long)
    for s in range(0, len(x), chunk):
        d = cn - 2 * x[s:s + chunk] @ c.t()
        out[s:s + chunk] = d.argmin(1)
    return out


def build(queries: np.ndarray, items: np.ndarray, exact: bool, lists: int | None = None,
          seed: int = 0) -> IVF:
    """The IVF of ``items`` with ``lists`` k-means lists (default :func:`default_lists`)."""
    k = lists or default_lists(len(items))
    centroids = kmeans(items, k, seed=seed)
    a = assign(torch.from_numpy(items), torch.from_numpy(centroids)).numpy()
    ids = np.argsort(a, kind="stable").astype(np.uint32)
    counts = np.bincount(a, minlength=k)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32)
    return IVF(centroids.astype(np.float32), offsets, ids, np.ascontiguousarray(items[ids], np.float32),
               np.ascontiguousarray(queries, np.float32), exact)


def export_index(model: NCF, d: Path, lists: int | None = None, seed: int = 0) -> tuple[dict, list[dict]]:
    """Build and write ``d/retrieval.ivf``; return its manifest artifact and parity cases.

    The parity cases are the candidates :func:`search` returns for the first, middle and
    last user, scanning about three lists.
    """
    queries, items, exact = retrieval_vectors(model, seed=seed)
    ivf = build(queries, items, exact, lists, seed)
    write(d / FILE, ivf)
    users = sorted({0, len(queries) // 2, len(queries) - 1})
    scan = 3 * -(-len(items) // ivf.lists)
    cases = []
    for u in users:
        got, scores = search(ivf, u, scan, PARITY_CANDIDATES)
        cases.append({"file": FILE, "user": u, "scan": scan, "candidates": PARITY_CANDIDATES,
                      "items": [int(i) for i in got], "scores": [float(s) for s in scores],
                      "tolerance": PARITY_TOLERANCE})
    artifact = {"file": FILE, "format": FORMAT, "format_version": FORMAT_VERSION, "dim": ivf.dim,
                "params": {"lists": ivf.lists, "exact": exact,
                           "vectors": "gmf" if exact else "distilled"}}
    return artifact, cases
