"""Large NCF checkpoints for serving benchmarks: random-init weights, real contract.

The weights are NOT trained (random initialisation): such a checkpoint measures latency and
memory of serving at a catalogue size (20K, 100K, 1M items), not quality. Popularity counts
follow a Zipf law so the cold-start list looks realistic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .export import export_checkpoint
from ..data.interactions import Interactions
from .model import NCF, NCFShape


def synth_checkpoint(items: int, users: int, out: str | Path, variant: str = "neumf",
                     factors: int = 8, layers: list[int] | None = None, seed: int = 0,
                     version: str | None = None) -> Path:
    """Write ``<out>/ncf/<version>/`` for a random-init model of the given size."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    shape = NCFShape(users, items, variant, factors, layers or [64, 32, 16, 8])
    model = NCF(shape)
    with torch.no_grad():  # larger than the N(0, 0.01) init so scores spread out
        for emb in (m for m in model.modules() if isinstance(m, torch.nn.Embedding)):
            emb.weight.normal_(0, 0.5)
    n = min(200_000, 10 * items)
    item_idx = np.minimum(rng.zipf(1.3, n) - 1, items - 1)
    data = Interactions(rng.integers(0, users, n), item_idx.astype(np.int64),
                        np.zeros(n), np.ones(n, np.float32),
                        [f"u{i}" for i in range(users)], [f"i{i}" for i in range(items)],
                        source="random-init (benchmark only)")
    hp = {"variant": variant, "factors": factors, "layers": shape.layers, "epochs": 0,
          "seed": seed, "trained": False}
    summary = {"source": data.source, "interactions": 0, "users": users, "items": items,
               "density": 0.0}
    return export_checkpoint(model, data, out, version or f"synth-{items}", hp, {}, summary)
