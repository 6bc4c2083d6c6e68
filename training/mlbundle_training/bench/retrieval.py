"""Recall of NeuMF's exact top 10 against the number of retrieval candidates.

``python -m mlbundle_training.bench retrieval --model <trained model.pt> [--items 100000]``

The trained model's users and tower with ``--items`` items drawn from its item distribution
(``ncf.synth_checkpoint.derive_items``). For ``--users`` random users, the exact top 10 of
``score_all`` against the best items by each retrieval score, brute force (no index):
the GMF branch alone (``u_gmf ⊙ w_out[:f]`` · ``v_gmf``), the distilled query fitted once on
random items, and the shipped distilled query (refitted on its own best items). One torch
thread. Prints one JSON line per candidate count and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from ..ncf import retrieval
from ..ncf.export import load_pt
from ..ncf.model import ScoreAll
from ..ncf.synth_checkpoint import derive_items


def main(argv: list[str] | None = None) -> int:
    """Measure and print the recall table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a trained neumf checkpoint's model.pt")
    ap.add_argument("--items", type=int, default=100_000, help="catalogue size drawn from the model")
    ap.add_argument("--users", type=int, default=100, help="users measured")
    ap.add_argument("--candidates", type=lambda s: [int(x) for x in s.split(",")],
                    default=[10, 100, 300, 1000, 2000, 5000], help="candidate counts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    model = derive_items(load_pt(args.model), args.items, rng).eval()
    if not (model.use_gmf and model.use_mlp):
        print("--model must be a neumf checkpoint", file=sys.stderr)
        return 2
    users = rng.choice(model.shape.num_users, min(args.users, model.shape.num_users), replace=False)
    f = model.shape.factors
    with torch.no_grad():
        gmf_q = (model.gmf_user.weight * model.out.weight[0, :f]).numpy()
        gmf_v = model.gmf_item.weight.numpy()
        score_all = ScoreAll(model).eval()
        exact = {int(u): score_all(torch.tensor([int(u)])).numpy() for u in users}
    q_refit, items, _ = retrieval.retrieval_vectors(model, seed=args.seed)
    once = _one_fit(model, items, users, rng)
    kinds = {"gmf_branch": (gmf_q, gmf_v), "distilled_once": (once, items), "distilled": (q_refit, items)}
    recall = {k: {c: [] for c in args.candidates} for k in kinds}
    for u in users:
        top = set(np.argsort(-exact[int(u)])[:10].tolist())
        for k, (q, v) in kinds.items():
            order = np.argsort(-(v @ q[u]))
            for c in args.candidates:
                recall[k][c].append(len(top & set(order[:c].tolist())) / 10)
    for c in args.candidates:
        print(json.dumps({"items": args.items, "candidates": c,
                          **{k: round(float(np.mean(recall[k][c])), 3) for k in kinds}}))
    print("\n| candidates | GMF branch | distilled, one fit | distilled, refit (shipped) |\n|---:|---:|---:|---:|")
    for c in args.candidates:
        print(f"| {c:,} | " + " | ".join(f"{np.mean(recall[k][c]):.3f}" for k in kinds) + " |")
    return 0


def _one_fit(model, items: np.ndarray, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Queries fitted once on random items (no refit), for the measured users."""
    n = len(items)
    feats = np.concatenate([items, np.ones((n, 1), np.float32)], 1)
    out = np.zeros((model.shape.num_users, items.shape[1]), np.float32)
    with torch.no_grad():
        for u in users:
            idx = rng.choice(n, min(n, retrieval.DISTILL_SAMPLE), replace=False)
            out[u] = retrieval._fit(model, feats, int(u), idx, np.ones(len(idx), np.float32))[:-1]
    return out
