"""The id and record cases of testdata/contract/interactions.json, which the Go side
(shared/interactions) runs too: the training reader accepts, normalises and rejects
exactly as ingest and serving do."""

import datetime as dt
import json
from pathlib import Path

import pytest

from mlbundle_training.contract.ids import check_id
from mlbundle_training.data import interactions as it

CASES = json.loads((Path(__file__).resolve().parents[2] / "testdata" / "contract" / "interactions.json")
                   .read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["ids"], ids=[c["note"][:40] for c in CASES["ids"]])
def test_id(case):
    assert check_id(case["id"]) == ("" if case["valid"] else case["error"])


@pytest.mark.parametrize("case", CASES["records"], ids=[c["note"][:40] for c in CASES["records"]])
def test_record(case):
    if not case["valid"]:
        with pytest.raises(ValueError, match=f"^field '{case['field']}' "):
            it.validate_record(case["record"])
        return
    user, item, ts, weight = it.validate_record(case["record"])
    want = case["want"]
    at = dt.datetime.fromisoformat(want["timestamp"]).timestamp()
    assert (user, item, weight) == (want["user_id"], want["item_id"], want["weight"])
    assert ts == pytest.approx(at, abs=1e-6)


def test_ids_reach_items_json_unchanged(tmp_path):
    """Every valid id survives a training file and comes out of the id map as given;
    every record with an invalid id is skipped, naming the record and field."""
    valid = [c["id"] for c in CASES["ids"] if c["valid"]]
    bad = [c for c in CASES["ids"] if not c["valid"]]
    recs = [{"user_id": "u", "item_id": i, "timestamp": 1767225600 + n} for n, i in enumerate(valid)]
    recs += [{"user_id": "u", "item_id": c["id"], "timestamp": 1767225600} for c in bad]
    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    got = it.load_json(p)
    assert got.item_ids == valid and got.skipped == len(bad)
