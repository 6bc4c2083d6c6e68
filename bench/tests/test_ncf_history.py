"""mlbench.ncf_quality: the NCF training curve comes from the history saved in model.pt."""

import torch

from mlbench.ncf_quality import kept_history


def test_history_from_model_pt(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_MODE", raising=False)
    hist = [{"epoch": 1, "loss": 0.52, "val_hr@10": 0.41}, {"epoch": 2, "loss": 0.44, "val_hr@10": 0.47}]
    torch.save({"state_dict": {"w": torch.zeros(2)}, "shape": {"num_users": 2}, "history": hist}, tmp_path / "model.pt")
    assert kept_history(tmp_path) == hist


def test_als_iterations_are_shown_as_epochs(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_MODE", raising=False)
    torch.save({"history": [{"iteration": 3, "event": "iteration", "validation_full_ndcg@10": 0.1}]},
               tmp_path / "model.pt")
    assert kept_history(tmp_path) == [{"epoch": 3, "validation_full_ndcg@10": 0.1}]


def test_no_model_pt_or_no_history_is_no_curve(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_MODE", raising=False)
    assert kept_history(tmp_path) == []
    torch.save({"state_dict": {}}, tmp_path / "model.pt")
    assert kept_history(tmp_path) == []
