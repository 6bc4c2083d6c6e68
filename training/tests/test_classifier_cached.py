"""Frozen-layer caching equals the full forward; rare-code helpers; recipes."""

import argparse

import numpy as np
import pytest
import torch

from mlbundle_training.classifier import cached
from mlbundle_training.classifier.batches import collate, tune_thresholds
from mlbundle_training.classifier.flags import add_parser, config_from_args
from mlbundle_training.classifier.model import build_classifier
from mlbundle_training.classifier.rare import global_threshold, pos_weights, shrunk_thresholds
from mlbundle_training.classifier.train import RECIPES, ClassifierConfig

IDS = [[101, 2054, 2003, 102], [101, 7592, 2088, 2003, 1037, 3231, 102], [101, 102]]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_logits_from_cache_equal_full_forward(n):
    model = build_classifier("tiny", 5, seed=3).eval()
    cache = cached.cache_lower(model, IDS, n, batch_size=2)
    with torch.no_grad():
        full = model(**collate(IDS, range(len(IDS)))).numpy()
    np.testing.assert_allclose(cached.predict_cached(model, cache, n, 2), full, atol=1e-5)


def test_fit_cached_trains_only_the_layers_above_the_frozen_ones():
    model = build_classifier("tiny", 3, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = IDS * 8
    y = torch.zeros((len(ids), 3))
    y[::2, 0] = 1
    cfg = ClassifierConfig(freeze_layers=1, epochs=2, batch_size=4, lr=1e-2, head_lr=1e-2, eval_batch_size=8)
    from mlbundle_training.classifier.loop import make_optimizer

    history, logits = cached.fit_cached(model, ids, y, ids, y.numpy().astype(bool), cfg,
                                        torch.nn.BCEWithLogitsLoss(), make_optimizer)
    after = model.state_dict()
    changed = {k for k in after if not torch.equal(before[k], after[k])}
    assert changed, "nothing trained"
    assert all(k.startswith(("encoder.encoder.layer.1.", "head.")) for k in changed), changed
    assert len(history) == 2 and logits.shape == (len(ids), 3)
    assert all(p.requires_grad for p in model.parameters())  # the exported model is whole again


def test_pos_weights():
    y = torch.tensor([[1, 0], [0, 0], [0, 0], [0, 1]], dtype=torch.float32)
    assert pos_weights(y, 0) is None
    np.testing.assert_allclose(pos_weights(y, 1.0).numpy(), [3.0, 3.0])
    np.testing.assert_allclose(pos_weights(y, 0.5).numpy(), [3 ** 0.5, 3 ** 0.5], rtol=1e-6)
    assert float(pos_weights(torch.tensor([[1.0]] + [[0.0]] * 999), 1.0, cap=50)[0]) == 50


def test_shrunk_thresholds_trust_labels_by_their_validation_positives():
    rng = np.random.default_rng(0)
    n = 400
    y = np.zeros((n, 2), bool)
    y[:200, 0] = True            # frequent label
    y[0, 1] = True               # a single positive
    probs = np.where(y, 0.8, 0.1) + rng.uniform(-0.05, 0.05, (n, 2))
    probs[0, 1] = 0.12           # its one positive scores low: its own best threshold is tiny
    own = tune_thresholds(probs, y)
    g = global_threshold(probs, y)
    np.testing.assert_array_equal(shrunk_thresholds(probs, y, 0), own)
    th = shrunk_thresholds(probs, y, 5)
    assert abs(th[0] - own[0]) < 0.05 * abs(own[0] - g) + 1e-6   # 200 positives: its own
    assert abs(th[1] - g) < abs(own[1] - g)                       # 1 positive: pulled to global
    np.testing.assert_allclose(th[1], (own[1] + 5 * g) / 6, rtol=1e-6)


def _parse(*flags):
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers(dest="command"))
    return config_from_args(ap.parse_args(["train-classifier", *flags]))


def test_recipe_plan_sets_its_values_and_explicit_flags_win():
    assert _parse().freeze_layers == ClassifierConfig().freeze_layers
    plan = _parse("--recipe", "plan")
    for k, v in RECIPES["plan"].items():
        assert getattr(plan, k) == v, k
    assert _parse("--recipe", "plan", "--epochs", "5").epochs == 5
    cfg = ClassifierConfig.from_recipe("plan", epochs=5)
    assert (cfg.recipe, cfg.freeze_layers, cfg.max_length, cfg.epochs) == ("plan", 0, 256, 5)


def test_budget_recipe_pools_three_layers_and_adds_the_lexical_branch_and_plan_does_not():
    d = _parse()
    assert (d.recipe, d.lexical, d.pool_layers, d.freeze_layers) == ("budget", True, 3, 6)
    plan = _parse("--recipe", "plan")
    assert (plan.lexical, plan.pool_layers) == (False, 1)
    assert _parse("--no-lexical").lexical is False
    assert _parse("--pool-layers", "1", "--lexical-lr", "3e-3").pool_layers == 1
