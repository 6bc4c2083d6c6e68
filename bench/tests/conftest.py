"""Shared set-up of the benchmark-code tests: mlbench and the training package on sys.path,
fabricated raw results of one run, and a thresholds file of our own."""

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1]
for p in (BENCH, BENCH.parent / "training"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

THRESHOLDS = {
    "classify.micro_f1": {"min": 0.80, "measured": 0.83, "margin": "-0.03 absolute"},
    "recommend.20K.p50_ms": {"max": 2.0, "measured": 1.0, "margin": "+100%"},
    "recommend.seen_in_topk": {"max": 0.0, "measured": 0.0, "margin": "none", "modes": ["full", "fast"]},
}


def write_lines(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def thresholds(monkeypatch):
    """bench/thresholds.json replaced by THRESHOLDS for the test."""
    from mlbench import fixtures

    doc = {"thresholds": json.loads(json.dumps(THRESHOLDS))}
    monkeypatch.setattr(fixtures, "thresholds", lambda: doc)
    return doc


@pytest.fixture
def run_dir(tmp_path, thresholds):
    """One fabricated full run: a passing and a failing Python result, a Go latency result
    with its peers, series, notes, a Python skip and a Go skip in a go test log."""
    d = tmp_path / "results-x"
    d.mkdir()
    write_lines(d / "py-results.jsonl", [
        {"id": "classify.micro_f1", "value": 0.70, "unit": "", "mode": "full", "status": "pass", "extra": {}},
        {"id": "classify.micro_f1", "value": 0.84, "unit": "", "mode": "full", "status": "pass", "extra": {}},
        {"id": "recommend.seen_in_topk", "value": 2.0, "unit": "", "mode": "full", "extra": {"answers": 943}},
        {"id": "ncf.hr@10", "value": 0.61, "unit": "", "mode": "full", "extra": {}},
    ])
    write_lines(d / "go-results.jsonl", [
        {"id": "recommend.20K.p50_ms", "value": 1.5, "unit": "ms", "mode": "full", "extra": {}},
        {"id": "recommend.20K.p99_ms", "value": 4.0, "unit": "ms", "mode": "full", "extra": {}},
        {"id": "recommend.20K.cpu_p50_ms", "value": 1.2, "unit": "ms", "mode": "full", "extra": {}},
        {"id": "recommend.20K.x_torch", "value": 7.5, "unit": "x", "mode": "full",
         "extra": {"torch_p50_ms": 11.0, "torch_cpu_p50_ms": 9.0, "ort_python_p50_ms": 3.0,
                   "ort_python_cpu_p50_ms": 2.5}},
        {"id": "recommend.20K.x_ort_python", "value": 2.1, "unit": "x", "mode": "full", "extra": {}},
        {"id": "recommend.20K.graph_gain", "value": 3.6, "unit": "x", "mode": "full", "extra": {}},
    ])
    write_lines(d / "go-series.jsonl", [{"id": "recommend.20K.go", "values": [1.0, 1.5, 2.0]},
                                        {"id": "recommend.20K.torch", "values": [9.0, 11.0, 14.0]}])
    write_lines(d / "py-notes.jsonl", [
        {"id": "classify.peers", "split": "Reuters TRAIN part, 3 held-back articles",
         "rows": {"mlbundle MiniLM int8": {"micro_f1": 0.84, "macro_f1": 0.5},
                  "TF-IDF + one-vs-rest LinearSVC": {"micro_f1": 0.88, "macro_f1": 0.45}}},
        {"id": "ncf.history", "history": [{"epoch": 1, "loss": 0.6, "val_hr@10": 0.4, "seconds": 3},
                                          {"epoch": 2, "loss": 0.4, "val_hr@10": 0.5, "seconds": 3}]},
    ])
    write_lines(d / "py-skips.jsonl", [{"id": "classifier quality", "why": "make it with `scripts/bench.sh models classifier`"}])
    (d / "go-Classify_.txt").write_text(
        "goos: linux\n--- SKIP: BenchmarkClassify\n    bench_test.go:41: benchmark model classifier-reuters is "
        "missing; make it with `scripts/bench.sh models classifier`\nPASS\n")
    return d
