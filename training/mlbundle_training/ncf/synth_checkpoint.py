"""Large NCF checkpoints for serving benchmarks, random-init or derived from a trained model.

- random-init (default): NOT trained; such a checkpoint measures latency and memory of
  serving at a catalogue size (20K, 100K, 1M items), not quality;
- ``from_model`` (a trained checkpoint's model.pt): the trained users, tower and output
  layer, and ``items`` items drawn from the trained items' distribution: each new item is a
  trained item's embedding rows (GMF and MLP together) plus Gaussian noise with the
  covariance of the trained rows scaled by ``jitter``². Scores then spread and cluster as
  the trained model's do, which is what retrieval recall depends on (uniform random
  vectors have no clusters to find).

Popularity counts follow a Zipf law so the cold-start list looks realistic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .export import export_checkpoint, load_pt
from ..data.interactions import Interactions
from .model import NCF, NCFShape

JITTER = 0.3


def derive_items(trained: NCF, items: int, rng: np.random.Generator, jitter: float = JITTER) -> NCF:
    """A model with ``trained``'s users, tower and output and ``items`` items drawn from
    its item distribution (module doc)."""
    s = trained.shape
    model = NCF(NCFShape(s.num_users, items, s.variant, s.factors, s.layers))
    state = {k: v for k, v in trained.state_dict().items() if not k.endswith("_item.weight")}
    model.load_state_dict(state, strict=False)
    tables = [n for n in ("gmf_item", "mlp_item") if hasattr(trained, n)]
    rows = torch.cat([getattr(trained, n).weight.detach() for n in tables], 1).double().numpy()
    chol = np.linalg.cholesky(np.cov(rows.T) + 1e-9 * np.eye(rows.shape[1]))
    with torch.no_grad():
        parts = {n: getattr(model, n).weight for n in tables}
        for start in range(0, items, 1 << 18):
            n = min(1 << 18, items - start)
            new = rows[rng.integers(0, len(rows), n)] + jitter * rng.standard_normal((n, rows.shape[1])) @ chol.T
            col = 0
            for name, w in parts.items():
                w[start:start + n] = torch.from_numpy(new[:, col:col + w.shape[1]]).float()
                col += w.shape[1]
    return model


def synth_checkpoint(items: int, users: int, out: str | Path, variant: str = "neumf",
                     factors: int = 8, layers: list[int] | None = None, seed: int = 0,
                     version: str | None = None, from_model: str | Path | None = None,
                     index: bool | None = None) -> Path:
    """Write ``<out>/ncf/<version>/`` for a model of the given size (module doc)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if from_model:
        model = derive_items(load_pt(from_model), items, rng)
        shape = model.shape
        users = shape.num_users
    else:
        shape = NCFShape(users, items, variant, factors, layers or [64, 32, 16, 8])
        model = NCF(shape)
        with torch.no_grad():  # larger than the N(0, 0.01) init so scores spread out
            for emb in (m for m in model.modules() if isinstance(m, torch.nn.Embedding)):
                emb.weight.normal_(0, 0.5)
    n = min(200_000, 10 * items)
    item_idx = np.minimum(rng.zipf(1.3, n) - 1, items - 1)
    source = f"derived from {Path(from_model).name} (benchmark only)" if from_model else "random-init (benchmark only)"
    data = Interactions(rng.integers(0, users, n), item_idx.astype(np.int64),
                        np.zeros(n), np.ones(n, np.float32),
                        [f"u{i}" for i in range(users)], [f"i{i}" for i in range(items)],
                        source=source)
    hp = {"variant": shape.variant, "factors": shape.factors, "layers": shape.layers, "epochs": 0,
          "seed": seed, "trained": bool(from_model)}
    summary = {"source": data.source, "interactions": 0, "users": users, "items": items,
               "density": 0.0}
    return export_checkpoint(model, data, out, version or f"synth-{items}", hp, {}, summary,
                             index=index)
