"""Training with the lower encoder layers frozen and their outputs computed once.

With ``freeze_layers`` = N > 0 the embeddings and the first N transformer layers do not
train: one forward pass without gradients turns every training and validation text into
its hidden states after layer N (kept unpadded, float32), and each epoch then runs only
the top layers and the head on those cached states. An epoch costs (L - N) / L of a
forward pass plus its backward instead of the whole network, so several epochs fit where
full fine-tuning affords one. N = L (all layers) trains the head alone, and the cache then
keeps each text's pooled features only (an epoch is a pass of the head over vectors).
Pooling several top layers (``pool_layers``) needs them all above N, or N = L.

With the lexical branch (classifier.lexical) each text's TF-IDF row is computed once as
well; the branch trains with sparse gradients (``SparseAdam``: a step updates the rows of
its batch's tokens only) beside the head, on the same learning-rate schedule.

The exported model is still the whole network (embeddings and all layers): caching is a
training-time shortcut, and ``logits_from_cache`` equals the full model's forward.
"""

from __future__ import annotations

import json
import logging
import math
import time

import numpy as np
import torch

from .batches import collate, length_batches, sigmoid
from .loop import lr_factor
from .model import mean_pool
from ..metrics import precision_recall_f1

log = logging.getLogger(__name__)


def _layers(model) -> torch.nn.ModuleList:
    return model.encoder.encoder.layer


def _mask(model, hidden: torch.Tensor, mask: torch.Tensor):
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=model.encoder.config, inputs_embeds=hidden, attention_mask=mask)


def freeze_lower(model, n: int) -> None:
    """Stop gradients for the embeddings and the first ``n`` transformer layers."""
    for p in model.encoder.embeddings.parameters():
        p.requires_grad_(False)
    for layer in _layers(model)[:n]:
        for p in layer.parameters():
            p.requires_grad_(False)


@torch.no_grad()
def cache_lower(model, ids: list[list[int]], n: int, batch_size: int) -> list[torch.Tensor]:
    """Hidden states after layer ``n`` of each text ([len, hidden] float32, unpadded)."""
    model.eval()
    out: list[torch.Tensor] = [None] * len(ids)  # type: ignore[list-item]
    order = np.argsort([len(r) for r in ids], kind="stable")
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        width = max(len(ids[i]) for i in idx)
        input_ids = torch.zeros((len(idx), width), dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for j, i in enumerate(idx):
            input_ids[j, :len(ids[i])] = torch.tensor(ids[i])
            mask[j, :len(ids[i])] = 1
        h = model.encoder.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
        m4 = _mask(model, h, mask)
        for layer in _layers(model)[:n]:
            h = layer(h, m4)
        for j, i in enumerate(idx):
            out[i] = h[j, :len(ids[i])].clone()
    return out


def _pad(cache: list[torch.Tensor], idx) -> tuple[torch.Tensor, torch.Tensor]:
    rows = [cache[i] for i in idx]
    width = max(r.shape[0] for r in rows)
    h = torch.zeros((len(rows), width, rows[0].shape[1]), dtype=rows[0].dtype)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        h[j, :r.shape[0]] = r
        mask[j, :r.shape[0]] = 1
    return h, mask


@torch.no_grad()
def cache_features(model, ids: list[list[int]], batch_size: int) -> list[torch.Tensor]:
    """Each text's pooled features (the head's input) as a one-position state [1, features]:
    with every layer frozen that is all the head needs (``logits_from_cache`` with ``n`` =
    the encoder's depth pools over that one position, which leaves it unchanged)."""
    model.eval()
    out: list[torch.Tensor] = [None] * len(ids)  # type: ignore[list-item]
    order = np.argsort([len(r) for r in ids], kind="stable")
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        feats = model.features(**collate(ids, idx))
        for j, i in enumerate(idx):
            out[i] = feats[j:j + 1].clone()
    return out


def logits_from_cache(model, h: torch.Tensor, mask: torch.Tensor, n: int) -> torch.Tensor:
    """Logits of the layers above ``n``, mean pooling (of the top ``model.pool_layers``
    layers, all above ``n``) and head on cached states ``h`` (without the lexical branch:
    see ``_lexical``)."""
    states = [h]
    if n < len(_layers(model)):
        m4 = _mask(model, h, mask)
        for layer in _layers(model)[n:]:
            h = layer(h, m4)
            states.append(h)
        states = states[-model.pool_layers:]
    return model.head(model.dropout(mean_pool(states, mask)))


def _lexical(model, rows, idx) -> torch.Tensor | float:
    return 0.0 if rows is None else model.lexical.bag_logits(rows, idx)


@torch.no_grad()
def predict_cached(model, cache: list[torch.Tensor], n: int, batch_size: int, rows=None) -> np.ndarray:
    """Logits [len(cache), labels] from cached states (plus the lexical branch's, from the
    texts' ``tfidf_rows``, when given), in length-sorted batches."""
    model.eval()
    order = np.argsort([c.shape[0] for c in cache], kind="stable")
    out = np.zeros((len(cache), model.head.out_features), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        h, mask = _pad(cache, idx)
        out[idx] = (logits_from_cache(model, h, mask, n) + _lexical(model, rows, idx)).numpy()
    return out


def fit_cached(model, train_ids, y_train: torch.Tensor, val_ids, y_val: np.ndarray, cfg,
               loss_fn, make_optimizer) -> tuple[list[dict], np.ndarray]:
    """Train the layers above ``cfg.freeze_layers`` and the head from cached states (CPU).

    Returns one record per epoch and the final validation logits (from the cache, equal
    to the full model's).
    """
    n = cfg.freeze_layers
    freeze_lower(model, n)
    t0 = time.perf_counter()
    if n >= len(_layers(model)):
        train_cache = cache_features(model, train_ids, cfg.eval_batch_size)
        val_cache = cache_features(model, val_ids, cfg.eval_batch_size)
    else:
        train_cache = cache_lower(model, train_ids, n, cfg.eval_batch_size)
        val_cache = cache_lower(model, val_ids, n, cfg.eval_batch_size)
    lex = model.lexical
    train_rows, val_rows = (None, None) if lex is None else (lex.tfidf_rows(train_ids), lex.tfidf_rows(val_ids))
    log.info("%s", json.dumps({"event": "cache", "frozen_layers": n, "texts": len(train_ids) + len(val_ids),
                               "seconds": round(time.perf_counter() - t0, 1)}))
    lengths = np.array([len(r) for r in train_ids])
    rng = np.random.default_rng(cfg.seed)
    total = math.ceil(len(train_ids) / cfg.batch_size) * cfg.epochs
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    opt, sched = make_optimizer(model, cfg, total, torch.device("cpu"), sparse_lexical=True)
    opts, scheds = [opt], [sched]
    if lex is not None:
        opts.append(torch.optim.SparseAdam([lex.weight], lr=cfg.lexical_lr))
        scheds.append(torch.optim.lr_scheduler.LambdaLR(opts[-1], lr_factor(cfg.warmup, total)))
    history, step, logits = [], 0, None
    threads = torch.get_num_threads()
    if n >= len(_layers(model)):  # vectors and sparse rows only: a second thread mostly waits
        torch.set_num_threads(1)
    try:
        for epoch in range(1, cfg.epochs + 1):
            model.train()
            t_epoch, seen, loss_sum = time.perf_counter(), 0, 0.0
            for idx in length_batches(lengths, cfg.batch_size, rng):
                h, mask = _pad(train_cache, idx)
                loss = loss_fn(logits_from_cache(model, h, mask, n) + _lexical(model, train_rows, idx), y_train[idx])
                for o in opts:
                    o.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad and
                                                p.grad is not None and not p.grad.is_sparse], 1.0)
                for o, sc in zip(opts, scheds):
                    o.step()
                    sc.step()
                step += 1
                seen += len(idx)
                loss_sum += float(loss.detach()) * len(idx)
                if cfg.log_every > 0 and step % cfg.log_every == 0:
                    log.info("%s", json.dumps({"event": "loss", "epoch": epoch, "step": step,
                                               "loss": round(float(loss.detach()), 6)}))
                if step >= total:
                    break
            seconds = time.perf_counter() - t_epoch
            logits = predict_cached(model, val_cache, n, cfg.eval_batch_size, val_rows)
            at_half = precision_recall_f1(y_val, sigmoid(logits) >= 0.5)
            rec = {"epoch": epoch, "steps": step, "train_loss": round(loss_sum / max(1, seen), 6),
                   "train_seconds": round(seconds, 2), "samples_per_s": round(seen / seconds, 1),
                   "val_micro_f1@0.5": round(at_half["micro_f1"], 4), "val_macro_f1@0.5": round(at_half["macro_f1"], 4)}
            history.append(rec)
            log.info("%s", json.dumps(rec))
            if step >= total:
                break
    finally:
        torch.set_num_threads(threads)
    for p in model.parameters():
        p.requires_grad_(True)
    return history, logits
