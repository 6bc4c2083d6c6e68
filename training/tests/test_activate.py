"""publish --activate: a version that serving cannot load is never activated (the checks
reload runs, here in Python), and the pointer moves only under the shared rule."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlbundle_training.contract import checkpoint, pointer, proof
from mlbundle_training.contract.publish import publish
from mlbundle_training.errors import TrainingError

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints"


def _copy(tmp_path, kind, version="v1", created_at=None, fixture="tiny-v1"):
    """A copy of a committed fixture as ``version`` (and ``created_at``), ready to publish."""
    d = tmp_path / "src" / kind / version
    shutil.copytree(FIXTURES / kind / fixture, d)
    m = json.loads((d / "manifest.json").read_text())
    m["version"] = version
    m["created_at"] = created_at or m["created_at"]
    (d / "manifest.json").write_text(json.dumps(m))
    return d


def _edit(d, name, change):
    """Rewrite ``name`` through ``change`` (text -> text, or bytes -> bytes for binaries) and
    update its hash in the manifest: the version stays hash-valid."""
    p = d / name
    binary = not name.endswith((".json", ".txt", ".jsonl"))
    data = p.read_bytes() if binary else p.read_text(encoding="utf-8")
    new = change(data)
    p.write_bytes(new) if binary else p.write_text(new, encoding="utf-8")
    m = json.loads((d / "manifest.json").read_text())
    m["files"][name] = checkpoint.file_digest(p)
    (d / "manifest.json").write_text(json.dumps(m))


def _json_edit(f):
    return lambda text: json.dumps(f(json.loads(text)))


def _nan_first(data: bytes) -> bytes:
    v = np.frombuffer(data, dtype="<f4").copy()
    v[0] = np.nan
    return v.tobytes()


def _drop_score_all(d):
    (d / "score_all.onnx").unlink()
    _edit(d, "parity.json", _json_edit(lambda p: {**p, "checks": [c for c in p["checks"]
                                                                   if c["file"] != "score_all.onnx"]}))
    m = json.loads((d / "manifest.json").read_text())
    del m["files"]["score_all.onnx"], m["onnx"]["score_all.onnx"]
    (d / "manifest.json").write_text(json.dumps(m))


NCF_BROKEN = [
    ("users.json with 190 of 200 users", lambda d: _edit(d, "users.json", _json_edit(lambda x: x[:190])),
     "users.json has 190 ids, manifest says 200"),
    ("a repeated id in items.json", lambda d: _edit(d, "items.json", _json_edit(lambda x: [x[0]] + x[:-1])),
     r"items.json\[1\] .* repeats index 0"),
    ("an item id with a trailing space", lambda d: _edit(d, "items.json", _json_edit(lambda x: [x[0] + " "] + x[1:])),
     "must not start or end with white space"),
    ("popular counts rising", lambda d: _edit(d, "popular.json", _json_edit(lambda x: x[::-1])),
     "counts must not increase"),
    ("a NaN item vector", lambda d: _edit(d, "item_vectors.f32", _nan_first), "not finite"),
    ("item vectors 4 bytes short", lambda d: _edit(d, "item_vectors.f32", lambda b: b[:-4]),
     "item_vectors.f32 has 23996 bytes, want 24000"),
    ("an empty model.onnx", lambda d: _edit(d, "model.onnx", lambda b: b""), "ONNX Runtime cannot load it"),
    ("score_all.onnx and its parity checks removed", _drop_score_all,
     r"\$.files: 'score_all.onnx' is a required property"),
    ("parity output changed", lambda d: _edit(d, "parity.json", _json_edit(
        lambda p: {**p, "checks": [{**p["checks"][0], "outputs": {"logit": {
            **p["checks"][0]["outputs"]["logit"],
            "data": [v + 1 for v in p["checks"][0]["outputs"]["logit"]["data"]]}}}] + p["checks"][1:]})),
     "differs from pytorch"),
]


@pytest.mark.parametrize("what,breakit,reason", NCF_BROKEN, ids=[b[0] for b in NCF_BROKEN])
def test_unservable_ncf_is_not_published_or_activated(tmp_path, what, breakit, reason):
    root = tmp_path / "models"
    good = _copy(tmp_path, "ncf", "v0", "2026-12-01T00:00:00Z")
    publish(good, str(root), activate=True)
    d = _copy(tmp_path, "ncf", "v1", "2026-12-02T00:00:00Z")
    breakit(d)
    files = json.loads((d / "manifest.json").read_text())["files"]
    assert all(checkpoint.file_digest(d / n) == want for n, want in files.items())  # hashes valid
    with pytest.raises(TrainingError, match=reason):
        publish(d, str(root), activate=True)
    assert not (root / "ncf" / "v1").exists()
    assert pointer.read(root, "ncf")["version"] == "v0"


CLASSIFIER_BROKEN = [
    ("vocab.txt without [UNK]", lambda d: _edit(d, "vocab.txt", lambda t: t.replace("[UNK]\n", "[UNKNOWN]\n")),
     r"lacks the unk_token '\[UNK\]'"),
    ("parity.json with no texts", lambda d: _edit(d, "parity.json", _json_edit(
        lambda p: {k: v for k, v in p.items() if k != "texts"})), "has no texts"),
    ("num_labels off by one", lambda d: (d / "manifest.json").write_text(json.dumps(
        {**json.loads((d / "manifest.json").read_text()),
         "classifier": {**json.loads((d / "manifest.json").read_text())["classifier"], "num_labels": 8}})),
     "9 labels, 9 thresholds, num_labels 8"),
    ("a text's logits changed", lambda d: _edit(d, "parity.json", _json_edit(
        lambda p: {**p, "texts": [{**p["texts"][0], "logits": [v + 1 for v in p["texts"][0]["logits"]]}]
                   + p["texts"][1:]})), r"texts\[0\]: logits differ"),
]


@pytest.mark.parametrize("what,breakit,reason", CLASSIFIER_BROKEN, ids=[b[0] for b in CLASSIFIER_BROKEN])
def test_unservable_classifier_is_not_activated(tmp_path, what, breakit, reason):
    d = _copy(tmp_path, "classifier")
    breakit(d)
    with pytest.raises(TrainingError, match=reason):
        publish(d, str(tmp_path / "models"), activate=True)
    assert not (tmp_path / "models" / "classifier").exists()


@pytest.mark.parametrize("fixture", ["tiny-v1", "labels1k-v1"])
def test_committed_classifiers_are_servable(fixture):
    assert proof.check_servable(FIXTURES / "classifier" / fixture)["version"] == fixture


def test_activation_compares_instants_not_text(tmp_path):
    """2026-12-02T03:00:00+05:00 (22:00Z the day before) must not replace 01:50Z."""
    root = tmp_path / "models"
    publish(_copy(tmp_path, "ncf", "v-new", "2026-12-02T01:50:00Z"), str(root), activate=True)
    older = _copy(tmp_path, "ncf", "v-old", "2026-12-02T03:00:00+05:00")
    with pytest.raises(TrainingError, match="did not activate it: .* holds v-new"):
        publish(older, str(root), activate=True)
    assert (root / "ncf" / "v-old" / "manifest.json").exists()  # published, not active
    assert pointer.read(root, "ncf") == {"kind": "ncf", "version": "v-new", "created_at": "2026-12-02T01:50:00Z"}
    newer = _copy(tmp_path, "ncf", "v-next", "2026-12-02T07:00:00+05:00")  # 02:00Z
    publish(newer, str(root), activate=True)
    assert pointer.read(root, "ncf") == {"kind": "ncf", "version": "v-next", "created_at": "2026-12-02T02:00:00Z"}


def test_equal_time_is_stale_and_a_repeat_is_a_no_op(tmp_path):
    root = tmp_path / "models"
    a = _copy(tmp_path, "ncf", "a", "2026-12-02T01:50:00Z")
    publish(a, str(root), activate=True)
    publish(a, str(root), activate=True)  # the same version again
    with pytest.raises(TrainingError, match="did not activate"):
        publish(_copy(tmp_path, "ncf", "b", "2026-12-02T01:50:00Z"), str(root), activate=True)
    assert pointer.read(root, "ncf")["version"] == "a"
