"""mlbench.results: reading one run's raw results and re-judging them."""

from mlbench.results import Run, go_skips


def test_load_reads_both_sides_last_record_wins(run_dir):
    run = Run.load(run_dir)
    assert run.value("classify.micro_f1") == 0.84  # the second record of the id
    assert run.results["classify.micro_f1"]["side"] == "py"
    assert run.results["recommend.20K.p50_ms"]["side"] == "go"
    assert run.extra("recommend.20K.x_torch")["torch_p50_ms"] == 11.0
    assert run.extra("no.such.id") == {} and run.value("no.such.id") is None
    assert run.series["recommend.20K.torch"] == [9.0, 11.0, 14.0]
    assert run.notes["ncf.history"]["history"][1]["loss"] == 0.4


def test_rejudge_uses_the_current_thresholds(run_dir, thresholds):
    run = Run.load(run_dir)
    assert run.results["classify.micro_f1"]["status"] == "pass"
    assert run.results["recommend.seen_in_topk"]["status"] == "fail"  # recorded without a status
    assert run.results["ncf.hr@10"]["status"] == "unchecked"
    assert [r["id"] for r in run.failures()] == ["recommend.seen_in_topk"]
    thresholds["thresholds"]["classify.micro_f1"]["min"] = 0.9  # tightened after the run
    run.rejudge()
    assert {r["id"] for r in run.failures()} == {"recommend.seen_in_topk", "classify.micro_f1"}


def test_skips_of_both_sides(run_dir):
    skips = Run.load(run_dir).skips
    assert skips[0] == {"id": "classifier quality", "why": "make it with `scripts/bench.sh models classifier`"}
    assert skips[1]["id"] == "BenchmarkClassify"
    assert skips[1]["why"].startswith("benchmark model classifier-reuters is missing; make it with")


def test_go_skip_message_before_the_skip_line(tmp_path):
    (tmp_path / "go-a.txt").write_text("    x_test.go:9: no ONNX Runtime library\n--- SKIP: BenchmarkLoad\nok\n")
    (tmp_path / "go-b.txt").write_text("--- PASS: BenchmarkAPI\n")
    assert go_skips(tmp_path) == [{"id": "BenchmarkLoad", "why": "no ONNX Runtime library"}]


def test_empty_dir_is_an_empty_run(tmp_path, thresholds):
    run = Run.load(tmp_path)
    assert run.results == {} and run.skips == [] and run.failures() == []
