"""CLI smoke tests on tiny data and the issue's bad-input cases (exit 2, no manifest)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlbundle_training.contract import checkpoint, validate
from mlbundle_training.cli import main
from mlbundle_training.data.interactions import write_jsonl
from mlbundle_training.data.synthetic import create_synthetic_interactions

FAST = ["--epochs", "2", "--batch-size", "512", "--no-progress", "--factors", "4",
        "--layers", "16,8,4"]


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory):
    p = tmp_path_factory.mktemp("data") / "interactions.jsonl"
    write_jsonl(create_synthetic_interactions(seed=2, users=60, items=50, count=1000), p)
    return p


def test_train_ncf_then_publish(jsonl, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train-ncf", "--data-path", str(jsonl), "--output-dir", str(out),
                 "--version", "smoke", "--variant", "neumf", *FAST]) == 0
    d = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert d == out / "ncf" / "smoke"
    m = checkpoint.verify_checkpoint(d)
    assert validate.problems("manifest", m) == []
    assert validate.problems("parity", json.loads((d / "parity.json").read_text())) == []
    assert m["data"]["interactions"] == 1000 and m["hyperparameters"]["layers"] == [16, 8, 4]
    for part in ("validation", "test"):
        for metric in ("hr@10", "ndcg@10", "full_recall@10", "full_ndcg@10"):
            assert f"{part}_{metric}" in m["metrics"] and f"popularity_{part}_{metric}" in m["metrics"]
    ev = m["data"]["evaluation"]
    assert ev["split"] == "leave-one-out" and ev["test"] == 60 and ev["validation"] == 60
    assert "choose on validation, report on test" in ev["protocol"]
    assert main(["publish", str(d), "--to", str(tmp_path / "models"), "--activate"]) == 0
    assert (tmp_path / "models" / "ncf" / "ACTIVE").exists()


def test_prepare_and_convert(tmp_path, capsys):
    assert main(["prepare", "--out", str(tmp_path / "p"), "--seed", "4",
                 "--synthetic-users", "50", "--synthetic-items", "40", "--synthetic-count", "1000"]) == 0
    spec = json.loads((tmp_path / "p" / "spec.json").read_text())
    assert spec["seed"] == 4 and spec["train_interactions"] == 800
    assert spec["validation_interactions"] == 100 and spec["test_interactions"] == 100
    ml = tmp_path / "u.data"
    ml.write_text("1\t10\t4\t881250949\n2\t10\t3\t881250950\n")
    assert main(["convert-movielens", "--input", str(ml), "--out", str(tmp_path / "ml.jsonl")]) == 0
    assert len((tmp_path / "ml.jsonl").read_text().splitlines()) == 2


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("case,data,extra,message", [
    ("malformed", '[{"user_id": "a",', [], "malformed JSON at line 1"),
    ("empty", "[]", [], "no usable interactions"),
    ("mistyped", '[{"user_id": 1, "item_id": "x", "timestamp": true}]', [], "no usable interactions"),
    ("mistyped field named", '[{"user_id": "u", "item_id": "x", "timestamp": true}]', [],
     "first problem: record 0: field 'timestamp' must be ISO-8601 or epoch seconds, got a boolean"),
    ("missing field named", '[{"item_id": "x", "timestamp": 1}]', [],
     "d.json: no usable interactions (1 records, 1 invalid); first problem: record 0: field 'user_id' is missing"),
    ("every item a positive", json.dumps([
        {"user_id": "a", "item_id": "x", "timestamp": 1}, {"user_id": "a", "item_id": "y", "timestamp": 2},
        {"user_id": "b", "item_id": "x", "timestamp": 3}, {"user_id": "b", "item_id": "z", "timestamp": 4},
        {"user_id": "a", "item_id": "z", "timestamp": 5}]), [],
     "user(s) 'a' interacted with every one of the 3 items, so no negative can be sampled"),
    ("missing path", None, [], "does not exist"),
    ("missing path named", None, [], "nope.json does not exist"),
    ("single interaction", json.dumps([
        {"user_id": "a", "item_id": "x", "timestamp": 1}, {"user_id": "a", "item_id": "y", "timestamp": 2},
        {"user_id": "b", "item_id": "x", "timestamp": 3}]), [], "single interaction (b)"),
    ("bad version", "[]", ["--version", "../up"], "invalid version name"),
])
def test_bad_input_exits_2_without_manifest(tmp_path, capsys, case, data, extra, message):
    path = _write(tmp_path, "d.json", data) if data is not None else str(tmp_path / "nope.json")
    out = tmp_path / "out"
    assert main(["train-ncf", "--data-path", path, "--output-dir", str(out), *extra, *FAST]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert not list(out.glob("**/manifest.json"))


def test_unwritable_output_dir(jsonl, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["train-ncf", "--data-path", str(jsonl), "--output-dir", str(blocker / "sub"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "is not writable" in err and str(blocker) in err, err
    assert not list(tmp_path.glob("**/manifest.json"))


def test_duplicates_are_merged_with_a_named_warning(tmp_path, capsys, caplog):
    rows = [{"user_id": u, "item_id": i, "timestamp": t} for u, i, t in
            [("a", "x", 1), ("a", "y", 2), ("a", "z", 3), ("b", "x", 4), ("b", "y", 5), ("a", "x", 9),
             ("c", "w", 6), ("c", "v", 7)]]
    data = _write(tmp_path, "dup.json", json.dumps(rows))
    with caplog.at_level("WARNING"):
        assert main(["train-ncf", "--data-path", data, "--output-dir", str(tmp_path / "out"),
                     "--version", "dup", "--eval-negatives", "1", *FAST]) == 0
    assert "dup.json: merged 1 duplicate (user, item) interactions" in caplog.text
    assert "user_id 'a' item_id 'x' appears 2 times" in caplog.text
    m = checkpoint.verify_checkpoint(tmp_path / "out" / "ncf" / "dup")
    assert m["data"]["interactions"] == 7 and m["data"]["merged_duplicates"] == 1


def test_malformed_jsonl_lines_are_named(tmp_path, capsys):
    data = _write(tmp_path, "d.jsonl", '{"user_id": "u", "item_id": "x"\n{"user_id": "v",\n')
    assert main(["train-ncf", "--data-path", data, "--output-dir", str(tmp_path / "out"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "d.jsonl: no usable interactions (2 records, 2 invalid); first problem: line 1: malformed JSON" in err
    assert not list(tmp_path.glob("**/manifest.json"))


def test_prepare_bad_input_exits_2(tmp_path, capsys):
    assert main(["prepare", "--data-path", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "p")]) == 2
    assert "none.jsonl does not exist" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_publish_unreachable_s3_endpoint_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    d = tmp_path / "out" / "ncf" / "v1"
    assert main(["synth-checkpoint", "--items", "20", "--users", "5", "--out", str(tmp_path / "out"),
                 "--version", "v1"]) == 0
    capsys.readouterr()
    assert main(["publish", str(d), "--to", "s3://bucket/models/"]) == 2
    err = capsys.readouterr().err
    assert "publish: error: cannot reach http://127.0.0.1:9 to publish s3://bucket/models/ncf/v1" in err, err


def test_publish_incomplete_checkpoint(tmp_path, capsys):
    d = tmp_path / "ncf" / "v1"
    d.mkdir(parents=True)
    (d / "model.onnx").write_bytes(b"x")
    assert main(["publish", str(d), "--to", str(tmp_path / "models")]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_module_entry_point_help():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    got = subprocess.run([sys.executable, "-m", "mlbundle_training.cli", "train-ncf", "--help"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert got.returncode == 0
    for flag in ("--epochs", "--batch-size", "--lr", "--data-path", "--output-dir", "--factors",
                 "--layers", "--variant", "--negatives", "--seed", "--device"):
        assert flag in got.stdout


# 1000 interactions of 60 users: 880 train (60 validation, 60 test), x5 with the negatives
# = 4400 samples = 69 batches of 64 -> a loss record at batches 10..60
@pytest.mark.parametrize("level, want_loss_lines", [("info", 6), ("warning", 0)])
def test_loss_records_on_stderr_every_10_batches(tmp_path, level, want_loss_lines):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "mlbundle_training.cli", "--log-level", level, "train-ncf",
            "--data-path", "synthetic", "--synthetic-users", "60", "--synthetic-items", "50",
            "--synthetic-count", "1000", "--epochs", "1", "--batch-size", "64", "--no-progress",
            "--factors", "4", "--layers", "16,8,4", "--output-dir", str(tmp_path), "--version", "v"]
    got = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert got.returncode == 0, got.stderr[-2000:]
    records = [json.loads(x) for x in got.stderr.splitlines() if x.startswith('{"event": "loss"')]
    assert [r["batch"] for r in records] == [10 * (n + 1) for n in range(want_loss_lines)]
    assert got.stdout.strip() == str(tmp_path / "ncf" / "v")


def test_publish_to_unwritable_store_and_convert_missing_input(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["synth-checkpoint", "--items", "20", "--users", "5", "--out", str(out), "--version", "v1"]) == 0
    capsys.readouterr()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["publish", str(out / "ncf" / "v1"), "--to", str(blocker)]) == 2
    assert f"publish: error: cannot write to {blocker / 'ncf' / 'v1'}" in capsys.readouterr().err
    assert main(["convert-movielens", "--input", str(tmp_path / "u.data"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert f"MovieLens file {tmp_path / 'u.data'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_log_file_takes_the_records_and_stderr_keeps_problems(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    log_file = tmp_path / "train.log"
    log_file.write_text('{"event": "earlier run"}\n')
    args = [sys.executable, "-m", "mlbundle_training.cli", "--log-file", str(log_file), "train-ncf",
            "--data-path", "synthetic", "--synthetic-users", "60", "--synthetic-items", "50",
            "--synthetic-count", "1000", "--epochs", "1", "--batch-size", "64", "--no-progress",
            "--factors", "4", "--layers", "16,8,4", "--output-dir", str(tmp_path), "--version", "v"]
    got = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert got.returncode == 0, got.stderr[-2000:]
    assert got.stdout.strip() == str(tmp_path / "ncf" / "v")
    assert '"event"' not in got.stderr
    lines = log_file.read_text().splitlines()
    assert lines[0] == '{"event": "earlier run"}'  # appended, not replaced
    events = [json.loads(x)["event"] for x in lines[1:] if x.startswith("{")]
    assert events.count("loss") == 6 and events.count("epoch") == 1 and "best" in events

    # a problem still reaches stderr, and an unusable --log-file is named
    bad = subprocess.run(args[:3] + [str(tmp_path / "no-dir" / "x.log")] + args[4:],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "--log-file" in bad.stderr and "no-dir" in bad.stderr
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr
