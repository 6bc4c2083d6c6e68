"""The committed NCF fixture is complete and ONNX Runtime reproduces its parity outputs."""

import json
from pathlib import Path

import pytest

from mlbundle_training.contract import checkpoint, validate

FIXTURE = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints" / "ncf" / "tiny-v1"


@pytest.mark.skipif(not FIXTURE.is_dir(), reason="run `make fixtures` to build testdata/checkpoints")
def test_committed_ncf_fixture():
    m = checkpoint.verify_checkpoint(FIXTURE)
    assert m["kind"] == "ncf" and m["version"] == "tiny-v1"
    for chk in json.loads((FIXTURE / "parity.json").read_text())["checks"]:
        checkpoint.verify_parity_onnx(FIXTURE, chk)
    assert all(p.stat().st_size < 1 << 20 for p in FIXTURE.iterdir())


def test_synth_checkpoint_small(tmp_path):
    from mlbundle_training.ncf.synth_checkpoint import synth_checkpoint

    d = synth_checkpoint(items=500, users=30, out=tmp_path, variant="mlp")
    m = checkpoint.verify_checkpoint(d)
    assert validate.problems("manifest", m) == []
    assert validate.problems("parity", json.loads((d / "parity.json").read_text())) == []
    assert d.name == "synth-500" and m["ncf"]["num_items"] == 500
    assert m["hyperparameters"]["trained"] is False
    assert len(json.loads((d / "popular.json").read_text())) <= 500
