"""The ``train-classifier`` flags (mirroring ClassifierConfig), recipes and the stand-alone entry."""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict

from ..errors import TrainingError
from .loop import COMPILE_MODES, PRECISIONS
from .model import ENCODERS
from .train import RECIPES, ClassifierConfig, run


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``train-classifier`` (flags mirror ClassifierConfig) on an argparse subparsers."""
    p = subparsers.add_parser("train-classifier", help="fine-tune the taxonomy classifier and export it",
                              description=train_doc(), formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = ClassifierConfig()
    p.add_argument("--data", default=d.data, help="classification dataset JSON, or a Reuters-21578 JSON directory")
    p.add_argument("--output-dir", default=d.output_dir, help="checkpoint store root; writes <root>/classifier/<version>/")
    p.add_argument("--version", default=d.version, help="checkpoint version name")
    p.add_argument("--recipe", default=d.recipe, choices=list(RECIPES),
                   help="budget: frozen lower layers, CPU; plan: full fine-tune (GPU); explicit flags win")
    p.add_argument("--epochs", type=int, default=d.epochs, help="training epochs")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="training batch size")
    p.add_argument("--lr", type=float, default=d.lr, help="encoder learning rate (AdamW)")
    p.add_argument("--head-lr", type=float, default=d.head_lr, help="learning rate of the new linear head")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, help="AdamW weight decay")
    p.add_argument("--warmup", type=float, default=d.warmup, help="share of steps with linear LR warm-up")
    p.add_argument("--max-length", type=int, default=d.max_length, help="max tokens incl. [CLS]/[SEP]")
    p.add_argument("--lexical", action=argparse.BooleanOptionalAction, default=d.lexical,
                   help="add the bag-of-wordpieces TF-IDF branch (classifier.lexical) to the head's logits")
    p.add_argument("--lexical-lr", type=float, default=d.lexical_lr, help="learning rate of the lexical branch")
    p.add_argument("--pool-layers", type=int, default=d.pool_layers,
                   help="mean-pool each of the top N layers' outputs and concatenate them (the head's input)")
    p.add_argument("--freeze-layers", type=int, default=d.freeze_layers,
                   help="freeze the lower N encoder layers and compute them once (0: full fine-tune)")
    p.add_argument("--pos-weight-power", type=float, default=d.pos_weight_power,
                   help="BCE positive weight (negatives/positives)**power per label (0: plain BCE)")
    p.add_argument("--threshold-shrink", type=float, default=d.threshold_shrink,
                   help="shrink per-label thresholds toward the global one with this strength (0: off)")
    p.add_argument("--val-fraction", type=float, default=d.val_fraction, help="share of samples held out for validation")
    p.add_argument("--augment-target", type=int, default=d.augment_target,
                   help="augment the training split up to this many samples (0: off)")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (split, augmentation, init, order)")
    p.add_argument("--device", default=d.device, help="auto (CUDA if present), cpu, cuda, cuda:1, ...")
    p.add_argument("--encoder", default=d.encoder, choices=ENCODERS, help="minilm (all-MiniLM-L6-v2) or tiny (tests)")
    p.add_argument("--max-steps", type=int, default=d.max_steps, help="stop after this many steps (0: no limit)")
    p.add_argument("--eval-batch-size", type=int, default=d.eval_batch_size, help="batch size for evaluation")
    p.add_argument("--no-int8", dest="int8", action="store_false", help="skip the int8 quantized model")
    p.add_argument("--limit", type=int, default=d.limit, help="use only the first N samples (0: all)")
    p.add_argument("--threads", type=int, default=d.threads, help="CPU threads for torch (0: torch default)")
    p.add_argument("--precision", default=d.precision, choices=PRECISIONS,
                   help="auto: bf16 autocast on CUDA, fp32 on CPU")
    p.add_argument("--compile", default=d.compile, choices=COMPILE_MODES,
                   help="torch.compile the model for training (GPU; reduce-overhead = CUDA graphs)")
    p.add_argument("--log-every", type=int, default=d.log_every,
                   help="log the training loss (info, one JSON record) every N steps; 0: never")
    p.set_defaults(func=lambda ns: run(config_from_args(ns)))
    return p


def config_from_args(ns: argparse.Namespace) -> ClassifierConfig:
    """The ClassifierConfig of parsed flags."""
    defaults = asdict(ClassifierConfig())
    values = {k: v for k, v in vars(ns).items() if k in defaults}
    for k, v in RECIPES.get(values.get("recipe", "budget"), {}).items():
        if values.get(k, defaults[k]) == defaults[k]:  # a flag left at its default takes the recipe's value
            values[k] = v
    return ClassifierConfig(**values)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m mlbundle_training.classifier.flags [flags]``."""
    import sys

    parser = argparse.ArgumentParser(prog="train_classifier")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ns = parser.parse_args(["train-classifier", *args])
    try:
        out = ns.func(ns)
    except TrainingError as e:
        print(f"train-classifier: {e}", file=sys.stderr)
        return 2
    print(out)
    return 0



def train_doc() -> str:
    """The training module's description (stages and recipes) for ``--help``."""
    from . import train

    return train.__doc__ or ""


if __name__ == "__main__":
    raise SystemExit(main())
