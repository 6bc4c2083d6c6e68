"""Augmentation properties: labels kept, no verbatim duplicates, shares kept, seeded."""

import random
from collections import Counter

import pytest

from mlbundle_training.data.augment import (augment_classification_data, delete_words, make_variant,
                                       shuffle_sentences, substitute_numbers, substitute_synonyms,
                                       swap_words, synonym_table)
from mlbundle_training.data.classification_sample import make_sample_dataset


@pytest.fixture(scope="module")
def small():
    return make_sample_dataset(120, seed=3)


def test_reaches_target_without_duplicates(small):
    out = augment_classification_data(small, target_size=500, seed=1)
    texts = [t for t, _ in out]
    assert len(out) == 500
    assert len(set(texts)) == len(texts)
    assert out[:len(small)] == [(t, c) for t, c in small]


def test_variants_keep_their_source_labels():
    # each label has its own words, so a variant's words show which labels it came from
    rng = random.Random(4)
    vocab = {lab: [f"{lab}word{i}" for i in range(12)] for lab in ("red", "green", "blue")}
    samples = []
    for k in range(40):
        labs = sorted(rng.sample(list(vocab), rng.choice([1, 2])))
        words = [rng.choice(vocab[lab]) for lab in labs for _ in range(5)] + ["said", "rose", str(k)]
        samples.append((" ".join(words) + ". Then it ended.", labs))
    out = augment_classification_data(samples, target_size=300, seed=2)
    assert len(out) == 300
    for text, codes in out[len(samples):]:
        found = sorted({lab for lab, ws in vocab.items() for w in ws if w in text})
        assert found == codes, (text, codes)


def test_label_shares_are_kept(small):
    out = augment_classification_data(small, target_size=500, seed=3)
    before = Counter(c for _, cs in small for c in cs)
    after = Counter(c for _, cs in out for c in cs)
    for code, n in before.items():
        share_before = n / len(small)
        share_after = after[code] / len(out)
        # each sample gets floor or ceil of the mean number of variants
        assert abs(share_after - share_before) <= share_before / len(small) * 5 + 1e-9, code


def test_seeded_and_large_datasets_untouched(small):
    assert augment_classification_data(small, 300, seed=5) == augment_classification_data(small, 300, seed=5)
    assert augment_classification_data(small, 300, seed=5) != augment_classification_data(small, 300, seed=6)
    same = augment_classification_data(small, target_size=100)
    assert same == [(t, c) for t, c in small]
    assert augment_classification_data([], 10) == []


def test_texts_that_cannot_vary_stop_short():
    out = augment_classification_data([("x", ["a"]), ("y", ["b"])], target_size=50, seed=0)
    assert [t for t, _ in out] == ["x", "y"]


def test_each_technique_changes_text():
    rng = random.Random(0)
    table = synonym_table()
    text = "Prices rose 12 pct. The company said sales increased. Analysts expected a big gain."
    assert substitute_synonyms(text, rng, table) != text
    assert substitute_numbers(text, rng) != text and "pct" in substitute_numbers(text, rng)
    shuffled = shuffle_sentences(text, rng)
    assert sorted(shuffled.split(". ")) != [] and set(shuffled.split()) == set(text.split())
    assert len(delete_words(text, rng).split()) < len(text.split())
    swapped = swap_words(text, rng)
    assert sorted(swapped.split()) == sorted(text.split())
    assert make_variant(text, rng, table) != text


def test_synonyms_keep_case_and_punctuation():
    rng = random.Random(1)
    table = synonym_table()
    out = substitute_synonyms("Said (rose), SAID.", rng, table, rate=1.0)
    toks = out.split()
    assert toks[0][0].isupper() and toks[0].lower() in table["said"]
    assert toks[1].startswith("(") and toks[1].endswith("),") and toks[1][1:-2] in table["rose"]
    assert toks[2].endswith(".") and toks[2][:-1].isupper()
    for word, alts in table.items():
        assert word not in alts and alts
