"""Evaluation metrics as pure numpy functions.

Ranking (recommender):
- a *rank* is the 0-based position of the held-out item among the candidates; ties are
  counted against the model (pessimistic), so a model that scores everything equally
  never gets credit;
- ``HR@K`` is the share of users whose held-out item ranks < K;
- ``NDCG@K`` with a single relevant item is ``1 / log2(rank + 2)`` when rank < K, else 0.

Multi-label classification (``y_true``/``y_pred`` boolean ``[samples, labels]``):
- micro figures pool every (sample, label) decision;
- macro figures average per-label figures over the labels that occur in ``y_true`` or
  ``y_pred`` (a label absent from both has nothing to get right or wrong and is skipped);
- 0/0 counts as 0 for precision, recall and F1.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def target_rank(target_scores: np.ndarray, candidate_scores: np.ndarray) -> np.ndarray:
    """Rank of each row's target among its candidates (pessimistic ties).

    ``target_scores``: ``[n]``; ``candidate_scores``: ``[n, c]`` scores of the other
    candidates (not including the target). Returns int ``[n]`` in ``0..c``.
    """
    t = np.asarray(target_scores, dtype=np.float64).reshape(-1, 1)
    c = np.asarray(candidate_scores, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != t.shape[0]:
        raise ValueError(f"candidate scores shape {c.shape} does not match {t.shape[0]} targets")
    return np.sum(c >= t, axis=1).astype(np.int64)


def hit_rate(ranks: np.ndarray, k: int) -> float:
    """HR@K: share of ranks below K (0 for no ranks)."""
    r = np.asarray(ranks)
    return float(np.mean(r < k)) if r.size else 0.0


def ndcg(ranks: np.ndarray, k: int) -> float:
    """NDCG@K for one relevant item per row: mean of 1/log2(rank+2) over ranks below K."""
    r = np.asarray(ranks, dtype=np.float64)
    if not r.size:
        return 0.0
    gains = np.where(r < k, 1.0 / np.log2(r + 2.0), 0.0)
    return float(np.mean(gains))


def sampled_ranking(pos_scores: np.ndarray, neg_scores: np.ndarray, k: int = 10) -> dict[str, float]:
    """HR@K and NDCG@K of each positive ranked against its sampled negatives ``[n, c]``."""
    ranks = target_rank(pos_scores, neg_scores)
    return {f"hr@{k}": hit_rate(ranks, k), f"ndcg@{k}": ndcg(ranks, k)}


def full_ranking(scores: np.ndarray, targets: np.ndarray, exclude: np.ndarray | None = None,
                 k: int = 10) -> dict[str, float]:
    """Recall@K and NDCG@K of each row's target item ranked against every item.

    Recall@K is the share of held-out (row) items ranked in the top K; with one held-out
    item per user (leave-one-out) it equals HR@K.

    ``scores``: ``[n, items]``; ``targets``: ``[n]`` item index per row; ``exclude``: an
    optional boolean ``[n, items]`` mask of items to leave out of the ranking (the user's
    training positives); the target itself is never excluded.
    """
    s = np.asarray(scores, dtype=np.float64).copy()
    tg = np.asarray(targets, dtype=np.int64)
    rows = np.arange(s.shape[0])
    target_scores = s[rows, tg].copy()
    if exclude is not None:
        s[np.asarray(exclude, dtype=bool)] = -np.inf
    s[rows, tg] = -np.inf  # the target is not its own competitor
    ranks = np.sum(s >= target_scores[:, None], axis=1)
    return {f"full_recall@{k}": hit_rate(ranks, k), f"full_ndcg@{k}": ndcg(ranks, k)}


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Micro and macro precision/recall/F1 plus per-label figures for multi-label output.

    Returns ``micro_precision``, ``micro_recall``, ``micro_f1``, ``macro_precision``,
    ``macro_recall``, ``macro_f1`` (floats) and ``per_label``: a list with
    ``precision``, ``recall``, ``f1``, ``support`` for each label column.
    """
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    if t.shape != p.shape or t.ndim != 2:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} must be equal 2-D shapes")
    tp = np.sum(t & p, axis=0)
    fp = np.sum(~t & p, axis=0)
    fn = np.sum(t & ~p, axis=0)
    prec = _ratio(tp, tp + fp)
    rec = _ratio(tp, tp + fn)
    f1 = _ratio(2 * prec * rec, prec + rec)
    micro_p = float(_ratio(tp.sum(), tp.sum() + fp.sum()))
    micro_r = float(_ratio(tp.sum(), tp.sum() + fn.sum()))
    micro_f1 = float(_ratio(2 * micro_p * micro_r, micro_p + micro_r))
    active = (tp + fp + fn) > 0
    macro = (lambda a: float(np.mean(a[active])) if active.any() else 0.0)
    per_label = [{"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]),
                  "support": int(tp[i] + fn[i])} for i in range(t.shape[1])]
    return {"micro_precision": micro_p, "micro_recall": micro_r, "micro_f1": micro_f1,
            "macro_precision": macro(prec), "macro_recall": macro(rec), "macro_f1": macro(f1),
            "per_label": per_label}
