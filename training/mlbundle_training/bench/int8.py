"""int8 quantization options for the classifier: accuracy, speed, and whether the integer
products are the same on every host (docs/checkpoint.md, "int8 parity").

- ``schemes --checkpoint DIR``: quantizes the fp32 ``model.onnx`` of a classifier checkpoint
  trained on Reuters (``python -m mlbundle_training.bench classifier reuters ...``) in each
  way, rebuilds that run's validation split from its manifest, and reports per option:
  micro/macro F1 on two seeded halves of the validation split ("select": where the option is
  chosen, "report": the figure to quote; thresholds cross-fitted inside each half), the
  largest logit difference from fp32, whether every weight is within the non-saturating
  range, and latency (one ONNX Runtime thread, a 64-token text, batch 1 and 32, options
  timed in turns so all see the same machine load). The quantized files and the token ids
  of a sample of validation texts stay in ``--workdir``.
- ``logits --ids IDS.npz --out OUT.npz NAME=MODEL.onnx ...``: logits of those token ids
  through each model (numpy and onnxruntime only, so it also runs under an emulator such as
  ``qemu-x86_64 -cpu Haswell``); ``compare A.npz B.npz`` prints the largest differences.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..errors import TrainingError

log = logging.getLogger(__name__)

SCHEMES = {
    "s8": {"weight_type": "QInt8"},
    "s8-7bit": {"weight_type": "QInt8", "reduce_range": True},
    "s8-per-channel": {"weight_type": "QInt8", "per_channel": True},
    "s8-per-channel-7bit": {"weight_type": "QInt8", "per_channel": True, "reduce_range": True},
    "u8u8": {"weight_type": "QUInt8"},
    "u8u8-per-channel": {"weight_type": "QUInt8", "per_channel": True},
}
"""quantize_dynamic options per candidate (activations are uint8 in all of them)."""


def quantize(src: Path, dst: Path, options: dict) -> None:
    """quantize_dynamic with ``options`` (weight type by name), advice logs silenced."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    kw = dict(options, weight_type=getattr(QuantType, options["weight_type"]))
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(src), str(dst), **kw)
    finally:
        logging.disable(logging.NOTSET)


def _session(path, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _feed(rows: list[list[int]]) -> dict[str, np.ndarray]:
    n = max(len(r) for r in rows)
    ids = np.zeros((len(rows), n), np.int64)
    mask = np.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        mask[i, :len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def logits(sess, ids: list[list[int]], batch: int = 32) -> np.ndarray:
    """Logits of token id rows, in length-sorted batches, back in the given order."""
    order = np.argsort([len(r) for r in ids], kind="stable")
    out = [None] * len(ids)
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        for i, row in zip(idx, sess.run(["logits"], _feed([ids[i] for i in idx]))[0]):
            out[i] = row
    return np.stack(out)


def validation_split(checkpoint: Path, data: str, max_length: int):
    """Token ids and label matrix of the validation split the checkpoint was trained with:
    split settings from its manifest, or the training defaults while the export is still
    writing it (then ``max_length`` must be the one trained with)."""
    from ..classifier.batches import encode, multi_hot
    from ..classifier.model import load_tokenizer
    from ..classifier.train import ClassifierConfig, load_dataset, split

    path = checkpoint / "manifest.json"
    m = json.loads(path.read_text()) if path.is_file() else {}
    d = ClassifierConfig()
    h = m.get("hyperparameters", {"limit": d.limit, "val_fraction": d.val_fraction, "seed": d.seed,
                                  "max_length": max_length})
    ds = load_dataset(ClassifierConfig(data=data, limit=h.get("limit", 0)))
    _, val = split(ds.samples, h["val_fraction"], h["seed"])
    index = {lab.code: i for i, lab in enumerate(ds.taxonomy)}
    if m and [lab["code"] for lab in m["classifier"]["labels"]] != list(index):
        raise TrainingError("the checkpoint's labels are not the dataset's: other --data?")
    ids = encode(load_tokenizer(), [t for t, _ in val], h["max_length"])
    return ids, multi_hot([c for _, c in val], index), m


def _f1(probs, y, seed) -> dict:
    from ..classifier.batches import cross_fitted_metrics

    fig = cross_fitted_metrics(probs, y, seed)
    return {"micro_f1": round(fig["micro_f1"], 4), "macro_f1": round(fig["macro_f1"], 4)}


def _latency(sessions: dict, text: list[int], runs: int) -> dict:
    """p50 wall and CPU ms per call at batch 1 and 32, every option timed in turns."""
    out = {name: {} for name in sessions}
    for batch in (1, 32):
        feed = _feed([text] * batch)
        wall = {name: [] for name in sessions}
        cpu = {name: [] for name in sessions}
        for name, s in sessions.items():
            s.run(["logits"], feed)  # warm-up
        for _ in range(runs):
            for name, s in sessions.items():
                t, c = time.perf_counter(), time.process_time()
                s.run(["logits"], feed)
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
        for name in sessions:
            out[name][f"batch{batch}_wall_p50_ms"] = round(1e3 * float(np.median(wall[name])), 2)
            out[name][f"batch{batch}_cpu_p50_ms"] = round(1e3 * float(np.median(cpu[name])), 2)
    return out


def bench_schemes(args) -> dict:
    """Quantize, evaluate and time every option of SCHEMES (see the module doc)."""
    from ..classifier.batches import sigmoid
    from ..classifier.quantize import check_kernel_independent

    ckpt = Path(args.checkpoint)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mlbundle-int8-"))
    work.mkdir(parents=True, exist_ok=True)
    ids, y, manifest = validation_split(ckpt, args.data, args.max_length)
    halves = np.random.default_rng(args.seed).permutation(len(ids))
    halves = {"select": halves[: len(ids) // 2], "report": halves[len(ids) // 2:]}
    sample = [ids[i] for i in halves["select"][: args.sample]]
    np.savez(work / "ids.npz", *[np.asarray(r, np.int64) for r in sample])
    files = {"fp32": ckpt / "model.onnx"}
    for name, opts in SCHEMES.items():
        files[name] = work / f"{name}.onnx"
        quantize(files["fp32"], files[name], opts)
    rows, ref = {}, None
    for name, path in files.items():
        t = time.perf_counter()
        z = logits(_session(path), ids)
        ref = z if ref is None else ref
        exact = None
        if name != "fp32":
            try:
                check_kernel_independent(path)
                exact = True
            except TrainingError:
                exact = False
        row = {h: _f1(sigmoid(z[idx]), y[idx], args.seed) for h, idx in halves.items()}
        if name == "fp32" and manifest:  # the export's own figure: the split was rebuilt faithfully
            whole = _f1(sigmoid(z), y, manifest["hyperparameters"]["seed"])["micro_f1"]
            if abs(whole - manifest["metrics"].get("micro_f1_onnx", whole)) > 0.005:
                raise TrainingError(f"fp32 micro-F1 {whole} is not the checkpoint's micro_f1_onnx: "
                                    "the validation split was not rebuilt (other --data?)")
        row.update({"max_abs_logit_diff_vs_fp32": round(float(np.abs(z - ref).max()), 4),
                    "integers_exact_on_every_kernel": exact,
                    "size_bytes": path.stat().st_size, "eval_seconds": round(time.perf_counter() - t, 1)})
        rows[name] = row
        log.info("%s", json.dumps({name: row}))
    text = next((r for r in ids if len(r) >= 64), max(ids, key=len))[:64]
    lat = _latency({n: _session(p) for n, p in files.items()}, text, args.runs)
    for name in rows:
        rows[name].update(lat[name])
    return {"bench": "int8-schemes", "checkpoint": str(ckpt), "workdir": str(work),
            "validation": {"texts": len(ids), **{h: len(v) for h, v in halves.items()}},
            "latency_text_tokens": len(text), "runs": args.runs,
            "schemes": SCHEMES, "results": rows}


def run_logits(args) -> dict:
    """Logits of the ids in ``--ids`` through each NAME=MODEL, saved to ``--out``."""
    with np.load(args.ids) as f:
        ids = [f[k].tolist() for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    out = {}
    for spec in args.models:
        name, path = spec.split("=", 1)
        out[name] = logits(_session(path), ids)
    np.savez(args.out, **out)
    return {"bench": "int8-logits", "out": args.out, "texts": len(ids), "models": list(out)}


def compare(a_path: str, b_path: str) -> dict:
    """Largest |a - b| per model saved in both files, and how many rows are bit-identical."""
    with np.load(a_path) as a, np.load(b_path) as b:
        return {k: {"max_abs_diff": float(np.abs(a[k] - b[k]).max()),
                    "identical_rows": int((a[k] == b[k]).all(axis=1).sum()), "rows": len(a[k])}
                for k in a.files if k in b.files}


def main(argv: list[str] | None = None) -> int:
    """``python -m mlbundle_training.bench int8 {schemes,logits,compare} [flags]``."""
    p = argparse.ArgumentParser(prog="bench int8", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="which", required=True)
    s = sub.add_parser("schemes", help="F1, exactness and latency of each quantization option")
    s.add_argument("--checkpoint", required=True, help="classifier checkpoint directory trained on Reuters")
    s.add_argument("--data", default="../shared/data/reuters21578-train", help="the Reuters data it was trained on")
    s.add_argument("--max-length", type=int, default=128,
                   help="max tokens the checkpoint was trained with (read from its manifest when present)")
    s.add_argument("--workdir", help="where the quantized models and sample ids go (default: a temp dir)")
    s.add_argument("--runs", type=int, default=30, help="timed calls per option and batch size")
    s.add_argument("--sample", type=int, default=64, help="validation texts saved for the cross-host check")
    s.add_argument("--seed", type=int, default=0, help="seed of the validation halves")
    s.add_argument("--out", help="also write the JSON result here")
    g = sub.add_parser("logits", help="logits of saved token ids through models (runs under emulators)")
    g.add_argument("--ids", required=True, help="ids.npz written by schemes")
    g.add_argument("--out", required=True, help="npz to write")
    g.add_argument("models", nargs="+", help="NAME=MODEL.onnx")
    c = sub.add_parser("compare", help="largest differences between two logits files")
    c.add_argument("a")
    c.add_argument("b")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.which == "schemes" and not Path(args.data).is_dir():
        print(f"bench int8: Reuters data not found at {args.data}; skipped", file=sys.stderr)
        return 0
    result = {"schemes": bench_schemes, "logits": run_logits,
              "compare": lambda a: compare(a.a, a.b)}[args.which](args)
    result["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    text = json.dumps(result, indent=1)
    print(text)
    if getattr(args, "out", None) and args.which == "schemes":
        Path(args.out).write_text(text + "\n")
    return 0
