"""BPR: its gradient, learning a planted structure, export through the dot-product contract,
and being chosen by tune."""

import json

import numpy as np
import pytest
import torch

from mlbundle_training.cli import main
from mlbundle_training.contract import checkpoint
from mlbundle_training.data.interactions import Interactions
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.errors import TrainingError
from mlbundle_training.ncf.bpr import BPRConfig, as_model, bpr_step, init_table, train_bpr
from mlbundle_training.ncf.evaluate import evaluate
from mlbundle_training.ncf.export import export_checkpoint, load_pt
from mlbundle_training.ncf.tune import TuneConfig, build_evaluation, bpr_space


class Capture:
    """Stands in for RowAdam: keeps the gradient bpr_step hands over."""

    def set_grad(self, name, rows, grad):
        self.rows, self.grad = rows, grad

    def step(self):
        pass


def test_step_gradient_is_the_gradient_of_the_stated_loss():
    nu, reg = 3, 0.05
    table = init_table(nu, 5, 4, seed=1) + torch.randn(8, 5) * 0.3
    table[:nu, -1] = 1.0
    u, i, j = torch.tensor([0, 2, 2]), torch.tensor([3, 4, 3]), torch.tensor([5, 7, 6])
    cap = Capture()
    loss = bpr_step(table, cap, u, i, j, reg)
    t = table.clone().requires_grad_(True)
    pu, qi, qj = t[u], t[i], t[j]
    x = (pu * (qi - qj)).sum(1)
    want_loss = torch.nn.functional.softplus(-x)
    total = want_loss.sum() + reg / 2 * (pu.pow(2).sum() + qi.pow(2).sum() + qj.pow(2).sum())
    total.backward()
    got = torch.zeros_like(table).index_add_(0, cap.rows, cap.grad)
    want = t.grad.clone()
    want[:nu, -1] = 0.0  # the users' constant column never moves
    assert torch.allclose(got, want, atol=1e-6)
    assert loss == pytest.approx(float(want_loss.detach().mean()), abs=1e-6)


def planted(users_per_group=12, items_per_group=10, groups=3, seed=0) -> Interactions:
    """Each user interacts with 6 items of its own group only."""
    rng = np.random.default_rng(seed)
    us, its = [], []
    for u in range(users_per_group * groups):
        g = u % groups
        picks = rng.choice(items_per_group, 6, replace=False) + g * items_per_group
        us += [u] * 6
        its += picks.tolist()
    n = len(us)
    return Interactions(np.array(us), np.array(its), np.arange(n, dtype=np.float64),
                        np.ones(n, np.float32), [f"u{k}" for k in range(users_per_group * groups)],
                        [f"i{k}" for k in range(items_per_group * groups)])


def test_bpr_learns_a_planted_group_structure():
    data = planted(users_per_group=30)
    ev = build_evaluation(TuneConfig(seed=0), data)
    r = train_bpr(BPRConfig(factors=8, lr=0.01, regularization=0.01, epochs=60, batch_size=64,
                            eval_every=10), data, ev)
    # a held-out item is one of the 6 unseen items of the user's group: ranking the group
    # above the other 20 items puts it in the top 10 for every user
    assert r.validation["full_recall@10"] == 1.0
    assert evaluate(r.model, ev.test)["full_recall@10"] == 1.0
    assert ev.popularity(data)["popularity_test_full_recall@10"] < 0.7
    assert [h["epoch"] for h in r.history][:2] == [10, 20]


def test_bpr_beats_popularity_on_validation():
    data = create_synthetic_interactions(seed=1, users=200, items=150, count=4000)
    ev = build_evaluation(TuneConfig(seed=0), data)
    r = train_bpr(BPRConfig(factors=16, epochs=30, eval_every=5, batch_size=256), data, ev)
    pop = ev.popularity(data)
    assert r.validation["full_ndcg@10"] > pop["popularity_validation_full_ndcg@10"]
    best = max(r.history, key=lambda h: h["validation_full_ndcg@10"])
    assert r.best_epoch == best["epoch"]


def test_bad_knobs_are_refused():
    with pytest.raises(TrainingError, match="bpr: lr"):
        BPRConfig(lr=0).check()
    with pytest.raises(TrainingError, match="bpr: factors"):
        BPRConfig(factors=0).check()


def test_export_round_trips_the_dot_product(tmp_path):
    data = planted()
    ev = build_evaluation(TuneConfig(seed=0), data)
    r = train_bpr(BPRConfig(factors=8, lr=0.05, epochs=10, batch_size=32, eval_every=5), data, ev)
    d = export_checkpoint(r.model, data, tmp_path, "bpr-1", {"model": "bpr"}, r.validation)
    m = checkpoint.verify_checkpoint(d)
    assert m["ncf"]["variant"] == "gmf" and m["ncf"]["item_vector_dim"] == 9  # 8 factors + bias
    for chk in json.loads((d / "parity.json").read_text())["checks"]:
        assert checkpoint.verify_parity_onnx(d, chk) <= 1e-4
    back = load_pt(d / "model.pt")
    u, i = torch.tensor([0, 5, 35]), torch.tensor([29, 0, 14])
    with torch.no_grad():
        assert torch.allclose(back(u, i), r.model(u, i), atol=1e-6)
        items = r.model.gmf_item.weight
        want = (items / items.norm(dim=1, keepdim=True)).numpy()
    vec = np.fromfile(d / "item_vectors.f32", dtype="<f4").reshape(data.num_items, 9)
    np.testing.assert_allclose(vec, want, atol=1e-6)


def test_same_table_scores_as_model():
    table = init_table(4, 6, 3, seed=0) + 0.1
    table[:4, -1] = 1.0
    m = as_model(table, 4)
    with torch.no_grad():
        assert torch.allclose(m(torch.tensor([2]), torch.tensor([5])), table[2] @ table[4 + 5], atol=1e-6)


def test_space_starts_with_fixed_settings_then_draws():
    rng = np.random.default_rng(0)
    first, second = bpr_space(rng, 0), bpr_space(rng, 1)
    assert first["factors"] == BPRConfig().factors and second != first
    draws = [bpr_space(rng, n) for n in range(2, 12)]
    assert len({json.dumps(d, sort_keys=True) for d in draws}) > 1
    for s in draws:
        BPRConfig(**s).check()


def test_tune_picks_bpr_when_it_wins_on_validation(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["tune", "--data-path", "synthetic", "--synthetic-users", "200", "--synthetic-items",
                 "150", "--synthetic-count", "4000", "--models", "bpr,gmf", "--trials", "1",
                 "--max-epochs", "1", "--output-dir", str(out), "--version", "tuned",
                 "--no-progress"]) == 0
    d = out / "ncf" / "tuned"
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(d)
    m = checkpoint.verify_checkpoint(d)
    h = m["hyperparameters"]
    trials = [json.loads(x) for x in (out / "tune" / "tuned.jsonl").read_text().splitlines()]
    best = max(trials, key=lambda t: t["validation"]["full_ndcg@10"])
    assert best["model"] == "bpr"  # one GMF epoch against a BPR run: BPR wins here
    assert h["model"] == "bpr" and h["selection"]["model"] == "bpr"
    assert h["factors"] == BPRConfig().factors and h["epochs"] >= 1
    assert m["metrics"]["validation_full_ndcg@10"] == pytest.approx(best["validation"]["full_ndcg@10"], abs=1e-6)
    assert m["ncf"]["variant"] == "gmf" and m["ncf"]["item_vector_dim"] == BPRConfig().factors + 1
