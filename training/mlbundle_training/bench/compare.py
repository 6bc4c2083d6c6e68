"""Tuned models against tuned peers, same budget, same split: the quality table of the docs.

``python -m mlbundle_training.bench compare [--data ../shared/data] [--trials 4]``

Datasets: MovieLens 100K (``<data>/ml-100k/u.data``, skipped when absent) and the
synthetic generator at two sizes. On each, one leave-one-out split (latest interaction ->
test, second latest -> validation) and one set of sampled negatives is shared by every
model. Models: this package's ``neumf``, ``gmf`` (plain matrix factorisation, logistic
loss), ``als`` (:mod:`..ncf.als`) and ``bpr`` (:mod:`..ncf.bpr`), the peers ``implicit``
ALS and BPR (PyPI ``implicit``, installed apart from the pinned venv: ``python -m pip
install --target ~/.cache/mlbundle/bench-extra implicit``) and popularity (nothing to
tune: 1 trial). Each tunable model gets ``--trials`` trials of :func:`..ncf.tune.search`
(its fixed first settings, then random draws), run round-robin; every model's best trial
**on validation** is then scored once on test. ``tune``'s pick is the best of this
package's models on validation: what ``python -m mlbundle_training.cli tune`` with the
same ``--models`` would export. Raw records (one JSON line per trial) go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.interactions import Interactions, load_movielens
from ..data.synthetic import create_synthetic_interactions
from ..ncf.als import dot_model
from ..ncf.evaluate import Evaluation, Popularity, evaluate
from ..ncf.tune import Trial, TuneConfig, build_evaluation, search
from .ncf import bench_extra_dir

OURS = ("neumf", "gmf", "als", "bpr")


def _pick(rng: np.random.Generator, values: list[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def implicit_candidates() -> dict[str, Any]:
    """``implicit`` ALS and BPR as tune candidates (empty when not importable)."""
    extra = bench_extra_dir()
    if extra.is_dir() and str(extra) not in sys.path:
        sys.path.append(str(extra))
    try:
        import scipy.sparse as sp
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking
    except ImportError as e:
        print(f"implicit peers skipped: {e} (install it into {extra})", file=sys.stderr)
        return {}

    def fitter(name: str, make: Any) -> Any:
        def fit(settings: dict[str, Any], data: Interactions, ev: Evaluation, cfg: TuneConfig) -> Trial:
            rows = ev.split.train
            m = sp.csr_matrix((np.ones(len(rows), np.float32), (data.users[rows], data.items[rows])),
                              shape=(data.num_users, data.num_items))
            t0 = time.perf_counter()
            model = make(**settings, random_state=cfg.seed)
            model.fit(m, show_progress=False)
            scorer = dot_model(torch.as_tensor(np.asarray(model.user_factors)),
                               torch.as_tensor(np.asarray(model.item_factors)))
            val = evaluate(scorer, ev.validation, cfg.top_k)
            return Trial(name, settings, val, scorer, [], 0, time.perf_counter() - t0)
        return fit

    def als_space(rng: np.random.Generator, n: int) -> dict[str, Any]:
        if n == 0:
            return {"factors": 64, "regularization": 0.05, "alpha": 1.0, "iterations": 15}
        return {"factors": _pick(rng, [16, 32, 64, 128]),
                "regularization": _pick(rng, [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]),
                "alpha": _pick(rng, [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0]), "iterations": 15}

    def bpr_space(rng: np.random.Generator, n: int) -> dict[str, Any]:
        if n == 0:
            return {"factors": 64, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100}
        return {"factors": _pick(rng, [16, 32, 64, 128]),
                "learning_rate": _pick(rng, [0.005, 0.01, 0.05, 0.1]),
                "regularization": _pick(rng, [0.0001, 0.001, 0.01, 0.1]),
                "iterations": _pick(rng, [50, 100, 200])}

    return {"implicit-als": (als_space, fitter("implicit-als", AlternatingLeastSquares)),
            "implicit-bpr": (bpr_space, fitter("implicit-bpr", BayesianPersonalizedRanking))}


def popularity_candidate() -> tuple[Any, Any]:
    """Popularity as a candidate with nothing to tune."""
    def fit(settings: dict[str, Any], data: Interactions, ev: Evaluation, cfg: TuneConfig) -> Trial:
        model = Popularity(data.items[ev.split.train], data.num_items)
        return Trial("popularity", {}, evaluate(model, ev.validation, cfg.top_k), model, [], 0, 0.0)
    return (lambda rng, n: {}), fit


def datasets(args: argparse.Namespace) -> list[tuple[str, Interactions]]:
    """MovieLens 100K when present, and the synthetic generator at two sizes."""
    out = []
    ml = Path(args.data) / "ml-100k" / "u.data"
    if ml.is_file():
        out.append(("MovieLens 100K", load_movielens(ml)))
    else:
        print(f"MovieLens 100K skipped: {ml} not found (set MLBUNDLE_DATA or --data)", file=sys.stderr)
    for users, items, count in args.synthetic:
        out.append((f"synthetic {users:,} x {items:,}, {count:,}",
                    create_synthetic_interactions(args.seed, users, items, count)))
    return out


def compare(name: str, data: Interactions, args: argparse.Namespace, out: Path) -> list[dict[str, Any]]:
    """Tune every model on one dataset; one result row per model (best on validation)."""
    extra = {"popularity": popularity_candidate(), **implicit_candidates()}
    models = [m for m in args.models if m in OURS or m in extra]
    cfg = TuneConfig(models=models, trials=args.trials, time_budget=args.time_budget,
                     max_epochs=args.max_epochs, seed=args.seed, progress=args.progress)
    ev = build_evaluation(cfg, data)
    trials: list[Trial] = []
    if "popularity" in models:  # nothing to tune: one trial
        trials += search(TuneConfig(models=["popularity"], trials=1, progress=False), data, ev, extra)[0]
    tunable = [m for m in models if m != "popularity"]
    got, records = search(TuneConfig(**{**cfg.__dict__, "models": tunable}), data, ev, extra)
    trials += got
    with out.open("a", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"dataset": name, **r}) + "\n")
    metric = cfg.select_metric
    best: dict[str, Trial] = {}
    for t in trials:
        if t.model_kind not in best or t.validation[metric] > best[t.model_kind].validation[metric]:
            best[t.model_kind] = t
    ours = [m for m in best if m in OURS]
    pick = max(ours, key=lambda m: best[m].validation[metric]) if ours else None
    rows = []
    for m, t in best.items():
        test = evaluate(t.model, ev.test, cfg.top_k)
        n = sum(x.model_kind == m for x in trials)
        rows.append({"dataset": name, "model": m, "tune_pick": m == pick, "trials": n,
                     "validation": t.validation, "test": test, "settings": t.settings,
                     "seconds": round(sum(x.seconds for x in trials if x.model_kind == m), 1)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown table of the docs."""
    head = ("| dataset | model | trials | validation full NDCG@10 | test HR@10 | test NDCG@10 "
            "| test full Recall@10 | test full NDCG@10 | seconds (all trials) |\n"
            "|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        name = r["model"] + (" (**tune's pick**)" if r["tune_pick"] else "")
        t = r["test"]
        lines.append(f"| {r['dataset']} | {name} | {r['trials']} | {r['validation']['full_ndcg@10']:.4f} "
                     f"| {t['hr@10']:.4f} | {t['ndcg@10']:.4f} | {t['full_recall@10']:.4f} "
                     f"| {t['full_ndcg@10']:.4f} | {r['seconds']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; prints one JSON line per model and dataset, then the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("MLBUNDLE_DATA", "../shared/data"),
                    help="folder holding ml-100k/u.data")
    ap.add_argument("--synthetic", type=lambda s: [tuple(int(x) for x in p.split("x")) for p in s.split(",") if p],
                    default=[(1000, 2000, 40000), (4000, 10000, 160000)],
                    help="synthetic sizes, USERSxITEMSxCOUNT, comma-separated ('' for none)")
    ap.add_argument("--models", type=lambda s: s.split(","),
                    default=["popularity", *TuneConfig().models, "implicit-als", "implicit-bpr"],
                    help="models, comma-separated (default: popularity, tune's default kinds, the "
                         "implicit peers; gmf is also available)")
    ap.add_argument("--trials", type=int, default=4, help="trials per tunable model")
    ap.add_argument("--time-budget", type=float, default=3600.0, help="seconds per dataset")
    ap.add_argument("--max-epochs", type=int, default=20, help="epochs of an NCF trial at most")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT", ".local/bench") + "/compare-trials.jsonl",
                    help="JSON lines, one per trial")
    ap.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("", encoding="utf-8")
    rows = []
    for name, data in datasets(args):
        rows += compare(name, data, args, out)
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
