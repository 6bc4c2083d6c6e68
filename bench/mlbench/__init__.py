"""The benchmark suite: data splits, quality and latency benchmarks beside their peers,
thresholds (bench/thresholds.json) and the generated report (docs/ML_BENCHMARKS.md).

Run it with ``make bench`` (the full suite) or ``scripts/bench.sh fast`` (the reduced mode
inside ``make test``); docs/ML_BENCHMARKS.md describes every benchmark.
"""
