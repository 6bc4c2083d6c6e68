"""The committed classifier checkpoints under testdata/checkpoints hold the contract.

They are rebuilt by ``make fixtures`` (mlbundle_training.classifier.fixtures); these checks make
sure what the Go tests read is complete, small and consistent with the HF tokenizer.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mlbundle_training.contract import checkpoint as ckpt
from mlbundle_training.classifier.model import load_tokenizer

ROOT = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints" / "classifier"
CASES = [("tiny-v1", 9), ("labels1k-v1", 1000)]


@pytest.mark.parametrize("version, labels", CASES)
def test_fixture_is_complete_and_small(version, labels):
    d = ROOT / version
    if not d.is_dir():
        pytest.skip(f"{d} not built (make fixtures)")
    m = ckpt.verify_checkpoint(d)
    assert m["classifier"]["num_labels"] == labels == len(m["classifier"]["thresholds"])
    assert m["onnx"]["model.onnx"]["outputs"][0]["shape"] == ["batch", labels]
    for name, f in m["files"].items():
        assert f["size"] < 1_500_000, name
    doc = json.loads((d / "parity.json").read_text())
    for check in doc["checks"]:
        ckpt.verify_parity_onnx(d, check)


def test_fixture_tokenizer_cases_match_hf():
    d = ROOT / "tiny-v1"
    if not d.is_dir():
        pytest.skip(f"{d} not built (make fixtures)")
    m = json.loads((d / "manifest.json").read_text())
    n = m["classifier"]["max_length"]
    tok = load_tokenizer()
    cases = [json.loads(x) for x in (d / "tokenizer_cases.jsonl").read_text().split("\n") if x]
    assert len(cases) >= 200
    got = tok([c["text"] for c in cases], truncation=True, max_length=n)["input_ids"]
    assert [c["ids"] for c in cases] == got
    assert max(len(c["ids"]) for c in cases) == n
    assert m["metrics"]["micro_f1"] > 0.8  # the tiny model did learn the sample taxonomy
    assert np.isclose(m["metrics"]["micro_f1_onnx"], m["metrics"]["micro_f1"], atol=0.02)
