"""NCF models (He et al., 2017): MLP, GMF and NeuMF, all returning logits.

- ``mlp``: user and item embeddings of ``layers[0] // 2`` each, concatenated, through a
  ReLU tower ``layers[0] -> layers[1] -> ...`` and a linear output (the seed's model);
- ``gmf``: element-wise product of ``factors``-sized embeddings and a linear output;
- ``neumf``: both branches with separate embeddings, their last hidden vectors
  concatenated into one linear output.

:class:`ScoreAll` is the serving form: for one user it scores every item, with everything
that does not depend on the user precomputed (item embeddings through the item half of the
first MLP layer, GMF item vectors times the output weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

VARIANTS = ("mlp", "gmf", "neumf")


@dataclass
class NCFShape:
    """Sizes that define an NCF model (stored in checkpoints to rebuild it)."""

    num_users: int
    num_items: int
    variant: str = "neumf"
    factors: int = 8
    layers: list[int] = field(default_factory=lambda: [64, 32, 16, 8])

    def check(self) -> None:
        """Raise ValueError on sizes that cannot build a model."""
        if self.variant not in VARIANTS:
            raise ValueError(f"variant {self.variant!r} not in {VARIANTS}")
        if self.num_users < 1 or self.num_items < 1 or self.factors < 1:
            raise ValueError("num_users, num_items and factors must be positive")
        if self.variant != "gmf" and (len(self.layers) < 2 or self.layers[0] % 2
                                      or min(self.layers) < 1):
            raise ValueError(f"layers {self.layers}: want >= 2 positive sizes, the first even")


class NCF(nn.Module):
    """One model class for the three variants; ``forward(user, item) -> logit [batch]``."""

    def __init__(self, shape: NCFShape):
        super().__init__()
        shape.check()
        self.shape = shape
        self.use_gmf = shape.variant in ("gmf", "neumf")
        self.use_mlp = shape.variant in ("mlp", "neumf")
        out_dim = 0
        if self.use_gmf:
            self.gmf_user = nn.Embedding(shape.num_users, shape.factors)
            self.gmf_item = nn.Embedding(shape.num_items, shape.factors)
            out_dim += shape.factors
        if self.use_mlp:
            half = shape.layers[0] // 2
            self.mlp_user = nn.Embedding(shape.num_users, half)
            self.mlp_item = nn.Embedding(shape.num_items, half)
            self.tower = nn.ModuleList(nn.Linear(a, b) for a, b in zip(shape.layers, shape.layers[1:]))
            out_dim += shape.layers[-1]
        self.out = nn.Linear(out_dim, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Embeddings N(0, 0.01) as in the paper; Xavier for the tower, Kaiming-uniform output."""
        for m in self.modules():
            if isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=0.01)
            elif isinstance(m, nn.Linear) and m is not self.out:
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def mlp_hidden(self, user: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """Last hidden vector of the MLP branch."""
        h = torch.cat([self.mlp_user(user), self.mlp_item(item)], dim=-1)
        for layer in self.tower:
            h = torch.relu(layer(h))
        return h

    def forward(self, user: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        parts = []
        if self.use_gmf:
            parts.append(self.gmf_user(user) * self.gmf_item(item))
        if self.use_mlp:
            parts.append(self.mlp_hidden(user, item))
        return self.out(torch.cat(parts, dim=-1)).squeeze(-1)

    def score_items(self, user: torch.Tensor) -> torch.Tensor:
        """Logits of every item for each user, ``[len(user), num_items]``: for ``gmf`` one
        matrix product (``(p_u * w) · Q^T + b``), else :meth:`forward` over all pairs."""
        n = self.shape.num_items
        if not self.use_mlp:
            w = self.out.weight[0]
            return (self.gmf_user(user) * w) @ self.gmf_item.weight.t() + self.out.bias
        items = torch.arange(n, device=user.device)
        return self(user.repeat_interleave(n), items.repeat(len(user))).view(len(user), n)

    def item_vectors(self) -> torch.Tensor:
        """Item embeddings for item-to-item similarity (GMF and MLP halves concatenated)."""
        vecs = []
        if self.use_gmf:
            vecs.append(self.gmf_item.weight)
        if self.use_mlp:
            vecs.append(self.mlp_item.weight)
        return torch.cat(vecs, dim=-1).detach()


class ScoreAll(nn.Module):
    """``forward(user [1]) -> logits [num_items]`` with the item side precomputed."""

    def __init__(self, model: NCF):
        super().__init__()
        m = model
        self.use_gmf, self.use_mlp = m.use_gmf, m.use_mlp
        with torch.no_grad():
            w_out = m.out.weight.detach().float()[0]
            self.register_buffer("bias", m.out.bias.detach().float().clone())
            offset = 0
            if m.use_gmf:
                f = m.gmf_user.embedding_dim
                self.gmf_user = nn.Embedding.from_pretrained(m.gmf_user.weight.detach().float().clone())
                # GMF: sum_k p_k q_k w_k = p . (q * w): item side [items, f]
                self.register_buffer("gmf_items", (m.gmf_item.weight.float() * w_out[:f]).t().contiguous())
                offset = f
            if m.use_mlp:
                first = m.tower[0]
                half = m.mlp_user.embedding_dim
                self.mlp_user = nn.Embedding.from_pretrained(m.mlp_user.weight.detach().float().clone())
                self.register_buffer("w_user", first.weight[:, :half].float().t().contiguous())
                self.register_buffer("item_part", (m.mlp_item.weight.float() @ first.weight[:, half:].float().t()
                                                   + first.bias.float()).contiguous())
                self.rest = nn.ModuleList(_copy_linear(l) for l in m.tower[1:])
                self.register_buffer("w_mlp_out", w_out[offset:].unsqueeze(-1).contiguous())

    def forward(self, user: torch.Tensor) -> torch.Tensor:
        logits = self.bias.expand(1)
        if self.use_gmf:
            logits = logits + (self.gmf_user(user) @ self.gmf_items).reshape(-1)
        if self.use_mlp:
            h = torch.relu(self.item_part + self.mlp_user(user) @ self.w_user)
            for layer in self.rest:
                h = torch.relu(layer(h))
            logits = logits + (h @ self.w_mlp_out).reshape(-1)
        return logits


def _copy_linear(layer: nn.Linear) -> nn.Linear:
    new = nn.Linear(layer.in_features, layer.out_features)
    new.load_state_dict({k: v.detach().float().clone() for k, v in layer.state_dict().items()})
    return new
