"""NCF training samples/s against catalogue size, dense Adam beside row-wise Adam.

``python -m mlbundle_training.bench catalogue [--items 1682,20000,100000,1000000]``

The same number of interactions (``--interactions``, synthetic generator, ``--users``
users) at each catalogue size; NeuMF 8 / 64-32-16-8, 4 negatives, batch ``--batch-size``,
one torch thread. What is timed is what an epoch of ``train-ncf`` costs per sample: the
epoch's negative sampling and shuffle (timed over the whole epoch, charged pro rata) plus
``--steps`` packed training steps (after ``--warmup`` untimed ones) with dense Adam
(``--embedding-adam dense``: every row of both embedding tables each step) and with
row-wise Adam (``rows``: the rows the step touches), interleaved in one process. Each
configuration runs ``--repeats`` times; the table shows the best (least disturbed) run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from ..data.synthetic import create_synthetic_interactions
from ..ncf.model import NCF, NCFShape
from ..ncf.negatives import positive_index
from ..ncf.packed import PackedNCF, packed_epoch
from ..ncf.loop import epoch_samples


def measure(items: int, args: argparse.Namespace) -> dict[str, float]:
    """Best samples/s of each optimiser at one catalogue size."""
    data = create_synthetic_interactions(args.seed, args.users, items, args.interactions)
    users, its = torch.as_tensor(data.users), torch.as_tensor(data.items)
    t0 = time.perf_counter()
    keys = positive_index(users, its, data.num_users, data.num_items)
    u, i, y = epoch_samples(users, its, keys, data.num_items, 4, args.seed)
    sample_s_per_sample = (time.perf_counter() - t0) / len(y)
    b = args.batch_size
    n = min(len(y) - args.warmup * b, args.steps * b)
    best = {"dense": 0.0, "rows": 0.0}
    for _ in range(args.repeats):
        for kind in best:
            torch.manual_seed(args.seed)
            model = NCF(NCFShape(data.num_users, data.num_items, "neumf", 8, [64, 32, 16, 8]))
            packed = PackedNCF(model, 0.001, row_adam=kind == "rows")
            pairs = packed.pairs(u, i)
            packed_epoch(packed, pairs[:args.warmup * b], y[:args.warmup * b], b)
            rest = slice(args.warmup * b, args.warmup * b + n)
            t0 = time.perf_counter()
            packed_epoch(packed, pairs[rest], y[rest], b)
            secs = time.perf_counter() - t0 + sample_s_per_sample * n
            best[kind] = max(best[kind], n / secs)
            del packed, model
    return best


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per catalogue size and a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=lambda s: [int(x) for x in s.split(",")],
                    default=[1682, 20000, 100000, 1000000], help="catalogue sizes")
    ap.add_argument("--users", type=int, default=2000, help="users (same at every size)")
    ap.add_argument("--interactions", type=int, default=100000, help="interactions (same at every size)")
    ap.add_argument("--batch-size", type=int, default=1024, help="training batch size")
    ap.add_argument("--steps", type=int, default=100, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    ap.add_argument("--repeats", type=int, default=2, help="runs per configuration (best kept)")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for items in args.items:
        got = measure(items, args)
        rows.append((items, got))
        print(json.dumps({"items": items, **{k: round(v) for k, v in got.items()}}), flush=True)
    base = rows[0][1]
    print("\n| items | dense Adam samples/s | vs first | row-wise Adam samples/s | vs first |\n|---|---|---|---|---|")
    for items, got in rows:
        print(f"| {items:,} | {got['dense']:,.0f} | {got['dense'] / base['dense']:.2f} "
              f"| {got['rows']:,.0f} | {got['rows'] / base['rows']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
