"""The epoch loops of NCF training: one epoch's shuffled samples, and one epoch of the
autograd step or of the packed CPU step, with the loss logged every ``log_every`` batches."""

from __future__ import annotations

import json
import logging
from typing import Any

import torch
from tqdm import tqdm

from .negatives import make_generator, sample_negatives
from .packed import PackedNCF, packed_epoch

log = logging.getLogger("mlbundle_training.ncf.train")  # the loss records keep their logger
NCFConfig = Any  # an ncf.train.NCFConfig (batch_size, log_every); not imported: train imports this


def epoch_samples(users: torch.Tensor, items: torch.Tensor, keys: torch.Tensor, num_items: int,
                  negatives: int, seed: int, rank: int = 0, world: int = 1
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One epoch's shuffled (user, item, label) tensors: positives + fresh negatives.

    Every rank draws the same negatives and permutation (same seed) and keeps its share, cut
    to equal lengths so that DDP ranks run the same number of steps.
    """
    gen = make_generator(users.device, seed)
    neg = sample_negatives(users, keys, num_items, negatives, gen).reshape(-1)
    all_u = torch.cat([users, users.repeat_interleave(negatives)])
    all_i = torch.cat([items, neg])
    perm = torch.randperm(len(all_u), device=users.device, generator=gen)
    perm = perm[: len(perm) // world * world][rank::world]
    labels = (perm < len(users)).float()  # the positives come first in all_u/all_i
    return all_u.index_select(0, perm), all_i.index_select(0, perm), labels


def run_epoch(net: torch.nn.Module, opt: torch.optim.Optimizer,
              triples: tuple[torch.Tensor, torch.Tensor, torch.Tensor], cfg: NCFConfig,
              epoch: int, progress: bool = True, log_loss: bool = True) -> tuple[float, int]:
    """Train one epoch over pre-shuffled triples in slices; returns (mean loss, samples).

    Every ``cfg.log_every`` batches (0: never) the batch loss goes to the progress bar and,
    when ``log_loss``, to an info-level JSON log record ``{"event": "loss", ...}``.
    """
    users, items, labels = triples
    device = users.device
    amp = device.type == "cuda"
    loss_fn = torch.nn.BCEWithLogitsLoss()
    net.train()
    n_batches = (len(users) + cfg.batch_size - 1) // cfg.batch_size
    total = torch.zeros((), device=device)
    bar = tqdm(range(n_batches), desc=f"epoch {epoch}", disable=not progress, leave=False,
               mininterval=1.0)
    for b in bar:
        sl = slice(b * cfg.batch_size, (b + 1) * cfg.batch_size)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(net(users[sl], items[sl]).float(), labels[sl])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach()
        if cfg.log_every > 0 and (b + 1) % cfg.log_every == 0:
            value = float(loss.detach())
            bar.set_postfix(loss=f"{value:.4f}")
            if log_loss:
                log.info(json.dumps({"event": "loss", "epoch": epoch, "batch": b + 1,
                                     "loss": round(value, 6)}))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return float(total) / max(1, n_batches), len(users)


def run_packed_epoch(packed: PackedNCF, triples: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                     cfg: NCFConfig, epoch: int, progress: bool = True) -> tuple[float, int]:
    """:func:`run_epoch` for the packed CPU step (same logging); the mean loss is over samples."""
    users, items, labels = triples
    n_batches = (len(users) + cfg.batch_size - 1) // cfg.batch_size
    bar = tqdm(total=n_batches, desc=f"epoch {epoch}", disable=not progress, leave=False,
               mininterval=1.0)

    def on_batch(b: int, logits: torch.Tensor, y: torch.Tensor) -> None:
        bar.update(1)
        if cfg.log_every > 0 and (b + 1) % cfg.log_every == 0:
            value = float(torch.nn.functional.binary_cross_entropy_with_logits(logits, y))
            bar.set_postfix(loss=f"{value:.4f}")
            log.info(json.dumps({"event": "loss", "epoch": epoch, "batch": b + 1,
                                 "loss": round(value, 6)}))

    mean = packed_epoch(packed, packed.pairs(users, items), labels, cfg.batch_size, on_batch)
    bar.close()
    packed.write_back()
    return mean, len(users)
