"""PNG plots of one run (matplotlib, installed beside the peers: scripts/bench.sh does it).

Each function writes one small PNG and returns its file name, or None when the run holds
nothing to plot (or matplotlib is absent: the report then says so).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .results import Run

EXTRA = Path.home() / ".cache" / "mlbundle" / "bench-extra"


def _plt():
    if EXTRA.is_dir() and str(EXTRA) not in sys.path:
        sys.path.append(str(EXTRA))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


SIDES = {"go": "mlbundle (Go)", "torch": "PyTorch eager", "ort_python": "Python ONNX Runtime",
         "hf": "Hugging Face pipeline"}


def available() -> bool:
    return _plt() is not None


def _save(fig, out: Path, name: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / name, dpi=80)
    _plt().close(fig)
    return name


def latency_cdf(run: Run, out: Path, prefix: str, title: str, name: str) -> str | None:
    """CDF of the per-call latencies of ours and each peer recorded under prefix.<side>."""
    plt = _plt()
    sides = {k.rsplit(".", 1)[1]: v for k, v in run.series.items() if k.rsplit(".", 1)[0] == prefix and v}
    if plt is None or not sides:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for side, vals in sorted(sides.items()):
        v = np.sort(np.asarray(vals))
        ax.plot(v, np.arange(1, len(v) + 1) / len(v), label=SIDES.get(side, side))
    ax.set_xscale("log")
    ax.set_xlabel("latency per call, ms (log)")
    ax.set_ylabel("share of calls")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out, name)


def quality_bars(run: Run, out: Path, note: str, keys: list[str], title: str, name: str) -> str | None:
    """Grouped bars of the metrics keys for every row of a peers note."""
    plt = _plt()
    rows = run.notes.get(note, {}).get("rows")
    if plt is None or not rows:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / len(rows)
    for j, (label, m) in enumerate(rows.items()):
        ax.bar(np.arange(len(keys)) + j * width, [m.get(k, 0) for k in keys], width, label=label)
    ax.set_xticks(np.arange(len(keys)) + 0.4 - width / 2, keys, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, out, name)


def per_label_f1(run: Run, out: Path, name: str) -> str | None:
    """Test F1 of each label against its number of training articles."""
    plt = _plt()
    labels = run.notes.get("classify.per_label", {}).get("labels")
    if plt is None or not labels:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.scatter([max(1, x["train_support"]) for x in labels], [x["f1"] for x in labels], s=12, alpha=0.7)
    ax.set_xscale("log")
    ax.set_xlabel("training articles of the label (log)")
    ax.set_ylabel("F1 on the test part")
    ax.set_title("Per-label F1 against label frequency (served model)", fontsize=10)
    ax.grid(alpha=0.3)
    return _save(fig, out, name)


def training_curves(run: Run, out: Path, note: str, title: str, name: str) -> str | None:
    """Loss and validation metrics per epoch from a history note (list of per-epoch dicts)."""
    plt = _plt()
    hist = run.notes.get(note, {}).get("history")
    if plt is None or not hist or len(hist) < 2:  # one epoch is no curve
        return None
    epochs = [h.get("epoch", i + 1) for i, h in enumerate(hist)]
    keys = [k for k in hist[0] if k != "epoch" and isinstance(hist[0][k], (int, float))
            and not any(s in k for s in ("seconds", "samples_per_s", "lr", "step"))]
    losses = [k for k in keys if "loss" in k]
    metrics = [k for k in keys if k not in losses]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for k in losses:
        ax.plot(epochs, [h.get(k) for h in hist], "o-", label=k)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    for k in metrics:
        ax2.plot(epochs, [h.get(k) for h in hist], "s--", label=k)
    ax2.set_ylabel("validation metric")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, losses + metrics, fontsize=7, loc="best")
    ax.set_title(title, fontsize=10)
    return _save(fig, out, name)
