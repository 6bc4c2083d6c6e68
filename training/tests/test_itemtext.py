"""Placing items by text: item texts, the ridge map, the two exported graphs, the contract."""

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mlbundle_training.contract import proof
from mlbundle_training.contract.validate import check as schema_check
from mlbundle_training.data.item_texts import movielens_item_texts, synthetic_item_texts, TOPICS
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.errors import TrainingError
from mlbundle_training.ncf.export import export_checkpoint
from mlbundle_training.itemtext.place import ScoreItems, fit_map, fit_placer, mean_cosine
from mlbundle_training.ncf.model import NCF, NCFShape
from mlbundle_training.ncf.train import NCFConfig, check_config, train


def test_synthetic_texts_speak_their_group_topic():
    groups = np.array([0, 0, 3, 5, 11])
    texts = synthetic_item_texts([f"i{n}" for n in range(5)], groups, seed=4)
    assert set(texts) == {f"i{n}" for n in range(5)}
    for n, g in enumerate(groups):
        words = texts[f"i{n}"].lower().replace(".", "").split()
        on_topic = sum(w in TOPICS[g].split() for w in words)
        assert len(words) == 12 and on_topic >= 4, texts[f"i{n}"]
    assert texts == synthetic_item_texts([f"i{n}" for n in range(5)], groups, seed=4)  # seeded


def test_synthetic_generator_gives_every_item_a_text():
    data = create_synthetic_interactions(seed=2, users=30, items=40, count=300)
    assert sorted(data.item_texts) == sorted(data.item_ids)


def test_movielens_item_texts(tmp_path):
    (tmp_path / "u.item").write_text(
        "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        "bad line\n"
        "7|Twelve Monkeys (1995)|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|1|0|0|0\n",
        encoding="latin-1")
    assert movielens_item_texts(tmp_path / "u.item") == {
        "1": "Toy Story (1995). Genres: Animation, Children's, Comedy.",
        "7": "Twelve Monkeys (1995). Genres: Drama, Sci-Fi."}
    assert movielens_item_texts(tmp_path / "absent") == {}


def test_fit_map_recovers_a_linear_map_and_picks_a_weak_penalty():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10))
    w = rng.normal(size=(10, 4))
    y = x @ w + 0.5
    m = fit_map(x, y, seed=0)
    assert m.alpha <= 1e-3 and m.validation_cosine > 0.99
    assert np.allclose(m(x), y, atol=0.05)


def test_fit_map_picks_a_strong_penalty_when_the_text_says_nothing():
    # targets are their mean plus noise, the embeddings unrelated: the best map is the mean
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 40)), 3.0 + rng.normal(size=(60, 3))
    m = fit_map(x, y, seed=0)
    assert m.alpha >= 10 and np.abs(m.weight).max() < 0.05


def test_fit_map_needs_items():
    with pytest.raises(TrainingError, match="at least 5 items"):
        fit_map(np.zeros((3, 2)), np.zeros((3, 2)), seed=0)


def test_mean_cosine():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert mean_cosine(a, np.array([[2.0, 0.0], [0.0, -1.0]])) == pytest.approx(0.0)


@pytest.mark.parametrize("variant", ["mlp", "gmf", "neumf"])
def test_score_items_equals_the_model_on_trained_items(variant):
    torch.manual_seed(0)
    m = NCF(NCFShape(6, 9, variant, 4, [16, 8, 4])).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.5)
        s = ScoreItems(m)
        for u in range(6):
            want = m(torch.full((9,), u), torch.arange(9))
            assert torch.allclose(s(torch.tensor([u]), m.item_vectors()), want, atol=1e-5)


def test_run_refuses_an_encoder_without_placing(tmp_path):
    from mlbundle_training.ncf.train import run

    data = create_synthetic_interactions(seed=2, users=30, items=40, count=300)
    with pytest.raises(TrainingError, match="placing function"):
        run(NCFConfig(item_text_encoder="tiny", output_dir=str(tmp_path)), data, None)


def test_placer_refuses_data_without_texts():
    from mlbundle_training.itemtext.place import placer_for

    data = create_synthetic_interactions(seed=2, users=30, items=40, count=300)
    data.item_texts = {}
    assert placer_for("none", 32, 0) is None
    with pytest.raises(TrainingError, match="no item texts"):
        placer_for("tiny", 32, 0)(None, data)


def test_config_refuses_unknown_encoder():
    with pytest.raises(TrainingError, match="item-text-encoder"):
        check_config(NCFConfig(item_text_encoder="bert"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    data = create_synthetic_interactions(seed=1, users=120, items=80, count=2000)
    res = train(NCFConfig(epochs=2, batch_size=256, progress=False), data)
    placer = fit_placer(res.model, data.item_ids, data.item_texts, "tiny", 32, seed=0)
    d = export_checkpoint(res.model, data, tmp_path_factory.mktemp("ck"), "t1", {"epochs": 2},
                          res.metrics, placer=placer)
    return d, res.model, placer


def test_export_writes_item_text_graphs_that_pass_the_contract(exported):
    d, model, placer = exported
    man = json.loads((d / "manifest.json").read_text())
    t = man["ncf"]["item_text"]
    assert t["file"] == "item_text.onnx" and t["score_file"] == "score_items.onnx"
    assert t["embedding_dim"] == model.item_vectors().shape[1] and t["encoder"] == "tiny"
    for f in ("item_text.onnx", "score_items.onnx", "vocab.txt"):
        assert f in man["files"]
    checked = {c["file"] for c in json.loads((d / "parity.json").read_text())["checks"]}
    assert {"item_text.onnx", "score_items.onnx"} <= checked
    proof.check_servable(d)  # every graph loads, matches the contract and its parity


def test_item_text_graph_places_as_pytorch_does(exported):
    d, model, placer = exported
    from mlbundle_training.classifier.batches import collate, encode

    texts = ["Space rocket. orbit planet", "Recipe kitchen bake flour dinner sauce"]
    feed = collate(encode(placer.tokenizer, texts, 32), range(2))
    with torch.no_grad():
        want = placer.module(**feed).numpy()
    sess = ort.InferenceSession(str(d / "item_text.onnx"), providers=["CPUExecutionProvider"])
    (got,) = sess.run(["item_embedding"], {k: v.numpy() for k, v in feed.items()})
    assert got.shape == (2, model.item_vectors().shape[1]) and np.allclose(got, want, atol=1e-4)


def test_schema_refuses_a_bad_item_text_section(exported):
    d, _, _ = exported
    man = json.loads((d / "manifest.json").read_text())
    del man["ncf"]["item_text"]["tokenizer"]
    with pytest.raises(TrainingError, match="tokenizer"):
        schema_check("manifest", man, "m")
    man = json.loads((d / "manifest.json").read_text())
    man["ncf"]["item_text"]["encoder"] = "bert"
    with pytest.raises(TrainingError):
        schema_check("manifest", man, "m")


def test_proof_refuses_item_text_without_parity(exported, tmp_path):
    import shutil

    from mlbundle_training.contract import checkpoint as ckpt

    d, _, _ = exported
    c = tmp_path / "c"
    shutil.copytree(d, c)
    parity = json.loads((c / "parity.json").read_text())
    parity["checks"] = [x for x in parity["checks"] if x["file"] != "score_items.onnx"]
    (c / "parity.json").write_text(json.dumps(parity))
    man = json.loads((c / "manifest.json").read_text())
    man["files"]["parity.json"] = ckpt.file_digest(c / "parity.json")
    (c / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(TrainingError, match="no check of score_items.onnx"):
        proof.check_servable(c)


def test_tune_command_places_items_on_the_winner(tmp_path, capsys):
    from mlbundle_training.cli import main

    out = tmp_path / "out"
    assert main(["tune", "--data-path", "synthetic", "--synthetic-users", "60", "--synthetic-items", "50",
                 "--synthetic-count", "1000", "--models", "als", "--trials", "1", "--output-dir", str(out),
                 "--version", "tuned", "--no-progress", "--item-text-encoder", "tiny",
                 "--item-text-max-length", "32"]) == 0
    d = out / "ncf" / "tuned"
    man = json.loads((d / "manifest.json").read_text())
    assert man["ncf"]["variant"] == "gmf" and man["ncf"]["item_text"]["embedding_dim"] == man["ncf"]["item_vector_dim"]
    assert "item_text_validation_cosine" in man["metrics"] and "item_text_alpha" in man["hyperparameters"]
    proof.check_servable(d)


def test_shift_moves_the_placement_by_the_popularity_offset():
    from mlbundle_training.itemtext.place import placer_for, popularity_offset

    data = create_synthetic_interactions(seed=2, users=60, items=40, count=600)
    torch.manual_seed(0)
    model = NCF(NCFShape(data.num_users, data.num_items, "neumf", 4, [16, 8])).eval()
    plain = placer_for("tiny", 32, 0)(model, data)
    moved = placer_for("tiny", 32, 0, shift=0.5)(model, data)
    counts = np.bincount(data.items, minlength=data.num_items)
    want = 0.5 * popularity_offset(model.item_vectors().numpy(), counts)
    got = (moved.module.map.bias - plain.module.map.bias).detach().numpy()
    assert moved.shift == 0.5 and np.allclose(got, want, atol=1e-6) and np.abs(want).max() > 0


def test_popularity_offset():
    from mlbundle_training.itemtext.place import popularity_offset

    v = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [3.0, 3.0]] * 5)  # 20 items
    counts = np.arange(20)[::-1].astype(float)  # item 0 most popular, then 1, ...
    assert np.allclose(popularity_offset(v, counts), v[:2].mean(0) - v.mean(0))
