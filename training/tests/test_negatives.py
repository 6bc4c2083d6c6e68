"""Negative sampler: ratio, never a positive, determinism under a seed."""

import pytest
import torch

from mlbundle_training.ncf.negatives import (is_positive, make_generator, positive_index, positive_keys,
                                         sample_negatives)


def _positives():
    g = torch.Generator().manual_seed(0)
    users = torch.randint(0, 50, (2000,), generator=g)
    items = torch.randint(0, 40, (2000,), generator=g)  # dense: many collisions to redraw
    return users, items


def test_shape_and_never_a_positive():
    users, items = _positives()
    keys = positive_keys(users, items, 40)
    neg = sample_negatives(users, keys, 40, 4, make_generator(torch.device("cpu"), 1))
    assert neg.shape == (2000, 4)
    assert neg.min() >= 0 and neg.max() < 40
    assert not is_positive(keys, users.repeat_interleave(4), neg.reshape(-1), 40).any()
    pos = set(zip(users.tolist(), items.tolist()))
    assert not any((u, i) in pos for u, row in zip(users.tolist(), neg.tolist()) for i in row)


def test_deterministic_and_fresh():
    users, items = _positives()
    keys = positive_keys(users, items, 40)
    dev = torch.device("cpu")
    a = sample_negatives(users, keys, 40, 4, make_generator(dev, 7))
    b = sample_negatives(users, keys, 40, 4, make_generator(dev, 7))
    c = sample_negatives(users, keys, 40, 4, make_generator(dev, 8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_user_with_every_item_fails():
    users = torch.zeros(5, dtype=torch.long)
    items = torch.arange(5)
    with pytest.raises(ValueError, match="every item"):
        sample_negatives(users, positive_keys(users, items, 5), 5, 1,
                         make_generator(torch.device("cpu"), 0), max_rounds=20)


def test_dense_mask_draws_the_same_negatives_as_sorted_keys():
    users, items = _positives()
    mask = positive_index(users, items, 50, 40)
    keys = positive_index(users, items, 50, 40, dense_limit=50 * 40 - 1)
    assert mask.dtype == torch.bool and keys.dtype == torch.int64
    assert int(mask.sum()) == len(keys)
    dev = torch.device("cpu")
    a = sample_negatives(users, mask, 40, 4, make_generator(dev, 3))
    b = sample_negatives(users, keys, 40, 4, make_generator(dev, 3))
    assert torch.equal(a, b)
    q_u, q_i = torch.arange(50).repeat_interleave(40), torch.arange(40).repeat(50)
    assert torch.equal(is_positive(mask, q_u, q_i, 40), is_positive(keys, q_u, q_i, 40))
