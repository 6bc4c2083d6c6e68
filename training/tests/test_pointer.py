"""The active pointer rule (testdata/contract/pointer_cases.json, also run by the Go side)
and its lock."""

import json
import threading
import time
from pathlib import Path

import pytest

from mlbundle_training.contract import pointer
from mlbundle_training.errors import TrainingError

CASES = json.loads((Path(__file__).resolve().parents[2] / "testdata" / "contract" / "pointer_cases.json")
                   .read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["note"][:50] for c in CASES])
def test_pointer_case(case, tmp_path):
    if case["current"]:
        (tmp_path / "ncf").mkdir()
        (tmp_path / "ncf" / "ACTIVE").write_text(json.dumps({"kind": "ncf", **case["current"]}))
    c = case["candidate"]
    if case["outcome"] == "promoted":
        assert pointer.promote(tmp_path, "ncf", c["version"], c["created_at"]) == {"kind": "ncf", **case["after"]}
    else:
        with pytest.raises(pointer.StaleError if case["outcome"] == "stale" else TrainingError) as e:
            pointer.promote(tmp_path, "ncf", c["version"], c["created_at"])
        assert (type(e.value) is pointer.StaleError) == (case["outcome"] == "stale")
    got = pointer.read(tmp_path, "ncf")
    if case["after"] is None:
        assert got is None
    else:
        assert got["version"] == case["after"]["version"]
        assert pointer.parse_instant(got["created_at"]) == pointer.parse_instant(case["after"]["created_at"])


def test_promote_waits_for_the_lock(tmp_path):
    """A promotion blocks while another process (here: this test) holds <kind>/.ACTIVE.lock."""
    done = threading.Event()

    def run():
        pointer.promote(tmp_path, "ncf", "v1", "2026-12-02T01:50:00Z")
        done.set()

    with pointer.locked(tmp_path, "ncf"):
        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.3)
        assert not done.is_set() and not (tmp_path / "ncf" / "ACTIVE").exists()
    t.join(5)
    assert done.is_set() and pointer.read(tmp_path, "ncf")["version"] == "v1"


@pytest.mark.parametrize("corrupt", [
    "{not json",
    '{"kind": "classifier", "version": "v9", "created_at": "2030-01-01T00:00:00Z"}',
    '{"kind": "ncf", "version": "../v9", "created_at": "2030-01-01T00:00:00Z"}',
    '{"kind": "ncf", "version": "v9", "created_at": "2030-01-01 00:00"}',
])
def test_corrupt_pointer_is_replaced_with_a_warning(tmp_path, caplog, corrupt):
    """As on the Go side (modelstore.ErrCorruptPointer): a file that is no pointer counts as none."""
    (tmp_path / "ncf").mkdir()
    (tmp_path / "ncf" / "ACTIVE").write_text(corrupt)
    with pytest.raises(pointer.CorruptPointerError):
        pointer.read(tmp_path, "ncf")
    with caplog.at_level("WARNING"):
        pointer.promote(tmp_path, "ncf", "v1", "2026-12-02T01:50:00Z")
    assert pointer.read(tmp_path, "ncf")["version"] == "v1"
    assert "is not a pointer" in caplog.text and "replacing it with v1" in caplog.text


def test_format_instant_matches_go():
    assert pointer.format_instant(pointer.parse_instant("2026-12-02T03:00:00.500+05:00")) == "2026-12-01T22:00:00.5Z"
    assert pointer.format_instant(pointer.parse_instant("1970-01-01T00:00:00Z")) == "1970-01-01T00:00:00Z"
