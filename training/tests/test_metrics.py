"""Metrics on tiny hand-computed cases."""

import math

import numpy as np
import pytest

from mlbundle_training import metrics


@pytest.mark.parametrize("target,cands,want", [
    (0.9, [0.1, 0.2, 0.3], 0),      # best
    (0.25, [0.1, 0.2, 0.3], 1),     # one above
    (0.0, [0.1, 0.2, 0.3], 3),      # last
    (0.2, [0.1, 0.2, 0.3], 2),      # tie counts against the target
])
def test_target_rank(target, cands, want):
    got = metrics.target_rank(np.array([target]), np.array([cands]))
    assert got.tolist() == [want]


def test_hit_rate_and_ndcg_hand_computed():
    ranks = np.array([0, 1, 4, 10])
    assert metrics.hit_rate(ranks, 10) == pytest.approx(0.75)
    assert metrics.hit_rate(ranks, 1) == pytest.approx(0.25)
    want = (1.0 + 1 / math.log2(3) + 1 / math.log2(6) + 0.0) / 4
    assert metrics.ndcg(ranks, 10) == pytest.approx(want)
    assert metrics.hit_rate(np.array([]), 10) == 0.0


def test_sampled_ranking():
    pos = np.array([0.9, 0.1])
    neg = np.array([[0.1, 0.2, 0.95], [0.5, 0.6, 0.7]])  # ranks 1 and 3
    got = metrics.sampled_ranking(pos, neg, k=2)
    assert got["hr@2"] == pytest.approx(0.5)
    assert got["ndcg@2"] == pytest.approx((1 / math.log2(3)) / 2)


def test_full_ranking_excludes_training_items():
    scores = np.array([[0.9, 0.8, 0.7, 0.1],
                       [0.2, 0.9, 0.3, 0.4]])
    targets = np.array([2, 0])
    # row 0: target 0.7 beaten by items 0,1 -> rank 2; with both excluded -> rank 0
    got = metrics.full_ranking(scores, targets, k=1)
    assert got["full_recall@1"] == 0.0
    excl = np.array([[True, True, False, False], [False, True, False, False]])
    got = metrics.full_ranking(scores, targets, exclude=excl, k=1)
    # row 1: target 0.2 beaten by 0.3 and 0.4 -> rank 2
    assert got["full_recall@1"] == pytest.approx(0.5)
    assert got["full_ndcg@1"] == pytest.approx(0.5)
    got = metrics.full_ranking(scores, targets, exclude=excl, k=3)
    assert got["full_ndcg@3"] == pytest.approx((1.0 + 1 / math.log2(4)) / 2)


def test_precision_recall_f1_hand_computed():
    y_true = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    y_pred = np.array([[1, 1, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]], dtype=bool)
    got = metrics.precision_recall_f1(y_true, y_pred)
    # label 0: tp1 fp1 fn1 -> p .5 r .5 ; label 1: tp2 fp1 fn0 -> p 2/3 r 1 ; label 2 unused
    assert got["micro_precision"] == pytest.approx(3 / 5)
    assert got["micro_recall"] == pytest.approx(3 / 4)
    assert got["micro_f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    f1_1 = 2 * (2 / 3) / (2 / 3 + 1)
    assert got["macro_precision"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert got["macro_recall"] == pytest.approx(0.75)
    assert got["macro_f1"] == pytest.approx((0.5 + f1_1) / 2)
    assert got["per_label"][1] == pytest.approx({"precision": 2 / 3, "recall": 1.0,
                                                 "f1": f1_1, "support": 2})
    assert got["per_label"][2]["support"] == 0


def test_precision_recall_f1_no_predictions_is_zero():
    got = metrics.precision_recall_f1(np.array([[1, 0]], bool), np.array([[0, 0]], bool))
    assert got["micro_precision"] == 0.0 and got["micro_f1"] == 0.0
    assert got["macro_recall"] == 0.0
    with pytest.raises(ValueError):
        metrics.precision_recall_f1(np.zeros((2, 2), bool), np.zeros((2, 3), bool))
