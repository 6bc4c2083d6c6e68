"""Markdown tables of the report, each built from one run's results (no number by hand)."""

from __future__ import annotations

from .results import Run

NONE = "_Not measured in this run (see Skipped)._"


def num(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if v == 0 or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 1 else f"{v:.4f}" if abs(v) >= 1e-3 else f"{v:.2e}"


def ratio(v) -> str:
    return "–" if v is None else f"**{v:.2f}×**"


def table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def peers_table(run: Run, note: str, keys: list[str]) -> str:
    n = run.notes.get(note)
    if not n:
        return NONE
    rows = [[name] + [num(m.get(k)) for k in keys] for name, m in n["rows"].items()]
    return f"{n.get('split', '')}\n\n" + table(["model"] + keys, rows)


def classify_quality(run: Run, ctx: dict) -> str:
    base = peers_table(run, "classify.peers", ["micro_f1", "macro_f1", "micro_precision", "micro_recall",
                                               "label_coverage"])
    agree = run.value("classify.fp32_int8_agreement")
    if agree is not None:
        base += f"\n\nfp32 and int8 give the same label set on **{agree:.1%}** of the test articles."
    x = run.value("classify.x_tfidf_micro_f1")
    if x is not None:
        base += f" Micro-F1 against the TF-IDF peer: {ratio(x)}."
    return base


def classify_latency(run: Run, ctx: dict) -> str:
    rows = []
    for v in ("fp32", "int8"):
        for b in (1, 32):
            p = f"classify.{v}.batch{b}"
            if run.value(p + ".p50_ms") is None:
                continue
            e = run.extra(p + ".p50_ms")
            rows.append([v, b, f"{num(run.value(p + '.p50_ms'))} / {num(run.value(p + '.p99_ms'))}",
                         num(run.value(p + ".cpu_p50_ms")),
                         f"{num(e.get('hf_p50_ms'))} / {num(e.get('hf_cpu_p50_ms'))}",
                         f"{num(e.get('ort_python_p50_ms'))} / {num(e.get('ort_python_cpu_p50_ms'))}",
                         ratio(run.value(p + ".x_hf")), ratio(run.value(p + ".x_ort_python")), e.get("calls", "")])
    if not rows:
        return NONE
    return table(["graph", "batch", "Go wall p50 / p99 ms", "Go CPU p50 ms", "HF pipeline wall / CPU p50 ms",
                  "Python ORT wall / CPU p50 ms", "HF ÷ Go (CPU p50)", "Python ORT ÷ Go (CPU p50)", "calls"], rows)


def ncf_quality(run: Run, ctx: dict) -> str:
    return peers_table(run, "ncf.peers", ["hr@10", "ndcg@10", "full_recall@10", "full_ndcg@10"])


def serving_quality(run: Run, ctx: dict) -> str:
    rows = []
    seen = run.value("recommend.seen_in_topk")
    if seen is not None:
        e = run.extra("recommend.seen_in_topk")
        rows.append(["seen items in any top-10 (every user, exclude_seen)", num(seen), f"{e.get('answers')} answers"])
    hr = run.value("recommend.serving_full_recall@10")
    if hr is not None:
        rows.append(["known users: held-out item in the top-10 (full ranking, Go serving path)", num(hr),
                     f"{run.extra('recommend.serving_full_recall@10').get('users')} users"])
    cold = run.value("recommend.coldstart_hr@10")
    if cold is not None:
        e = run.extra("recommend.coldstart_hr@10")
        rows.append(["cold-start users (not in training): latest item in the top-10", num(cold),
                     f"{e.get('users')} users, {e.get('item_knn_answers')} item-to-item answers; "
                     f"popular list on the same users: {num(e.get('popular_hr@10'))}"])
    return table(["check", "value", "notes"], rows) if rows else NONE


def recommend_latency(run: Run, ctx: dict) -> str:
    rows = []
    for size in ("fixture", "1.7K", "20K", "100K", "1M"):
        p = f"recommend.{size}"
        if run.value(p + ".p50_ms") is None:
            continue
        e = run.extra(p + ".x_torch")
        rows.append([size, f"{num(run.value(p + '.p50_ms'))} / {num(run.value(p + '.p99_ms'))}",
                     num(run.value(p + ".cpu_p50_ms")),
                     f"{num(e.get('torch_p50_ms'))} / {num(e.get('torch_cpu_p50_ms'))}",
                     f"{num(e.get('ort_python_p50_ms'))} / {num(e.get('ort_python_cpu_p50_ms'))}",
                     ratio(run.value(p + ".x_torch")), ratio(run.value(p + ".x_ort_python")),
                     ratio(run.value(p + ".graph_gain"))])
    if not rows:
        return NONE
    return table(["items", "Go wall p50 / p99 ms", "Go CPU p50 ms", "PyTorch eager wall / CPU p50 ms",
                  "Python ORT wall / CPU p50 ms", "torch ÷ Go", "Python ORT ÷ Go (gain of Go)",
                  "torch ÷ Python ORT (gain of the graph)"], rows)


def prefix_table(prefix: str, label: str):
    """A table of every result under prefix: id suffix, value and its context."""
    def make(run: Run, ctx: dict) -> str:
        rows = []
        for bench_id, r in sorted(run.results.items()):
            if bench_id.startswith(prefix + "."):
                extra = ", ".join(f"{k} {num(v)}" for k, v in sorted((r.get("extra") or {}).items())
                                  if not isinstance(v, (dict, list)))
                rows.append([f"`{bench_id[len(prefix) + 1:]}`", f"{num(r['value'])} {r['unit']}", extra])
        return table([label, "value", "context"], rows) if rows else NONE
    return make


def throughput(run: Run, ctx: dict) -> str:
    rows = []
    for batch in (256, 1024, 4096):
        p = f"ncf_train.batch{batch}"
        if run.value(p + ".x_dataloader") is None:
            continue
        e = run.extra(p + ".x_dataloader")
        rows.append([batch, num(e.get("dataloader_samples_per_s")), num(e.get("autograd_samples_per_s")),
                     ratio(run.value(p + ".x_dataloader_autograd")), num(e.get("packed_samples_per_s")),
                     ratio(run.value(p + ".x_dataloader"))])
    if not rows:
        return NONE
    return table(["batch", "DataLoader NCF samples/s", "autograd loop samples/s", "autograd ÷ DataLoader",
                  "packed step samples/s", "packed ÷ DataLoader"], rows)
parity = prefix_table("parity", "what")
loading = prefix_table("reload", "checkpoint / path")
coldstart = prefix_table("coldstart", "function / measure")
api = prefix_table("api", "route / measure")
