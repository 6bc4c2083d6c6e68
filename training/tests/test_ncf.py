"""NCF: models, a tiny run that beats popularity, ONNX export with parity."""

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mlbundle_training.contract import checkpoint
from mlbundle_training.errors import TrainingError
from mlbundle_training.ncf.export import (TILE_BYTES, export_checkpoint, load_pt, onnx_save, popular_items,
                                         score_all_graph, tile_items)
from mlbundle_training.ncf.model import NCF, NCFShape, ScoreAll
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.ncf.train import NCFConfig, train


@pytest.fixture(scope="module")
def data():
    return create_synthetic_interactions(seed=1, users=200, items=150, count=4000)


@pytest.fixture(scope="module")
def trained(data):
    cfg = NCFConfig(epochs=8, batch_size=256, lr=0.003, progress=False, seed=0)
    return train(cfg, data)


@pytest.mark.parametrize("variant", ["mlp", "gmf", "neumf"])
def test_score_all_equals_pairwise(variant):
    torch.manual_seed(0)
    m = NCF(NCFShape(7, 11, variant, 4, [16, 8, 4])).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.5)
        sa = ScoreAll(m)
        for u in range(7):
            want = m(torch.full((11,), u), torch.arange(11))
            assert torch.allclose(sa(torch.tensor([u])), want, atol=1e-5)


@pytest.mark.parametrize("variant,layers,items,tile", [
    ("neumf", [16, 8, 4], 11, 4),    # 3 tiles, uneven
    ("mlp", [16, 8, 4], 11, 11),     # exactly one tile
    ("mlp", [8, 4], 9, 2),           # no hidden layer after the first
    ("gmf", [16, 8, 4], 11, 4),      # GMF alone is one Gemm, never tiled
])
def test_tiled_score_all_graph_equals_pairwise(tmp_path, variant, layers, items, tile):
    torch.manual_seed(1)
    m = NCF(NCFShape(5, items, variant, 4, layers)).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.5)
    graph = score_all_graph(ScoreAll(m).eval(), items, tile)
    onnx_save(graph, tmp_path / "score_all.onnx")
    sess = ort.InferenceSession(str(tmp_path / "score_all.onnx"), providers=["CPUExecutionProvider"])
    gemms = sum(n.op_type == "Gemm" for n in graph.graph.node)
    assert gemms == (1 if variant == "gmf" else -(-items // tile) * (len(layers) - 1 + (variant == "neumf")))
    for u in range(5):
        (got,) = sess.run(None, {"user": np.array([u], np.int64)})
        with torch.no_grad():
            want = m(torch.full((items,), u), torch.arange(items)).numpy()
        assert got.shape == (items,)
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("width, tile", [(8, 8192), (32, 2048), (64, 1024), (128, 512), (256, 256), (4096, 256)])
def test_tile_is_sized_in_bytes(width, tile):
    assert tile_items(width) == tile
    assert width * tile * 4 <= TILE_BYTES or tile == 256


def test_default_tiles_follow_the_first_layer_width():
    torch.manual_seed(0)
    m = NCF(NCFShape(3, 5000, "mlp", 4, [128, 64, 32])).eval()  # first tower layer: 64 units
    graph = score_all_graph(ScoreAll(m).eval(), 5000)
    assert sum(n.op_type == "Max" for n in graph.graph.node) == 5  # 1024-item tiles


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="variant"):
        NCF(NCFShape(3, 3, "deep"))
    with pytest.raises(ValueError, match="layers"):
        NCF(NCFShape(3, 3, "mlp", layers=[7, 4]))


def test_tiny_ncf_beats_popularity_on_test(trained):
    m = trained.metrics
    assert m["test_hr@10"] > m["popularity_test_hr@10"] + 0.05
    assert m["test_ndcg@10"] > m["popularity_test_ndcg@10"]
    assert m["test_full_ndcg@10"] > m["popularity_test_full_ndcg@10"]
    assert m["validation_full_ndcg@10"] > m["popularity_validation_full_ndcg@10"]
    assert trained.history[-1]["loss"] < trained.history[0]["loss"]


def test_kept_epoch_is_chosen_on_validation_not_test(trained):
    hist = trained.history
    assert [h["epoch"] for h in hist] == list(range(1, 9))
    best = max(hist, key=lambda h: h["validation_full_ndcg@10"])
    assert trained.best_epoch == best["epoch"]
    assert trained.metrics["validation_full_ndcg@10"] == pytest.approx(best["validation_full_ndcg@10"], abs=1e-6)
    assert not any(k.startswith("test_") for h in hist for k in h)  # test is never looked at per epoch
    s = trained.split
    assert not (set(s.train) & set(s.validation)) and not (set(s.validation) & set(s.test))


def test_training_is_deterministic(data):
    cfg = NCFConfig(epochs=1, batch_size=512, progress=False, seed=3)
    a, b = train(cfg, data), train(cfg, data)
    for (k, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(x, y), k


@pytest.mark.parametrize("every", [3, 0])
def test_loss_logged_at_info_every_n_batches(data, caplog, every):
    cfg = NCFConfig(epochs=2, batch_size=1024, progress=False, seed=0, log_every=every)
    with caplog.at_level("INFO", logger="mlbundle_training.ncf.train"):
        r = train(cfg, data)
    losses = [json.loads(rec.getMessage()) for rec in caplog.records
              if rec.levelname == "INFO" and '"event": "loss"' in rec.getMessage()]
    batches = -(-len(r.split.train) * (1 + cfg.negatives) // cfg.batch_size)
    want = [(e, b) for e in (1, 2) for b in range(1, batches + 1) if every and b % every == 0]
    assert [(x["epoch"], x["batch"]) for x in losses] == want
    assert all(0 < x["loss"] < 10 for x in losses)


def test_export_parity_and_contract(trained, data, tmp_path):
    d = export_checkpoint(trained.model, data, tmp_path, "t1", {"epochs": 8}, trained.metrics)
    m = checkpoint.verify_checkpoint(d)
    assert set(m["files"]) == {"model.onnx", "score_all.onnx", "parity.json", "users.json",
                               "items.json", "popular.json", "item_vectors.f32", "model.pt"}
    assert m["ncf"]["num_items"] == 150 and m["onnx"]["model.onnx"]["inputs"][0] == {
        "name": "user", "dtype": "int64", "shape": ["batch"]}
    assert m["onnx"]["score_all.onnx"]["outputs"][0]["shape"] == [150]
    parity = json.loads((d / "parity.json").read_text())
    for chk in parity["checks"]:
        assert checkpoint.verify_parity_onnx(d, chk) <= 1e-4
    # ONNX Runtime reproduces PyTorch on every (user, item) pair of one user
    sess = ort.InferenceSession(str(d / "model.onnx"), providers=["CPUExecutionProvider"])
    users = np.full(150, 3, np.int64)
    items = np.arange(150, dtype=np.int64)
    with torch.no_grad():
        want = trained.model.cpu()(torch.from_numpy(users), torch.from_numpy(items)).numpy()
    (got,) = sess.run(None, {"user": users, "item": items})
    assert np.allclose(got, want, atol=1e-5)
    vec = np.fromfile(d / "item_vectors.f32", "<f4").reshape(150, m["ncf"]["item_vector_dim"])
    assert np.allclose(np.linalg.norm(vec, axis=1), 1, atol=1e-5)
    pop = json.loads((d / "popular.json").read_text())
    counts = [p["count"] for p in pop]
    assert counts == sorted(counts, reverse=True) and pop == popular_items(data)
    assert json.loads((d / "items.json").read_text()) == data.item_ids
    again = load_pt(d / "model.pt")
    assert torch.equal(again.gmf_user.weight, trained.model.gmf_user.weight.cpu())


def test_export_writes_item_categories(trained, data, tmp_path):
    import dataclasses

    cats = {i: ("news" if n % 2 else "sport") for n, i in enumerate(data.item_ids[:100])}
    with_cats = dataclasses.replace(data, item_categories=cats)
    d = export_checkpoint(trained.model, with_cats, tmp_path, "c1", {"epochs": 8}, trained.metrics)
    m = checkpoint.verify_checkpoint(d)  # validated against manifest.schema.json
    assert m["ncf"]["item_categories_file"] == "item_categories.json"
    got = json.loads((d / "item_categories.json").read_text())
    assert len(got) == 150 and got[:2] == ["sport", "news"] and got[100:] == [""] * 50
    plain = export_checkpoint(trained.model, data, tmp_path, "c2", {"epochs": 8}, trained.metrics)
    assert "item_categories_file" not in checkpoint.verify_checkpoint(plain)["ncf"]


def test_failed_export_leaves_no_manifest(trained, data, tmp_path, monkeypatch):
    import mlbundle_training.ncf.export as ex

    monkeypatch.setattr(ex, "TOLERANCE", -1.0)  # no output can pass: parity fails
    with pytest.raises(TrainingError, match="parity"):
        export_checkpoint(trained.model, data, tmp_path, "bad", {}, {})
    assert not (tmp_path / "ncf" / "bad").exists()


def test_single_interaction_users_fail_under_leave_one_out(data):
    from mlbundle_training.data.interactions import Interactions

    lonely = Interactions(np.array([0, 0, 1]), np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]),
                          np.ones(3, np.float32), ["a", "b"], ["x", "y", "z"])
    with pytest.raises(TrainingError, match=r"single interaction \(b\)"):
        train(NCFConfig(epochs=1, progress=False), lonely)


def test_ddp_two_cpu_ranks(tmp_path):
    """torchrun with two gloo ranks: same step count per rank, rank 0 evaluates."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "ddp.py"
    script.write_text(
        "import json, os, torch\n"
        "torch.set_num_threads(1)\n"
        "from mlbundle_training.data.synthetic import create_synthetic_interactions\n"
        "from mlbundle_training.ncf.train import NCFConfig, train\n"
        "d = create_synthetic_interactions(seed=1, users=60, items=50, count=1001)\n"
        "r = train(NCFConfig(epochs=2, batch_size=128, device='cpu', progress=False), d)\n"
        "print(json.dumps({'rank': int(os.environ['RANK']), 'metrics': bool(r.metrics),\n"
        "                  'history': len(r.history)}))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    got = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                          str(script)], capture_output=True, text=True, env=env, timeout=240)
    assert got.returncode == 0, got.stderr[-2000:]
    lines = sorted((json.loads(ln) for ln in got.stdout.splitlines() if ln.startswith("{")),
                   key=lambda r: r["rank"])
    assert lines == [{"rank": 0, "metrics": True, "history": 2},
                     {"rank": 1, "metrics": False, "history": 0}]
