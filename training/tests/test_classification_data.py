"""Classification dataset loader and the Reuters converter on good and bad inputs."""

import json

import pytest

from mlbundle_training.data.classification import (Label, load_classification_data,
                                                   write_classification_data)
from mlbundle_training.data.classification_sample import TAXONOMY, make_sample_dataset
from mlbundle_training.errors import TrainingError
from mlbundle_training.data.reuters import convert_reuters, parse_category_names

TAX = [{"code": "a", "name": "Alpha"}, {"code": "b", "name": "Beta", "parent": "a"}]


def _write(tmp_path, doc, name="data.json"):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def test_good_file_round_trip(tmp_path):
    samples = [("first text", ["a"]), ("second text", ["a", "b"])]
    p = tmp_path / "d.json"
    write_classification_data(p, samples, [Label("a", "Alpha"), Label("b", "Beta", "a")])
    data = load_classification_data(p)
    assert data.samples == samples
    assert data.taxonomy == [Label("a", "Alpha"), Label("b", "Beta", "a")]
    assert data.problems == []
    assert data.label_counts() == {"a": 2, "b": 1}


def test_duplicate_codes_in_a_sample_are_collapsed(tmp_path):
    p = _write(tmp_path, {"taxonomy": TAX, "samples": [{"text": "x", "taxonomy_codes": ["a", "a", "b"]}]})
    assert load_classification_data(p).samples == [("x", ["a", "b"])]


@pytest.mark.parametrize("record, problem", [
    ({"taxonomy_codes": ["a"]}, "samples[1].text: missing"),
    ({"text": 3, "taxonomy_codes": ["a"]}, "samples[1].text: must be a string"),
    ({"text": "   ", "taxonomy_codes": ["a"]}, "samples[1].text: empty"),
    ({"text": "t"}, "samples[1].taxonomy_codes: missing"),
    ({"text": "t", "taxonomy_codes": "a"}, "samples[1].taxonomy_codes: must be a list of strings"),
    ({"text": "t", "taxonomy_codes": [1]}, "samples[1].taxonomy_codes: must be a list of strings"),
    ({"text": "t", "taxonomy_codes": []}, "samples[1].taxonomy_codes: empty list"),
    ({"text": "t", "taxonomy_codes": ["a", "zz"]}, "samples[1].taxonomy_codes: unknown taxonomy code(s) 'zz'"),
    ("not an object", "samples[1]: must be an object"),
])
def test_bad_record_is_skipped_and_named(tmp_path, caplog, record, problem):
    doc = {"taxonomy": TAX, "samples": [{"text": "good", "taxonomy_codes": ["a"]}, record,
                                        {"text": "also good", "taxonomy_codes": ["b"]}]}
    data = load_classification_data(_write(tmp_path, doc))
    assert [t for t, _ in data.samples] == ["good", "also good"]
    assert len(data.problems) == 1 and data.problems[0].startswith(problem), data.problems
    assert problem in caplog.text and "1 problem(s); 2 of 3 samples kept" in caplog.text


@pytest.mark.parametrize("doc, message", [
    ("{not json", "malformed JSON at line 1 column 2"),
    ("[]", "top level must be an object"),
    ({"samples": []}, "missing top-level field 'taxonomy'"),
    ({"taxonomy": TAX}, "missing top-level field 'samples'"),
    ({"taxonomy": {}, "samples": []}, "field 'taxonomy' must be a list"),
    ({"taxonomy": TAX, "samples": {}}, "field 'samples' must be a list"),
    ({"taxonomy": [{"name": "x"}], "samples": []}, "taxonomy has no usable entries"),
    ({"taxonomy": TAX, "samples": []}, "no usable samples (0 records, 0 problems)"),
    ({"taxonomy": TAX, "samples": [{"text": "", "taxonomy_codes": ["a"]}]},
     "no usable samples (1 records, 1 problems); first problem: samples[0].text: empty"),
])
def test_unusable_file_fails_clearly(tmp_path, doc, message):
    p = _write(tmp_path, doc)
    with pytest.raises(TrainingError) as e:
        load_classification_data(p)
    assert message in str(e.value) and str(p) in str(e.value)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(TrainingError, match="does not exist"):
        load_classification_data(tmp_path / "nope.json")
    p = tmp_path / "latin.json"
    p.write_bytes(b'{"taxonomy": [], "samples": ["\xe9"]}')
    with pytest.raises(TrainingError, match="not UTF-8"):
        load_classification_data(p)


def test_taxonomy_problems_are_named(tmp_path):
    tax = TAX + [{"code": "a", "name": "dup"}, {"code": "c", "name": "Gamma", "parent": "missing"}, {"code": ""}]
    data = load_classification_data(_write(tmp_path, {"taxonomy": tax,
                                                      "samples": [{"text": "t", "taxonomy_codes": ["c"]}]}))
    assert [lab.code for lab in data.taxonomy] == ["a", "b", "c"]
    assert data.taxonomy[2].parent is None
    joined = "\n".join(data.problems)
    assert "taxonomy[2].code: duplicate code 'a'" in joined
    assert "taxonomy[4].code: must be a non-empty string" in joined
    assert "parent 'missing' is not a taxonomy code" in joined


def test_sample_dataset_is_valid_and_deterministic(tmp_path):
    a, b = make_sample_dataset(), make_sample_dataset()
    assert a == b and len(a) == 300 and len({t for t, _ in a}) == 300
    p = tmp_path / "s.json"
    write_classification_data(p, a, TAXONOMY)
    data = load_classification_data(p)
    assert data.problems == [] and len(data.samples) == 300
    assert all(n > 10 for n in data.label_counts().values())
    assert sum(len(c) > 1 for _, c in a) > 20


def test_reuters_converter(tmp_path):
    recs = [
        {"title": "OIL RISES", "body": "Crude\noil   rose.", "topics": ["crude"]},
        {"title": "NO TOPICS", "body": "x", "topics": []},
        {"title": "", "body": "", "topics": ["earn"]},
        {"title": "PROFIT", "body": "Net up.", "topics": ["earn", "acq", "earn"]},
        {"body": "only body", "topics": ["bop"]},
    ]
    (tmp_path / "reut2-000.train.json").write_text(json.dumps(recs))
    (tmp_path / "cat-descriptions_1.txt").write_text(
        "**Corporate Codes (2)\n\nMergers/Acquisitions (ACQ)\nEarnings and Earnings Forecasts (EARN)\n"
        "\n**Energy Codes (9)\n\nCRUDE\n")
    data, stats = convert_reuters(tmp_path)
    assert (stats.records, stats.kept, stats.no_topics, stats.no_text) == (5, 3, 1, 1)
    assert data.samples == [("OIL RISES. Crude oil rose.", ["crude"]), ("PROFIT. Net up.", ["earn", "acq"]),
                            ("only body", ["bop"])]
    names = {lab.code: lab.name for lab in data.taxonomy}
    assert names == {"acq": "Mergers/Acquisitions", "bop": "bop", "crude": "crude",
                     "earn": "Earnings and Earnings Forecasts"}


def test_reuters_bad_dirs(tmp_path):
    with pytest.raises(TrainingError, match="no Reuters-21578"):
        convert_reuters(tmp_path)
    (tmp_path / "x.json").write_text("{broken")
    with pytest.raises(TrainingError, match="not a Reuters JSON file"):
        convert_reuters(tmp_path)


def test_category_names_parser():
    text = "****Subject Codes (135)\n\nMoney/Foreign Exchange (MONEY-FX)\nU.S. Dollar (DLR)\nCOTTON \nnot a code line\n"
    assert parse_category_names(text) == {"money-fx": "Money/Foreign Exchange", "dlr": "U.S. Dollar",
                                          "cotton": "cotton"}
