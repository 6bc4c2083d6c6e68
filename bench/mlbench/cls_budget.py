"""Classifier quality per CPU-second: a budget table of train-classifier settings and peers.

Every configuration runs ``train-classifier`` (export included) as a child process on the
Reuters training part (``scripts/bench.sh data``: the articles whose text hashes into the
lowest 15 of 100 buckets are the held-back test part; train-classifier splits its own
validation share, seed 0, 15 %, off the rest and chooses thresholds there). The child's
CPU seconds (user + system of that child, from ``wait4``'s rusage) are the budget measure:
on a shared machine wall time says more about the neighbours than about the run. The
checkpoint is then scored on the test part through ONNX Runtime (fp32 and int8 graphs,
the checkpoint's own thresholds), beside the TF-IDF (1-2 grams) + one-vs-rest LinearSVC
peer (C chosen on validation) on the same split.

    python -m mlbench.cls_budget --configs budget,freeze4 --out docs/classifier-budget

writes ``budget.jsonl`` (one record per configuration), ``BUDGET.md`` (the table) and
``per_label_f1.png`` (per-label test F1 of the first configuration against training
support) into ``--out``. ``--limit``/``--test-limit`` take the first N articles of each part
for a quick comparison; the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .cls_quality import Scorer, load_parts, multi_hot, scores, tfidf_peer
from .data import cache_root
from .plots import _plt, _save

# name -> train-classifier flags (the defaults are the budget recipe)
CONFIGS = {
    "budget": [],
    "budget-v1": ["--no-lexical", "--pool-layers", "1"],
    "budget-nolex": ["--no-lexical"],
    "budget-pool1": ["--pool-layers", "1"],
    "budget-5ep": ["--epochs", "5"],
    "budget-len64": ["--max-length", "64"],
    "budget-plain": ["--pos-weight-power", "0", "--threshold-shrink", "0"],
    "lexical-pool3": ["--lexical", "--lexical-lr", "1e-2", "--pool-layers", "3"],
    "lexical-pool3-lr3e-3": ["--lexical", "--lexical-lr", "3e-3", "--pool-layers", "3"],
    "freeze4": ["--freeze-layers", "4", "--epochs", "2", "--lr", "1e-4", "--head-lr", "3e-3"],
    "full-1ep": ["--freeze-layers", "0", "--epochs", "1", "--lr", "5e-5", "--pos-weight-power", "0",
                 "--threshold-shrink", "0"],
    "plan": ["--recipe", "plan"],
}
# peers trained in the same command, on the same split (not train-classifier configurations)
TRAINER_PEER = "hf-trainer"


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def train_one(name: str, flags: list[str], data: Path, out: Path, limit: int, threads: int) -> tuple[Path, dict]:
    """Run train-classifier for one configuration; the checkpoint dir and CPU/wall seconds."""
    cmd = [sys.executable, "-m", "mlbundle_training.cli", "train-classifier", "--data", str(data),
           "--output-dir", str(out), "--version", name, "--threads", str(threads), "--log-every", "0", *flags]
    if limit:
        cmd += ["--limit", str(limit)]
    w0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, text=True)
        # this child's own rusage (runs of a --jobs > 1 command overlap: RUSAGE_CHILDREN would mix them)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    cpu, wall = usage.ru_utime + usage.ru_stime, time.perf_counter() - w0
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: train-classifier failed: {err[-2000:]}")
    validation = {}
    for line in err.splitlines():
        if line.startswith('{"validation"'):
            validation = json.loads(line)["validation"]
    return Path(out.strip().splitlines()[-1]), {"cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
                                                "command": " ".join(cmd[1:]), "validation": validation}


def trainer_peer(data: Path, test: Path, tmp: Path, budget_s: float, threads: int) -> dict:
    """The Hugging Face Trainer peer (mlbench.cls_trainer) as a child process, under the CPU budget."""
    res = Path(tmp) / "hf-trainer.json"
    cmd = [sys.executable, "-m", "mlbench.cls_trainer", "--data", str(data), "--test", str(test), "--out", str(res),
           "--budget-cpu-s", str(budget_s), "--threads", str(threads)]
    c0, w0 = _cpu_children(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{TRAINER_PEER}: mlbench.cls_trainer failed: {proc.stderr[-2000:]}")
    rec = json.loads(res.read_text())
    rec.update(wall_s=round(time.perf_counter() - w0, 1), cpu_child_s=round(_cpu_children() - c0, 1),
               command=" ".join(cmd[1:]), name="Hugging Face Trainer, full fine-tune (peer)",
               flags=[f"lr 5e-5, batch 16, max length 128, {rec['steps']} steps = {rec['epochs']} epochs "
                      f"fitted to {budget_s:.0f} CPU-s, global threshold {rec['threshold']} (on validation)"])
    return rec


def score(d: Path, test: dict) -> tuple[dict, np.ndarray, np.ndarray]:
    """Test micro/macro F1 of the checkpoint's fp32 and int8 graphs (its thresholds)."""
    sc = Scorer(d)
    texts = [s["text"] for s in test["samples"]]
    y = multi_hot(test["samples"], sc.codes)
    out, per_label = {}, None
    for variant in sc.sessions:
        pred = sc.logits(variant, texts) >= np.log(sc.thresholds / (1 - sc.thresholds))[None, :]
        m = scores(y, pred)
        out[variant] = {k: round(m[k], 4) for k in ("micro_f1", "macro_f1", "label_coverage")}
        if variant == "fp32":
            per_label = pred
    return out, y, per_label


def per_label_plot(y: np.ndarray, pred: np.ndarray, support: np.ndarray, out: Path, title: str) -> str | None:
    """Scatter of each code's test F1 against its number of training articles."""
    plt = _plt()
    present = y.any(axis=0)
    if plt is None or not present.any():
        return None
    tp = (y & pred).sum(0)
    f1 = 2 * tp / np.maximum(1, y.sum(0) + pred.sum(0))
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.scatter(np.maximum(support[present], 1), f1[present], s=12)
    ax.set_xscale("log")
    ax.set_xlabel("training articles with the code (log)")
    ax.set_ylabel("test F1")
    ax.set_title(title, fontsize=9)
    return _save(fig, out, "per_label_f1.png")


def read_rows(path: Path) -> list[dict]:
    """The records of earlier runs (budget.jsonl), or none."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def merge(previous: list[dict], rows: list[dict]) -> list[dict]:
    """This run's rows, after the earlier rows measured on the same split sizes that this run
    did not redo (same name: this run's wins). Rows of other sizes are dropped."""
    if not rows:
        return previous
    size = lambda r: (r.get("train_articles"), r.get("test_articles"))  # noqa: E731
    names = {r["name"] for r in rows}
    kept = [r for r in previous if r["name"] not in names and size(r) == size(rows[0])]
    return kept + rows


def table(rows: list[dict], note: str) -> str:
    head = ("| configuration | settings (train-classifier flags) | CPU s | wall s | val micro-F1 | test micro-F1 fp32 | "
            "test macro-F1 fp32 | test micro-F1 int8 | test macro-F1 int8 | measured (load average) |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        t = r.get("test", {})
        f = lambda v, k: f"{t[v][k]:.3f}" if v in t else "-"  # noqa: E731
        lines.append(f"| {r['name']} | `{' '.join(r.get('flags', [])) or '(defaults)'}` | {r.get('cpu_s', '-')} | "
                     f"{r.get('wall_s', '-')} | {r.get('validation', {}).get('micro_f1', '-')} | {f('fp32', 'micro_f1')} | "
                     f"{f('fp32', 'macro_f1')} | {f('int8', 'micro_f1')} | {f('int8', 'macro_f1')} | "
                     f"{r.get('date', '-')} ({r.get('load_avg', '-')}) |")
    return f"{note}\n\n{head}" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mlbench.cls_budget", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="budget", help=f"comma-separated, from {', '.join([*CONFIGS, TRAINER_PEER])}")
    ap.add_argument("--out", default="docs/classifier-budget", help="where the table, records and plot go")
    ap.add_argument("--limit", type=int, default=0, help="first N training-part articles (0: all)")
    ap.add_argument("--test-limit", type=int, default=0, help="first N test-part articles (0: all)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads of each training run")
    ap.add_argument("--no-peer", action="store_true", help="skip the TF-IDF peer")
    ap.add_argument("--jobs", type=int, default=1,
                    help="train-classifier runs at a time (each one's CPU seconds are its own)")
    ap.add_argument("--trainer-budget", type=float, default=1200.0,
                    help=f"CPU seconds of the {TRAINER_PEER} peer (default: 20 CPU-minutes, the train-classifier budget)")
    a = ap.parse_args(argv)
    unknown = [c for c in a.configs.split(",") if c not in CONFIGS and c != TRAINER_PEER]
    if unknown:
        ap.error(f"--configs: unknown {', '.join(unknown)} (want {', '.join([*CONFIGS, TRAINER_PEER])})")
    train, test = load_parts()
    if a.limit:
        train = {**train, "samples": train["samples"][:a.limit]}
    if a.test_limit:
        test = {**test, "samples": test["samples"][:a.test_limit]}
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, plot = [], None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.json"
        data.write_text(json.dumps(train))
        (Path(tmp) / "test.json").write_text(json.dumps(test))
        names = a.configs.split(",")
        with ThreadPoolExecutor(max(1, a.jobs)) as pool:  # each run is its own process
            runs = {name: pool.submit(train_one, name, CONFIGS[name], data, Path(tmp) / "models", 0, a.threads)
                    for name in names if name != TRAINER_PEER}
        for name in names:
            if name == TRAINER_PEER:
                rows.append(trainer_peer(data, Path(tmp) / "test.json", Path(tmp), a.trainer_budget, a.threads))
                print(json.dumps(rows[-1]), flush=True)
                continue
            d, rec = runs[name].result()
            rec["test"], y, pred = score(d, test)
            rec.update(name=name, flags=CONFIGS[name])
            rows.append(rec)
            print(json.dumps(rec), flush=True)
            if plot is None:
                codes = Scorer(d).codes
                support = multi_hot(train["samples"], codes).sum(0)
                plot = per_label_plot(y, pred, support, out, f"{name}: per-code test F1 (fp32) vs training support")
    if not a.no_peer:
        codes = [lab["code"] for lab in train["taxonomy"]]
        c0 = time.process_time()
        pred, info = tfidf_peer(train, test, codes)
        m = scores(multi_hot(test["samples"], codes), pred)
        rows.append({"name": "TF-IDF 1-2 grams + one-vs-rest LinearSVC", "flags": [f"C={info['C']} (on validation)"],
                     "cpu_s": round(time.process_time() - c0, 1), "validation": {"micro_f1": round(info["validation_micro_f1"], 4)},
                     "test": {"fp32": {k: round(m[k], 4) for k in ("micro_f1", "macro_f1", "label_coverage")}}})
        print(json.dumps(rows[-1]), flush=True)
    sizes = {"train_articles": len(train["samples"]), "test_articles": len(test["samples"])}
    for r in rows:
        r.update(sizes, date=time.strftime("%Y-%m-%d", time.gmtime()), load_avg=round(os.getloadavg()[0], 1))
    rows = merge(read_rows(out / "budget.jsonl"), rows)
    with (out / "budget.jsonl").open("w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    note = (f"Reuters-21578 training part ({len(train['samples'])} articles{' (first N only)' if a.limit else ''}), "
            f"held-back test part ({len(test['samples'])} articles); {platform.machine()}, {os.cpu_count()} cores, "
            f"{a.threads} torch threads; data from {cache_root()}. Rows of earlier runs on the same split sizes are kept "
            f"(each with its date and the load average when it ended).")
    (out / "BUDGET.md").write_text(table(rows, note))
    print(out / "BUDGET.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
