"""Benchmarks: ``python -m mlbundle_training.bench {ncf,catalogue,compare,classifier,int8,tiles,retrieval} [flags]``.

Each name is a module of this package (``mlbundle_training.bench.<name>``) whose docstring
says what it measures. The benchmark suite (make bench, docs/ML_BENCHMARKS.md) records its
numbers itself.
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {"ncf": "mlbundle_training.bench.ncf", "catalogue": "mlbundle_training.bench.catalogue",
           "compare": "mlbundle_training.bench.compare",
           "classifier": "mlbundle_training.bench.classifier", "int8": "mlbundle_training.bench.int8",
           "tiles": "mlbundle_training.bench.tiles", "retrieval": "mlbundle_training.bench.retrieval"}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to one benchmark's ``main`` with the remaining arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in BENCHES:
        print(f"usage: python -m mlbundle_training.bench {{{','.join(BENCHES)}}} [flags]", file=sys.stderr)
        return 2
    return importlib.import_module(BENCHES[args[0]]).main(args[1:])

