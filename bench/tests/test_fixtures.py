"""mlbench.fixtures: threshold verdicts, recorded results, skips and missing-model messages."""

import json

import pytest

from mlbench import fixtures


@pytest.mark.parametrize("entry,value,mode,want", [
    ({"min": 0.8}, 0.79, "full", "fail"),
    ({"min": 0.8}, 0.8, "full", "pass"),
    ({"max": 2.0}, 2.01, "full", "fail"),
    ({"max": 2.0}, 1.0, "full", "pass"),
    ({"min": 0.8}, 0.1, "fast", "unchecked"),  # modes default to full only
    ({"max": 0.0, "modes": ["full", "fast"]}, 1.0, "fast", "fail"),
    (None, 123.0, "full", "unchecked"),
])
def test_verdict(entry, value, mode, want):
    assert fixtures.verdict(entry, value, mode) == want


def _records(d):
    return [json.loads(x) for x in (d / "py-results.jsonl").read_text().splitlines()]


def test_check_records_and_reports_a_regression(tmp_path, monkeypatch, capsys, thresholds):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))
    monkeypatch.delenv("BENCH_MODE", raising=False)
    monkeypatch.setattr(fixtures, "_FAILURES", [])
    assert fixtures.check("classify.micro_f1", 0.85, "", {"articles": 3}) == "pass"
    assert fixtures.exit_code() == 0
    assert fixtures.check("classify.micro_f1", 0.5, "") == "fail"
    assert fixtures.check("ncf.unknown", 7, "x") == "unchecked"
    err = capsys.readouterr().err
    assert "regression: classify.micro_f1 = 0.5" in err and "at least 0.8" in err and "measured 0.83" in err
    recs = _records(tmp_path)
    assert [r["status"] for r in recs] == ["pass", "fail", "unchecked"]
    assert recs[0]["extra"] == {"articles": 3} and recs[0]["mode"] == "full"
    assert recs[1]["threshold"]["min"] == 0.8
    assert fixtures.exit_code() == 1 and len(fixtures.failures()) == 1


def test_check_in_fast_mode_checks_only_fast_entries(tmp_path, monkeypatch, thresholds):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))
    monkeypatch.setenv("BENCH_MODE", "fast")
    monkeypatch.setattr(fixtures, "_FAILURES", [])
    assert fixtures.check("classify.micro_f1", 0.1, "") == "unchecked"
    assert fixtures.check("recommend.seen_in_topk", 1, "") == "fail"
    assert [r["mode"] for r in _records(tmp_path)] == ["fast", "fast"]


def test_skip_note_and_series_are_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path))
    fixtures.skip("ncf quality", "no split: run `scripts/bench.sh data`")
    fixtures.note("ncf.peers", {"rows": {"a": {"hr@10": 0.5}}})
    fixtures.series("recommend.20K.go", [1, 2.5])
    assert "skipped ncf quality: no split" in capsys.readouterr().out
    assert json.loads((tmp_path / "py-skips.jsonl").read_text()) == {"id": "ncf quality",
                                                                     "why": "no split: run `scripts/bench.sh data`"}
    assert json.loads((tmp_path / "py-notes.jsonl").read_text())["rows"]["a"]["hr@10"] == 0.5
    assert json.loads((tmp_path / "py-series.jsonl").read_text())["values"] == [1.0, 2.5]


def test_without_results_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_RESULTS", raising=False)
    monkeypatch.chdir(tmp_path)
    fixtures.skip("x", "y")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    for var in ("MODELS_BUCKET", "AWS_ENDPOINT_URL", "MODELS_DIR", "BENCH_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BENCH_MODELS_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name,command", [("classifier-reuters", "scripts/bench.sh models classifier"),
                                          ("ncf-ml100k", "scripts/bench.sh models ncf"),
                                          ("ncf-demo", "make train")])
def test_missing_model_names_the_command_that_makes_it(empty_store, name, command):
    with pytest.raises(fixtures.Missing) as e:
        fixtures.checkpoint(name)
    assert f"benchmark model {name}" in str(e.value) and f"make it with `{command}`" in str(e.value)


def test_available_lists_paths_and_missing_models(empty_store):
    d = empty_store / "ncf" / "bench-ml100k"
    d.mkdir(parents=True)
    (d / "manifest.json").write_text("{}")
    by_name = {a["name"]: a for a in fixtures.available()}
    assert by_name["ncf-ml100k"]["path"] == str(d)
    assert "scripts/bench.sh models classifier" in by_name["classifier-reuters"]["missing"]
    assert by_name["classifier-fixture"]["path"].endswith("classifier/tiny-v1")


def test_fast_mode_uses_the_committed_fixture(empty_store, monkeypatch):
    monkeypatch.setenv("BENCH_MODE", "fast")
    d = fixtures.checkpoint("classifier-reuters")
    assert (d / "manifest.json").is_file() and d.parts[-3:] == ("checkpoints", "classifier", "tiny-v1")


def test_unknown_model_name_is_a_key_error():
    with pytest.raises(KeyError, match="no model 'nope'"):
        fixtures.checkpoint("nope")
