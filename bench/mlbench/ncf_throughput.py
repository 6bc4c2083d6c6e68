"""NCF training throughput on the MovieLens 100K training split, three loops side by side.

Samples per second of NeuMF epochs (negative sampling included), same model (factors 8,
layers 64-32-16-8), batch, Adam, learning rate and one torch thread, in one process:

- the project's packed CPU step (``train-ncf``'s default on CPU);
- its autograd loop (vectorised negatives and batches, no DataLoader: what runs under DDP
  or on CUDA);
- a Dataset/DataLoader NCF written the usual way (``mlbundle_training.bench.ncf``).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

from mlbundle_training.bench.ncf import _PairsDataset, dataloader_epoch
from mlbundle_training.data.interactions import Interactions, load_movielens
from mlbundle_training.data.splits import leave_one_out
from mlbundle_training.ncf.model import NCF, NCFShape
from mlbundle_training.ncf.train import NCFConfig, train

from . import fixtures
from .data import data_root

def batches() -> list[int]:
    """Batch sizes to compare (BENCH_NCF_BATCHES, comma-separated; default 1024, the default
    batch of train-ncf)."""
    return [int(b) for b in os.environ.get("BENCH_NCF_BATCHES", "1024").split(",") if b.strip()]


def main() -> int:
    path = data_root() / "ml-100k" / "u.data"
    if not path.is_file():
        fixtures.skip("ncf training throughput", f"{path} absent (set MLBUNDLE_DATA)")
        return 0
    torch.set_num_threads(1)
    data = load_movielens(path)
    split = leave_one_out(data)
    tr_u, tr_i = data.users[split.train], data.items[split.train]
    only_train = Interactions(tr_u, tr_i, np.arange(len(tr_u), dtype=np.float64),
                              np.ones(len(tr_u), np.float32), data.user_ids, data.item_ids)
    shape = NCFShape(data.num_users, data.num_items, "neumf", 8, [64, 32, 16, 8])
    lr = 0.001
    for batch in batches():
        ds = _PairsDataset(tr_u, tr_i, data.num_items, 4, 0)
        torch.manual_seed(0)
        base = float(np.median([dataloader_epoch(NCF(shape), ds, batch, lr) for _ in range(2)]))
        ours = {}
        for name, packed in (("autograd", False), ("packed", True)):
            cfg = NCFConfig(variant="neumf", epochs=3, batch_size=batch, lr=lr, seed=0, device="cpu",
                            progress=False, split="random", packed_step=packed)
            ours[name] = train(cfg, only_train).samples_per_second
        extra = {"dataloader_samples_per_s": base, "autograd_samples_per_s": ours["autograd"],
                 "packed_samples_per_s": ours["packed"], "train_interactions": int(len(tr_u)), "threads": 1}
        fixtures.check(f"ncf_train.batch{batch}.x_dataloader", ours["packed"] / base, "x", extra)
        fixtures.check(f"ncf_train.batch{batch}.x_dataloader_autograd", ours["autograd"] / base, "x", extra)
        fixtures.check(f"ncf_train.batch{batch}.packed_samples_per_s", ours["packed"], "samples/s", extra)
    return fixtures.exit_code()


if __name__ == "__main__":
    sys.exit(main())
