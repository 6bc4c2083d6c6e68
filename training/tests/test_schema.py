"""The contract's JSON Schemas: what training writes and what the committed fixtures hold
match them, and documents that break the contract are refused with the field named."""

import copy
import json
from pathlib import Path

import pytest

from mlbundle_training.contract import checkpoint, validate
from mlbundle_training.errors import TrainingError
from test_checkpoint import NCF_SECTION, _close, _fill

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints"
VERSIONS = sorted(p.parent for p in FIXTURES.glob("*/*/manifest.json"))


def test_schemas_are_valid_draft_2020_12():
    from jsonschema import Draft202012Validator

    for name in validate.SCHEMAS:
        schema = json.loads(validate.schema_path(name).read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("version", VERSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_fixtures_match(version):
    m = json.loads((version / "manifest.json").read_text())
    assert validate.problems("manifest", m) == []
    assert validate.problems("parity", json.loads((version / "parity.json").read_text())) == []


def test_every_kind_has_a_committed_fixture():
    assert {p.parent.name for p in VERSIONS} == set(checkpoint.KINDS)


def _ncf():
    return json.loads((FIXTURES / "ncf" / "tiny-v1" / "manifest.json").read_text())


def _classifier():
    return json.loads((FIXTURES / "classifier" / "tiny-v1" / "manifest.json").read_text())


def _set(doc, path, value):
    *head, last = path
    for k in head:
        doc = doc[k]
    if value is _DROP:
        del doc[last]
    else:
        doc[last] = value


_DROP = object()
# (what is wrong, base document, path to change, new value, JSON path named in the error)
BROKEN = [
    ("newer schema", _ncf, ["schema_version"], 2, "$.schema_version"),
    ("unknown kind", _ncf, ["kind"], "bert", "$.kind"),
    ("version with a slash", _ncf, ["version"], "a/b", "$.version"),
    ("created_at without zone", _ncf, ["created_at"], "2026-12-02T03:00:00", "$.created_at"),
    ("created_at as a date", _ncf, ["created_at"], "2026-12-02", "$.created_at"),
    ("no git revision", _ncf, ["git_revision"], _DROP, "$"),
    ("file outside the directory", _ncf, ["files", "../users.json"], {"sha256": "0" * 64, "size": 1}, "$.files"),
    ("manifest lists itself", _ncf, ["files", "manifest.json"], {"sha256": "0" * 64, "size": 1}, "$.files"),
    ("upper-case sha256", _ncf, ["files", "users.json", "sha256"], "A" * 64, "$.files['users.json'].sha256"),
    ("negative size", _ncf, ["files", "users.json", "size"], -1, "$.files['users.json'].size"),
    ("parity.json missing", _ncf, ["files", "parity.json"], _DROP, "$.files"),
    ("model.onnx has no I/O", _ncf, ["onnx", "model.onnx"], _DROP, "$.onnx"),
    ("ncf without score_all.onnx", _ncf, ["files", "score_all.onnx"], _DROP, "$.files"),
    ("ncf without score_all.onnx I/O", _ncf, ["onnx", "score_all.onnx"], _DROP, "$.onnx"),
    ("float64 output", _ncf, ["onnx", "model.onnx", "outputs", 0, "dtype"], "float64",
     "$.onnx['model.onnx'].outputs[0].dtype"),
    ("negative fixed axis", _ncf, ["onnx", "score_all.onnx", "inputs", 0, "shape", 0], -1,
     "$.onnx['score_all.onnx'].inputs[0].shape[0]"),
    ("metric as text", _ncf, ["metrics", "hr@10"], "0.5", "$.metrics['hr@10']"),
    ("ncf section missing", _ncf, ["ncf"], _DROP, "$"),
    ("unknown ncf variant", _ncf, ["ncf", "variant"], "deep", "$.ncf.variant"),
    ("no users", _ncf, ["ncf", "num_users"], 0, "$.ncf.num_users"),
    ("vectors without their width", _ncf, ["ncf", "item_vector_dim"], _DROP, "$.ncf"),
    ("dead reserved field", _ncf, ["ncf", "user_interactions_file"], None, "$.ncf"),
    ("undocumented top-level field", _ncf, ["extra"], 1, "$"),
    ("classifier section on ncf", _ncf, ["classifier"], {}, "$"),
    ("num_labels missing", _classifier, ["classifier", "num_labels"], _DROP, "$.classifier"),
    ("threshold above 1", _classifier, ["classifier", "thresholds", 0], 1.5, "$.classifier.thresholds[0]"),
    ("label without code", _classifier, ["classifier", "labels", 0, "code"], "", "$.classifier.labels[0].code"),
    ("max_length 1", _classifier, ["classifier", "max_length"], 1, "$.classifier.max_length"),
    ("pytorch_file in a folder", _classifier, ["classifier", "pytorch_file"], "pt/model.pt",
     "$.classifier.pytorch_file"),
    ("tokenizer not wordpiece", _classifier, ["classifier", "tokenizer", "type"], "bpe",
     "$.classifier.tokenizer.type"),
    ("text cleaning off", _classifier, ["classifier", "tokenizer", "clean_text"], False,
     "$.classifier.tokenizer.clean_text"),
]


@pytest.mark.parametrize("what,base,path,value,where", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_manifest_is_refused_naming_the_field(what, base, path, value, where):
    doc = copy.deepcopy(base())
    _set(doc, path, value)
    found = validate.problems("manifest", doc)
    assert found, f"{what}: accepted"
    assert any(p.startswith(where + ":") for p in found), found


@pytest.mark.parametrize("path,value,where", [
    (["checks"], [], "$.checks"),
    (["checks", 0, "reference"], "tensorflow", "$.checks[0].reference"),
    (["checks", 0, "tolerance"], 0, "$.checks[0].tolerance"),
    (["checks", 0, "file"], "../model.onnx", "$.checks[0].file"),
    (["checks", 0, "inputs", "user", "data", 0], 1.5, "$.checks[0].inputs.user.data[0]"),
    (["checks", 0, "outputs", "logit", "dtype"], "float16", "$.checks[0].outputs.logit.dtype"),
    (["texts"], [{"text": "x", "logits": []}], "$.texts[0]"),
])
def test_broken_parity_is_refused_naming_the_field(path, value, where):
    doc = json.loads((FIXTURES / "ncf" / "tiny-v1" / "parity.json").read_text())
    _set(doc, path, value)
    found = validate.problems("parity", doc)
    assert any(p.startswith(where) for p in found), found


def test_write_manifest_refuses_a_section_off_the_schema(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    _fill(d)
    with pytest.raises(TrainingError, match=r"manifest.json does not match manifest.schema.json: "
                                            r"\$.ncf: Additional properties .*user_interactions_file"):
        _close(d, section={**NCF_SECTION, "user_interactions_file": None})
    assert not (d / "manifest.json").exists()


def test_write_parity_refuses_an_empty_check_list(tmp_path):
    with pytest.raises(TrainingError, match=r"parity.json does not match parity.schema.json: \$.checks"):
        checkpoint.write_parity(tmp_path, [])
    assert not (tmp_path / "parity.json").exists()


def test_verify_refuses_a_manifest_off_the_schema(tmp_path):
    d = checkpoint.prepare_version_dir(tmp_path, "ncf", "v1")
    _fill(d)
    m = _close(d)
    m["created_at"] = "2026-12-02 03:00"
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(TrainingError, match=r"\$.created_at"):
        checkpoint.verify_checkpoint(d)
