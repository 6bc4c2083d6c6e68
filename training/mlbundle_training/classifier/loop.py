"""The classifier's training loop (no Trainer): AdamW, warm-up/decay, BCE on logits.

Written for both a 2-core CPU and a GPU at batch 16, where the step is bound by kernel
launches and host overhead rather than arithmetic:

- texts are tokenised once; batches group similar lengths (little padding) and are padded
  per batch (to a multiple of 8 on CUDA; of 32 when compiled, so few shapes recur);
- no host/device synchronisation per step: the loss is summed on the device and read
  every ``log_every`` steps (default 10; an info-level JSON record ``{"event": "loss"}`` and
  the progress bar) and once per epoch;
- CUDA: fused AdamW, TF32 matmuls, optional bf16 autocast (``precision``), optional
  ``torch.compile`` (``compile=reduce-overhead`` records CUDA graphs per shape).
"""

from __future__ import annotations

import json
import logging
import math
import time

import numpy as np
import torch
from tqdm import tqdm

from .batches import collate, length_batches, predict_logits, sigmoid
from ..metrics import precision_recall_f1

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16")
COMPILE_MODES = ("none", "default", "reduce-overhead")


def make_optimizer(model, cfg, total_steps: int, device: torch.device, sparse_lexical: bool = False):
    """AdamW over the trainable encoder parameters (``cfg.lr``), the head (``cfg.head_lr``)
    and the lexical branch if any (``cfg.lexical_lr``, no weight decay; left out with
    ``sparse_lexical``, whose caller steps it with its own sparse optimizer), with linear
    warm-up over ``cfg.warmup`` of the steps then linear decay to zero."""
    enc = [p for p in model.encoder.parameters() if p.requires_grad]
    groups = [{"params": enc, "lr": cfg.lr}, {"params": list(model.head.parameters()), "lr": cfg.head_lr}]
    if getattr(model, "lexical", None) is not None and not sparse_lexical:
        groups.append({"params": [model.lexical.weight], "lr": cfg.lexical_lr, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay, fused=device.type == "cuda")
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(cfg.warmup, total_steps))


def lr_factor(warmup: float, total_steps: int):
    """The learning-rate multiplier of a step: linear warm-up over ``warmup`` of the steps,
    then linear decay to zero."""
    warm = max(1, int(warmup * total_steps))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return factor


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def fit(model, train_ids: list[list[int]], y_train: torch.Tensor, val_ids: list[list[int]],
        y_val: np.ndarray, cfg, device: torch.device, loss_fn=None) -> list[dict]:
    """Train ``model`` in place; returns one record per epoch (loss, time, val F1 at 0.5).

    ``loss_fn`` defaults to plain BCE on logits."""
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and device.type == "cuda")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    step_model = model
    if cfg.compile != "none":
        step_model = torch.compile(model, mode=None if cfg.compile == "default" else cfg.compile)
    multiple = 32 if cfg.compile != "none" else (8 if device.type == "cuda" else 1)
    lengths = np.array([len(r) for r in train_ids])
    rng = np.random.default_rng(cfg.seed)
    total = math.ceil(len(train_ids) / cfg.batch_size) * cfg.epochs
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    opt, sched = make_optimizer(model, cfg, total, device)
    loss_fn = loss_fn or torch.nn.BCEWithLogitsLoss()
    history, step = [], 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        _sync(device)
        t_epoch, seen = time.perf_counter(), 0
        loss_sum = torch.zeros((), device=device)
        bar = tqdm(length_batches(lengths, cfg.batch_size, rng), desc=f"epoch {epoch}", leave=False,
                   mininterval=5.0)
        for idx in bar:
            batch = {k: v.to(device, non_blocking=True)
                     for k, v in collate(train_ids, idx, multiple=multiple, cap=cfg.max_length).items()}
            target = y_train[idx].to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = step_model(**batch)
            loss = loss_fn(logits.float(), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            seen += len(idx)
            loss_sum += loss.detach() * len(idx)
            if cfg.log_every > 0 and step % cfg.log_every == 0:
                value = loss.item()
                bar.set_postfix(loss=f"{value:.4f}")
                log.info("%s", json.dumps({"event": "loss", "epoch": epoch, "step": step,
                                           "loss": round(value, 6)}))
            if step >= total:
                break
        _sync(device)
        seconds = time.perf_counter() - t_epoch
        probs = sigmoid(predict_logits(model, val_ids, cfg.eval_batch_size, device, bf16))
        at_half = precision_recall_f1(y_val, probs >= 0.5)
        rec = {"epoch": epoch, "steps": step, "train_loss": round(float(loss_sum) / max(1, seen), 6),
               "train_seconds": round(seconds, 2), "samples_per_s": round(seen / seconds, 1),
               "val_micro_f1@0.5": round(at_half["micro_f1"], 4), "val_macro_f1@0.5": round(at_half["macro_f1"], 4)}
        history.append(rec)
        log.info("%s", json.dumps(rec))
        if step >= total:
            break
    return history
