"""Batching, threshold tuning and tokenizer settings on small hand-made cases."""

import numpy as np

from mlbundle_training.classifier.batches import (collate, cross_fitted_metrics, length_batches, multi_hot,
                                                  sigmoid, tune_thresholds)
from mlbundle_training.classifier.model import load_tokenizer
from mlbundle_training.classifier.tokenizer_cases import case_texts, tokenizer_settings


def test_length_batches_cover_every_index_once_and_group_lengths():
    lengths = np.array([5, 50, 6, 49, 7, 48, 8, 47])
    batches = length_batches(lengths, 2, np.random.default_rng(0))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(8))
    assert all(len(b) == 2 for b in batches)
    # with one pool, each batch pairs neighbours in sorted order: short with short
    assert all(abs(int(lengths[b[0]]) - int(lengths[b[1]])) <= 2 for b in batches)
    orders = {tuple(np.concatenate(length_batches(lengths, 2, np.random.default_rng(s))).tolist())
              for s in range(6)}
    assert len(orders) > 1  # the batch order changes with the generator state (every epoch)
    assert all(sorted(o) == list(range(8)) for o in orders)


def test_collate_pads_to_longest():
    batch = collate([[101, 7, 102], [101, 102], [101, 5, 6, 7, 102]], [0, 1])
    assert batch["input_ids"].tolist() == [[101, 7, 102], [101, 102, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["token_type_ids"].tolist() == [[0, 0, 0], [0, 0, 0]]
    assert str(batch["input_ids"].dtype) == "torch.int64"


def test_tune_thresholds_hand_case():
    probs = np.array([[0.9, 0.2, 0.1], [0.7, 0.6, 0.2], [0.3, 0.4, 0.3], [0.2, 0.35, 0.1]])
    y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    th = tune_thresholds(probs, y)
    # label 0: anything in (0.3, 0.7] separates perfectly; closest to 0.5 is 0.5
    assert th[0] == np.float32(0.5)
    # label 1: positives at 0.6 and 0.4, negatives at 0.2 and 0.35 -> (0.35, 0.4]: 0.4
    assert th[1] == np.float32(0.4)
    # label 2 has no positive: default
    assert th[2] == np.float32(0.5)


def test_cross_fitted_metrics_on_separable_data():
    rng = np.random.default_rng(0)
    y = rng.random((200, 3)) < 0.3
    probs = np.where(y, 0.8, 0.3) + rng.normal(0, 0.02, y.shape)
    m = cross_fitted_metrics(probs, y)
    assert m["micro_f1"] == 1.0 and m["macro_f1"] == 1.0
    noisy = cross_fitted_metrics(rng.random(y.shape), y)
    assert noisy["micro_f1"] < 0.7


def test_multi_hot_and_sigmoid():
    y = multi_hot([["b"], ["a", "b"]], {"a": 0, "b": 1})
    assert y.tolist() == [[False, True], [True, True]]
    assert np.allclose(sigmoid(np.array([0.0, 1000.0, -1000.0])), [0.5, 1.0, 0.0])


def test_tokenizer_settings_and_cases():
    s = tokenizer_settings(load_tokenizer())
    assert s["lowercase"] is True and s["strip_accents"] is True and s["tokenize_chinese_chars"] is True
    assert (s["unk_token"], s["cls_token"], s["sep_token"], s["pad_token"]) == ("[UNK]", "[CLS]", "[SEP]", "[PAD]")
    texts = case_texts()
    assert len(texts) >= 200 and len(set(texts)) == len(texts) and case_texts() == texts
