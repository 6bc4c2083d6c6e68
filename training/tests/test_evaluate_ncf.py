"""NCF evaluation protocols on a hand-computed case: a fixed score table and popularity."""

import math

import numpy as np
import pytest
import torch

from mlbundle_training.ncf.evaluate import EvalSet, full_metrics, make_eval_set, popularity_metrics, sampled_metrics

# training positives: user 0 -> items 0, 1; user 1 -> items 0, 2 (5 items)
TRAIN_U = np.array([0, 0, 1, 1])
TRAIN_I = np.array([0, 1, 0, 2])
# validation: user 0 -> item 3, user 1 -> item 1, each against two fixed negatives
EV = EvalSet(torch.tensor([0, 1]), torch.tensor([3, 1]), torch.tensor([[2, 4], [3, 4]]))


class Table(torch.nn.Module):
    """score(user, item) = TABLE[user, item]."""

    def __init__(self, table):
        super().__init__()
        self.table = torch.tensor(table)

    def forward(self, user, item):
        return self.table[user, item]


TABLE = Table([[0.9, 0.8, 0.1, 0.5, 0.3],
               [0.2, 0.7, 0.6, 0.4, 0.9]])


def test_sampled_metrics_hand_computed():
    # user 0: target 0.5 vs 0.1, 0.3 -> rank 0; user 1: target 0.7 vs 0.4, 0.9 -> rank 1
    assert sampled_metrics(TABLE, EV, k=1) == pytest.approx({"hr@1": 0.5, "ndcg@1": 0.5})
    assert sampled_metrics(TABLE, EV, k=2) == pytest.approx({"hr@2": 1.0, "ndcg@2": (1 + 1 / math.log2(3)) / 2})


def test_full_metrics_exclude_training_positives():
    # user 0: items 0, 1 (0.9, 0.8) are training positives, left out -> target rank 0, not 2
    # user 1: items 0, 2 left out; 0.9 (item 4) beats the target 0.7 -> rank 1
    got = full_metrics(TABLE, EV, TRAIN_U, TRAIN_I, num_items=5, k=1)
    assert got == pytest.approx({"full_recall@1": 0.5, "full_ndcg@1": 0.5})
    got = full_metrics(TABLE, EV, TRAIN_U, TRAIN_I, num_items=5, k=2)
    assert got == pytest.approx({"full_recall@2": 1.0, "full_ndcg@2": (1 + 1 / math.log2(3)) / 2})


def test_popularity_metrics_hand_computed():
    # training counts 2, 1, 1, 0, 0 (ties broken by item index, higher index first)
    # user 0: target item 3 (0) vs item 2 (1) and item 4 (0, later index) -> rank 2
    # user 1: target item 1 (1) vs items 3, 4 (0) -> rank 0; the full ranking agrees here
    got = popularity_metrics(EV, TRAIN_I, TRAIN_U, num_items=5, k=2)
    assert got == pytest.approx({"hr@2": 0.5, "ndcg@2": 0.5, "full_recall@2": 0.5, "full_ndcg@2": 0.5})
    got = popularity_metrics(EV, TRAIN_I, TRAIN_U, num_items=5, k=3)
    assert got["hr@3"] == pytest.approx(1.0) and got["ndcg@3"] == pytest.approx(0.75)


def test_eval_negatives_avoid_every_positive():
    all_u, all_i = np.array([0, 0, 0, 1]), np.array([0, 1, 2, 3])
    ev = make_eval_set(np.array([0, 1]), np.array([2, 3]), all_u, all_i, 6, torch.device("cpu"), 20, seed=1)
    assert ev.negatives.shape == (2, 20)
    assert set(ev.negatives[0].tolist()) <= {3, 4, 5} and set(ev.negatives[1].tolist()) <= {0, 1, 2, 4, 5}
    again = make_eval_set(np.array([0, 1]), np.array([2, 3]), all_u, all_i, 6, torch.device("cpu"), 20, seed=1)
    assert torch.equal(ev.negatives, again.negatives)


@pytest.mark.parametrize("variant", ["gmf", "neumf"])
def test_score_items_equals_forward_over_all_pairs(variant):
    from mlbundle_training.ncf.model import NCF, NCFShape

    torch.manual_seed(0)
    m = NCF(NCFShape(4, 9, variant, 3, [8, 4])).eval()
    with torch.no_grad():
        torch.nn.init.normal_(m.out.weight)
        m.out.bias.fill_(0.3)
        users = torch.tensor([3, 0])
        got = m.score_items(users)
        want = torch.stack([m(torch.full((9,), int(u)), torch.arange(9)) for u in users])
    assert got.shape == (2, 9) and torch.allclose(got, want, atol=1e-6)
