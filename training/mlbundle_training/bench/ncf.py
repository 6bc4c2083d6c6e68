"""NCF benchmark on MovieLens 100K: quality beside peers, training throughput beside a
straightforward DataLoader NCF, all in one run on one split.

``python -m mlbundle_training.bench.ncf [--data ../shared/data] [--epochs 20]``

Quality (untuned settings; ``python -m mlbundle_training.cli compare`` is the tuned
comparison): leave-one-out (latest interaction -> test, second latest -> validation), the
epoch chosen on validation, each test item ranked against the same 99 sampled negatives
for every model (HR@10, NDCG@10), plus full ranking (Recall@10, NDCG@10). Peers:
popularity, and ``implicit`` ALS/BPR when importable (install it apart from the pinned
venv: ``python -m pip install --target ~/.cache/mlbundle/bench-extra implicit``; this
module adds that folder to ``sys.path``).

Throughput: one epoch of NeuMF training (negative sampling included) with this package's
loop, both its autograd step and its packed hand-written CPU step (the default), vs a
Dataset/DataLoader NCF written the usual way (Python loop drawing negatives with a
rejection test, ``__getitem__`` per sample, default collate), same model, batch, optimiser
and thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..ncf.evaluate import HeldOut, Popularity, evaluate
from ..data.interactions import load_movielens
from ..metrics import full_ranking, sampled_ranking
from ..ncf.model import NCF, NCFShape
from ..data.splits import leave_one_out
from ..ncf.train import Evaluation, NCFConfig, train


def bench_extra_dir() -> Path:
    """Where benchmark-only peers are installed (``MLBUNDLE_BENCH_EXTRA`` or the cache)."""
    return Path(os.environ.get("MLBUNDLE_BENCH_EXTRA", Path.home() / ".cache/mlbundle/bench-extra"))


class _PairsDataset(torch.utils.data.Dataset):
    """The straightforward way: Python lists of (user, item, label), one sample per call."""

    def __init__(self, users: np.ndarray, items: np.ndarray, num_items: int, k: int, seed: int):
        self.pos = list(zip(users.tolist(), items.tolist()))
        self.seen = set(self.pos)
        self.num_items, self.k = num_items, k
        self.rng = np.random.default_rng(seed)
        self.samples: list[tuple[int, int, float]] = []

    def sample_negatives(self) -> None:
        out = []
        for u, i in self.pos:
            out.append((u, i, 1.0))
            for _ in range(self.k):
                j = int(self.rng.integers(self.num_items))
                while (u, j) in self.seen:
                    j = int(self.rng.integers(self.num_items))
                out.append((u, j, 0.0))
        self.samples = out

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, idx: int):
        return self.samples[idx]


def dataloader_epoch(model: NCF, ds: _PairsDataset, batch: int, lr: float) -> float:
    """One epoch of the straightforward loop; returns samples/s (negative sampling included)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    t0 = time.perf_counter()
    ds.sample_negatives()
    loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True)
    model.train()
    for u, i, y in loader:
        loss = loss_fn(model(u, i), y.float())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return len(ds) / (time.perf_counter() - t0)


def implicit_peers(train_u: np.ndarray, train_i: np.ndarray, n_users: int, n_items: int,
                   part: HeldOut, seed: int) -> dict[str, dict[str, float]]:
    """ALS and BPR from ``implicit`` on the same split and candidates (empty if absent)."""
    ev = part.ev
    extra = bench_extra_dir()
    if extra.is_dir() and str(extra) not in sys.path:
        sys.path.append(str(extra))
    try:
        import scipy.sparse as sp
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking
    except ImportError as e:
        print(f"implicit peer skipped: {e} (install it into {extra})")
        return {}
    m = sp.csr_matrix((np.ones(len(train_u), np.float32), (train_u, train_i)), shape=(n_users, n_items))
    out = {}
    for name, model in (("implicit ALS", AlternatingLeastSquares(factors=64, iterations=15, regularization=0.05,
                                                                   random_state=seed)),
                        ("implicit BPR", BayesianPersonalizedRanking(factors=64, iterations=100,
                                                                     random_state=seed))):
        t0 = time.perf_counter()
        model.fit(m, show_progress=False)
        uf, itf = np.asarray(model.user_factors), np.asarray(model.item_factors)
        vu, vi = ev.users.numpy(), ev.items.numpy()
        pos = np.sum(uf[vu] * itf[vi], axis=1)
        neg = np.einsum("nd,ncd->nc", uf[vu], itf[ev.negatives.numpy()])
        scores = uf[vu] @ itf.T
        known = sp.csr_matrix((np.ones(len(part.known_users), np.float32),
                               (part.known_users, part.known_items)), shape=(n_users, n_items))
        mask = np.asarray(known[vu].todense(), dtype=bool)
        out[name] = {**sampled_ranking(pos, neg, 10), **full_ranking(scores, vi, mask, 10),
                     "seconds": time.perf_counter() - t0}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints a JSON line per result and a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("MLBUNDLE_DATA", "../shared/data"),
                    help="folder holding ml-100k/u.data")
    ap.add_argument("--epochs", type=int, default=20, help="training epochs per variant")
    ap.add_argument("--batch-size", type=int, default=256, help="batch size (both loops)")
    ap.add_argument("--lr", type=float, default=0.001, help="Adam learning rate")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (both loops)")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--throughput-batches", type=lambda s: [int(x) for x in s.split(",")],
                    default=[256, 1024, 4096], help="batch sizes of the throughput comparison")
    ap.add_argument("--variants", type=lambda s: s.split(","), default=["mlp", "gmf", "neumf"],
                    help="NCF variants of the quality comparison")
    ap.add_argument("--autograd-step", action="store_true",
                    help="quality runs with the autograd step instead of the packed CPU step")
    ap.add_argument("--skip-quality", action="store_true", help="throughput only")
    ap.add_argument("--skip-throughput", action="store_true", help="quality only")
    args = ap.parse_args(argv)
    path = Path(args.data) / "ml-100k" / "u.data"
    if not path.is_file():
        print(f"skipped: {path} not found (set MLBUNDLE_DATA or --data)")
        return 0
    torch.set_num_threads(args.threads)
    data = load_movielens(path)
    split = leave_one_out(data)
    tr_u, tr_i = data.users[split.train], data.items[split.train]
    print(json.dumps({"data": data.summary(), **split.sizes()}))
    rows = []
    if not args.skip_quality:
        evaluation = Evaluation.build(data, split, torch.device("cpu"), 99, args.seed)
        rows.append(("popularity", evaluate(Popularity(tr_i, data.num_items), evaluation.test), ""))
        for variant in args.variants:
            cfg = NCFConfig(variant=variant, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed, device="cpu", progress=False,
                            packed_step=not args.autograd_step)
            t0 = time.perf_counter()
            res = train(cfg, data, evaluation)
            test = {k[len("test_"):]: v for k, v in res.metrics.items() if k.startswith("test_")}
            rows.append((f"mlbundle {variant}", test,
                         f"best epoch {res.best_epoch}/{args.epochs}, {time.perf_counter() - t0:.0f} s"))
        for name, m in implicit_peers(tr_u, tr_i, data.num_users, data.num_items, evaluation.test,
                                      args.seed).items():
            rows.append((name, m, f"{m['seconds']:.1f} s"))
        print("\n| model | HR@10 | NDCG@10 | full Recall@10 | full NDCG@10 | notes |\n|---|---|---|---|---|---|")
        for name, m, note in rows:
            print(f"| {name} | {m['hr@10']:.4f} | {m['ndcg@10']:.4f} | {m['full_recall@10']:.4f} | "
                  f"{m['full_ndcg@10']:.4f} | {note} |")
    if not args.skip_throughput:
        throughput(data, tr_u, tr_i, args)
    return 0


def throughput(data, tr_u: np.ndarray, tr_i: np.ndarray, args: argparse.Namespace) -> None:
    """Samples/s of both loops on the ml-100k training split, per batch size (median epoch)."""
    from ..data.interactions import Interactions

    shape = NCFShape(data.num_users, data.num_items, "neumf", 8, [64, 32, 16, 8])
    only_train = Interactions(tr_u, tr_i, np.arange(len(tr_u), dtype=np.float64),
                              np.ones(len(tr_u), np.float32), data.user_ids, data.item_ids)
    print("\n| batch | DataLoader NCF samples/s | mlbundle autograd loop samples/s | ratio "
          "| mlbundle packed step samples/s | ratio |\n|---|---|---|---|---|---|")
    for batch in args.throughput_batches:
        ds = _PairsDataset(tr_u, tr_i, data.num_items, 4, args.seed)
        torch.manual_seed(args.seed)
        base = float(np.median([dataloader_epoch(NCF(shape), ds, batch, args.lr) for _ in range(2)]))
        ours = {}
        for packed in (False, True):
            cfg = NCFConfig(variant="neumf", epochs=3, batch_size=batch, lr=args.lr, seed=args.seed,
                            device="cpu", progress=False, split="random", packed_step=packed)
            ours[packed] = train(cfg, only_train).samples_per_second
        print(f"| {batch} | {base:,.0f} | {ours[False]:,.0f} | {ours[False] / base:.1f}x "
              f"| {ours[True]:,.0f} | {ours[True] / base:.1f}x |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
