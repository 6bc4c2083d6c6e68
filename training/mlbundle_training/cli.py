"""Command line: ``python -m mlbundle_training.cli <command> [flags]``.

Commands: ``prepare`` (splits + spec + id maps), ``convert-movielens``, ``train-ncf``, ``tune``,
``train-classifier``, ``publish``, ``synth-checkpoint``. Input problems print one line
naming what and where and exit 2; unexpected failures exit 1 with a traceback in the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import TrainingError

log = logging.getLogger("mlbundle_training")


def _ncf_flags(p: argparse.ArgumentParser) -> None:
    from .ncf.model import VARIANTS
    from .data.splits import SINGLE_POLICIES
    from .ncf.train import NCFConfig

    d = NCFConfig()
    p.add_argument("--data-path", default=d.data_path,
                   help="interactions: JSON/JSONL file, MovieLens u.data, dynamodb://<table>, or 'synthetic'")
    p.add_argument("--output-dir", default=d.output_dir, help="checkpoint store root; writes <root>/ncf/<version>/")
    p.add_argument("--version", default=None, help="version name (default: UTC time YYYYMMDDTHHMMSSZ)")
    p.add_argument("--variant", default=d.variant, choices=VARIANTS, help="NCF model variant")
    p.add_argument("--epochs", type=int, default=d.epochs, help="training epochs (best epoch is kept)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="training batch size")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument("--factors", type=int, default=d.factors, help="GMF embedding size")
    p.add_argument("--layers", type=lambda s: [int(x) for x in s.split(",")], default=d.layers,
                   help="MLP layer sizes, comma-separated; the first is the concatenated embedding size")
    p.add_argument("--negatives", type=int, default=d.negatives, help="negatives per positive, fresh each epoch")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (split, negatives, init)")
    p.add_argument("--device", default=d.device, help="auto (CUDA if present), cpu, cuda, cuda:1, ...")
    p.add_argument("--split", default=d.split, choices=("leave-one-out", "random"),
                   help="train/validation/test: per user latest -> test, second latest -> validation; "
                        "or random 80/10/10")
    p.add_argument("--single-interaction", default=d.single_interaction, choices=SINGLE_POLICIES,
                   help="leave-one-out with users that have one interaction: fail, or train on them only")
    p.add_argument("--eval-negatives", type=int, default=d.eval_negatives,
                   help="sampled negatives per held-out (validation and test) item")
    p.add_argument("--select-metric", default=d.select_metric,
                   help="validation metric that picks the kept epoch: hr@10, ndcg@10 (sampled), "
                        "full_recall@10 or full_ndcg@10 (against every item)")
    p.add_argument("--patience", type=int, default=d.patience,
                   help="stop after this many epochs without a better validation metric (0: never)")
    p.add_argument("--embedding-adam", default=d.embedding_adam, choices=("auto", "rows", "dense"),
                   help="packed CPU step: Adam over the embedding rows a step touches (rows), over "
                        "whole tables (dense), or rows once the tables are 8x a step's rows (auto)")
    p.add_argument("--epoch-eval-rows", type=int, default=d.epoch_eval_rows,
                   help="validation rows (a seeded sample) ranked against every item after each epoch")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.add_argument("--log-every", type=int, default=d.log_every,
                   help="log the training loss (info, one JSON record) every N batches; 0: never")
    p.add_argument("--item-text-encoder", default=d.item_text_encoder, choices=("none", "tiny", "minilm"),
                   help="add the graphs that place new items by their text (item_text.onnx, "
                        "score_items.onnx) with this encoder; none: leave them out")
    p.add_argument("--item-text-max-length", type=int, default=d.item_text_max_length,
                   help="tokens of an item text the encoder reads (with [CLS] and [SEP])")
    p.add_argument("--item-text-shift", type=float, default=d.item_text_shift,
                   help="move each text placement by this times the offset of the most popular tenth "
                        "of the items from the mean item (docs/item-cold-start.md: chosen on validation items)")
    _synthetic_flags(p)


def _synthetic_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--synthetic-users", type=int, default=200, help="users of --data-path synthetic")
    p.add_argument("--synthetic-items", type=int, default=150, help="items of --data-path synthetic")
    p.add_argument("--synthetic-count", type=int, default=4000, help="interactions of --data-path synthetic")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch default)")


@dataclass
class DataSource:
    """Where interactions come from: ``--data-path`` and the synthetic generator's size."""

    path: str = "synthetic"
    seed: int = 0
    synthetic_users: int = 200
    synthetic_items: int = 150
    synthetic_count: int = 4000

    @classmethod
    def from_args(cls, ns: argparse.Namespace) -> "DataSource":
        """The DataSource of parsed ``--data-path``/``--seed``/``--synthetic-*`` flags."""
        return cls(ns.data_path, ns.seed, ns.synthetic_users, ns.synthetic_items, ns.synthetic_count)

    def load(self):
        """Load (or generate) the interactions; TrainingError names what is wrong and where."""
        from .data.sources import load_interactions
        from .data.synthetic import create_synthetic_interactions

        if self.path == "synthetic":
            return create_synthetic_interactions(self.seed, self.synthetic_users, self.synthetic_items,
                                                 self.synthetic_count)
        return load_interactions(self.path)


@dataclass
class PrepareConfig:
    """The ``prepare`` job: data, split kind and policy, output directory."""

    source: DataSource
    out: str
    split: str = "random"
    single_interaction: str = "error"
    seed: int = 0


def cmd_train_ncf(ns: argparse.Namespace) -> str:
    """Train an NCF model and export its checkpoint; prints the checkpoint directory."""
    from .contract.checkpoint import check_writable, validate_version
    from .ncf.train import NCFConfig, run

    cfg = NCFConfig(**{f.name: getattr(ns, f.name) for f in fields(NCFConfig) if hasattr(ns, f.name)})
    if cfg.version is not None:
        validate_version(cfg.version)
    from .itemtext.place import placer_for

    check_writable(cfg.output_dir)
    place = placer_for(cfg.item_text_encoder, cfg.item_text_max_length, cfg.seed, cfg.item_text_shift)
    d = run(cfg, DataSource.from_args(ns).load(), place)
    return "" if d is None else str(d)  # None: a torchrun rank other than 0


def cmd_tune(ns: argparse.Namespace) -> str:
    """Search model kinds and settings on validation, export the winner; prints its directory."""
    from pathlib import Path

    from .contract.checkpoint import check_writable, default_version, validate_version
    from .ncf.tune import TuneConfig, run

    version = validate_version(ns.version or default_version())
    trials_file = ns.trials_file or str(Path(ns.output_dir) / "tune" / f"{version}.jsonl")
    cfg = TuneConfig(ns.output_dir, version, ns.models, ns.trials, ns.time_budget, ns.max_epochs,
                     ns.patience, ns.seed, ns.split, ns.single_interaction, ns.eval_negatives,
                     10, ns.select_metric, trials_file, ns.progress)
    check_writable(cfg.output_dir)
    from .itemtext.place import placer_for

    place = placer_for(ns.item_text_encoder, ns.item_text_max_length, ns.seed, ns.item_text_shift)
    return str(run(cfg, DataSource.from_args(ns).load(), place))


def _tune_flags(p: argparse.ArgumentParser) -> None:
    from .ncf.tune import CANDIDATES, TuneConfig

    d = TuneConfig()
    p.add_argument("--data-path", default="synthetic", help="as for train-ncf")
    p.add_argument("--output-dir", default=d.output_dir, help="checkpoint store root; writes <root>/ncf/<version>/")
    p.add_argument("--version", default=None, help="version name (default: UTC time YYYYMMDDTHHMMSSZ)")
    p.add_argument("--models", type=lambda s: s.split(","), default=d.models,
                   help=f"model kinds to search, comma-separated: {', '.join(CANDIDATES)}")
    p.add_argument("--trials", type=int, default=d.trials, help="trials per model kind (the first: its defaults; ALS and BPR then a second fixed setting)")
    p.add_argument("--time-budget", type=float, default=d.time_budget,
                   help="seconds; no trial starts after that (trials run round-robin over the kinds)")
    p.add_argument("--max-epochs", type=int, default=d.max_epochs, help="epochs of an NCF trial at most")
    p.add_argument("--patience", type=int, default=d.patience,
                   help="an NCF trial stops after this many epochs without a better validation metric")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (split, search, training)")
    p.add_argument("--split", default=d.split, choices=("leave-one-out", "random"), help="as for train-ncf")
    p.add_argument("--single-interaction", default=d.single_interaction, choices=("error", "train-only"),
                   help="as for train-ncf")
    p.add_argument("--eval-negatives", type=int, default=d.eval_negatives, help="as for train-ncf")
    p.add_argument("--select-metric", default=d.select_metric, help="validation metric that picks (as for train-ncf)")
    p.add_argument("--trials-file", default=None,
                   help="JSON lines, one per trial (default <output-dir>/tune/<version>.jsonl)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.add_argument("--item-text-encoder", default="none", choices=("none", "tiny", "minilm"),
                   help="as for train-ncf: fit the graphs that place new items by text on the winner")
    p.add_argument("--item-text-max-length", type=int, default=64, help="as for train-ncf")
    p.add_argument("--item-text-shift", type=float, default=0.0, help="as for train-ncf")
    _synthetic_flags(p)


def prepare(cfg: PrepareConfig) -> dict:
    """Write train/validation/test splits, spec.json and id maps; returns the spec."""
    from .data.splits import make_split, write_prepared

    data = cfg.source.load()
    split = make_split(data, cfg.split, cfg.seed, cfg.single_interaction)
    return write_prepared(data, split, cfg.out, cfg.seed)


def cmd_prepare(ns: argparse.Namespace) -> str:
    """``prepare``: prints the spec written."""
    cfg = PrepareConfig(DataSource.from_args(ns), ns.out, ns.split, ns.single_interaction, ns.seed)
    return json.dumps(prepare(cfg))


def cmd_convert_movielens(ns: argparse.Namespace) -> str:
    """MovieLens u.data -> interactions JSONL."""
    from .data.interactions import load_movielens, write_jsonl

    n = write_jsonl(load_movielens(ns.input), ns.out)
    return f"wrote {n} interactions to {ns.out}"


def cmd_publish(ns: argparse.Namespace) -> str:
    """Publish a checkpoint directory."""
    from .contract.publish import publish

    return publish(ns.version_dir, ns.to, ns.activate)


def cmd_synth_checkpoint(ns: argparse.Namespace) -> str:
    """Random-init NCF checkpoint of a given size (serving benchmarks only)."""
    from .ncf.synth_checkpoint import synth_checkpoint

    index = {"auto": None, "on": True, "off": False}[ns.index]
    return str(synth_checkpoint(ns.items, ns.users, ns.out, ns.variant, seed=ns.seed,
                                version=ns.version, from_model=ns.from_model, index=index))


def cmd_item_cold_start(ns: argparse.Namespace) -> str:
    """Hide items, train, add them back by text; prints the table (and writes JSON)."""
    from .itemtext.holdout import HoldoutConfig, run, table
    from .ncf.train import NCFConfig

    rows = []
    for path in ns.data_path:
        ncf = NCFConfig(epochs=ns.epochs, lr=ns.lr, batch_size=ns.batch_size, variant=ns.variant, seed=ns.seed,
                        progress=False, single_interaction="train-only", device="cpu")
        cfg = HoldoutConfig(hidden_share=ns.hidden_share, validation_share=ns.validation_share,
                            encoder=ns.encoder, max_length=ns.max_length, seed=ns.seed, ncf=ncf)
        source = DataSource(path, ns.seed, ns.synthetic_users, ns.synthetic_items, ns.synthetic_count)
        rows.append(run(cfg, source.load()))
    if ns.out:
        Path(ns.out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return table(rows)


def _item_cold_start_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-path", nargs="+", default=["synthetic"],
                   help="one or more data sets: MovieLens u.data (titles from u.item beside it), "
                        "JSON/JSONL with texts, or 'synthetic' (texts from the latent topics)")
    p.add_argument("--hidden-share", type=float, default=0.1,
                   help="share of the items with a text hidden from training (with their interactions): the test")
    p.add_argument("--validation-share", type=float, default=0.1,
                   help="a further share hidden from training, on which the popularity shift is chosen")
    p.add_argument("--encoder", default="minilm", choices=("tiny", "minilm"), help="text encoder of the placement")
    p.add_argument("--max-length", type=int, default=64, help="tokens of an item text")
    p.add_argument("--epochs", type=int, default=12, help="NCF training epochs (best on validation kept)")
    p.add_argument("--lr", type=float, default=0.002, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=1024, help="training batch size")
    p.add_argument("--variant", default="neumf", choices=("mlp", "gmf", "neumf"), help="NCF model variant")
    p.add_argument("--seed", type=int, default=0, help="seed of the hidden items, training and ties")
    p.add_argument("--out", default=None, help="also write the figures as JSON to this file")
    _synthetic_flags(p)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m mlbundle_training.cli", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"),
                        help="log level of the JSON progress records (warning: quiet)")
    parser.add_argument("--log-file", default=None,
                        help="append the log records to this file instead of stderr; stderr then "
                             "shows only warnings and errors (progress bars stay on stderr)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train-ncf", help="train the NCF recommender and export a checkpoint", formatter_class=fmt)
    _ncf_flags(p)
    p.set_defaults(func=cmd_train_ncf)

    p = sub.add_parser("tune", help="search NCF, ALS and BPR settings on validation, export the winner",
                       formatter_class=fmt)
    _tune_flags(p)
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("prepare", help="write train/validation/test splits, spec.json and id maps", formatter_class=fmt)
    p.add_argument("--data-path", default="synthetic", help="JSON/JSONL, u.data, dynamodb://<table> or 'synthetic'")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--split", default="random", choices=("random", "leave-one-out"),
                   help="split kind: random 80/10/10, or per user latest -> test, second latest -> validation")
    p.add_argument("--single-interaction", default="error", choices=("error", "train-only"),
                   help="leave-one-out with single-interaction users")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    _synthetic_flags(p)
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("item-cold-start", help="measure items added by text: hide items, train, add them "
                       "back, rank them against popularity and random placement", formatter_class=fmt)
    _item_cold_start_flags(p)
    p.set_defaults(func=cmd_item_cold_start)

    p = sub.add_parser("convert-movielens", help="MovieLens 100K u.data -> interactions JSONL", formatter_class=fmt)
    p.add_argument("--input", required=True, help="path of u.data")
    p.add_argument("--out", required=True, help="output JSONL file")
    p.set_defaults(func=cmd_convert_movielens)

    p = sub.add_parser("publish", help="publish a checkpoint directory, manifest last", formatter_class=fmt)
    p.add_argument("version_dir", help="complete checkpoint directory (<root>/<kind>/<version>)")
    p.add_argument("--to", required=True, help="s3://bucket/prefix or a local store root such as models")
    p.add_argument("--activate", action="store_true", help="local store: point <kind>/ACTIVE at this version")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("synth-checkpoint", help="random-init or trained-derived NCF checkpoint for serving benchmarks", formatter_class=fmt)
    p.add_argument("--items", type=int, required=True, help="number of items")
    p.add_argument("--users", type=int, default=1000, help="number of users")
    p.add_argument("--out", required=True, help="store root; writes <out>/ncf/<version>/")
    p.add_argument("--variant", default="neumf", choices=("mlp", "gmf", "neumf"), help="model variant")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--version", default=None, help="version name (default synth-<items>)")
    p.add_argument("--from-model", default=None,
                   help="a trained checkpoint's model.pt: its users and tower, items drawn from its "
                        "item distribution (--users and --variant are then the trained model's)")
    p.add_argument("--index", default="auto", choices=("auto", "on", "off"),
                   help="retrieval index: auto writes one from the export's minimum catalogue size")
    p.set_defaults(func=cmd_synth_checkpoint)

    try:
        from .classifier.flags import add_parser as add_classifier
    except ImportError as e:  # the classifier stage is optional for NCF-only images
        log.debug("train-classifier unavailable: %s", e)
    else:
        add_classifier(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    parser = build_parser()
    ns = parser.parse_args(argv)
    level = getattr(logging, str(ns.log_level).upper(), logging.INFO)
    if ns.log_file is None:
        logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
        return _run(ns)
    try:
        handlers = _log_to_file(ns.log_file, level)
    except OSError as e:
        print(f"{ns.command}: error: --log-file {ns.log_file}: {e.strerror or e}", file=sys.stderr)
        return 2
    root = logging.getLogger()
    old_level = root.level
    if old_level != logging.NOTSET:
        root.setLevel(min(old_level, level))
    try:
        return _run(ns)
    finally:
        root.setLevel(old_level)
        for h in handlers:
            root.removeHandler(h)
            h.close()


def _log_to_file(path: str, level: int) -> list[logging.Handler]:
    """Send records at ``level`` and above to the file at ``path`` (appended) and only
    warnings and errors to stderr; returns the handlers added to the root logger."""
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setLevel(level)
    to_err = logging.StreamHandler(sys.stderr)
    to_err.setLevel(max(level, logging.WARNING))
    root = logging.getLogger()
    for h in (to_file, to_err):
        h.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(h)
    return [to_file, to_err]


def _run(ns: argparse.Namespace) -> int:
    """Run the parsed command: its output on stdout, problems on stderr; the exit status."""
    if getattr(ns, "threads", 0):
        import torch

        torch.set_num_threads(ns.threads)
    try:
        out = ns.func(ns)
    except TrainingError as e:
        print(f"{ns.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{ns.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - one place turns bugs into exit status 1
        log.exception("%s: unexpected failure", ns.command)
        return 1
    if out:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
