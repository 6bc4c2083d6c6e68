"""Statistical properties of the synthetic interaction generator."""

import numpy as np
import pytest

from mlbundle_training.errors import TrainingError
from mlbundle_training.data.synthetic import create_synthetic_interactions

DAY = 86400


@pytest.fixture(scope="module")
def data():
    return create_synthetic_interactions(seed=5, users=400, items=300, count=12000)


def test_reproducible_and_sized(data):
    again = create_synthetic_interactions(seed=5, users=400, items=300, count=12000)
    assert np.array_equal(again.items, data.items) and np.array_equal(again.timestamps, data.timestamps)
    other = create_synthetic_interactions(seed=6, users=400, items=300, count=12000)
    assert not np.array_equal(other.items, data.items)
    assert len(data) == 12000 and len(create_synthetic_interactions()) >= 1000
    pairs = data.users * data.num_items + data.items
    assert len(np.unique(pairs)) == len(pairs)


def test_popularity_and_activity_are_long_tailed(data):
    items = np.sort(np.bincount(data.items, minlength=data.num_items))[::-1]
    top = items[: len(items) // 10].sum() / items.sum()
    assert top > 0.25  # the top 10% of items take far more than 10% of interactions
    users = np.sort(np.bincount(data.users, minlength=data.num_users))[::-1]
    assert users[: len(users) // 10].sum() / users.sum() > 0.2
    assert users.min() >= 3


def test_taste_groups_dominate(data):
    in_group = data.extra["item_group"][data.items] == data.extra["user_group"][data.users]
    groups = data.extra["spec"].groups
    assert in_group.mean() > 3 / groups  # far above the 1/groups of random picks


def test_temporal_patterns(data):
    hours = np.bincount(((data.timestamps % DAY) // 3600).astype(int), minlength=24)
    assert hours[18:22].sum() > 2 * hours[2:6].sum()  # evening peak over night
    weekday = ((data.timestamps // DAY + 3) % 7).astype(int)  # 0 = Monday
    per_day = np.bincount(weekday, minlength=7)
    assert per_day[5:].mean() > per_day[:5].mean()  # busier weekends
    first_use = np.full(data.num_items, np.inf)
    np.minimum.at(first_use, data.items, data.timestamps)
    spread = first_use[np.isfinite(first_use)] - data.timestamps.min()
    assert (spread > 20 * DAY).sum() > 0.2 * data.num_items  # items introduced over time


def test_bad_sizes_are_refused():
    with pytest.raises(TrainingError, match="count"):
        create_synthetic_interactions(users=100, items=100, count=100)
