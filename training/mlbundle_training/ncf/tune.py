"""``tune``: random search over model kinds and their settings, chosen on validation only.

Candidates (:data:`CANDIDATES`): ``neumf`` and ``gmf`` (NCF trained with sampled negatives;
``gmf`` is a plain matrix factorisation under the logistic loss), ``als`` (implicit ALS,
:mod:`.als`) and ``bpr`` (matrix factorisation under the pairwise BPR loss, :mod:`.bpr`).
Every kind gets the same number of trials: they run in rounds of one trial per kind, and
the time budget is checked before each round (a round already started finishes); a kind's
first trials are fixed settings (its defaults, then for ALS and BPR a second setting known
to do well on sparse catalogues), later ones are drawn from its search space with a
seeded generator. A trial trains on the training part and
keeps its best epoch or iteration by the validation ``select_metric``; the trial with the
best validation value wins, and only the winner is scored on test. Every trial is one
JSON line (settings, validation metrics, epoch history, seconds) in ``trials_file``; a
progress bar counts trials and one line per trial is printed above it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm import tqdm

from ..data.interactions import Interactions
from ..data.splits import make_split
from ..errors import TrainingError
from .als import ALSConfig, train_als
from .bpr import BPRConfig, train_bpr
from .evaluate import Evaluation, evaluate, prefixed
from .train import NCFConfig, _check_negatives_exist, train

log = logging.getLogger(__name__)


@dataclass
class TuneConfig:
    """What to search, on which split, within which budget."""

    output_dir: str = "models"
    version: str | None = None
    models: list[str] = field(default_factory=lambda: ["neumf", "als", "bpr"])
    trials: int = 6
    time_budget: float = 3600.0
    max_epochs: int = 20
    patience: int = 3
    seed: int = 0
    split: str = "leave-one-out"
    single_interaction: str = "error"
    eval_negatives: int = 99
    top_k: int = 10
    select_metric: str = "full_ndcg@10"
    trials_file: str | None = None
    progress: bool = True


@dataclass
class Trial:
    """One trained candidate: its model, settings and validation metrics."""

    model_kind: str
    settings: dict[str, Any]
    validation: dict[str, float]
    model: torch.nn.Module
    history: list[dict[str, Any]]
    best_step: int
    seconds: float


Trainer = Callable[[dict[str, Any], Interactions, Evaluation, TuneConfig], Trial]
# a search space: the settings of a kind's n-th trial (0-based), random draws from the rng
Space = Callable[[np.random.Generator, int], dict[str, Any]]


def _pick(rng: np.random.Generator, values: list[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def ncf_space(variant: str) -> Space:
    """Settings of an NCF trial: the defaults first, then random draws."""
    def draw(rng: np.random.Generator, n: int) -> dict[str, Any]:
        d = NCFConfig(variant=variant)
        if n == 0:
            return {"factors": d.factors if variant == "neumf" else 32, "layers": d.layers,
                    "lr": d.lr, "batch_size": d.batch_size, "negatives": d.negatives}
        return {"factors": _pick(rng, [8, 16, 32, 64]),
                "layers": _pick(rng, [[64, 32, 16, 8], [128, 64, 32], [256, 128, 64]]),
                "lr": _pick(rng, [0.0005, 0.001, 0.002, 0.005]),
                "batch_size": _pick(rng, [256, 512, 1024]), "negatives": _pick(rng, [2, 4, 8])}
    return draw


# ALS's second trial: 64 factors, confidence 1 + 10 w (implicit ALS with 64 factors and
# alpha 10 was the best peer on a sparse 17K-item catalogue, docs/recommender-quality.md)
ALS_SECOND = {"factors": 64, "regularization": 0.1, "alpha": 10.0}


def als_space(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """Settings of an ALS trial: the defaults, :data:`ALS_SECOND`, then random draws."""
    d = {k: v for k, v in asdict(ALSConfig()).items() if k != "seed"}
    if n == 0:
        return d
    if n == 1:
        return {**d, **ALS_SECOND}
    return {**d, "factors": _pick(rng, [32, 48, 64, 96, 128]),
            "regularization": _pick(rng, [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]),
            "alpha": _pick(rng, [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0]),
            "weighting": _pick(rng, ["binary", "log", "weight"])}


def bpr_space(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """Settings of a BPR trial: the defaults, a smaller model, then random draws."""
    d = {k: v for k, v in asdict(BPRConfig()).items() if k != "seed"}
    if n == 0:
        return d
    if n == 1:
        return {**d, "factors": 32, "lr": 0.002, "batch_size": 256}
    return {**d, "factors": _pick(rng, [32, 64, 128]),
            "lr": _pick(rng, [0.001, 0.002, 0.005, 0.01, 0.02]),
            "regularization": _pick(rng, [0.0, 0.0001, 0.001, 0.01, 0.1]),
            "batch_size": _pick(rng, [256, 1024, 4096])}


def train_ncf_trial(variant: str) -> Trainer:
    """A trainer for NCF ``variant`` trials."""
    def fit(settings: dict[str, Any], data: Interactions, ev: Evaluation, cfg: TuneConfig) -> Trial:
        ncfg = NCFConfig(variant=variant, epochs=cfg.max_epochs, patience=cfg.patience,
                         seed=cfg.seed, device="cpu", progress=False, split=cfg.split,
                         eval_negatives=cfg.eval_negatives, top_k=cfg.top_k,
                         select_metric=cfg.select_metric, log_every=0, **settings)
        t0 = time.perf_counter()
        r = train(ncfg, data, ev, report_test=False)
        val = {k[len("validation_"):]: v for k, v in r.metrics.items() if k.startswith("validation_")}
        return Trial(variant, {**settings, "epochs": r.best_epoch}, val, r.model, r.history,
                     r.best_epoch, time.perf_counter() - t0)
    return fit


def train_als_trial(settings: dict[str, Any], data: Interactions, ev: Evaluation,
                    cfg: TuneConfig) -> Trial:
    """An ALS trial."""
    r = train_als(ALSConfig(seed=cfg.seed, **settings), data, ev, cfg.select_metric, cfg.top_k)
    return Trial("als", {**settings, "iterations": r.best_iteration}, r.validation, r.model,
                 r.history, r.best_iteration, r.seconds)


def train_bpr_trial(settings: dict[str, Any], data: Interactions, ev: Evaluation,
                    cfg: TuneConfig) -> Trial:
    """A BPR trial (bounded by its own ``epochs`` and ``patience``; ``max_epochs`` is NCF's)."""
    r = train_bpr(BPRConfig(seed=cfg.seed, **settings), data, ev, cfg.select_metric, cfg.top_k)
    return Trial("bpr", {**settings, "epochs": r.best_epoch}, r.validation, r.model,
                 r.history, r.best_epoch, r.seconds)


CANDIDATES: dict[str, tuple[Space, Trainer]] = {
    "neumf": (ncf_space("neumf"), train_ncf_trial("neumf")),
    "gmf": (ncf_space("gmf"), train_ncf_trial("gmf")),
    "als": (als_space, train_als_trial),
    "bpr": (bpr_space, train_bpr_trial),
}


@dataclass
class TuneResult:
    """The winning trial, every trial's record and the metrics of the winner."""

    best: Trial
    records: list[dict[str, Any]]
    metrics: dict[str, float]
    evaluation: Evaluation
    selection: dict[str, Any]


def search(cfg: TuneConfig, data: Interactions, evaluation: Evaluation | None = None,
           candidates: dict[str, tuple[Space, Trainer]] | None = None) -> tuple[list[Trial], list[dict[str, Any]]]:
    """Run the trials (round-robin over ``cfg.models``); returns them and their records."""
    pool = {**CANDIDATES, **(candidates or {})}
    unknown = [m for m in cfg.models if m not in pool]
    if unknown or not cfg.models:
        raise TrainingError(f"tune: unknown model(s) {unknown}: want some of {', '.join(pool)}")
    if cfg.trials < 1 or cfg.time_budget <= 0:
        raise TrainingError("tune: trials must be >= 1 and the time budget > 0")
    ev = evaluation or build_evaluation(cfg, data)
    rngs = {m: np.random.default_rng([cfg.seed, n]) for n, m in enumerate(cfg.models)}
    out = Path(cfg.trials_file) if cfg.trials_file else None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("", encoding="utf-8")
    trials: list[Trial] = []
    records: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    total = cfg.trials * len(cfg.models)
    bar = tqdm(total=total, desc="tune", disable=not cfg.progress, mininterval=1.0)
    for n in range(cfg.trials):
        # the budget is checked between rounds: every kind always has the same number of trials
        if time.perf_counter() - t0 > cfg.time_budget:
            bar.write(f"tune: time budget of {cfg.time_budget:.0f} s spent after {n} round(s) "
                      f"of {len(cfg.models)} trials")
            break
        for model_kind in cfg.models:
            space, fit = pool[model_kind]
            settings = space(rngs[model_kind], n)
            trial = fit(settings, data, ev, cfg)
            trials.append(trial)
            rec = {"trial": len(trials), "model": model_kind, "settings": trial.settings,
                   "validation": {k: round(v, 6) for k, v in trial.validation.items()},
                   "seconds": round(trial.seconds, 2), "history": trial.history}
            records.append(rec)
            if out is not None:
                with out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")
            bar.update(1)
            line = (f"trial {len(trials)}/{total} {model_kind} {cfg.select_metric}="
                    f"{trial.validation[cfg.select_metric]:.4f} ({trial.seconds:.1f} s) "
                    f"{json.dumps(trial.settings)}")
            if cfg.progress:
                bar.write(line)
            else:
                log.info(line)
    bar.close()
    return trials, records


def build_evaluation(cfg: TuneConfig, data: Interactions) -> Evaluation:
    """The split every trial shares (same validation and test negatives)."""
    split = make_split(data, cfg.split, cfg.seed, cfg.single_interaction)
    _check_negatives_exist(data)
    return Evaluation.build(data, split, torch.device("cpu"), cfg.eval_negatives, cfg.seed)


def tune(cfg: TuneConfig, data: Interactions) -> TuneResult:
    """Search, pick the best trial on validation, score it on test."""
    ev = build_evaluation(cfg, data)
    trials, records = search(cfg, data, ev)
    metric = cfg.select_metric
    best = max(trials, key=lambda t: t.validation[metric])
    per_kind = {}
    for t in trials:
        if t.model_kind not in per_kind or t.validation[metric] > per_kind[t.model_kind]:
            per_kind[t.model_kind] = t.validation[metric]
    counts = {m: sum(t.model_kind == m for t in trials) for m in per_kind}
    others = ", ".join(f"{m} {v:.4f}" for m, v in sorted(per_kind.items(), key=lambda x: -x[1])
                       if m != best.model_kind)
    reason = (f"best validation {metric} {best.validation[metric]:.4f} of {len(trials)} trials"
              + (f"; best of the other kinds: {others}" if others else ""))
    selection = {"model": best.model_kind, "objective": f"validation {metric}", "reason": reason,
                 "trials": counts, "best_per_model": {m: round(v, 6) for m, v in per_kind.items()}}
    metrics = {**prefixed("validation", best.validation),
               **prefixed("test", evaluate(best.model, ev.test, cfg.top_k)),
               **ev.popularity(data, cfg.top_k)}
    log.info(json.dumps({"event": "tuned", **selection}))
    return TuneResult(best, records, metrics, ev, selection)


def run(cfg: TuneConfig, data: Interactions, place: Any = None) -> Path:
    """Tune, then export the winner through the NCF checkpoint contract. ``place``
    (``mlbundle_training.itemtext.place.placer_for``) adds the graphs that place new items
    by text, fitted on the winner."""
    from .export import export_checkpoint

    res = tune(cfg, data)
    hyper = {"model": res.best.model_kind, **res.best.settings, "seed": cfg.seed,
             "split": cfg.split, "select_metric": cfg.select_metric, "selection": res.selection}
    summary = {**data.summary(), "evaluation": res.evaluation.describe(cfg.top_k)}
    metrics, placer = res.metrics, None
    if place is not None:
        placer = place(res.best.model, data)
        hyper["item_text_alpha"] = placer.alpha
        metrics = {**metrics, "item_text_validation_cosine": placer.validation_cosine}
    return export_checkpoint(res.best.model, data, cfg.output_dir, cfg.version, hyper, metrics,
                             summary, history=res.best.history, placer=placer)


def with_models(cfg: TuneConfig, models: list[str]) -> TuneConfig:
    """A copy of ``cfg`` searching ``models``."""
    return replace(cfg, models=list(models))
