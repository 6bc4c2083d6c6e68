"""Manifest and parity writers of the checkpoint contract."""

import datetime as dt
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from mlbundle_training.contract import checkpoint
from mlbundle_training.errors import TrainingError


def _tiny_onnx(path):
    """x float32 [batch] -> y = x + 1."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    node = helper.make_node("Add", ["x", "one"], ["y"])
    g = helper.make_graph([node], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch"])],
                          [one])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))


NCF_SECTION = {"variant": "mlp", "num_users": 1, "num_items": 1, "user_ids_file": "users.json",
               "item_ids_file": "items.json", "popular_file": "popular.json"}


def _fill(d):
    """A small ncf-shaped version directory (the graph is x -> x + 1, not an NCF)."""
    _tiny_onnx(d / "model.onnx")
    _tiny_onnx(d / "score_all.onnx")
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    chk = checkpoint.parity_check("model.onnx", {"x": x}, {"y": x + 1}, tolerance=1e-5)
    checkpoint.write_parity(d, [chk])
    (d / "users.json").write_text('["u1"]')
    (d / "items.json").write_text('["i1"]')
    (d / "popular.json").write_text('[{"item_id": "i1", "count": 1}]')
    return chk


def _close(d, version="v1", metrics=None, section=None, **kw):
    """write_manifest with a manifest that matches the schema."""
    io = {name: checkpoint.describe_onnx(d / name) for name in ("model.onnx", "score_all.onnx")}
    return checkpoint.write_manifest(d, "ncf", version, io, {"epochs": 1}, {"users": 1},
                                     metrics or {}, section or NCF_SECTION, revision="r", **kw)


def test_default_version_and_validation():
    t = dt.datetime(2026, 11, 26, 1, 2, 3, tzinfo=dt.timezone.utc)
    assert checkpoint.default_version(t) == "20261126T010203Z"
    for good in ("benchmark_v1", "20261126T010203Z", "a", "v1.2-rc_3"):
        assert checkpoint.validate_version(good) == good
    for bad in ("", "-x", ".hidden", "a/b", "../x", "x" * 65, "a b"):
        with pytest.raises(TrainingError, match="invalid version"):
            checkpoint.validate_version(bad)


def test_write_manifest_lists_files_and_is_last(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    chk = _fill(d)
    io = {name: checkpoint.describe_onnx(d / name) for name in ("model.onnx", "score_all.onnx")}
    assert io["model.onnx"]["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["batch"]}]
    m = checkpoint.write_manifest(d, "ncf", "v1", io, {"epochs": 1}, {"users": 1},
                                  {"hr@10": np.float32(0.5)}, NCF_SECTION, revision="abc")
    on_disk = json.loads((d / "manifest.json").read_text())
    assert on_disk == m
    assert sorted(m["files"]) == ["items.json", "model.onnx", "parity.json", "popular.json", "score_all.onnx",
                                  "users.json"]
    assert m["files"]["users.json"] == {
        "sha256": checkpoint.file_digest(d / "users.json")["sha256"], "size": 6}
    assert m["schema_version"] == 1 and m["ncf"] == NCF_SECTION
    assert m["created_at"].endswith("Z") and m["git_revision"] == "abc"
    assert checkpoint.verify_checkpoint(d)["version"] == "v1"
    assert checkpoint.verify_parity_onnx(d, chk) < 1e-6
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]


def test_sha256_is_real(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert checkpoint.file_digest(p) == {
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "size": 3}


def test_manifest_refused_when_incomplete(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    (d / "users.json").write_text("[]")
    with pytest.raises(TrainingError, match="missing model.onnx"):
        checkpoint.write_manifest(d, "ncf", "v1", {}, {}, {}, {}, {})
    _fill(d)
    with pytest.raises(TrainingError, match="vectors.f32 which is not"):
        checkpoint.write_manifest(d, "ncf", "v1", {}, {}, {}, {}, {"item_vectors_file": "vectors.f32"})
    with pytest.raises(TrainingError, match="not a finite"):
        checkpoint.write_manifest(d, "ncf", "v1", {}, {}, {}, {"hr@10": float("nan")}, {})
    with pytest.raises(TrainingError, match="invalid checkpoint kind"):
        checkpoint.write_manifest(d, "other", "v1", {}, {}, {}, {}, {})
    assert not (d / "manifest.json").exists()


def test_verify_detects_tampering_and_existing_version(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    _fill(d)
    _close(d)
    with pytest.raises(TrainingError, match="already exists"):
        checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    (d / "users.json").write_text('["u2"]')
    with pytest.raises(TrainingError, match="users.json does not match"):
        checkpoint.verify_checkpoint(d)
    with pytest.raises(TrainingError, match="no manifest.json"):
        checkpoint.verify_checkpoint(tmp_path)


def test_parity_failure_is_detected(tmp_path):
    _tiny_onnx(tmp_path / "model.onnx")
    x = np.zeros(2, np.float32)
    bad = checkpoint.parity_check("model.onnx", {"x": x}, {"y": x + 1.5})
    with pytest.raises(TrainingError, match="differs from pytorch"):
        checkpoint.verify_parity_onnx(tmp_path, bad)


def test_unwritable_output_dir(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(TrainingError, match="not writable"):
        checkpoint.prepare_version_dir(f, "ncf", "v1")
