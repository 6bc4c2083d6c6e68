"""mlbench.tables, plots and report: the generated page from fabricated raw results."""

import json

import pytest

from mlbench import plots, report, tables
from mlbench.results import Run


@pytest.mark.parametrize("v,want", [(None, "–"), (0, "0"), (1234.5, "1,234"), (12.345, "12.3"),
                                    (0.12345, "0.1235"), (0.0001234, "1.23e-04"), (True, "True"), ("a", "a")])
def test_num(v, want):
    assert tables.num(v) == want


def test_ratio():
    assert tables.ratio(None) == "–" and tables.ratio(7.456) == "**7.46×**"


def test_recommend_latency_row_from_go_and_peer_results(run_dir):
    text = tables.recommend_latency(Run.load(run_dir), {})
    lines = text.splitlines()
    assert lines[0].startswith("| items | Go wall p50 / p99 ms |")
    assert lines[2] == "| 20K | 1.5 / 4 | 1.2 | 11 / 9 | 3 / 2.5 | **7.50×** | **2.10×** | **3.60×** |"
    assert len(lines) == 3  # sizes without results are left out


def test_tables_without_results_say_so(tmp_path, thresholds):
    run = Run.load(tmp_path)
    for make in (tables.recommend_latency, tables.classify_latency, tables.classify_quality, tables.ncf_quality,
                 tables.throughput, tables.serving_quality, tables.parity):
        assert make(run, {}) == tables.NONE


def test_classify_quality_peers_table(run_dir):
    text = tables.classify_quality(Run.load(run_dir), {})
    assert text.startswith("Reuters TRAIN part, 3 held-back articles")
    assert "| mlbundle MiniLM int8 | 0.8400 | 0.5000 | – | – | – |" in text
    assert "| TF-IDF + one-vs-rest LinearSVC | 0.8800 | 0.4500 |" in text


def test_serving_quality_reports_seen_items(run_dir):
    text = tables.serving_quality(Run.load(run_dir), {})
    assert "| seen items in any top-10 (every user, exclude_seen) | 2 | 943 answers |" in text


def test_one_epoch_is_no_curve(tmp_path, run_dir):
    run = Run.load(run_dir)
    run.notes["ncf.history"]["history"] = run.notes["ncf.history"]["history"][:1]
    assert plots.training_curves(run, tmp_path, "ncf.history", "t", "h.png") is None
    assert not (tmp_path / "h.png").exists()


def test_report_is_generated_from_the_run(run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCH_STARTED", "20261202T000000Z")
    out = tmp_path / "docs"
    code = report.main(["--results", str(run_dir), "--out", str(out), "--command", "make bench",
                        "--note", "fabricated"])
    assert code == 1  # recommend.seen_in_topk = 2 fails its threshold
    assert "regression: recommend.seen_in_topk = 2" in capsys.readouterr().err
    text = (out / "ML_BENCHMARKS.md").read_text()
    assert "{{" not in text
    assert "by `make bench` from `results-x` (run started 20261202T000000Z)" in text
    assert "- **Conditions of this run**: fabricated" in text
    assert "9 results, 2 within their thresholds, **1 regressions**, 6 without a threshold in full mode." in text
    assert "| `recommend.seen_in_topk` | 2  | ≤ 0 | fail |" in text
    assert "| `classify.micro_f1` | 0.8400  | ≥ 0.8 | pass |" in text
    assert "- `BenchmarkClassify`: benchmark model classifier-reuters is missing; make it with" in text
    assert "- `classifier quality`: make it with `scripts/bench.sh models classifier`" in text
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["results"] == 9 and summary["failures"] == ["recommend.seen_in_topk"]
    if plots.available():
        for name in ("ncf_history.png", "cdf_recommend_20k.png", "cls_quality.png"):
            assert (out / "bench" / name).stat().st_size > 1000 and f"(bench/{name})" in text
        assert not (out / "bench" / "cls_history.png").exists()  # no classifier history in this run
    else:
        assert "plot not drawn: matplotlib is not installed" in text


def test_report_of_a_clean_run_exits_0(run_dir, tmp_path, thresholds):
    del thresholds["thresholds"]["recommend.seen_in_topk"]
    assert report.main(["--results", str(run_dir), "--out", str(tmp_path)]) == 0
    assert "Nothing was skipped." not in (tmp_path / "ML_BENCHMARKS.md").read_text()
