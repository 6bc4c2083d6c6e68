"""Held-out items placed by text: how well do they rank for the users who took them?

A share of the items that have a text is hidden, with every interaction on them, before
training. The NCF model is trained on the rest and exported with the item-text graphs
(:mod:`.place`); the hidden items are then added by their text exactly as serving adds
them (``item_text.onnx``) and scored with ``score_items.onnx``, and each (user, hidden
item) pair of a user the model knows is ranked:

- among the hidden items (``new``): which new item would this user take;
- among the hidden items and every trained item the user has not seen (``all``): does the
  new item reach the user's whole top-K.

The text placement is compared with two text-blind placements of the same new items:
``popularity`` (every new item at the mean embedding of the most popular tenth of the
trained items) and ``random`` (each at the embedding of a trained item drawn at random).
Ties are broken at random (seeded). ``text+shift`` is the text placement moved by
``shift`` times :func:`.place.popularity_offset` (``--item-text-shift``), the shift chosen
from :data:`SHIFTS` on *validation items* (another share of the items, hidden from
training as well, never the test items) by the NDCG@10 of every validation interaction
ranked among all items: the validation items' pairs and the trained items' validation
positives together, so that a shift which pushes new items above everything pays for the
trained items it crowds out. The trained items' test positives are ranked with the new
items inserted too (the cost of each placement to the rest of the answer). The map's ridge strength is
chosen on trained items (:func:`.place.fit_map`).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.interactions import Interactions
from ..errors import TrainingError
from ..ncf.export import export_checkpoint
from ..ncf.train import NCFConfig, train
from .place import ITEM_TEXT_FILE, POPULAR_SHARE, SCORE_ITEMS_FILE, placer_for, popularity_offset

log = logging.getLogger(__name__)
PLACEMENTS = ("text", "popularity", "random", "text+shift")
SHIFTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


@dataclass
class HoldoutConfig:
    """One hold-out run: the data's hidden share, the encoder and the NCF settings."""

    hidden_share: float = 0.1
    validation_share: float = 0.1
    encoder: str = "minilm"
    max_length: int = 64
    top_k: int = 10
    seed: int = 0
    ncf: NCFConfig = field(default_factory=lambda: NCFConfig(progress=False, single_interaction="train-only"))


def choose_hidden(data: Interactions, shares: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Disjoint seeded sets of item indices, one per share of the items that have a text."""
    with_text = np.array([i for i, x in enumerate(data.item_ids) if data.item_texts.get(x)], np.int64)
    sizes = [int(round(s * len(with_text))) for s in shares]
    if min(sizes) < 1 or len(with_text) - sum(sizes) < 5:
        raise TrainingError(f"{data.source}: {len(with_text)} items with a text cannot hide {sum(shares):.0%}")
    order = np.random.default_rng(seed).permutation(with_text)
    bounds = np.cumsum([0, *sizes])
    return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def without_items(data: Interactions, hidden: np.ndarray) -> Interactions:
    """The interactions without the items ``hidden`` (indices); users left with none drop out."""
    keep = ~np.isin(data.items, hidden)
    items_left = np.setdiff1d(np.arange(data.num_items), hidden)
    users_left = np.unique(data.users[keep])
    item_map = np.full(data.num_items, -1, np.int64)
    item_map[items_left] = np.arange(len(items_left))
    user_map = np.full(data.num_users, -1, np.int64)
    user_map[users_left] = np.arange(len(users_left))
    ids = [data.item_ids[i] for i in items_left]
    kept = set(ids)
    return Interactions(user_map[data.users[keep]], item_map[data.items[keep]], data.timestamps[keep],
                        data.weights[keep], [data.user_ids[u] for u in users_left], ids,
                        source=f"{data.source} without {len(hidden)} items",
                        item_categories={k: v for k, v in data.item_categories.items() if k in kept},
                        item_texts={k: data.item_texts[k] for k in ids if k in data.item_texts})


def hide_items(data: Interactions, share: float, seed: int) -> tuple[Interactions, np.ndarray]:
    """The interactions without a seeded ``share`` of the items that have a text, and the
    hidden items' indices in ``data``."""
    (hidden,) = choose_hidden(data, (share,), seed)
    return without_items(data, hidden), hidden


def rank_of(scores: np.ndarray, target: int, rng: np.random.Generator) -> int:
    """0-based rank of ``scores[target]``; ties with it are broken uniformly at random."""
    s = scores[target]
    greater = int(np.sum(scores > s))
    ties = int(np.sum(scores == s)) - 1
    return greater + int(rng.integers(0, ties + 1))


def _metrics(ranks: list[int], k: int) -> dict[str, float]:
    r = np.asarray(ranks)
    return {f"hr@{k}": float(np.mean(r < k)),
            f"ndcg@{k}": float(np.mean(np.where(r < k, 1.0 / np.log2(r + 2.0), 0.0)))}


def _sessions(d: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return [ort.InferenceSession(str(d / f), opts, providers=["CPUExecutionProvider"])
            for f in (ITEM_TEXT_FILE, SCORE_ITEMS_FILE)]


def _embed(sess, tokenizer, texts: list[str], max_length: int) -> np.ndarray:
    """Raw item embeddings of ``texts`` through item_text.onnx."""
    from ..classifier.batches import collate, encode

    ids = encode(tokenizer, texts, max_length)
    out = []
    for s in range(0, len(ids), 32):
        feed = {k: v.numpy() for k, v in collate(ids, range(s, min(len(ids), s + 32))).items()}
        out.append(sess.run(["item_embedding"], feed)[0])
    return np.concatenate(out)


def placements(text: np.ndarray, trained: np.ndarray, counts: np.ndarray, shift: float,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The new items' raw embeddings under each placement."""
    top = np.argsort(-counts, kind="stable")[:max(1, int(POPULAR_SHARE * len(counts)))]
    pop = np.repeat(trained[top].mean(0, keepdims=True), len(text), axis=0)
    rand = trained[rng.integers(0, len(trained), len(text))]
    shifted = text + shift * popularity_offset(trained, counts)
    return {"text": text, "popularity": pop, "random": rand, "text+shift": shifted}


def run(cfg: HoldoutConfig, data: Interactions) -> dict[str, Any]:
    """Hide, train, place and rank (module doc); returns the figures per placement."""
    t0 = time.perf_counter()
    hidden, val_items = choose_hidden(data, (cfg.hidden_share, cfg.validation_share), cfg.seed)
    train_data = without_items(data, np.concatenate([hidden, val_items]))
    result = train(cfg.ncf, train_data)
    placer = placer_for(cfg.encoder, cfg.max_length, cfg.seed)(result.model, train_data)
    trained = result.model.item_vectors().float().numpy()
    counts = np.bincount(train_data.items, minlength=train_data.num_items)
    offset = popularity_offset(trained, counts)
    rng = np.random.default_rng(cfg.seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        d = export_checkpoint(result.model, train_data, tmp, "holdout", cfg.ncf.hyperparameters(),
                              result.metrics, placer=placer)
        place_sess, score_sess = _sessions(d)

        def embed(items: np.ndarray) -> np.ndarray:
            return _embed(place_sess, placer.tokenizer, [data.item_texts[data.item_ids[i]] for i in items],
                          cfg.max_length)

        val_text = embed(val_items)
        shifted = {str(x): val_text + x * offset for x in SHIFTS}
        val = _rank_pairs(data, train_data, val_items, trained, shifted, score_sess, rng)
        val_old = _rank_trained(train_data, result.split, "validation", trained, shifted, score_sess, rng)
        # every held-out interaction counts: a new item's pair and a trained item's
        # validation positive, both ranked among all items (so crowding out costs)
        val_ndcg = {x: _metrics(val[str(x)]["all"] + val_old[str(x)], cfg.top_k)[f"ndcg@{cfg.top_k}"]
                    for x in SHIFTS}
        shift = max(SHIFTS, key=lambda x: val_ndcg[x])
        placed = placements(embed(hidden), trained, counts, shift, rng)
        ranks = _rank_pairs(data, train_data, hidden, trained, placed, score_sess, rng)
        old_ranks = _rank_trained(train_data, result.split, "test", trained, placed, score_sess, rng)
    out = {"data": data.source, "items": data.num_items, "hidden_items": int(len(hidden)),
           "validation_items": int(len(val_items)), "users": train_data.num_users,
           "pairs": len(ranks["text"]["new"]), "validation_pairs": len(val["0.0"]["new"]),
           "encoder": cfg.encoder, "variant": cfg.ncf.variant, "item_text_alpha": placer.alpha,
           "item_text_validation_cosine": round(placer.validation_cosine, 4), "shift": shift,
           "validation_all_ndcg@10_by_shift": {str(x): round(v, 4) for x, v in val_ndcg.items()},
           "model_test_full_ndcg@10": round(result.metrics.get("test_full_ndcg@10", float("nan")), 4),
           "seconds": round(time.perf_counter() - t0, 1), "config": {**asdict(cfg), "ncf": cfg.ncf.hyperparameters()}}
    for k, v in _metrics(_rank_trained(train_data, result.split, "test", trained, {"none": trained[:0]},
                                       score_sess, rng)["none"], cfg.top_k).items():
        out[f"trained_test_{k}"] = round(v, 4)  # the trained items' test positives without new items
    for p in PLACEMENTS:
        for scope in ("new", "all"):
            for k, v in _metrics(ranks[p][scope], cfg.top_k).items():
                out[f"{p}_{scope}_{k}"] = round(v, 4)
        for k, v in _metrics(old_ranks[p], cfg.top_k).items():
            out[f"{p}_trained_{k}"] = round(v, 4)
    log.info(json.dumps({"event": "item_cold_start", **{k: v for k, v in out.items() if k != "config"}}))
    return out


def _rank_pairs(data: Interactions, train_data: Interactions, hidden: np.ndarray, trained: np.ndarray,
                placed: dict[str, np.ndarray], score_sess, rng: np.random.Generator) -> dict:
    """Ranks of every (known user, hidden item) pair under each placement and scope."""
    user_index = {u: i for i, u in enumerate(train_data.user_ids)}
    hidden_pos = {int(h): j for j, h in enumerate(hidden)}
    took: dict[int, set[int]] = {}
    for u, i in zip(data.users, data.items):
        if int(i) in hidden_pos and data.user_ids[u] in user_index:
            took.setdefault(user_index[data.user_ids[u]], set()).add(hidden_pos[int(i)])
    seen: dict[int, set[int]] = {}
    for u, i in zip(train_data.users, train_data.items):
        if int(u) in took:
            seen.setdefault(int(u), set()).add(int(i))
    ranks = {p: {"new": [], "all": []} for p in placed}
    n_new = len(hidden)
    for u in sorted(took):
        user = np.array([u], np.int64)
        base = score_sess.run(["logits"], {"user": user, "item_embedding": trained})[0]
        unseen = np.setdiff1d(np.arange(len(base)), np.fromiter(seen.get(u, ()), np.int64))
        for p, emb in placed.items():
            new = score_sess.run(["logits"], {"user": user, "item_embedding": emb.astype(np.float32)})[0]
            for j in sorted(took[u]):
                others = np.array([x for x in range(n_new) if x == j or x not in took[u]])
                cand = new[others]
                target = int(np.flatnonzero(others == j)[0])
                ranks[p]["new"].append(rank_of(cand, target, rng))
                ranks[p]["all"].append(rank_of(np.concatenate([cand, base[unseen]]), target, rng))
    return ranks


def _rank_trained(train_data: Interactions, split, part: str, trained: np.ndarray,
                  placed: dict[str, np.ndarray], score_sess, rng: np.random.Generator) -> dict[str, list[int]]:
    """Ranks of the trained items' ``part`` positives (one per user with leave-one-out)
    among every trained item not in the user's training part and the new items placed."""
    rows = getattr(split, part)
    train_seen: dict[int, set[int]] = {}
    for u, i in zip(train_data.users[split.train], train_data.items[split.train]):
        train_seen.setdefault(int(u), set()).add(int(i))
    by_user: dict[int, list[int]] = {}
    for u, i in zip(train_data.users[rows], train_data.items[rows]):
        by_user.setdefault(int(u), []).append(int(i))
    ranks: dict[str, list[int]] = {p: [] for p in placed}
    for u in sorted(by_user):
        user = np.array([u], np.int64)
        base = score_sess.run(["logits"], {"user": user, "item_embedding": trained})[0]
        excluded = np.fromiter(train_seen.get(u, ()), np.int64)
        for p, emb in placed.items():
            new = (score_sess.run(["logits"], {"user": user, "item_embedding": emb.astype(np.float32)})[0]
                   if len(emb) else np.zeros(0, np.float32))
            for i in by_user[u]:
                cand = np.setdiff1d(np.arange(len(base)), excluded[excluded != i])
                scores = np.concatenate([base[cand], new])
                ranks[p].append(rank_of(scores, int(np.flatnonzero(cand == i)[0]), rng))
    return ranks


def table(rows: list[dict[str, Any]], k: int = 10) -> str:
    """A markdown table of hold-out results (one line per data set and placement)."""
    head = (f"| data | hidden items | test pairs | placement | HR@{k} among new | NDCG@{k} among new "
            f"| HR@{k} among all | NDCG@{k} among all | trained items' test HR@{k} beside them |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        for p in PLACEMENTS:
            name = f"text+shift ({r['shift']:g}, chosen on validation items)" if p == "text+shift" else p
            lines.append(f"| {r['data']} | {r['hidden_items']} of {r['items']} | {r['pairs']} | {name} | "
                         f"{r[f'{p}_new_hr@{k}']:.3f} | {r[f'{p}_new_ndcg@{k}']:.3f} | "
                         f"{r[f'{p}_all_hr@{k}']:.3f} | {r[f'{p}_all_ndcg@{k}']:.3f} | "
                         f"{r[f'{p}_trained_hr@{k}']:.3f} (without: {r[f'trained_test_hr@{k}']:.3f}) |")
    return head + "\n".join(lines) + "\n"
