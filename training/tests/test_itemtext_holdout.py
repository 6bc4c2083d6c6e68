"""The held-out measurement of items placed by text: hiding, ranking, one tiny run."""

import numpy as np
import pytest

from mlbundle_training.cli import main
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.errors import TrainingError
from mlbundle_training.itemtext.holdout import (PLACEMENTS, SHIFTS, HoldoutConfig, choose_hidden, hide_items,
                                               rank_of, run, table)
from mlbundle_training.ncf.train import NCFConfig


def test_hide_items_removes_every_interaction_of_the_hidden_items():
    data = create_synthetic_interactions(seed=3, users=60, items=50, count=800)
    left, hidden = hide_items(data, 0.2, seed=1)
    assert len(hidden) == 10 and len(set(hidden.tolist())) == 10
    gone = {data.item_ids[i] for i in hidden}
    assert not gone & set(left.item_ids) and left.num_items == 40
    assert len(left) == int(np.sum(~np.isin(data.items, hidden)))
    # every kept interaction is the same (user, item) pair as before
    pairs = {(data.user_ids[u], data.item_ids[i]) for u, i in zip(data.users, data.items)}
    assert all((left.user_ids[u], left.item_ids[i]) in pairs for u, i in zip(left.users, left.items))
    assert set(left.item_texts) == set(left.item_ids)
    again, hidden2 = hide_items(data, 0.2, seed=1)
    assert np.array_equal(hidden, hidden2)  # seeded


def test_hide_items_needs_texts():
    data = create_synthetic_interactions(seed=3, users=60, items=50, count=800)
    data.item_texts = {}
    with pytest.raises(TrainingError, match="cannot hide"):
        hide_items(data, 0.1, seed=0)


def test_rank_of_breaks_ties_at_random():
    rng = np.random.default_rng(0)
    assert rank_of(np.array([0.1, 0.9, 0.5]), 2, rng) == 1
    assert rank_of(np.array([3.0, 1.0]), 0, rng) == 0
    tied = [rank_of(np.zeros(5), 0, rng) for _ in range(500)]
    assert set(tied) == {0, 1, 2, 3, 4} and abs(np.mean(tied) - 2) < 0.3


def test_table_has_a_row_per_placement():
    row = {"data": "d", "items": 10, "hidden_items": 2, "pairs": 7, "shift": 0.5, "trained_test_hr@10": 0.4}
    for p in PLACEMENTS:
        row[f"{p}_trained_hr@10"] = 0.3
        for scope in ("new", "all"):
            row[f"{p}_{scope}_hr@10"], row[f"{p}_{scope}_ndcg@10"] = 0.5, 0.25
    t = table([row])
    assert t.count("\n") == 2 + len(PLACEMENTS) and "| d | 2 of 10 | 7 | text | 0.500 | 0.250 |" in t
    assert "| text+shift (0.5, chosen on validation items) |" in t and "| 0.300 (without: 0.400) |" in t


def test_a_tiny_run_ranks_every_pair(tmp_path):
    data = create_synthetic_interactions(seed=1, users=120, items=100, count=2000)
    cfg = HoldoutConfig(hidden_share=0.2, validation_share=0.1, encoder="tiny", max_length=32,
                        ncf=NCFConfig(epochs=2, batch_size=256, progress=False, single_interaction="train-only"))
    out = run(cfg, data)
    hidden, val_items = choose_hidden(data, (0.2, 0.1), 0)
    assert not set(hidden.tolist()) & set(val_items.tolist()) and len(val_items) == 10
    assert out["shift"] in SHIFTS and set(out["validation_all_ndcg@10_by_shift"]) == {str(x) for x in SHIFTS}
    known = set(data.user_ids)  # every user keeps some interaction at this density
    pairs = sum(1 for u, i in zip(data.users, data.items) if i in set(hidden.tolist()) and data.user_ids[u] in known)
    assert out["hidden_items"] == 20 and out["pairs"] == pairs
    for p in PLACEMENTS:
        for scope in ("new", "all"):
            assert 0 <= out[f"{p}_{scope}_ndcg@10"] <= out[f"{p}_{scope}_hr@10"] <= 1
        # inserting new items can only push the trained items' test positives down
        assert out[f"{p}_trained_hr@10"] <= out["trained_test_hr@10"]


def test_cli_prints_the_table(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["--log-level", "warning", "item-cold-start", "--encoder", "tiny", "--epochs", "1",
                 "--synthetic-users", "80", "--synthetic-items", "60", "--synthetic-count", "1200",
                 "--hidden-share", "0.2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| text |" in printed and "| popularity |" in printed and "| random |" in printed
    assert out.exists()
