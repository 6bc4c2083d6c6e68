"""The lexical (bag-of-wordpieces TF-IDF) branch and multi-layer pooling: sparse training
form equals the exported dense form, cached training equals the full forward, export round
trip, reload."""

import json

import numpy as np
import pytest
import torch

from mlbundle_training.classifier import cached
from mlbundle_training.classifier import export as export_classifier
from mlbundle_training.classifier.batches import collate
from mlbundle_training.classifier.lexical import SPECIAL_IDS, idf_weights
from mlbundle_training.classifier.loop import make_optimizer
from mlbundle_training.classifier.model import build_classifier, load_tokenizer
from mlbundle_training.classifier.quantize import check_kernel_independent
from mlbundle_training.classifier.train import ClassifierConfig, run, train
from mlbundle_training.contract import checkpoint as ckpt
from mlbundle_training.contract import proof
from mlbundle_training.data.classification import ClassificationData, write_classification_data
from mlbundle_training.errors import TrainingError
from mlbundle_training.data.classification_sample import TAXONOMY, make_sample_dataset

IDS = [[101, 2054, 2003, 2003, 2003, 102], [101, 7592, 2088, 2003, 1037, 3231, 102], [101, 102], [101, 3231, 102]]


def _model(labels=4, seed=3, pool_layers=1):
    model = build_classifier("tiny", labels, seed=seed, lexical=True, pool_layers=pool_layers).eval()
    model.lexical.set_idf(IDS)
    with torch.no_grad():
        model.lexical.weight.normal_(0, 1, generator=torch.Generator().manual_seed(seed))
    return model


def test_idf_is_smoothed_and_zero_for_special_tokens():
    idf = idf_weights(IDS, 30522)
    n = len(IDS)
    assert idf[2003] == pytest.approx(np.log((1 + n) / (1 + 2)) + 1)   # in 2 of 4 texts
    assert idf[3231] == pytest.approx(np.log((1 + n) / (1 + 2)) + 1)
    assert idf[7592] == pytest.approx(np.log((1 + n) / (1 + 1)) + 1)
    assert idf[5000] == pytest.approx(np.log(1 + n) + 1)                # unseen
    assert all(idf[t] == 0 for t in SPECIAL_IDS)


def test_dense_forward_is_normalised_log_tf_idf():
    model = _model()
    f = collate(IDS, range(len(IDS)))
    with torch.no_grad():
        got = model.lexical(f["input_ids"], f["attention_mask"]).numpy()
    idf = model.lexical.idf.numpy().astype(np.float64)
    w = model.lexical.weight.detach().numpy().astype(np.float64)
    for i, r in enumerate(IDS):
        x = np.zeros(30522)
        for t in r:
            x[t] += 1
        x = np.log1p(x) * idf
        norm = np.linalg.norm(x)
        want = (x / norm) @ w if norm else np.zeros(w.shape[1])
        np.testing.assert_allclose(got[i], want, atol=1e-5)
    assert np.all(got[2] == 0)  # only [CLS]/[SEP]: no lexical evidence


def test_sparse_rows_equal_dense_forward_and_padding_is_ignored():
    model = _model()
    f = collate(IDS, range(len(IDS)))
    with torch.no_grad():
        dense = model.lexical(f["input_ids"], f["attention_mask"])
        bag = model.lexical.bag_logits(model.lexical.tfidf_rows(IDS), range(len(IDS)))
        alone = model.lexical(*(collate(IDS, [1])[k] for k in ("input_ids", "attention_mask")))
    np.testing.assert_allclose(bag.numpy(), dense.numpy(), atol=1e-5)
    np.testing.assert_allclose(alone.numpy()[0], dense.numpy()[1], atol=1e-6)


@pytest.mark.parametrize("n,pool", [(0, 1), (1, 1), (2, 1), (0, 2), (2, 2)])
def test_cached_logits_with_lexical_equal_full_forward(n, pool):
    model = _model(5, pool_layers=pool)
    if n == 2:  # every layer frozen: the cache holds the pooled features
        cache = cached.cache_features(model, IDS, batch_size=2)
        assert all(c.shape == (1, 32 * pool) for c in cache)
    else:
        cache = cached.cache_lower(model, IDS, n, batch_size=2)
    with torch.no_grad():
        full = model(**collate(IDS, range(len(IDS)))).numpy()
    got = cached.predict_cached(model, cache, n, 2, model.lexical.tfidf_rows(IDS))
    np.testing.assert_allclose(got, full, atol=1e-5)


def test_fit_cached_trains_the_head_and_the_lexical_rows_of_seen_tokens():
    model = build_classifier("tiny", 3, seed=0, lexical=True)
    model.lexical.set_idf(IDS)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = IDS * 8
    y = torch.zeros((len(ids), 3))
    y[::4, 0] = 1
    cfg = ClassifierConfig(freeze_layers=2, epochs=2, batch_size=4, head_lr=1e-2, lexical_lr=1e-2,
                           eval_batch_size=8)
    threads = torch.get_num_threads()
    history, logits = cached.fit_cached(model, ids, y, ids, y.numpy().astype(bool), cfg,
                                        torch.nn.BCEWithLogitsLoss(), make_optimizer)
    assert torch.get_num_threads() == threads  # the head's epochs ran on one thread, then restored
    after = model.state_dict()
    changed = {k for k in after if not torch.equal(before[k], after[k])}
    assert changed == {"head.weight", "head.bias", "lexical.weight"}, changed
    moved = (after["lexical.weight"] != 0).any(1).nonzero().flatten().tolist()
    assert moved == sorted({t for r in IDS for t in r} - set(SPECIAL_IDS))
    assert len(history) == 2 and logits.shape == (len(ids), 3)
    with torch.no_grad():
        full = model.eval()(**collate(ids, range(len(ids)))).numpy()
    np.testing.assert_allclose(logits, full, atol=1e-5)


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("data") / "sample.json"
    write_classification_data(data, make_sample_dataset(60, seed=1), TAXONOMY)
    out = tmp_path_factory.mktemp("models")
    return run(ClassifierConfig(data=str(data), output_dir=str(out), version="lex1", encoder="tiny", epochs=2,
                                batch_size=8, max_length=32, augment_target=80, threads=1, lexical=True,
                                pool_layers=2))


def test_export_round_trip_with_the_lexical_branch(checkpoint_dir):
    import onnx

    m = ckpt.verify_checkpoint(checkpoint_dir)
    assert proof.check_servable(checkpoint_dir)["version"] == "lex1"
    assert m["onnx"]["model.onnx"] == m["onnx"]["model.int8.onnx"]  # the same inputs Go feeds
    for name in ("model.onnx", "model.int8.onnx"):
        graph = onnx.load(str(checkpoint_dir / name))
        scatter = [n for n in graph.graph.node if n.op_type == "ScatterElements"]
        assert len(scatter) == 1 and {a.name: a.s for a in scatter[0].attribute}["reduction"] == b"add"
    check_kernel_independent(checkpoint_dir / "model.int8.onnx")
    doc = json.loads((checkpoint_dir / "parity.json").read_text())
    for check in doc["checks"]:
        assert ckpt.verify_parity_onnx(checkpoint_dir, check) <= check["tolerance"]
    assert m["hyperparameters"]["lexical"] is True and m["hyperparameters"]["pool_layers"] == 2


@pytest.mark.parametrize("freeze,pool,want", [(1, 2, 1), (1, 3, 1), (2, 3, 2), (0, 3, 2), (2, 1, 1)])
def test_pooled_layers_are_capped_to_the_trained_ones_or_all(freeze, pool, want):
    data = ClassificationData(make_sample_dataset(20, seed=1), list(TAXONOMY))
    cfg = ClassifierConfig(data="x", encoder="tiny", freeze_layers=freeze, pool_layers=pool, max_steps=1,
                           epochs=1, threads=1, augment_target=0)
    result = train(cfg, data)
    assert cfg.pool_layers == result.model.pool_layers == want


def test_pool_layers_beyond_the_encoder_are_refused():
    with pytest.raises(TrainingError, match="pool_layers must be in 1..2"):
        build_classifier("tiny", 3, pool_layers=3)


def test_reloaded_model_has_the_trained_branch_and_reproduces_logits(checkpoint_dir):
    model, _ = export_classifier.load_pt(checkpoint_dir / "model.pt")
    assert model.pool_layers == 2 and model.head.in_features == 64
    assert model.lexical is not None and bool((model.lexical.weight != 0).any())
    assert bool((model.lexical.idf > 0).any())
    texts = json.loads((checkpoint_dir / "parity.json").read_text())["texts"]
    enc = load_tokenizer()([t["text"] for t in texts], truncation=True, max_length=32, padding=True,
                           return_tensors="pt")
    with torch.no_grad():
        got = model(**{k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}).numpy()
    np.testing.assert_allclose(got, np.array([t["logits"] for t in texts]), atol=1e-5)
