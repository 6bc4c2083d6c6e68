"""Placing items by text: a text encoder's mean-pooled embedding mapped to item embeddings.

At training time, the items that have both a text and a trained embedding teach a ridge
regression from the encoder's embedding (MiniLM-L6 mean-pooled, or the tiny test encoder)
to the item's raw embedding (:meth:`NCF.item_vectors`: the GMF and MLP item embeddings
concatenated). The ridge strength is chosen on a validation share of those items (mean
cosine between predicted and trained vectors), then refitted on all of them.

Export writes two graphs (docs/checkpoint.md, ``ncf.item_text``):

- ``item_text.onnx``: ``input_ids``, ``attention_mask``, ``token_type_ids`` int64
  [batch, sequence] -> ``item_embedding`` float32 [batch, dim]: encoder, masked mean
  pooling and the map in one graph, so the map always runs on the encoder it was fitted to;
- ``score_items.onnx``: ``user`` int64 [1], ``item_embedding`` float32 [items, dim] ->
  ``logits`` float32 [items]: the model's score of any item embedding for one user (for a
  trained item's embedding it equals model.onnx).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..contract import checkpoint as ckpt
from ..errors import TrainingError
from ..ncf.model import NCF

log = logging.getLogger(__name__)
ENCODERS = ("none", "tiny", "minilm")
ALPHAS = (1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0)
TOLERANCE = 1e-4
PARITY_TEXTS = ["Space rocket launch. orbit planet star mission.", "Toy Story (1995). Genres: Animation, "
                "Children's, Comedy.", "", "Café, naïve résumé: 世界 😀"]
ITEM_TEXT_FILE, SCORE_ITEMS_FILE = "item_text.onnx", "score_items.onnx"


@dataclass
class TextMap:
    """A fitted ridge map: ``embedding @ weight + bias`` -> raw item embedding."""

    weight: np.ndarray  # [encoder dim, item dim]
    bias: np.ndarray  # [item dim]
    alpha: float
    validation_cosine: float

    def write(self, model: NCF, d: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Write the graphs into checkpoint directory ``d`` (:func:`write_item_text`)."""
        return write_item_text(model, self, d)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weight + self.bias


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    mx, my = x.mean(0), y.mean(0)
    xc = x - mx
    w = np.linalg.solve(xc.T @ xc + alpha * len(x) * np.eye(x.shape[1]), xc.T @ (y - my))
    return w, my - mx @ w


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine similarity of the rows of ``a`` and ``b``."""
    na = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return float(np.mean(np.sum(a * b, axis=1) / np.maximum(na, 1e-12)))


def fit_map(x: np.ndarray, y: np.ndarray, seed: int, validation: float = 0.2,
            alphas: tuple[float, ...] = ALPHAS) -> TextMap:
    """Ridge from encoder embeddings ``x`` to item embeddings ``y``, the strength chosen
    on a seeded ``validation`` share of the rows, refitted on all of them."""
    if len(x) < 5:
        raise TrainingError(f"placing items by text needs at least 5 items with a text, got {len(x)}")
    x, y = x.astype(np.float64), y.astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(len(x) * validation))
    val, tr = order[:n_val], order[n_val:]
    scores = {a: mean_cosine(x[val] @ w + b, y[val]) for a in alphas
              for w, b in [_ridge(x[tr], y[tr], a)]}
    best = max(alphas, key=lambda a: scores[a])
    w, b = _ridge(x, y, best)
    log.info(json.dumps({"event": "item_text_map", "alpha": best,
                         "validation_cosine": {str(a): round(v, 4) for a, v in scores.items()}}))
    return TextMap(w.astype(np.float32), b.astype(np.float32), best, scores[best])


class ItemText(nn.Module):
    """Encoder + masked mean pooling + linear map: tokens -> item embedding [batch, dim]."""

    def __init__(self, encoder: nn.Module, m: TextMap | None = None, dim: int = 1):
        super().__init__()
        self.encoder = encoder
        width = encoder.config.hidden_size
        self.map = nn.Linear(width, m.weight.shape[1] if m is not None else dim)
        if m is not None:
            with torch.no_grad():
                self.map.weight.copy_(torch.from_numpy(m.weight.T.copy()))
                self.map.bias.copy_(torch.from_numpy(m.bias.copy()))

    def pooled(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
        """Mean of the encoder's last hidden states over the real tokens [batch, width]."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
        return self.map(self.pooled(input_ids, attention_mask, token_type_ids))


class ScoreItems(nn.Module):
    """``forward(user [1], item_embedding [items, dim]) -> logits [items]`` for an NCF model."""

    def __init__(self, model: NCF):
        super().__init__()
        self.m = model
        self.f = model.gmf_item.embedding_dim if model.use_gmf else 0

    def forward(self, user: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        m, parts = self.m, []
        if m.use_gmf:
            parts.append(m.gmf_user(user) * item[:, :self.f])
        if m.use_mlp:
            first, half = m.tower[0], m.mlp_user.embedding_dim
            u = m.mlp_user(user) @ first.weight[:, :half].t() + first.bias  # [1, d1]
            h = torch.relu(item[:, self.f:] @ first.weight[:, half:].t() + u)
            for layer in m.tower[1:]:
                h = torch.relu(layer(h))
            parts.append(h)
        return m.out(torch.cat(parts, dim=-1)).squeeze(-1)


def build_encoder(name: str, seed: int) -> nn.Module:
    """The text encoder ``tiny`` or ``minilm`` (classifier/model.py), in eval mode."""
    from ..classifier.model import _minilm_encoder, _tiny_encoder

    if name == "minilm":
        return _minilm_encoder().eval()
    if name == "tiny":
        return _tiny_encoder(seed).eval()
    raise TrainingError(f"item-text encoder {name!r}: want one of {', '.join(ENCODERS[1:])}")


@torch.no_grad()
def embed(module: ItemText, tokenizer, texts: list[str], max_length: int, mapped: bool,
          batch_size: int = 64) -> np.ndarray:
    """Pooled encoder embeddings (``mapped``: item embeddings) of ``texts``, float32."""
    from ..classifier.batches import collate, encode

    ids = encode(tokenizer, texts, max_length)
    order = np.argsort([len(r) for r in ids], kind="stable")
    out: np.ndarray | None = None
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        feed = collate(ids, idx)
        got = (module(**feed) if mapped else module.pooled(**feed)).float().numpy()
        if out is None:
            out = np.zeros((len(texts), got.shape[1]), np.float32)
        out[idx] = got
    return out if out is not None else np.zeros((0, 0), np.float32)


POPULAR_SHARE = 0.1


def popularity_offset(vectors: np.ndarray, counts: np.ndarray, share: float = POPULAR_SHARE) -> np.ndarray:
    """Mean raw embedding of the ``share`` most-interacted items minus the mean of all items:
    where the head items lie relative to an average item."""
    top = np.argsort(-counts, kind="stable")[:max(1, int(share * len(counts)))]
    return vectors[top].mean(0) - vectors.mean(0)


@dataclass
class Placer:
    """Everything export needs to place items by text: the fitted module and its tokenizer."""

    module: ItemText
    tokenizer: Any
    encoder: str
    max_length: int
    items_fitted: int
    alpha: float
    validation_cosine: float
    shift: float = 0.0

    def write(self, model: NCF, d: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Write the graphs into checkpoint directory ``d`` (:func:`write_item_text`)."""
        return write_item_text(model, self, d)


def fit_placer(model: NCF, item_ids: list[str], texts: dict[str, str], encoder: str,
               max_length: int, seed: int, items: np.ndarray | None = None, shift: float = 0.0,
               counts: np.ndarray | None = None) -> Placer:
    """Fit the map on the items (indices ``items``, default all) that have a text. With
    ``shift`` (and each item's interaction ``counts``), the map's bias moves by ``shift``
    times :func:`popularity_offset`: a new item is placed as if it were to be a head item
    of its kind (docs/item-cold-start.md, chosen on validation items)."""
    from ..classifier.model import load_tokenizer

    have = [i for i in (range(len(item_ids)) if items is None else items) if texts.get(item_ids[i])]
    tok = load_tokenizer()
    module = ItemText(build_encoder(encoder, seed)).eval()
    x = embed(module, tok, [texts[item_ids[i]] for i in have], max_length, mapped=False)
    y = model.item_vectors().float().cpu().numpy()[have]
    m = fit_map(x, y, seed)
    if shift:
        if counts is None:
            raise TrainingError("a popularity shift needs the items' interaction counts")
        vectors = model.item_vectors().float().cpu().numpy()
        m.bias = (m.bias + shift * popularity_offset(vectors, counts)).astype(np.float32)
    module = ItemText(module.encoder, m).eval()
    return Placer(module, tok, encoder, max_length, len(have), m.alpha, m.validation_cosine, shift)


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], output: str,
            dynamic: dict[str, dict[int, str]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=[output],
                          dynamic_axes=dynamic, opset_version=17, dynamo=False)


def write_item_text(model: NCF, p: "Placer", d: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Write item_text.onnx, score_items.onnx and vocab.txt into ``d``; return the
    manifest's ``item_text`` section and the parity checks of both graphs."""
    from ..classifier.batches import collate, encode
    from ..classifier.model import minilm_dir
    from ..classifier.tokenizer_cases import tokenizer_settings

    model = model.cpu().float().eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    feed = collate(encode(p.tokenizer, PARITY_TEXTS, p.max_length), range(len(PARITY_TEXTS)))
    _export(p.module, tuple(feed[k] for k in names), d / ITEM_TEXT_FILE, names, "item_embedding",
            {**{k: {0: "batch", 1: "sequence"} for k in names}, "item_embedding": {0: "batch"}})
    score = ScoreItems(model).eval()
    vecs = model.item_vectors().float()
    probe = np.linspace(0, len(vecs) - 1, min(8, len(vecs))).round().astype(np.int64)
    _export(score, (torch.zeros(1, dtype=torch.long), vecs[probe]), d / SCORE_ITEMS_FILE,
            ["user", "item_embedding"], "logits", {"item_embedding": {0: "items"}, "logits": {0: "items"}})
    shutil.copyfile(minilm_dir() / "vocab.txt", d / "vocab.txt")
    with torch.no_grad():
        emb = p.module(**feed).numpy()
        user = np.array([model.shape.num_users - 1], np.int64)
        logits = score(torch.from_numpy(user), vecs[probe]).numpy()
        pair = model(torch.from_numpy(np.repeat(user, len(probe))), torch.from_numpy(probe)).numpy()
    if not np.allclose(logits, pair, rtol=1e-4, atol=TOLERANCE):
        raise TrainingError("score_items differs from the model on trained items "
                            f"(max diff {float(np.max(np.abs(logits - pair))):.3g})")
    checks = [ckpt.parity_check(ITEM_TEXT_FILE, {k: v.numpy() for k, v in feed.items()},
                                {"item_embedding": emb}, TOLERANCE),
              ckpt.parity_check(SCORE_ITEMS_FILE, {"user": user, "item_embedding": vecs[probe].numpy()},
                                {"logits": logits}, TOLERANCE)]
    settings = tokenizer_settings(p.tokenizer)
    settings.pop("cases_file", None)
    section = {"file": ITEM_TEXT_FILE, "score_file": SCORE_ITEMS_FILE, "encoder": p.encoder,
               "embedding_dim": int(vecs.shape[1]), "max_length": p.max_length,
               "tokenizer": settings}
    return section, checks


def placer_for(encoder: str, max_length: int, seed: int, shift: float = 0.0):
    """The ``place`` argument of :func:`mlbundle_training.ncf.train.run` for an encoder
    (None for ``none``): fits the map on the trained model's items that have a text, its
    bias moved by ``shift`` times the popularity offset of the training interactions."""
    if encoder == "none":
        return None

    def place(model: NCF, data) -> Placer:
        if not data.item_texts:
            raise TrainingError(f"{data.source}: no item texts, so items cannot be placed by text "
                                "(--item-text-encoder none)")
        counts = np.bincount(data.items, minlength=data.num_items)
        return fit_placer(model, data.item_ids, data.item_texts, encoder, max_length, seed,
                          shift=shift, counts=counts)

    return place
