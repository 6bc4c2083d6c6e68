"""Export a trained classifier as a checkpoint directory (docs/checkpoint.md).

Writes ``model.onnx`` (inputs input_ids/attention_mask/token_type_ids int64
[batch, sequence], output logits float32 [batch, num_labels]), ``model.int8.onnx``
(dynamic quantization whose integer products are exact on every host: quantize.py),
``vocab.txt``, ``tokenizer_cases.jsonl``,
``evaluation.json`` (per-label figures), ``model.pt`` (state dict of encoder and head,
labels, thresholds, hyper-parameters, metrics: for resuming training; serving skips it),
``parity.json`` and, last, ``manifest.json``. Export fails (no manifest, the directory is
removed) when ONNX Runtime does not reproduce the PyTorch logits.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..contract import checkpoint as ckpt
from ..errors import TrainingError
from .batches import collate, cross_fitted_metrics, encode, sigmoid
from .model import TextClassifier, build_classifier, minilm_dir
from .quantize import quantize_int8
from .tokenizer_cases import tokenizer_settings, write_cases

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PARITY_TEXTS = [
    "Crude oil prices rose 3 pct on Monday after OPEC agreed to cut output.",
    "The central bank raised interest rates by a quarter point.",
    "Net profit of the company fell to 12 mln dlrs in the quarter.",
    "Wheat exports",
    "Café, naïve résumé: 世界 😀 https://example.com 1,234.5",
    "",
]


def export_onnx(model: torch.nn.Module, path: Path, example: dict[str, torch.Tensor]) -> None:
    """Trace ``model`` to ONNX with dynamic batch and sequence axes (opset 17)."""
    axes = {k: {0: "batch", 1: "sequence"} for k in INPUTS}
    axes["logits"] = {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(example[k] for k in INPUTS), str(path), input_names=list(INPUTS),
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)


def _session(path: Path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def onnx_logits(sess, ids: list[list[int]], batch_size: int = 64) -> np.ndarray:
    """Logits of pre-tokenised texts through an ONNX Runtime session (length-sorted batches)."""
    order = np.argsort([len(r) for r in ids], kind="stable")
    out = None
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        feed = {k: v.numpy() for k, v in collate(ids, idx).items()}
        got = sess.run(["logits"], feed)[0]
        if out is None:
            out = np.zeros((len(ids), got.shape[1]), dtype=np.float32)
        out[idx] = got
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def _parity(d: Path, model, tokenizer, max_length: int, int8: bool) -> tuple[list, list]:
    ids = encode(tokenizer, PARITY_TEXTS, max_length)
    feed_t = collate(ids, range(len(ids)))
    with torch.no_grad():
        ref = model(**feed_t).numpy()
    feed = {k: v.numpy() for k, v in feed_t.items()}
    got = _session(d / "model.onnx").run(["logits"], feed)[0]
    if not np.allclose(got, ref, rtol=0.0, atol=1e-4):
        raise TrainingError(f"ONNX Runtime differs from PyTorch by {np.abs(got - ref).max():.3g} (> 1e-4); "
                            "export rejected")
    checks = [ckpt.parity_check("model.onnx", feed, {"logits": ref}, 1e-4, "pytorch")]
    if int8:
        q = _session(d / "model.int8.onnx").run(["logits"], feed)[0]
        if not np.all(np.isfinite(q)):
            raise TrainingError("int8 model produced non-finite logits")
        log.info("int8 vs fp32 max |logit difference| on parity inputs: %.4f", float(np.abs(q - ref).max()))
        checks.append(ckpt.parity_check("model.int8.onnx", feed, {"logits": q}, 1e-2, "onnxruntime"))
    texts = [{"text": t, "logits": [float(x) for x in ref[i]], "tolerance": 1e-4}
             for i, t in enumerate(PARITY_TEXTS)]
    return checks, texts


def export_checkpoint(result, cfg, created_at: str | None = None, revision: str | None = None) -> Path:
    """Write the checkpoint of a TrainResult under ``cfg.output_dir``; returns its directory."""
    d = ckpt.prepare_version_dir(cfg.output_dir, "classifier", cfg.version)
    try:
        _write_version(d, result, cfg, created_at, revision)
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise
    log.info("classifier checkpoint written: %s", d)
    return d


def _write_version(d: Path, result, cfg, created_at: str | None, revision: str | None) -> None:
    model = result.model.to("cpu").float().eval()
    shutil.copyfile(minilm_dir() / "vocab.txt", d / "vocab.txt")
    example = collate(encode(result.tokenizer, PARITY_TEXTS[:2], cfg.max_length), range(2))
    export_onnx(model, d / "model.onnx", example)
    files = ["model.onnx"]
    if cfg.int8:
        quantize_int8(d / "model.onnx", d / "model.int8.onnx")
        files.append("model.int8.onnx")
    checks, texts = _parity(d, model, result.tokenizer, cfg.max_length, cfg.int8)
    for c in checks:
        ckpt.verify_parity_onnx(d, c)
    ckpt.write_parity(d, checks, texts)
    n_cases = write_cases(result.tokenizer, cfg.max_length, d / "tokenizer_cases.jsonl")

    metrics = dict(result.metrics)
    for name in files:
        probs = sigmoid(onnx_logits(_session(d / name), result.val_ids, cfg.eval_batch_size))
        fig = cross_fitted_metrics(probs, result.val_true, cfg.seed)
        suffix = "_int8" if name == "model.int8.onnx" else "_onnx"
        for k in ("micro_f1", "macro_f1", "micro_precision", "micro_recall"):
            metrics[k + suffix] = fig[k]
    log.info("%s", json.dumps({"evaluation": {k: round(v, 4) for k, v in metrics.items()}}))
    (d / "evaluation.json").write_text(json.dumps(
        {"metrics": metrics, "per_label": result.per_label, "history": result.history}, indent=1) + "\n")

    settings = tokenizer_settings(result.tokenizer)
    section = {
        "labels": [lab.to_json() for lab in result.labels],
        "thresholds": [float(t) for t in result.thresholds],
        "num_labels": len(result.labels),
        "max_length": cfg.max_length,
        "pooling": "mean",
        "int8_file": "model.int8.onnx" if cfg.int8 else None,
        "evaluation_file": "evaluation.json",
        "tokenizer": settings,
    }
    hyper = {k: v for k, v in asdict(cfg).items() if k not in ("data", "output_dir", "version", "log_every")}
    save_pt(d / PT_FILE, model, result, hyper, metrics)
    section["pytorch_file"] = PT_FILE
    data = {**result.data_summary, "tokenizer_cases": n_cases}
    onnx_io = {name: ckpt.describe_onnx(d / name) for name in files}
    ckpt.write_manifest(d, "classifier", cfg.version, onnx_io, hyper, data, metrics, section,
                        created_at=created_at, revision=revision)


PT_FILE = "model.pt"


def save_pt(path: Path, model: TextClassifier, result, hyperparameters: dict, metrics: dict) -> None:
    """Write the resumable PyTorch checkpoint: state dict (encoder + head), labels,
    thresholds, hyper-parameters and metrics (plain Python values: loads with weights_only)."""
    torch.save({"state_dict": model.state_dict(),
                "encoder": hyperparameters["encoder"],
                "num_labels": len(result.labels),
                "labels": [lab.to_json() for lab in result.labels],
                "thresholds": [float(t) for t in result.thresholds],
                "max_length": hyperparameters["max_length"],
                "hyperparameters": dict(hyperparameters),
                "metrics": {k: float(v) for k, v in metrics.items()}}, path)


def load_pt(path: str | Path) -> tuple[TextClassifier, dict]:
    """Rebuild the classifier of a checkpoint's model.pt; returns (model in eval mode, the
    rest of the saved record: labels, thresholds, hyper-parameters, metrics, ...)."""
    blob = torch.load(str(path), map_location="cpu", weights_only=True)
    state = blob.pop("state_dict")
    pool = blob.get("hyperparameters", {}).get("pool_layers", 1)
    model = build_classifier(blob["encoder"], blob["num_labels"], seed=0, lexical="lexical.weight" in state,
                             pool_layers=pool)
    model.load_state_dict(state)
    return model.eval(), blob
