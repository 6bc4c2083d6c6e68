"""Tokenise once, batch by length, pad per batch; logits for many texts; thresholds.

Pre-tokenised texts are lists of ids without padding. Training batches group texts of
similar length (shuffle, cut into pools of ``pool`` batches, sort each pool by length,
shuffle the batches), so padding stays small and the order still changes every epoch.
"""

from __future__ import annotations

import numpy as np
import torch

from ..metrics import precision_recall_f1


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids (with [CLS]/[SEP], truncated to ``max_length``) of each text, unpadded."""
    if not texts:
        return []
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                   pool: int = 50) -> list[np.ndarray]:
    """Index batches of similar lengths, in a random order drawn from ``rng``."""
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        chunk = order[start:start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(ids: list[list[int]], idx, pad_id: int = 0, multiple: int = 1,
            cap: int = 512) -> dict[str, torch.Tensor]:
    """int64 input_ids / attention_mask / token_type_ids for ``idx``, padded to the longest.

    With ``multiple`` > 1 the width is rounded up to a multiple of it (at most ``cap``).
    """
    rows = [ids[i] for i in idx]
    longest = max(len(r) for r in rows)
    width = max(longest, min(-(-longest // multiple) * multiple, cap))
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, r in enumerate(rows):
        input_ids[j, :len(r)] = r
        mask[j, :len(r)] = 1
    return {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask),
            "token_type_ids": torch.zeros_like(torch.from_numpy(mask))}


@torch.no_grad()
def predict_logits(model, ids: list[list[int]], batch_size: int, device: torch.device,
                   autocast: bool = False) -> np.ndarray:
    """Logits [len(ids), num_labels] (float32), computed in length-sorted batches."""
    model.eval()
    order = np.argsort([len(r) for r in ids], kind="stable")
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        batch = {k: v.to(device) for k, v in collate(ids, idx).items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            logits = model(**batch)
        out[idx] = logits.float().cpu().numpy()
    return out


def multi_hot(codes: list[list[str]], index: dict[str, int]) -> np.ndarray:
    """Boolean [samples, labels] matrix of each sample's codes."""
    y = np.zeros((len(codes), len(index)), dtype=bool)
    for i, cs in enumerate(codes):
        for c in cs:
            y[i, index[c]] = True
    return y


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    return np.exp(-np.logaddexp(0.0, -x))


GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


def tune_thresholds(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = GRID) -> np.ndarray:
    """Per-label probability threshold maximising that label's F1 on (probs, y_true).

    Ties go to the grid value closest to 0.5; labels without a positive keep 0.5.
    """
    pred = probs[:, :, None] >= grid[None, None, :]          # [n, labels, grid]
    t = y_true[:, :, None]
    tp = (pred & t).sum(0)
    fp = (pred & ~t).sum(0)
    fn = (~pred & t).sum(0)
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(tp.shape), where=(2 * tp + fp + fn) > 0)
    best = f1.max(axis=1, keepdims=True)
    closeness = np.where(f1 >= best - 1e-12, -np.abs(grid - 0.5)[None, :], -np.inf)
    thresholds = grid[np.argmax(closeness, axis=1)].astype(np.float32)
    thresholds[~y_true.any(axis=0)] = 0.5
    return thresholds


def cross_fitted_metrics(probs: np.ndarray, y_true: np.ndarray, seed: int = 0, tuner=None) -> dict:
    """P/R/F1 with thresholds tuned on one half of the rows and applied to the other.

    An honest estimate of what tuned thresholds give on unseen texts (tuning and scoring
    on the same rows would flatter them). ``tuner(probs, y_true)`` picks the thresholds
    (default ``tune_thresholds``).
    """
    tuner = tuner or tune_thresholds
    rng = np.random.default_rng(seed)
    half = rng.permutation(len(probs)) < len(probs) // 2
    pred = np.zeros_like(y_true)
    for a, b in ((half, ~half), (~half, half)):
        if a.any() and b.any():
            pred[b] = probs[b] >= tuner(probs[a], y_true[a])[None, :]
        elif b.any():
            pred[b] = probs[b] >= 0.5
    return precision_recall_f1(y_true, pred)
