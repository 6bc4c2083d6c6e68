"""train-classifier CLI: smoke run, and bad input -> non-zero exit, message, no manifest."""

import json

import pytest

from mlbundle_training import cli
from mlbundle_training.data.classification import write_classification_data
from mlbundle_training.data.classification_sample import TAXONOMY, make_sample_dataset
from mlbundle_training.classifier.flags import main as classifier_main

TINY = ["--encoder", "tiny", "--epochs", "1", "--max-steps", "3", "--batch-size", "8", "--max-length", "24",
        "--augment-target", "0", "--threads", "1", "--no-int8"]


@pytest.fixture
def sample_file(tmp_path):
    p = tmp_path / "sample.json"
    write_classification_data(p, make_sample_dataset(40, seed=4), TAXONOMY)
    return p


def test_cli_smoke(sample_file, tmp_path, capsys):
    out = tmp_path / "models"
    rc = cli.main(["train-classifier", "--data", str(sample_file), "--output-dir", str(out),
                   "--version", "smoke", *TINY])
    assert rc == 0
    d = out / "classifier" / "smoke"
    assert capsys.readouterr().out.strip() == str(d)
    m = json.loads((d / "manifest.json").read_text())
    assert m["version"] == "smoke" and m["classifier"]["int8_file"] is None
    assert "model.int8.onnx" not in m["files"]
    # the same version again is refused before any training
    rc = cli.main(["train-classifier", "--data", str(sample_file), "--output-dir", str(out),
                   "--version", "smoke", *TINY])
    assert rc == 2 and "already exists" in capsys.readouterr().err


def test_help_lists_flags_and_defaults(capsys):
    with pytest.raises(SystemExit) as e:
        classifier_main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--data", "--version", "--epochs", "--batch-size", "--lr", "--max-length", "--seed", "--device"):
        assert flag in text
    assert "benchmark_v1" in text and "0.0001" in text and "--recipe" in text and "--freeze-layers" in text


@pytest.mark.parametrize("content, message", [
    ("{oops", "malformed JSON at line 1"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}],
                 "samples": [{"text": "t", "taxonomy_codes": ["nope"]}]}),
     "samples[0].taxonomy_codes: unknown taxonomy code(s) 'nope'"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}], "samples": []}), "no usable samples"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}], "samples": [{"taxonomy_codes": ["a"]}]}),
     "no usable samples (1 records, 1 problems); first problem: samples[0].text"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}], "samples": [{"text": "t", "taxonomy_codes": "a"}]}),
     "first problem: samples[0].taxonomy_codes"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}]}), "missing top-level field 'samples'"),
    (json.dumps({"taxonomy": [{"code": "a", "name": "A"}], "samples": [{"text": "only one", "taxonomy_codes": ["a"]}]}),
     "need at least 2 usable samples"),
])
def test_bad_input_exits_non_zero_without_manifest(tmp_path, capsys, content, message):
    data = tmp_path / "bad.json"
    data.write_text(content)
    out = tmp_path / "models"
    rc = classifier_main(["--data", str(data), "--output-dir", str(out), *TINY])
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and "train-classifier:" in err
    assert not list(out.rglob("manifest.json"))


def test_missing_data_and_unwritable_output(sample_file, tmp_path, capsys):
    assert classifier_main(["--data", str(tmp_path / "missing.json"), *TINY]) == 2
    assert "missing.json: classification data file does not exist" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rc = classifier_main(["--data", str(sample_file), "--output-dir", str(blocker), *TINY])
    assert rc == 2 and "not writable" in capsys.readouterr().err
