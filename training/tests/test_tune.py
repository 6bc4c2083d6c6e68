"""ALS and the tune command: exact maths on a tiny case, choice on validation, export."""

import json

import numpy as np
import pytest
import torch

from mlbundle_training.cli import main
from mlbundle_training.contract import checkpoint
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.errors import TrainingError
from mlbundle_training.ncf.als import ALSConfig, dot_model, half_step, train_als
from mlbundle_training.ncf.tune import TuneConfig, build_evaluation, search, tune


@pytest.fixture(scope="module")
def data():
    return create_synthetic_interactions(seed=1, users=200, items=150, count=4000)


def test_half_step_solves_the_weighted_least_squares():
    g = torch.Generator().manual_seed(0)
    y = torch.randn(6, 3, generator=g, dtype=torch.float64)
    rows, cols = torch.tensor([0, 0, 1, 1, 1, 2]), torch.tensor([0, 4, 1, 2, 5, 3])
    cm1 = torch.tensor([1.0, 4.0, 2.0, 0.5, 3.0, 1.0], dtype=torch.float64)
    x = torch.zeros(3, 3, dtype=torch.float64)
    half_step(x, y, rows, cols, cm1, 0.1, cg_steps=3)  # 3 unknowns: CG is exact in 3 steps
    for u in range(3):
        c = torch.ones(6, dtype=torch.float64)
        p = torch.zeros(6, dtype=torch.float64)
        c[cols[rows == u]] += cm1[rows == u]
        p[cols[rows == u]] = 1
        a = y.t() @ torch.diag(c) @ y + 0.1 * torch.eye(3, dtype=torch.float64)
        want = torch.linalg.solve(a, y.t() @ (c * p))
        assert torch.allclose(x[u], want, atol=1e-8), u


def test_dot_model_scores_the_dot_product():
    u, v = torch.randn(4, 5), torch.randn(7, 5)
    m = dot_model(u, v)
    got = m(torch.tensor([1, 3]), torch.tensor([6, 0]))
    assert torch.allclose(got, torch.stack([u[1] @ v[6], u[3] @ v[0]]), atol=1e-6)


def test_als_beats_popularity_on_validation(data):
    cfg = TuneConfig(seed=0)
    ev = build_evaluation(cfg, data)
    r = train_als(ALSConfig(factors=16, regularization=1.0, alpha=5.0, iterations=6), data, ev)
    pop = ev.popularity(data)
    assert r.validation["full_ndcg@10"] > pop["popularity_validation_full_ndcg@10"]
    assert len(r.history) == 6 and 1 <= r.best_iteration <= 6
    best = max(r.history, key=lambda h: h["validation_full_ndcg@10"])
    assert r.best_iteration == best["iteration"]


def test_search_records_every_trial_and_tune_picks_on_validation(data, tmp_path):
    cfg = TuneConfig(models=["neumf", "als"], trials=2, max_epochs=2, patience=0, seed=0,
                     trials_file=str(tmp_path / "t.jsonl"), progress=False)
    res = tune(cfg, data)
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [r["model"] for r in lines] == ["neumf", "als", "neumf", "als"]
    assert lines[0]["settings"]["factors"] == 8  # the first trial of a kind is its defaults
    assert all(len(r["history"]) >= 1 and "full_ndcg@10" in r["validation"] for r in lines)
    best = max(lines, key=lambda r: r["validation"]["full_ndcg@10"])
    assert res.selection["model"] == best["model"] == res.best.model_kind
    assert res.metrics["validation_full_ndcg@10"] == pytest.approx(best["validation"]["full_ndcg@10"], abs=1e-6)
    assert {"test_ndcg@10", "test_full_recall@10", "popularity_test_full_ndcg@10"} <= set(res.metrics)
    assert res.selection["trials"] == {"neumf": 2, "als": 2}


def test_time_budget_ends_the_search_between_rounds(data, monkeypatch):
    import mlbundle_training.ncf.tune as tune_mod

    clock = iter(range(0, 1000, 10))  # every reading of the clock is 10 s later
    monkeypatch.setattr(tune_mod.time, "perf_counter", lambda: float(next(clock)))
    cfg = TuneConfig(models=["als", "gmf"], trials=5, time_budget=15, max_epochs=1, seed=0,
                     progress=False)
    trials, _ = search(cfg, data)
    kinds = [t.model_kind for t in trials]
    assert 0 < len(kinds) < 10 and kinds.count("als") == kinds.count("gmf")


def test_unknown_model_is_refused(data):
    with pytest.raises(TrainingError, match="unknown model"):
        search(TuneConfig(models=["svd"], progress=False), data)


def test_tune_command_exports_the_winner(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["tune", "--data-path", "synthetic", "--synthetic-users", "60", "--synthetic-items",
                 "50", "--synthetic-count", "1000", "--models", "als,gmf", "--trials", "1",
                 "--max-epochs", "2", "--output-dir", str(out), "--version", "tuned",
                 "--no-progress"]) == 0
    d = out / "ncf" / "tuned"
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(d)
    m = checkpoint.verify_checkpoint(d)
    h = m["hyperparameters"]
    assert h["model"] in ("als", "gmf") and h["selection"]["model"] == h["model"]
    assert m["ncf"]["variant"] == "gmf"  # both are dot-product models in the contract
    assert "validation_full_ndcg@10" in m["metrics"] and "popularity_validation_ndcg@10" in m["metrics"]
    assert len((out / "tune" / "tuned.jsonl").read_text().splitlines()) == 2
    for chk in json.loads((d / "parity.json").read_text())["checks"]:
        assert checkpoint.verify_parity_onnx(d, chk) <= 1e-4
