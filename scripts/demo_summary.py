"""Short, human-readable lines for `make demo` (scripts/demo.sh); standard library only.

    python3 scripts/demo_summary.py models MODELS_DIR
        what was trained (ACTIVE version of each kind), its metrics, where it is published
    python3 scripts/demo_summary.py answer STATUS BODY_FILE
        one line for an API answer (the full body goes to the demo log)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# (manifest key without the test_ prefix, label) for the NCF table
NCF_METRICS = (("hr@10", "HR@10 vs 99 sampled negatives"), ("ndcg@10", "NDCG@10 vs 99 sampled negatives"),
               ("full_recall@10", "Recall@10 vs every item"), ("full_ndcg@10", "NDCG@10 vs every item"))


def active(models: Path, kind: str) -> tuple[Path, dict] | None:
    """The ACTIVE version directory of kind and its manifest, or None."""
    try:
        version = json.loads((models / kind / "ACTIVE").read_text())["version"]
        d = models / kind / version
        return d, json.loads((d / "manifest.json").read_text())
    except (OSError, ValueError, KeyError):
        return None


def ncf_lines(d: Path, m: dict) -> list[str]:
    """What the NCF model is, its test metrics next to the popularity baseline's."""
    h, data, met = m.get("hyperparameters", {}), m.get("data", {}), m.get("metrics", {})
    out = [f"recommender (NCF {h.get('variant', '?')}) {m['version']}: best epoch {h.get('best_epoch', '?')} "
           f"of {h.get('epochs', '?')}, trained on {data.get('source', '?')}: {data.get('interactions', '?')} "
           f"interactions, {data.get('users', '?')} users, {data.get('items', '?')} items",
           f"  {'test split (latest interaction of each user)':<46} {'model':>7} {'popularity':>11}"]
    for key, label in NCF_METRICS:
        model, pop = met.get(f"test_{key}"), met.get(f"popularity_test_{key}")
        if model is None:
            continue
        pop_s = f"{pop:>11.3f}" if pop is not None else f"{'n/a':>11}"
        out.append(f"  {label:<46} {model:>7.3f} {pop_s}")
    out.append(f"  published: {d} (ACTIVE)")
    return out


def classifier_lines(d: Path, m: dict) -> list[str]:
    """What the classifier is and its validation F1 (PyTorch, ONNX fp32 and int8)."""
    h, data, met = m.get("hyperparameters", {}), m.get("data", {}), m.get("metrics", {})
    out = [f"classifier ({h.get('encoder', '?')} encoder, multi-label) {m['version']}: {h.get('epochs', '?')} epoch(s), max length "
           f"{h.get('max_length', '?')}, trained on {data.get('source', '?')}: {data.get('labels', '?')} labels, "
           f"{data.get('train', '?')} train / {data.get('validation', '?')} validation texts"]
    for suffix, what in (("", "PyTorch"), ("_onnx", "ONNX fp32"), ("_int8", "ONNX int8")):
        if f"micro_f1{suffix}" in met:
            out.append(f"  validation {what:<10} micro F1 {met[f'micro_f1{suffix}']:.3f}, "
                       f"macro F1 {met.get(f'macro_f1{suffix}', float('nan')):.3f}")
    out.append(f"  published: {d} (ACTIVE)")
    return out


def models_summary(models: Path) -> list[str]:
    """Lines for every kind the store has an ACTIVE version of."""
    out = []
    for kind, describe in (("ncf", ncf_lines), ("classifier", classifier_lines)):
        got = active(models, kind)
        out += describe(*got) if got else [f"{kind}: no ACTIVE version in {models}"]
    return out


def _num(x) -> str:
    """x with two decimals when it is a number."""
    return f"{x:.2f}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def answer_line(status: str, body: str) -> str:
    """One line for an API answer: the items, labels or counts it holds."""
    try:
        obj = json.loads(body)
    except ValueError:
        return f"HTTP {status}: {body.strip()[:200]}"
    if not isinstance(obj, dict):
        return f"HTTP {status}: {json.dumps(obj)[:200]}"
    if "error" in obj:
        e = obj["error"]
        return f"HTTP {status}: {e.get('code')}: {e.get('message')}"
    if "items" in obj:
        items = ", ".join(f"{i['item_id']} {i['score']:.2f}" for i in obj["items"])
        return (f"HTTP {status}: strategy {obj.get('strategy')}, cold start {obj.get('cold_start')}, "
                f"confidence {_num(obj.get('confidence'))}, model {obj.get('model_version')}: {items}")
    if "results" in obj and isinstance(obj["results"], list):
        texts = ["; ".join(f"{lab['code']} ({lab['name']}) {lab['score']:.2f}" for lab in r.get("labels", []))
                 or "no label" for r in obj["results"]]
        return f"HTTP {status}: model {obj.get('model_version')}: " + " | ".join(texts)
    if "models" in obj:
        return f"HTTP {status}: " + ", ".join(f"{x.get('kind')} {x.get('status')} {x.get('version', '')}".rstrip()
                                              for x in obj["models"])
    return f"HTTP {status}: {json.dumps(obj)[:200]}"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "models":
        print("\n".join(models_summary(Path(argv[1]))))
        return 0
    if len(argv) == 3 and argv[0] == "answer":
        print(answer_line(argv[1], Path(argv[2]).read_text()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
