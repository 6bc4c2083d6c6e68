"""Build the small deterministic checkpoints committed under testdata/checkpoints.

Usage: python training/scripts/make_fixtures.py --out testdata/checkpoints

- ncf/tiny-v1: NeuMF trained a few epochs on synthetic data (200 users x 150 items), with
  a fixed creation time and revision so that a rebuild gives the same bytes;
- ncf/text-v1: the same model, data and run, plus the graphs that place new items by
  text (item_text.onnx on the tiny encoder, score_items.onnx, vocab.txt);
- ncf/tiny-index-v1: the same model (read back from tiny-v1's model.pt) exported with a
  retrieval index, so that Go tests load, verify and serve an index made by the export;
- classifier fixtures come from mlbundle_training.classifier.fixtures.make_fixtures when that
  stage is available (otherwise they are skipped with a message).

Every file stays well under 1 MB; Go tests read these through the checkpoint contract.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import json  # noqa: E402

from mlbundle_training.ncf.export import export_checkpoint, load_pt  # noqa: E402
from mlbundle_training.data.synthetic import create_synthetic_interactions  # noqa: E402
from mlbundle_training.ncf.train import NCFConfig, train  # noqa: E402
from mlbundle_training.itemtext.place import placer_for  # noqa: E402

CREATED_AT = "2026-01-01T00:00:00Z"
REVISION = "fixture"


def make_ncf(out: Path, version: str = "tiny-v1", text: bool = False) -> Path:
    """ncf/tiny-v1: NeuMF, 200 users x 150 items, 8 epochs, seed 0 (``text``: ncf/text-v1,
    with the item-text graphs on the tiny encoder)."""
    target = out / "ncf" / version
    if target.exists():
        shutil.rmtree(target)
    torch.set_num_threads(1)
    data = create_synthetic_interactions(seed=1, users=200, items=150, count=4000)
    cfg = NCFConfig(epochs=8, batch_size=256, lr=0.003, variant="neumf", seed=0, progress=False,
                    device="cpu")
    result = train(cfg, data)
    metrics = {k: round(v, 6) for k, v in result.metrics.items()}
    summary = {**data.summary(), "evaluation": result.evaluation.describe(cfg.top_k)}
    placer = None
    if text:
        placer = placer_for("tiny", 32, cfg.seed)(result.model, data)
        metrics["item_text_validation_cosine"] = round(placer.validation_cosine, 6)
    return export_checkpoint(result.model, data, out, version, cfg.hyperparameters(), metrics,
                             summary, created_at=CREATED_AT, revision=REVISION, placer=placer)


def make_ncf_index(out: Path) -> Path:
    """ncf/tiny-index-v1: tiny-v1's model and data, exported with a retrieval index."""
    src = out / "ncf" / "tiny-v1"
    target = out / "ncf" / "tiny-index-v1"
    if target.exists():
        shutil.rmtree(target)
    torch.set_num_threads(1)
    man = json.loads((src / "manifest.json").read_text())
    data = create_synthetic_interactions(seed=1, users=200, items=150, count=4000)
    return export_checkpoint(load_pt(src / "model.pt"), data, out, "tiny-index-v1",
                             man["hyperparameters"], man["metrics"], man["data"],
                             created_at=CREATED_AT, revision=REVISION, index=True)


def main() -> int:
    """Build every fixture; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="testdata/checkpoints", help="fixture root")
    ap.add_argument("--only", choices=("ncf", "ncf-text", "ncf-index", "classifier"), help="build only one fixture set")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    out = Path(args.out)
    if args.only in (None, "ncf"):
        print(make_ncf(out))
        print(make_ncf_index(out))
    if args.only in (None, "ncf-text"):
        print(make_ncf(out, "text-v1", text=True))
    if args.only == "ncf-index":
        print(make_ncf_index(out))
    if args.only in (None, "classifier"):
        try:
            from mlbundle_training.classifier.fixtures import make_fixtures
        except ImportError as e:
            print(f"classifier fixtures skipped: {e}")
        else:
            for d in make_fixtures(out):
                print(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
