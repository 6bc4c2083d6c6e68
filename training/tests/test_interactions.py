"""Interaction loaders on good and bad input, duplicates, MovieLens, splits, prepare."""

import json
import logging

import numpy as np
import pytest

from mlbundle_training.data import interactions as it
from mlbundle_training.errors import TrainingError
from mlbundle_training.data.sources import load_interactions
from mlbundle_training.data.splits import leave_one_out, random_split, write_prepared

GOOD = [
    {"user_id": "a", "item_id": "x", "timestamp": "2026-01-01T00:00:00Z"},
    {"user_id": "a", "item_id": "y", "timestamp": 1767225700, "weight": 2, "event": "buy"},
    {"user_id": "b", "item_id": "x", "timestamp": "2026-01-01T00:10:00"},
    {"user_id": 7, "item_id": "z", "timestamp": "1767225600.5"},
]


def test_json_array_and_jsonl_give_the_same_result(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps(GOOD))
    lines = tmp_path / "a.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in GOOD) + "\n\n")
    a, b = it.load_json(arr), it.load_json(lines)
    assert a.user_ids == ["a", "b", "7"] and a.item_ids == ["x", "y", "z"]
    assert a.users.tolist() == [0, 0, 1, 2] and a.items.tolist() == [0, 1, 0, 2]
    assert a.timestamps.tolist() == [1767225600.0, 1767225700.0, 1767226200.0, 1767225600.5]
    assert a.weights.tolist() == [1, 2, 1, 1]
    for field in ("users", "items", "timestamps", "weights"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert a.summary()["density"] == pytest.approx(4 / 9, abs=1e-6)


@pytest.mark.parametrize("bad,where", [
    ({"item_id": "x", "timestamp": 1}, "record 1: field 'user_id' is missing"),
    ({"user_id": "", "item_id": "x", "timestamp": 1}, "record 1: field 'user_id' must not be empty"),
    ({"user_id": [1], "item_id": "x", "timestamp": 1}, "record 1: field 'user_id' must be a string"),
    ({"user_id": "u", "item_id": "x"}, "record 1: field 'timestamp' is missing"),
    ({"user_id": "u", "item_id": "x", "timestamp": "yesterday"}, "record 1: field 'timestamp' is not ISO-8601"),
    ({"user_id": "u", "item_id": "x", "timestamp": -5}, "record 1: field 'timestamp' must be non-negative"),
    ({"user_id": "u", "item_id": "x", "timestamp": 1, "weight": 0}, "record 1: field 'weight' must be a positive"),
    ({"user_id": "u", "item_id": "x", "timestamp": 1, "event": 3}, "record 1: field 'event' must be a string"),
    ({"user_id": "u", "item_id": "x", "timestamp": 1, "category": 3}, "record 1: field 'category' must be a string"),
    ({"user_id": "u", "item_id": "x", "timestamp": 1, "category": " news"}, "record 1: field 'category' must not start or end"),
    ("oops", "record 1: not a JSON object"),
])
def test_bad_records_are_skipped_and_named(tmp_path, caplog, bad, where):
    p = tmp_path / "d.json"
    p.write_text(json.dumps([GOOD[0], bad, GOOD[2]]))
    with caplog.at_level(logging.WARNING):
        got = it.load_json(p)
    assert len(got) == 2 and got.skipped == 1
    assert where in caplog.text
    assert "skipped 1 of 3 records" in caplog.text


def test_item_categories_latest_record_wins(tmp_path):
    recs = [{"user_id": "a", "item_id": "x", "timestamp": 10, "category": "news"},
            {"user_id": "b", "item_id": "x", "timestamp": 30, "category": "sport"},
            {"user_id": "c", "item_id": "x", "timestamp": 20, "category": "film"},
            {"user_id": "a", "item_id": "y", "timestamp": 5},
            {"user_id": "b", "item_id": "z", "timestamp": 6, "category": "film"}]
    p = tmp_path / "d.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in recs))
    got = it.load_json(p)
    assert got.item_categories == {"x": "sport", "z": "film"}
    assert got.subset(np.arange(2)).item_categories == got.item_categories
    out = tmp_path / "out.jsonl"
    it.write_jsonl(got, out)
    assert it.load_json(out).item_categories == got.item_categories


def test_one_record_jsonl_and_wrapped_object(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(GOOD[0]) + "\n")
    assert len(it.load_json(one)) == 1
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"interactions": GOOD}, indent=2))
    assert len(it.load_json(wrapped)) == 4


def test_malformed_jsonl_line_is_named(tmp_path, caplog):
    p = tmp_path / "d.jsonl"
    p.write_text("{not json\n" + json.dumps(GOOD[0]) + "\n" + json.dumps(GOOD[1]) + "\n")
    with caplog.at_level(logging.WARNING):
        got = it.load_json(p)
    assert len(got) == 2 and "line 1: malformed JSON" in caplog.text


@pytest.mark.parametrize("content,msg", [
    ("[{\"user_id\": 1,", "malformed JSON at line 1"),
    ("[]", "no usable interactions (0 records"),
    (json.dumps([{"user_id": "a"}]), "no usable interactions (1 records, 1 invalid)"),
    (json.dumps({"other": []}), "'interactions' array"),
])
def test_unusable_files_fail_clearly(tmp_path, content, msg):
    p = tmp_path / "d.json"
    p.write_text(content)
    with pytest.raises(TrainingError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        it.load_json(p)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(TrainingError, match="does not exist"):
        load_interactions(str(tmp_path / "nope.json"))
    with pytest.raises(TrainingError, match="is a directory"):
        it.load_json(tmp_path)


def test_duplicates_are_merged(tmp_path, caplog):
    recs = GOOD + [{"user_id": "a", "item_id": "x", "timestamp": 1767229999, "weight": 3}]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(recs))
    with caplog.at_level(logging.WARNING):
        got = it.load_json(p)
    assert len(got) == 4 and got.duplicates == 1 and "merged 1 duplicate" in caplog.text
    assert "user_id 'a' item_id 'x' appears 2 times" in caplog.text
    row = int(np.flatnonzero((got.users == 0) & (got.items == 0))[0])
    assert got.timestamps[row] == 1767229999 and got.weights[row] == 4


def test_movielens(tmp_path, caplog):
    p = tmp_path / "u.data"
    p.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\nbad line\n196\t302\t5\t881250950\n")
    with caplog.at_level(logging.WARNING):
        got = load_interactions(str(p))
    assert got.user_ids == ["196", "186"] and got.item_ids == ["242", "302"]
    assert got.weights.tolist() == [3, 3, 5] and "line 3: want 4" in caplog.text
    out = tmp_path / "ml.jsonl"
    assert it.write_jsonl(got, out) == 3
    again = it.load_json(out)
    assert np.array_equal(again.timestamps, got.timestamps)


def _pairs(n_users=5, per_user=4):
    recs = [{"user_id": f"u{u}", "item_id": f"i{(u + k) % 9}", "timestamp": 1000 * k + u}
            for u in range(n_users) for k in range(per_user)]
    return it.from_records(((f"r{n}", r) for n, r in enumerate(recs)), "test")


def test_leave_one_out_holds_out_latest_for_test_and_second_latest_for_validation():
    data = _pairs()
    s = leave_one_out(data)
    assert s.sizes() == {"train": 10, "validation": 5, "test": 5}
    for part, rank in (("test", 1), ("validation", 2)):
        for row in getattr(s, part):
            mine = np.sort(data.timestamps[data.users == data.users[row]])
            assert data.timestamps[row] == mine[-rank]
    for row in s.train:  # every training interaction is older than the user's held-out ones
        mine = np.sort(data.timestamps[data.users == data.users[row]])
        assert data.timestamps[row] < mine[-2]
    assert len(set(s.train) | set(s.validation) | set(s.test)) == len(data)


def test_leave_one_out_users_with_one_or_two_interactions():
    data = it.from_records(enumerate(GOOD), "test")  # "b" and "7" have one interaction
    with pytest.raises(TrainingError, match=r"2 user\(s\) have a single interaction \(b, 7\)"):
        leave_one_out(data)
    s = leave_one_out(data, single="train-only")
    # "a" has two: the latest is test, the other trains; nobody has three: no validation
    assert s.sizes() == {"train": 3, "validation": 0, "test": 1}


def test_random_split_and_prepare(tmp_path):
    data = _pairs(10, 5)
    s = random_split(data, 0.1, 0.2, seed=3)
    assert s.sizes() == {"train": 35, "validation": 5, "test": 10}
    assert random_split(data, 0.1, 0.2, seed=3).test.tolist() == s.test.tolist()
    assert len(set(s.train) | set(s.validation) | set(s.test)) == 50
    spec = write_prepared(data, s, tmp_path / "p", seed=3)
    assert spec["train_interactions"] == 35 and spec["test_interactions"] == 10 and spec["seed"] == 3
    assert json.loads((tmp_path / "p" / "users.json").read_text()) == data.user_ids
    assert len(it.load_json(tmp_path / "p" / "validation.jsonl")) == 5
    assert len(it.load_json(tmp_path / "p" / "test.jsonl")) == 10
    with pytest.raises(TrainingError, match="shares"):
        random_split(data, 0.5, 0.5)
