"""Vectorised, seeded negative sampling on the training device.

Negatives are drawn uniformly from all items with ``torch.randint`` on the device of the
inputs. A draw that hits one of the user's positives (a *collision*) is redrawn, only for
the colliding entries, until none is left: a negative is never a positive of that user.
Membership is a lookup in a dense boolean ``[num_users * num_items]`` mask of the
positives when that fits (:func:`positive_index`, up to 64M pairs: ml-100k is 1.6M), else a
binary search (``torch.searchsorted``) in the sorted keys ``user * num_items + item``; both
give the same answer, so the same generator state draws the same negatives. Draws are with
replacement, so one positive's negatives may repeat an item (as in the NCF paper's
sampler). A user who has interacted with every item has no negative: that raises.
"""

from __future__ import annotations

import torch


def positive_keys(users: torch.Tensor, items: torch.Tensor, num_items: int) -> torch.Tensor:
    """Sorted unique int64 keys ``user * num_items + item`` of the positives."""
    return torch.unique(users.long() * num_items + items.long())


DENSE_LIMIT = 1 << 26


def positive_mask(users: torch.Tensor, items: torch.Tensor, num_users: int,
                  num_items: int) -> torch.Tensor:
    """Dense boolean ``[num_users * num_items]`` mask, True at ``user * num_items + item``."""
    mask = torch.zeros(num_users * num_items, dtype=torch.bool, device=users.device)
    mask[users.long() * num_items + items.long()] = True
    return mask


def positive_index(users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int,
                   dense_limit: int = DENSE_LIMIT) -> torch.Tensor:
    """:func:`positive_mask` when ``num_users * num_items <= dense_limit``, else
    :func:`positive_keys`; either is accepted as ``keys`` below."""
    if num_users * num_items <= dense_limit:
        return positive_mask(users, items, num_users, num_items)
    return positive_keys(users, items, num_items)


def is_positive(keys: torch.Tensor, users: torch.Tensor, items: torch.Tensor,
                num_items: int) -> torch.Tensor:
    """Boolean mask: is (user, item) a positive; ``keys`` from :func:`positive_keys` (sorted
    keys) or :func:`positive_mask` (dense boolean mask)."""
    q = users.long() * num_items + items.long()
    if keys.dtype == torch.bool:
        return keys.index_select(0, q)  # index_select: several times faster than keys[q] on CPU
    pos = torch.searchsorted(keys, q).clamp_(max=keys.numel() - 1)
    return keys.index_select(0, pos) == q


def sample_negatives(users: torch.Tensor, keys: torch.Tensor, num_items: int, k: int,
                     generator: torch.Generator, max_rounds: int = 1000) -> torch.Tensor:
    """``[len(users), k]`` item indices, none a positive of its row's user.

    ``keys`` from :func:`positive_keys` or :func:`positive_mask` (same device as ``users``);
    ``generator`` must live on that device too. Same generator state -> same negatives.
    """
    dev = users.device
    u = users.long().repeat_interleave(k)
    neg = torch.randint(0, num_items, (u.numel(),), device=dev, generator=generator)
    todo = torch.nonzero(is_positive(keys, u, neg, num_items)).squeeze(-1)
    rounds = 0
    while todo.numel():
        rounds += 1
        if rounds > max_rounds:
            users_left = torch.unique(u[todo])[:5].tolist()
            raise ValueError(f"cannot sample negatives for users {users_left}: "
                             "they have (almost) every item as a positive")
        neg[todo] = torch.randint(0, num_items, (todo.numel(),), device=dev, generator=generator)
        hit = is_positive(keys, u[todo], neg[todo], num_items)
        todo = todo[hit]
    return neg.view(-1, k)


def make_generator(device: torch.device, seed: int) -> torch.Generator:
    """A torch.Generator on ``device`` seeded with ``seed``."""
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g
