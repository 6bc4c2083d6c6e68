"""NCF on MovieLens 100K: quality beside popularity and implicit ALS/BPR, training
throughput beside a straightforward DataLoader NCF. See mlbundle_training.bench.ncf.

    python training/bench/ncf_ml100k.py [--epochs 15 --batch-size 1024 --lr 0.002]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlbundle_training.bench.ncf import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:] or ["--epochs", "15", "--batch-size", "1024", "--lr", "0.002"]
    sys.exit(main(args))
