"""A bag-of-wordpieces branch: TF-IDF of the token ids, one linear layer to the labels.

Reuters-like taxonomies are keyword-heavy: a linear model on TF-IDF features scores as
well as a frozen MiniLM head on micro-F1 (docs/classifier-budget.md). The branch reads
the same ``input_ids``/``attention_mask`` the encoder reads (so serving and the graph's
inputs do not change) and its logits are added to the head's:

- ``counts[b, t]``: how often token ``t`` occurs among the unmasked positions of text ``b``
  (a scatter-add over the vocabulary, ONNX ``ScatterElements`` with ``reduction=add``,
  opset >= 16);
- ``x = log(1 + counts) * idf``, with ``idf[t] = log((1 + n) / (1 + df[t])) + 1`` from the
  training texts (0 for the special tokens), then divided by its L2 norm;
- ``logits = x @ weight`` (``weight`` [vocab, labels], no bias: the head has one).

Training uses the same arithmetic on sparse rows (``tfidf_rows`` + ``bag_logits``, an
``embedding_bag`` with sparse gradients, so each step updates only the rows of the tokens
in its batch); ``forward`` is the dense form that is exported. Tests check they agree.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SPECIAL_IDS = (0, 100, 101, 102, 103)
"""[PAD], [UNK], [CLS], [SEP], [MASK] in MiniLM's vocabulary: no weight in the bag."""


def idf_weights(ids: list[list[int]], vocab_size: int) -> np.ndarray:
    """Smoothed inverse document frequency of each token over the texts ``ids``."""
    df = np.zeros(vocab_size, np.float64)
    for r in ids:
        df[np.unique(np.asarray(r, dtype=np.int64))] += 1
    idf = np.log((1 + len(ids)) / (1 + df)) + 1
    idf[[t for t in SPECIAL_IDS if t < vocab_size]] = 0
    return idf.astype(np.float32)


class LexicalBranch(nn.Module):
    """TF-IDF over the wordpieces of a text, then one linear layer; ``forward`` -> logits."""

    def __init__(self, vocab_size: int, num_labels: int):
        super().__init__()
        self.register_buffer("idf", torch.zeros(vocab_size))
        self.weight = nn.Parameter(torch.zeros(vocab_size, num_labels))

    def set_idf(self, ids: list[list[int]]) -> None:
        """Set the idf from the training texts' token ids."""
        with torch.no_grad():
            self.idf.copy_(torch.from_numpy(idf_weights(ids, self.idf.shape[0])))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits [batch, labels] of int64 ``input_ids``/``attention_mask`` [batch, sequence]."""
        counts = torch.zeros((input_ids.shape[0], self.idf.shape[0]), dtype=self.weight.dtype,
                             device=input_ids.device)
        counts = counts.scatter_add(1, input_ids, attention_mask.to(self.weight.dtype))
        x = torch.log1p(counts) * self.idf
        x = x / x.norm(dim=1, keepdim=True).clamp(min=1e-12)
        return x @ self.weight

    def tfidf_rows(self, ids: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's non-zero features as (token ids, values), the same values ``forward`` uses."""
        idf = self.idf.numpy()
        rows = []
        for r in ids:
            tokens, counts = np.unique(np.asarray(r, dtype=np.int64), return_counts=True)
            v = np.log1p(counts.astype(np.float32)) * idf[tokens]
            keep = v != 0
            tokens, v = tokens[keep], v[keep]
            norm = float(np.sqrt((v.astype(np.float64) ** 2).sum()))
            rows.append((tokens, (v / max(norm, 1e-12)).astype(np.float32)))
        return rows

    def bag_logits(self, rows: list[tuple[np.ndarray, np.ndarray]], idx) -> torch.Tensor:
        """Logits of the rows ``idx`` of ``tfidf_rows`` (sparse gradient for ``weight``)."""
        picked = [rows[i] for i in idx]
        tokens = torch.from_numpy(np.concatenate([t for t, _ in picked] + [np.zeros(0, np.int64)]))
        values = torch.from_numpy(np.concatenate([v for _, v in picked] + [np.zeros(0, np.float32)]))
        offsets = torch.from_numpy(np.cumsum([0] + [len(t) for t, _ in picked[:-1]]).astype(np.int64))
        return F.embedding_bag(tokens, self.weight, offsets, mode="sum", per_sample_weights=values,
                               sparse=True)
