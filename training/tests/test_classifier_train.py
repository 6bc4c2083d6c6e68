"""Tiny classifier fine-tune end to end through export: parity, manifest, tokenizer cases."""

import json

import numpy as np
import pytest

from mlbundle_training.contract import checkpoint as ckpt
from mlbundle_training.contract import proof, validate
from mlbundle_training.classifier import export as export_classifier
from mlbundle_training.data.classification import ClassificationData, write_classification_data
from mlbundle_training.data.classification_sample import TAXONOMY, make_sample_dataset
from mlbundle_training.classifier.fixtures import many_label_dataset
from mlbundle_training.classifier.model import load_tokenizer
from mlbundle_training.errors import TrainingError
from mlbundle_training.classifier.train import ClassifierConfig, run, train

FAST = dict(encoder="tiny", epochs=1, max_steps=4, batch_size=8, max_length=32, augment_target=80,
            lr=1e-3, threads=1)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("data") / "sample.json"
    write_classification_data(p, make_sample_dataset(60, seed=1), TAXONOMY)
    return p


@pytest.fixture(scope="module")
def checkpoint_dir(sample_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    return run(ClassifierConfig(data=str(sample_file), output_dir=str(out), version="t1", **FAST))


def _onnx(path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_checkpoint_is_complete_and_verified(checkpoint_dir):
    m = ckpt.verify_checkpoint(checkpoint_dir)
    assert m["kind"] == "classifier" and m["version"] == "t1"
    assert validate.problems("manifest", m) == []
    assert validate.problems("parity", json.loads((checkpoint_dir / "parity.json").read_text())) == []
    assert proof.check_servable(checkpoint_dir)["version"] == "t1"  # what publish --activate runs
    assert set(m["files"]) == {"model.onnx", "model.int8.onnx", "parity.json", "vocab.txt",
                               "tokenizer_cases.jsonl", "evaluation.json", "model.pt"}
    assert m["classifier"]["pytorch_file"] == "model.pt"
    io = m["onnx"]["model.onnx"]
    assert io == m["onnx"]["model.int8.onnx"]
    assert [(i["name"], i["dtype"], i["shape"]) for i in io["inputs"]] == [
        (n, "int64", ["batch", "sequence"]) for n in ("input_ids", "attention_mask", "token_type_ids")]
    assert io["outputs"] == [{"name": "logits", "dtype": "float32", "shape": ["batch", 9]}]
    c = m["classifier"]
    assert [lab["code"] for lab in c["labels"]] == [lab.code for lab in TAXONOMY]
    assert c["labels"][1] == {"code": "econ.rates", "name": "Interest rates", "parent": "econ"}
    assert len(c["thresholds"]) == c["num_labels"] == 9 and all(0 < t < 1 for t in c["thresholds"])
    assert c["max_length"] == 32 and c["int8_file"] == "model.int8.onnx"
    tok = c["tokenizer"]
    assert (tok["lowercase"], tok["strip_accents"], tok["tokenize_chinese_chars"]) == (True, True, True)
    assert tok["vocab_file"] == "vocab.txt" and tok["max_input_chars_per_word"] == 100
    for k in ("micro_f1", "macro_f1", "micro_f1_onnx", "micro_f1_int8", "macro_f1_int8"):
        assert 0.0 <= m["metrics"][k] <= 1.0
    assert m["metrics"]["micro_f1_onnx"] == pytest.approx(m["metrics"]["micro_f1"], abs=0.02)
    assert m["data"]["augmented_to"] == 80 and m["hyperparameters"]["max_length"] == 32


def test_parity_checks_and_texts_reproduce(checkpoint_dir, tokenizer):
    doc = json.loads((checkpoint_dir / "parity.json").read_text())
    assert [c["file"] for c in doc["checks"]] == ["model.onnx", "model.int8.onnx"]
    assert doc["checks"][0]["reference"] == "pytorch" and doc["checks"][0]["tolerance"] == 1e-4
    for check in doc["checks"]:
        assert ckpt.verify_parity_onnx(checkpoint_dir, check) <= check["tolerance"]
    ids = ckpt.parity_arrays(doc["checks"][0]["inputs"])["attention_mask"]
    assert ids.shape[0] >= 4 and len(set(ids.sum(1).tolist())) > 2  # several padded lengths
    sess = _onnx(checkpoint_dir / "model.onnx")
    assert any(t["text"] == "" for t in doc["texts"])
    for entry in doc["texts"]:
        enc = tokenizer(entry["text"], truncation=True, max_length=32, return_tensors="np")
        got = sess.run(["logits"], {k: enc[k].astype(np.int64) for k in
                                    ("input_ids", "attention_mask", "token_type_ids")})[0][0]
        assert np.allclose(got, entry["logits"], atol=entry["tolerance"])


def test_pytorch_checkpoint_loads_back_and_reproduces_logits(checkpoint_dir, tokenizer):
    import torch

    m = json.loads((checkpoint_dir / "manifest.json").read_text())
    model, saved = export_classifier.load_pt(checkpoint_dir / "model.pt")
    assert saved["labels"] == m["classifier"]["labels"]
    assert saved["thresholds"] == m["classifier"]["thresholds"]
    assert saved["hyperparameters"] == m["hyperparameters"] and saved["metrics"] == m["metrics"]
    assert saved["encoder"] == "tiny" and saved["max_length"] == 32
    texts = json.loads((checkpoint_dir / "parity.json").read_text())["texts"]
    enc = tokenizer([t["text"] for t in texts], truncation=True, max_length=32, padding=True,
                    return_tensors="pt")
    with torch.no_grad():
        got = model(**{k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}).numpy()
    want = np.array([t["logits"] for t in texts])
    assert got.shape == want.shape == (len(texts), 9)
    assert np.allclose(got, want, atol=1e-5), np.abs(got - want).max()


def test_tokenizer_cases_match_hf(checkpoint_dir, tokenizer):
    lines = (checkpoint_dir / "tokenizer_cases.jsonl").read_text(encoding="utf-8").split("\n")
    cases = [json.loads(x) for x in lines if x]
    assert len(cases) >= 200
    texts = [c["text"] for c in cases]
    for needle in ("", " ", "café", "世界", "😀", "c" * 101, "bell\x07char", "https://example.com", "HELLO WORLD"):
        assert needle in texts, needle
    assert all(c["ids"] == tokenizer(c["text"], truncation=True, max_length=32)["input_ids"] for c in cases)
    assert all(c["ids"][0] == 101 and c["ids"][-1] == 102 for c in cases)
    assert sum(len(c["ids"]) == 32 for c in cases) >= 5  # truncation exercised
    assert (checkpoint_dir / "vocab.txt").read_text().split("\n")[101] == "[CLS]"


def test_export_rejects_onnx_that_differs(sample_file, tmp_path, monkeypatch):
    real = export_classifier.export_onnx

    def broken(model, path, example):
        import copy

        import torch

        other = copy.deepcopy(model)
        with torch.no_grad():
            other.head.bias.add_(1.0)
        real(other, path, example)

    monkeypatch.setattr(export_classifier, "export_onnx", broken)
    cfg = ClassifierConfig(data=str(sample_file), output_dir=str(tmp_path), version="bad", **FAST)
    with pytest.raises(TrainingError, match="differs from PyTorch"):
        run(cfg)
    assert not (tmp_path / "classifier" / "bad").exists()  # no partial version left behind


def test_thousand_labels_train_and_export(tmp_path):
    data = many_label_dataset(1000, 240, seed=1)
    assert len(data.taxonomy) == 1000
    # the label count's path; the lexical branch (30522 x labels weights) has its own tests
    cfg = ClassifierConfig(data="synthetic", output_dir=str(tmp_path), version="l1k",
                           **{**FAST, "max_length": 16, "max_steps": 3, "augment_target": 0, "lexical": False})
    d = export_classifier.export_checkpoint(train(cfg, data), cfg)
    m = ckpt.verify_checkpoint(d)
    assert m["classifier"]["num_labels"] == 1000 and len(m["classifier"]["thresholds"]) == 1000
    assert m["onnx"]["model.onnx"]["outputs"][0]["shape"] == ["batch", 1000]
    enc = load_tokenizer()(["kalomine report", "x"], padding=True, return_tensors="np")
    out = _onnx(d / "model.int8.onnx").run(None, {k: enc[k].astype(np.int64) for k in
                                                  ("input_ids", "attention_mask", "token_type_ids")})[0]
    assert out.shape == (2, 1000) and np.isfinite(out).all()


@pytest.mark.parametrize("freeze,logger", [(0, "loop"), (1, "cached")])
def test_loss_logged_at_info_every_n_steps(caplog, freeze, logger):
    data = ClassificationData(make_sample_dataset(40, seed=2), list(TAXONOMY))
    cfg = ClassifierConfig(data="x", **{**FAST, "max_steps": 5, "augment_target": 0, "log_every": 2,
                                        "freeze_layers": freeze})
    with caplog.at_level("INFO", logger=f"mlbundle_training.classifier.{logger}"):
        train(cfg, data)
    losses = [json.loads(rec.getMessage()) for rec in caplog.records
              if rec.levelname == "INFO" and '"event": "loss"' in rec.getMessage()]
    assert [(x["epoch"], x["step"]) for x in losses] == [(1, 2), (1, 4)]
    assert all(0 < x["loss"] < 5 for x in losses)


def test_training_is_seeded(sample_file):
    data = ClassificationData(make_sample_dataset(40, seed=2), list(TAXONOMY))
    cfg = ClassifierConfig(data="x", **{**FAST, "max_steps": 2, "augment_target": 0})
    a, b = train(cfg, data), train(cfg, data)
    assert np.array_equal(a.thresholds, b.thresholds)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())


@pytest.mark.parametrize("kwargs, message", [
    ({"data": ""}, "--data is required"),
    ({"data": "/no/such/file.json"}, "does not exist"),
    ({"max_length": 1000}, "--max-length must be in 3..512"),
    ({"encoder": "bert-huge"}, "--encoder must be one of"),
    ({"val_fraction": 1.5}, "--val-fraction must be in (0, 1)"),
])
def test_bad_config_fails_before_writing(sample_file, tmp_path, kwargs, message):
    cfg = ClassifierConfig(**{**FAST, "data": str(sample_file), "output_dir": str(tmp_path), **kwargs})
    with pytest.raises(TrainingError) as e:
        run(cfg)
    assert message in str(e.value)
    assert not (tmp_path / "classifier").exists()
