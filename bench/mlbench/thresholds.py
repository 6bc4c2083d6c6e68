"""Sets bench/thresholds.json from one run's results: each number minus (or plus) a margin.

    python -m mlbench.thresholds --results .local/bench/results-<time> [--only 'ncf.*,recommend.*']

The margins are the rules below, chosen for a shared 2-core machine where wall times move
by 2x with other load; correctness checks (parity, seen items) keep their fixed bounds in
both modes. Review the diff before committing it.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path

from . import machine
from .fixtures import ROOT
from .results import Run

# (id pattern, direction, how the bound is derived, margin as stated in the file); the first
# pattern that matches wins, so times and sizes come before the quality rules of a prefix
# (classify.*.p50_ms is a latency, not a quality)
RULES = [
    ("recommend.seen_in_topk", "max", lambda v: 0.0, "none: a seen item in any answer is a bug"),
    ("parity.tokenizer_exact", "min", lambda v: 1.0, "none: every text must tokenize as in Python"),
    ("parity.*fp32_max_abs", "max", lambda v: 1e-3, "contract tolerance of fp32 parity (1e-3)"),
    ("parity.*int8_max_abs", "max", lambda v: 1e-2, "contract tolerance of int8 parity (1e-2)"),
    ("parity.ncf_max_abs", "max", lambda v: 1e-4, "contract tolerance of NCF parity (1e-4)"),
    ("twostage.*recall@10", "min", lambda v: 0.99, "the goal: recall of the exact top 10 >= 0.99"),
    # the goal at 1M items (p50 <= 10 ms, p99 <= 25 ms on one thread) in the thread's CPU
    # time: wall times on the shared machine carry other processes' time
    ("twostage.*.1M.cpu_p50_ms", "max", lambda v: 10.0, "the goal at 1M items: p50 <= 10 ms of the one thread's CPU"),
    ("twostage.*.1M.cpu_p99_ms", "max", lambda v: 25.0, "the goal at 1M items: p99 <= 25 ms of the one thread's CPU"),
    ("*.peak_rss_mb", "max", lambda v: round(v * 1.25, 1), "+25%"),
    ("*.p99_ms", "max", lambda v: round(v * 3, 3), "+200% (tail latency on a shared machine)"),
    ("*_ms", "max", lambda v: round(v * 2, 3), "+100% (wall time on a shared machine)"),
    ("*.x_*", "min", lambda v: round(v * 0.6, 3), "-40% (ratio against a peer measured in the same run)"),
    ("*graph_gain", "min", lambda v: round(v * 0.6, 3), "-40% (ratio of two peers in the same run)"),
    ("classify.fp32_int8_agreement", "min", lambda v: round(v - 0.03, 4), "-0.03 absolute"),
    ("classify.*", "min", lambda v: round(v - 0.03, 4), "-0.03 absolute (same checkpoint and split)"),
    ("ncf.*", "min", lambda v: round(v - 0.02, 4), "-0.02 absolute (same checkpoint and split)"),
    ("recommend.*hr@10", "min", lambda v: round(v - 0.03, 4), "-0.03 absolute"),
    ("recommend.*recall@10", "min", lambda v: round(v - 0.02, 4), "-0.02 absolute"),
    ("ncf_train.*samples_per_s", "min", lambda v: round(v * 0.5), "-50% (throughput on a shared machine)"),
]


def rule(bench_id: str):
    for pattern, direction, bound, margin in RULES:
        if fnmatch.fnmatch(bench_id, pattern):
            return direction, bound, margin
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="a full run's results directory")
    ap.add_argument("--only", default="", help="comma-separated id patterns (fnmatch): re-set only these, keep the rest")
    ns = ap.parse_args(argv)
    only = [p for p in ns.only.split(",") if p]
    run = Run.load(Path(ns.results))
    path = ROOT / "bench" / "thresholds.json"
    doc = json.loads(path.read_text())
    picked = lambda i: not only or any(fnmatch.fnmatch(i, p) for p in only)  # noqa: E731
    entries = {k: v for k, v in doc["thresholds"].items() if "fast" in v.get("modes", []) or not picked(k)}
    for bench_id, r in sorted(run.results.items()):
        if r["mode"] != "full" or not picked(bench_id):
            continue
        found = rule(bench_id)
        if found is None:
            print(f"no rule for {bench_id}: left without a threshold", file=sys.stderr)
            continue
        direction, bound, margin = found
        entry = {direction: bound(r["value"]), "measured": round(r["value"], 6), "margin": margin}
        if bench_id in entries:
            entry["modes"] = entries[bench_id].get("modes", ["full"])
        entries[bench_id] = entry
    cpu = machine.cpu()
    doc["machine"] = f"{cpu['model']}, {cpu['cores']} cores, flags {' '.join(cpu['flags'])}; load average {machine.load()}"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + f" (results {Path(ns.results).name})"
    doc["measured_at"] = f"{doc.get('measured_at', '')}; {', '.join(only)} re-set {stamp}" if only else stamp
    doc["thresholds"] = dict(sorted(entries.items()))
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(entries)} thresholds to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
