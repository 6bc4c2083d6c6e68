"""Writes docs/ML_BENCHMARKS.md (and docs/bench/*.png) from one run's raw results.

    python -m mlbench.report --results .local/bench/results-<time> --out docs

The prose lives in bench/report.md.tmpl; every number comes from the results directory
(``{{name}}`` placeholders are filled by the functions in ``SECTIONS``). Exits 1 when a
result failed its threshold, so that ``make bench`` fails on a regression.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from . import machine, plots, tables
from .fixtures import ROOT
from .results import Run


def header(run: Run, ctx: dict) -> str:
    cpu, sw = machine.cpu(), machine.software()
    started = os.environ.get("BENCH_STARTED", "")
    lines = [f"- **Generated** {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{ctx['command']}`"
             f" from `{run.dir.name}`{f' (run started {started})' if started else ''}, git `{sw.pop('git')}`.",
             f"- **Machine**: {cpu['model']}, {cpu['cores']} cores, {cpu.get('memory_gib', '?')} GiB; CPU flags that "
             f"matter here: {', '.join(cpu['flags']) or 'none of ' + ', '.join(machine.FLAGS)}.",
             f"- **Load average** when the report was written: {machine.load()} "
             f"(on {cpu['cores']} cores: above that, other work shared the machine and wall times are inflated;"
             " ratios against a peer measured in the same run hold better).",
             "- **Software**: " + ", ".join(f"{k} {v}" for k, v in sw.items() if v) + "."]
    if ctx.get("note"):
        lines.append(f"- **Conditions of this run**: {ctx['note']}")
    return "\n".join(lines)


def checks(run: Run, ctx: dict) -> str:
    rows = sorted(run.results.values(), key=lambda r: r["id"])
    if not rows:
        return "_No benchmark recorded a result in this run._"
    fails = run.failures()
    out = [f"{len(rows)} results, {sum(r['status'] == 'pass' for r in rows)} within their thresholds, "
           f"**{len(fails)} regressions**, {sum(r['status'] == 'unchecked' for r in rows)} without a threshold "
           f"in {rows[0]['mode']} mode.", "",
           "| benchmark | value | threshold | status |", "|---|---|---|---|"]
    for r in rows:
        th = r.get("threshold") or {}
        bound = (f"≥ {th['min']:.4g}" if th.get("min") is not None else f"≤ {th['max']:.4g}"
                 if th.get("max") is not None else "–")
        out.append(f"| `{r['id']}` | {tables.num(r['value'])} {r['unit']} | {bound} | {r['status']} |")
    return "\n".join(out)


def skipped(run: Run, ctx: dict) -> str:
    if not run.skips:
        return "Nothing was skipped."
    return "\n".join(f"- `{s['id']}`: {s['why']}" for s in run.skips)


def plot(kind: str, *args):
    def make(run: Run, ctx: dict) -> str:
        if not plots.available():
            return "_(plot not drawn: matplotlib is not installed; `scripts/bench.sh` installs it beside the peers)_"
        name = getattr(plots, kind)(run, ctx["out"] / "bench", *args)
        return f"![{args[-2] if len(args) > 1 else kind}](bench/{name})" if name else "_(nothing to plot in this run)_"
    return make


SECTIONS = {
    "header": header, "checks": checks, "skipped": skipped,
    "classify_quality": tables.classify_quality, "classify_latency": tables.classify_latency,
    "ncf_quality": tables.ncf_quality, "recommend_latency": tables.recommend_latency,
    "serving_quality": tables.serving_quality, "throughput": tables.throughput, "parity": tables.parity,
    "loading": tables.loading, "coldstart": tables.coldstart, "api": tables.api,
    "plot_cls_quality": plot("quality_bars", "classify.peers", ["micro_f1", "macro_f1", "micro_precision",
                                                                "micro_recall", "label_coverage"],
                             "Reuters held-back part: quality against peers", "cls_quality.png"),
    "plot_per_label": plot("per_label_f1", "per_label_f1.png"),
    "plot_ncf_quality": plot("quality_bars", "ncf.peers", ["hr@10", "ndcg@10", "full_recall@10", "full_ndcg@10"],
                             "MovieLens 100K test part: quality against peers", "ncf_quality.png"),
    "plot_ncf_history": plot("training_curves", "ncf.history", "NCF training (benchmark checkpoint)",
                             "ncf_history.png"),
    "plot_cls_history": plot("training_curves", "classify.history", "Classifier training (benchmark checkpoint)",
                             "cls_history.png"),
    "plot_cdf_classify": plot("latency_cdf", "classify.int8.batch1", "classify, int8, one text: Go vs peers",
                              "cdf_classify_int8_b1.png"),
    "plot_cdf_classify_fp32": plot("latency_cdf", "classify.fp32.batch1", "classify, fp32, one text: Go vs peers",
                                   "cdf_classify_fp32_b1.png"),
    "plot_cdf_recommend": plot("latency_cdf", "recommend.20K", "recommend at 20K items: Go vs peers",
                               "cdf_recommend_20k.png"),
}


def render(template: str, run: Run, ctx: dict) -> str:
    def fill(m: re.Match) -> str:
        fn = SECTIONS.get(m.group(1))
        return fn(run, ctx) if fn else m.group(0)
    return re.sub(r"\{\{(\w+)\}\}", fill, template)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="the run's results directory ($BENCH_RESULTS)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="where ML_BENCHMARKS.md and bench/*.png go")
    ap.add_argument("--command", default=os.environ.get("BENCH_COMMAND", "make bench"), help="command named in the header")
    ap.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""), help="conditions of the run (contention, ...)")
    ns = ap.parse_args(argv)
    run = Run.load(Path(ns.results))
    out = Path(ns.out)
    ctx = {"out": out, "command": ns.command, "note": ns.note}
    text = render((ROOT / "bench" / "report.md.tmpl").read_text(), run, ctx)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ML_BENCHMARKS.md").write_text(text)
    (Path(ns.results) / "summary.json").write_text(json.dumps(
        {"results": len(run.results), "failures": [r["id"] for r in run.failures()], "skips": run.skips}, indent=1))
    print(f"wrote {out / 'ML_BENCHMARKS.md'}: {len(run.results)} results, {len(run.failures())} regressions, "
          f"{len(run.skips)} skipped")
    for r in run.failures():
        print(f"regression: {r['id']} = {r['value']:.4g} {r['unit']} (threshold {r['threshold']})", file=sys.stderr)
    return 1 if run.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
