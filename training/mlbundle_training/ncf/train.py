"""NCF training: index batches over device tensors, fresh negatives each epoch, the epoch
with the best validation metric kept, the test part scored once by that epoch.

No DataLoader: the positives live on the training device as two index tensors; each epoch
draws ``negatives`` per positive with :func:`negatives.sample_negatives`, shuffles all
(user, item, label) triples with one ``randperm`` and feeds slices of it to the model. That
removes the per-sample Python work of a Dataset/DataLoader pipeline. Adam, BCE on logits,
bf16 autocast on CUDA. In one CPU process the step is :class:`~.packed.PackedNCF`'s
(packed embeddings, hand-written gradients, the fused Adam kernel called directly: the same
maths in far fewer operator calls); ``packed_step=False`` keeps the autograd loop. Under
``torchrun`` (WORLD_SIZE > 1) the model is wrapped in DDP and every rank trains on its
share of the same permutation; rank 0 evaluates.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import TrainingError
from ..data.interactions import Interactions
from ..data.splits import Split, make_split
from .evaluate import SELECT_METRICS, Evaluation, evaluate, prefixed
from .model import NCF, NCFShape
from .negatives import positive_index
from .loop import epoch_samples, run_epoch, run_packed_epoch
from .packed import PackedNCF

log = logging.getLogger(__name__)


@dataclass
class NCFConfig:
    """Every knob of an NCF run (filled from the CLI or the container's environment)."""

    data_path: str = "synthetic"
    output_dir: str = "models"
    version: str | None = None
    variant: str = "neumf"
    epochs: int = 10
    batch_size: int = 1024
    lr: float = 0.001
    factors: int = 8
    layers: list[int] = field(default_factory=lambda: [64, 32, 16, 8])
    negatives: int = 4
    seed: int = 0
    device: str = "auto"
    split: str = "leave-one-out"
    single_interaction: str = "error"
    eval_negatives: int = 99
    top_k: int = 10
    select_metric: str = "full_ndcg@10"
    epoch_eval_rows: int = 2000
    embedding_adam: str = "auto"
    patience: int = 0
    progress: bool = True
    log_every: int = 10
    packed_step: bool = True
    item_text_encoder: str = "none"
    item_text_max_length: int = 64
    item_text_shift: float = 0.0

    def hyperparameters(self) -> dict[str, Any]:
        """The knobs that shape the model and training, for manifests."""
        keep = ("variant", "epochs", "batch_size", "lr", "factors", "layers", "negatives",
                "seed", "split", "eval_negatives", "top_k", "select_metric", "embedding_adam", "patience",
                "item_text_encoder", "item_text_max_length", "item_text_shift")
        return {k: v for k, v in asdict(self).items() if k in keep}


@dataclass
class NCFResult:
    """What training produced: the best model, its metrics and the data it saw.

    ``metrics``: ``validation_*`` and ``test_*`` of the kept epoch and of the popularity
    baseline (``popularity_validation_*``, ``popularity_test_*``); ``history``: one record
    per epoch (loss, seconds, samples/s and the validation metrics it was chosen on).
    """

    model: NCF
    config: NCFConfig
    data: Interactions
    split: Split
    metrics: dict[str, float]
    history: list[dict[str, Any]]
    best_epoch: int
    samples_per_second: float
    evaluation: Evaluation | None = None


def pick_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; under torchrun the local rank's GPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError(f"device {name} requested but CUDA is not available")
    if name == "cuda" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        name = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return torch.device(name)


def _distributed(device: torch.device) -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    return dist.get_rank(), world


def _adam(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam with the fused kernel (one op for all parameters) where the build has it."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(model.parameters(), lr=lr)


def _check_negatives_exist(data: Interactions) -> None:
    """Every user needs at least one item it has not interacted with (a negative)."""
    per_user = np.bincount(data.users, minlength=data.num_users)
    full = np.flatnonzero(per_user >= data.num_items)
    if len(full):
        names = ", ".join(repr(data.user_ids[u]) for u in full[:5])
        raise TrainingError(f"{data.source}: user(s) {names} interacted with every one of the "
                            f"{data.num_items} items, so no negative can be sampled for them; "
                            "add items or drop those users")


EMBEDDING_ADAM = ("auto", "rows", "dense")
# "auto" picks row-wise Adam when a step touches at most this share of the packed table's
# rows (2 per sample): below it, dense Adam's pass over the table costs more than the
# row-wise bookkeeping (docs/benchmarks.md, "Training cost against catalogue size")
ROW_ADAM_SHARE = 1 / 8


def row_adam(cfg: NCFConfig, table_rows: int) -> bool:
    """Whether the packed step updates the embedding tables row-wise (``cfg.embedding_adam``)."""
    if cfg.embedding_adam == "auto":
        return 2 * cfg.batch_size <= ROW_ADAM_SHARE * table_rows
    return cfg.embedding_adam == "rows"


def check_config(cfg: NCFConfig) -> None:
    """Raise TrainingError on knobs that cannot train."""
    if (cfg.epochs < 1 or cfg.batch_size < 1 or cfg.negatives < 1 or cfg.lr <= 0 or cfg.log_every < 0
            or cfg.patience < 0):
        raise TrainingError("epochs, batch-size and negatives must be >= 1, lr > 0, log-every and "
                            "patience >= 0")
    if cfg.item_text_encoder not in ("none", "tiny", "minilm") or not 2 <= cfg.item_text_max_length <= 512:
        raise TrainingError(f"item-text-encoder {cfg.item_text_encoder!r}: want none, tiny or minilm; "
                            "item-text-max-length in 2..512")
    if cfg.embedding_adam not in EMBEDDING_ADAM:
        raise TrainingError(f"embedding-adam {cfg.embedding_adam!r}: want one of {', '.join(EMBEDDING_ADAM)}")
    allowed = [m.format(k=cfg.top_k) for m in SELECT_METRICS]
    if cfg.select_metric not in allowed:
        raise TrainingError(f"select-metric {cfg.select_metric!r}: want one of {', '.join(allowed)}")


def train(cfg: NCFConfig, data: Interactions, evaluation: Evaluation | None = None,
          report_test: bool = True) -> NCFResult:
    """Train on the training part with ``cfg``; keep the epoch with the best validation
    ``cfg.select_metric`` and score it once on test. ``evaluation`` (default: built from
    ``cfg.split``) lets several runs share one split and its sampled negatives;
    ``report_test=False`` leaves test (and the baseline) unscored."""
    check_config(cfg)
    device = pick_device(cfg.device)
    rank, world = _distributed(device)
    torch.manual_seed(cfg.seed)
    log.info("dataset %s", json.dumps(data.summary()))
    if evaluation is None:
        split = make_split(data, cfg.split, cfg.seed, cfg.single_interaction)
        _check_negatives_exist(data)
        evaluation = Evaluation.build(data, split, device, cfg.eval_negatives, cfg.seed)
    split = evaluation.split
    tr_u, tr_i = data.users[split.train], data.items[split.train]
    shape = NCFShape(data.num_users, data.num_items, cfg.variant, cfg.factors, list(cfg.layers))
    try:
        model = NCF(shape).to(device)
    except ValueError as e:
        raise TrainingError(f"model: {e}") from e
    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    packed = None
    if cfg.packed_step and world == 1 and device.type == "cpu":
        packed = PackedNCF(model, cfg.lr, row_adam=row_adam(cfg, data.num_users + data.num_items))
    opt = _adam(model, cfg.lr) if packed is None else None
    users_t = torch.as_tensor(tr_u, device=device)
    items_t = torch.as_tensor(tr_i, device=device)
    keys = positive_index(users_t, items_t, data.num_users, data.num_items)
    history: list[dict[str, Any]] = []
    best, best_state, best_epoch, rates = -1.0, None, 0, []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        triples = epoch_samples(users_t, items_t, keys, data.num_items, cfg.negatives,
                                cfg.seed * 100003 + epoch, rank, world)
        if packed is not None:
            mean_loss, n_samples = run_packed_epoch(packed, triples, cfg, epoch, cfg.progress)
        else:
            mean_loss, n_samples = run_epoch(net, opt, triples, cfg, epoch,
                                             progress=cfg.progress and not rank, log_loss=not rank)
        secs = time.perf_counter() - t0
        rates.append(n_samples * world / secs)
        if rank:
            continue
        val = evaluate(model, evaluation.validation, cfg.top_k, cfg.epoch_eval_rows)
        rec = {"event": "epoch", "epoch": epoch, "loss": round(mean_loss, 6),
               "seconds": round(secs, 3), "samples_per_s": round(rates[-1], 1),
               **{f"validation_{k}": round(v, 6) for k, v in val.items()}}
        history.append(rec)
        log.info(json.dumps(rec))
        if val[cfg.select_metric] > best:
            best, best_epoch = val[cfg.select_metric], epoch
            best_state = copy.deepcopy(model.state_dict())
        elif cfg.patience and world == 1 and epoch - best_epoch >= cfg.patience:
            break  # no validation gain for `patience` epochs (one process: ranks stay in step)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    final: dict[str, float] = {}
    if rank == 0:
        final.update(prefixed("validation", evaluate(model, evaluation.validation, cfg.top_k)))
        if report_test:  # tune scores only the trial it picks
            final.update(prefixed("test", evaluate(model, evaluation.test, cfg.top_k)))
            final.update(evaluation.popularity(data, cfg.top_k))
        log.info(json.dumps({"event": "best", "epoch": best_epoch, **final}))
    return NCFResult(model, cfg, data, split, final, history, best_epoch,
                     float(np.median(rates)) if rates else 0.0, evaluation)


def run(cfg: NCFConfig, data: Interactions, place: Any = None) -> Path | None:
    """Train, then export the best epoch under ``cfg.output_dir``; returns the version
    directory, or None on a torchrun rank other than 0 (rank 0 exports). ``place``
    (``mlbundle_training.itemtext.place.placer_for``) fits the graphs that place items by
    text on the trained model; it is required when ``cfg.item_text_encoder`` is not none."""
    from .export import export_checkpoint

    if (place is None) != (cfg.item_text_encoder == "none"):
        raise TrainingError(f"item-text-encoder {cfg.item_text_encoder} needs a placing function, "
                            "and only it")
    result = train(cfg, data)
    if not result.metrics:
        return None
    extra = {"best_epoch": result.best_epoch, "samples_per_s": round(result.samples_per_second, 1)}
    summary = {**data.summary(), "evaluation": result.evaluation.describe(cfg.top_k)}
    metrics, placer = dict(result.metrics), None
    if place is not None:
        placer = place(result.model, data)
        extra["item_text_alpha"] = placer.alpha
        metrics["item_text_validation_cosine"] = placer.validation_cosine
    return export_checkpoint(result.model, data, cfg.output_dir, cfg.version,
                             {**cfg.hyperparameters(), **extra}, metrics, summary,
                             history=result.history, placer=placer)
