"""mlbench.thresholds: the margin rules and setting bench/thresholds.json from a run."""

import json

import pytest

from mlbench import thresholds


@pytest.mark.parametrize("bench_id,direction,measured,bound", [
    ("classify.micro_f1", "min", 0.85, 0.82),
    ("classify.fp32_int8_agreement", "min", 0.95, 0.92),
    # latencies are bounded from above whatever their prefix (classify.* is a quality prefix)
    ("classify.int8.batch1.p50_ms", "max", 10.0, 20.0),
    ("classify.int8.batch32.cpu_p50_ms", "max", 100.0, 200.0),
    ("classify.fp32.batch1.p99_ms", "max", 30.0, 90.0),
    ("recommend.20K.p50_ms", "max", 1.5, 3.0),
    ("coldstart.classify.peak_rss_mb", "max", 100.0, 125.0),
    ("recommend.20K.x_torch", "min", 10.0, 6.0),
    ("classify.x_tfidf_micro_f1", "min", 1.0, 0.6),
    ("recommend.20K.graph_gain", "min", 5.0, 3.0),
    ("ncf.hr@10", "min", 0.6, 0.58),
    ("recommend.coldstart_hr@10", "min", 0.2, 0.17),
    ("ncf_train.batch1024.packed_samples_per_s", "min", 1000.0, 500),
    ("recommend.seen_in_topk", "max", 0.0, 0.0),
    ("parity.classify_fp32_max_abs", "max", 1e-6, 1e-3),
    ("parity.ncf_max_abs", "max", 1e-7, 1e-4),
])
def test_rule(bench_id, direction, measured, bound):
    got_direction, derive, margin = thresholds.rule(bench_id)
    assert got_direction == direction and margin
    assert derive(measured) == pytest.approx(bound)


def test_every_latency_rule_bounds_from_above():
    for pattern, direction, _, _ in thresholds.RULES:
        if pattern.endswith("_ms"):
            assert direction == "max", pattern


def test_no_rule_for_an_unknown_id():
    assert thresholds.rule("made.up") is None


def test_main_sets_thresholds_from_a_full_run(run_dir, tmp_path, monkeypatch, capsys):
    (tmp_path / "bench").mkdir()
    fast = {"recommend.seen_in_topk": {"max": 0.0, "measured": 0.0, "margin": "none", "modes": ["full", "fast"]},
            "stale.full.only": {"min": 1, "measured": 2, "margin": "x"}}
    (tmp_path / "bench" / "thresholds.json").write_text(json.dumps({"_doc": "kept", "thresholds": fast}))
    monkeypatch.setattr(thresholds, "ROOT", tmp_path)
    assert thresholds.main(["--results", str(run_dir)]) == 0
    doc = json.loads((tmp_path / "bench" / "thresholds.json").read_text())
    got = doc["thresholds"]
    assert doc["_doc"] == "kept" and "results-x" in doc["measured_at"] and "cores" in doc["machine"]
    assert "stale.full.only" not in got  # full-mode entries are all re-derived from the run
    assert got["recommend.seen_in_topk"]["modes"] == ["full", "fast"] and got["recommend.seen_in_topk"]["max"] == 0.0
    assert got["classify.micro_f1"] == {"min": 0.81, "measured": 0.84,
                                        "margin": "-0.03 absolute (same checkpoint and split)"}
    assert got["recommend.20K.p50_ms"]["max"] == 3.0 and got["recommend.20K.p99_ms"]["max"] == 12.0
    assert got["recommend.20K.x_torch"]["min"] == 4.5
    assert list(got) == sorted(got)
    assert "wrote 9 thresholds" in capsys.readouterr().out


def test_committed_thresholds_follow_the_rules():
    """Every committed threshold is its measured number with the rule's margin, in the rule's direction."""
    doc = json.loads((thresholds.ROOT / "bench" / "thresholds.json").read_text())
    for bench_id, entry in doc["thresholds"].items():
        found = thresholds.rule(bench_id)
        assert found is not None, bench_id
        direction, derive, margin = found
        assert direction in entry and entry[direction] == pytest.approx(derive(entry["measured"])), bench_id
        assert entry["margin"] == margin, bench_id


def test_main_only_resets_the_named_ids(run_dir, tmp_path, monkeypatch):
    (tmp_path / "bench").mkdir()
    kept = {"classify.micro_f1": {"min": 0.5, "measured": 0.53, "margin": "old"},
            "recommend.20K.p50_ms": {"max": 9.0, "measured": 4.5, "margin": "old"}}
    (tmp_path / "bench" / "thresholds.json").write_text(json.dumps({"measured_at": "earlier", "thresholds": kept}))
    monkeypatch.setattr(thresholds, "ROOT", tmp_path)
    assert thresholds.main(["--results", str(run_dir), "--only", "recommend.20K.*"]) == 0
    doc = json.loads((tmp_path / "bench" / "thresholds.json").read_text())
    got = doc["thresholds"]
    assert got["classify.micro_f1"] == kept["classify.micro_f1"]  # not named: unchanged
    assert got["recommend.20K.p50_ms"]["max"] == 3.0 and got["recommend.20K.graph_gain"]["min"] == 2.16
    assert "ncf.hr@10" not in got and "recommend.seen_in_topk" not in got
    assert doc["measured_at"].startswith("earlier; recommend.20K.* re-set ")
