"""GPU NCF training throughput at ML-20M scale (synthetic data of the same shape).

Shape: 138,493 users x 26,744 items x 20,000,263 interactions, 4 negatives per positive,
NeuMF with factors 64 and MLP layers 256-256-128-64 (the NVIDIA DeepLearningExamples NCF
set-up), bf16 autocast, large batches (NVIDIA: 1,048,576 samples per step, lr 0.0045).
Reports samples/s per epoch (negative sampling included) and leave-one-out HR@10 with 99
sampled negatives after the last epoch, so the figure can be set beside the peer's at an
equal HR@10. Skips with a message when no CUDA device is present.

    python training/bench/gpu_ncf.py [--epochs 3] [--batch-size 1048576] [--lr 0.0045]

Multi-GPU: ``torchrun --nproc_per_node N training/bench/gpu_ncf.py`` (DDP, each rank takes
its share of every batch permutation).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from mlbundle_training.data.synthetic import create_synthetic_interactions  # noqa: E402
from mlbundle_training.ncf.train import NCFConfig, train  # noqa: E402

ML20M = {"users": 138_493, "items": 26_744, "count": 20_000_263}


def main() -> int:
    """Run the measurement; prints JSON lines (per epoch, then a summary)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3, help="epochs to time")
    ap.add_argument("--batch-size", type=int, default=1 << 20, help="samples per step")
    ap.add_argument("--lr", type=float, default=0.0045, help="Adam learning rate")
    ap.add_argument("--scale", type=float, default=1.0, help="shrink users and interactions, keep items (smoke runs)")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for a smoke run with a small --scale")
    args = ap.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("skipped: no CUDA device (this benchmark is for a GPU machine)")
        return 0
    if args.device == "cpu":
        torch.set_num_threads(1)
    t0 = time.perf_counter()
    shape = {k: v if k == "items" else max(10, int(v * args.scale)) for k, v in ML20M.items()}
    data = create_synthetic_interactions(args.seed, shape["users"], shape["items"], shape["count"],
                                         groups=64, min_per_user=20)
    gen_s = time.perf_counter() - t0
    cfg = NCFConfig(variant="neumf", epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                    factors=64, layers=[256, 256, 128, 64], negatives=4, seed=args.seed,
                    device=args.device, progress=False, split="leave-one-out",
                    single_interaction="train-only")
    res = train(cfg, data)
    if res.metrics:
        print(json.dumps({"event": "summary", "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
                          "interactions": len(data), "generate_s": round(gen_s, 1),
                          "samples_per_s_median": round(res.samples_per_second),
                          "epochs": [h["samples_per_s"] for h in res.history],
                          "hr@10": res.metrics["test_hr@10"], "ndcg@10": res.metrics["test_ndcg@10"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
