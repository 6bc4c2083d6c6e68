"""NCF export: the checkpoint directory of docs/checkpoint.md, manifest last.

Writes model.onnx ((user, item) -> logit), score_all.onnx (user [1] -> logits
[num_items], item side precomputed), users.json, items.json, popular.json,
item_vectors.f32, model.pt (state dict, id maps, hyper-parameters, metrics; for resuming,
Go ignores it) and parity.json. ONNX Runtime must reproduce PyTorch on the parity inputs and
score_all.onnx must equal model.onnx over all items for sample users, or the export fails
and the directory is removed: a manifest is only written for a checkpoint that passed.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import checkpoint as ckpt
from .errors import TrainingError
from .interactions import Interactions
from .ncf_model import NCF, NCFShape, ScoreAll

log = logging.getLogger(__name__)
OPSET = 17
TOLERANCE = 1e-4


def export_onnx(module: torch.nn.Module, args: tuple, path: Path, inputs: list[str],
                outputs: list[str], dynamic: dict[str, dict[int, str]]) -> None:
    """torch.onnx.export with the TorchScript exporter (fast, one self-contained file)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic or None, opset_version=OPSET, dynamo=False,
                          do_constant_folding=True)


def popular_items(data: Interactions, limit: int = 1000) -> list[dict[str, Any]]:
    """Most-interacted items first (ties: lower index), at most ``limit``."""
    counts = np.bincount(data.items, minlength=data.num_items)
    order = np.lexsort((np.arange(len(counts)), -counts))[:limit]
    return [{"item_id": data.item_ids[i], "count": int(counts[i])} for i in order if counts[i] > 0]


def _parity_inputs(num_users: int, num_items: int, n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    users = np.linspace(0, num_users - 1, n).round().astype(np.int64)
    items = np.linspace(num_items - 1, 0, n).round().astype(np.int64)
    return users, items


def _run(sess_path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(sess_path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def write_files(model: NCF, data: Interactions, d: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """Write every file but the manifest into ``d``; return the manifest's ONNX section."""
    model = model.cpu().float().eval()
    s = model.shape
    u0 = torch.zeros(2, dtype=torch.long)
    export_onnx(model, (u0, u0), d / "model.onnx", ["user", "item"], ["logit"],
                {"user": {0: "batch"}, "item": {0: "batch"}, "logit": {0: "batch"}})
    score_all = ScoreAll(model).eval()
    export_onnx(score_all, (torch.zeros(1, dtype=torch.long),), d / "score_all.onnx",
                ["user"], ["logits"], {})
    (d / "users.json").write_text(json.dumps(data.user_ids), encoding="utf-8")
    (d / "items.json").write_text(json.dumps(data.item_ids), encoding="utf-8")
    (d / "popular.json").write_text(json.dumps(popular_items(data)), encoding="utf-8")
    vec = model.item_vectors().float().numpy()
    vec = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
    vec.astype("<f4").tofile(d / "item_vectors.f32")
    torch.save({"state_dict": model.state_dict(), "shape": vars(s), "user_ids": data.user_ids,
                "item_ids": data.item_ids, **extra}, d / "model.pt")

    users, items = _parity_inputs(s.num_users, s.num_items)
    with torch.no_grad():
        logit = model(torch.from_numpy(users), torch.from_numpy(items)).numpy()
        probe = sorted({0, s.num_users - 1})
        all_logits = {u: score_all(torch.tensor([u])).numpy() for u in probe}
    checks = [ckpt.parity_check("model.onnx", {"user": users, "item": items}, {"logit": logit},
                                TOLERANCE)]
    checks += [ckpt.parity_check("score_all.onnx", {"user": np.array([u], np.int64)},
                                 {"logits": all_logits[u]}, TOLERANCE) for u in probe]
    for c in checks:
        ckpt.verify_parity_onnx(d, c)
    _check_score_all(d, probe, s.num_items)
    ckpt.write_parity(d, checks)
    return {name: ckpt.describe_onnx(d / name) for name in ("model.onnx", "score_all.onnx")}


def _check_score_all(d: Path, users: list[int], num_items: int, chunk: int = 1 << 20) -> None:
    """score_all.onnx must equal model.onnx over every item for the given users."""
    for u in users:
        (full,) = _run(d / "score_all.onnx", {"user": np.array([u], np.int64)})
        pair = []
        for s in range(0, num_items, chunk):
            items = np.arange(s, min(num_items, s + chunk), dtype=np.int64)
            pair.append(_run(d / "model.onnx", {"user": np.full(len(items), u, np.int64),
                                                "item": items})[0])
        got = np.concatenate(pair)
        if full.shape != (num_items,) or not np.allclose(full, got, rtol=1e-4, atol=TOLERANCE):
            raise TrainingError(f"score_all.onnx differs from model.onnx for user {u} "
                                f"(max diff {float(np.max(np.abs(full - got))):.3g})")


def export_checkpoint(model: NCF, data: Interactions, root: str | Path, version: str | None,
                      hyperparameters: dict[str, Any], metrics: dict[str, float],
                      data_summary: dict[str, Any] | None = None, created_at: str | None = None,
                      revision: str | None = None) -> Path:
    """Write ``<root>/ncf/<version>/`` and its manifest (last); return the directory.

    ``created_at``/``revision`` override the clock and git (reproducible fixtures).
    """
    version = ckpt.validate_version(version or ckpt.default_version())
    d = ckpt.prepare_version_dir(root, "ncf", version)
    s: NCFShape = model.shape
    try:
        onnx_io = write_files(model, data, d, {"hyperparameters": hyperparameters,
                                               "metrics": metrics})
        section = {"variant": s.variant, "num_users": s.num_users, "num_items": s.num_items,
                   "user_ids_file": "users.json", "item_ids_file": "items.json",
                   "popular_file": "popular.json", "item_vectors_file": "item_vectors.f32",
                   "item_vector_dim": int(model.item_vectors().shape[1]),
                   "user_interactions_file": None, "pytorch_file": "model.pt"}
        ckpt.write_manifest(d, "ncf", version, onnx_io, hyperparameters,
                            data_summary or data.summary(), metrics, section,
                            created_at=created_at, revision=revision)
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise
    log.info(json.dumps({"event": "checkpoint", "dir": str(d), "version": version}))
    return d


def load_pt(path: str | Path) -> NCF:
    """Rebuild an NCF model from a checkpoint's model.pt."""
    blob = torch.load(str(path), map_location="cpu", weights_only=True)
    model = NCF(NCFShape(**blob["shape"]))
    model.load_state_dict(blob["state_dict"])
    return model
