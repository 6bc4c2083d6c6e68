"""NCF export: the checkpoint directory of docs/checkpoint.md, manifest last.

Writes model.onnx ((user, item) -> logit), score_all.onnx (user [1] -> logits
[num_items], item side precomputed, see :func:`score_all_graph`), users.json, items.json, popular.json,
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

from ..contract import checkpoint as ckpt
from ..errors import TrainingError
from ..data.interactions import Interactions
from typing import Protocol

from . import retrieval
from .model import NCF, NCFShape, ScoreAll

log = logging.getLogger(__name__)
OPSET = 17
TOLERANCE = 1e-4
# score_all.onnx tiles are sized in bytes: a tile's widest activation ([first tower layer x
# tile] float32) is at most TILE_BYTES, a quarter of a 1 MiB L2 cache, so it stays in a
# core's L2 through the tower on 1 MiB and 2 MiB L2 alike (measured: docs/numerics.md).
TILE_BYTES = 256 * 1024
MIN_TILE_ITEMS = 256


class ItemGraphs(Protocol):
    """Extra graphs of an ncf checkpoint (mlbundle_training.itemtext's Placer): ``write``
    puts them into the directory and returns the manifest section and their parity checks."""

    def write(self, model: NCF, d: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]: ...


def tile_items(width: int) -> int:
    """Items per tile for a first tower layer of ``width`` units: the largest power of two
    whose float32 [width x tile] activation fits ``TILE_BYTES`` (at least ``MIN_TILE_ITEMS``)."""
    tile = MIN_TILE_ITEMS
    while width * 4 * tile * 2 <= TILE_BYTES:
        tile *= 2
    return tile


def export_onnx(module: torch.nn.Module, args: tuple, path: Path, inputs: list[str],
                outputs: list[str], dynamic: dict[str, dict[int, str]]) -> None:
    """torch.onnx.export with the TorchScript exporter (fast, one self-contained file)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic or None, opset_version=OPSET, dynamo=False,
                          do_constant_folding=True)


def onnx_save(graph: Any, path: Path) -> None:
    """Write an ONNX model proto after the checker accepts it."""
    import onnx

    onnx.checker.check_model(graph)
    onnx.save(graph, str(path))


def score_all_graph(sa: ScoreAll, num_items: int, tile: int | None = None) -> Any:
    """The score_all.onnx graph, written by hand from a :class:`ScoreAll` (same numbers).

    Items lie on the LAST axis and are cut into tiles of about ``tile`` items (default
    :func:`tile_items` of the first tower layer), so that a tile's activations stay in cache
    through the whole tower. Per tile, with ``p`` the
    tile's precomputed item side [d1, n] and ``u`` the user's first-layer column [d1, 1]:
    ``relu(p + u) = max(p, -u) + u``, and the ``+ u`` passes linearly into the next step,
    whose bias becomes a per-user column precomputed at export (``W u + b``). So a tile
    costs one ``Max``, then ``Gemm(W, h, b[:, None])`` per hidden layer (ONNX Runtime fuses
    the following Relu into it) and ``Gemm(w_out, h, Gemm(gmf_u, gmf_items_t, bias))``.
    The tiles' [1, n] rows are concatenated and reshaped to [num_items]. The user side is
    one Gather per table (no MatMul, Transpose or Reshape at run time); all float32.
    """
    from onnx import TensorProto, helper

    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, a: torch.Tensor) -> str:
        arr = np.ascontiguousarray(a.detach().float().numpy(), dtype=np.float32)
        inits.append(_initializer(arr, name))
        return name

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    with torch.no_grad():
        bias = sa.bias.double().reshape(1, 1)
        if sa.use_gmf:
            gmf_u = node("Gather", [const("gmf_user", sa.gmf_user.weight), "user"], "gmf_u")
        if sa.use_mlp:
            u_part = (sa.mlp_user.weight.double() @ sa.w_user.double()).t()  # [d1, users]
            neg_u = node("Gather", [const("neg_user_part", -u_part), "user"], "neg_u", axis=1)
            steps = [(l.weight.double(), l.bias.double().reshape(-1, 1)) for l in sa.rest]
            steps.append((sa.w_mlp_out.double().reshape(1, -1), bias))
            w = [const(f"w{i}", wi) for i, (wi, _) in enumerate(steps)]
            b = [node("Gather", [const("user_bias_table", steps[0][0] @ u_part + steps[0][1]), "user"],
                      "user_bias", axis=1)]
            b += [const(f"b{i}", bi) for i, (_, bi) in enumerate(steps) if i > 0]
        else:
            b = [const("bias", bias)]
        tile = tile or (tile_items(sa.item_part.shape[1]) if sa.use_mlp else num_items)
        tiles = max(1, -(-num_items // tile)) if sa.use_mlp else 1
        bounds = np.linspace(0, num_items, tiles + 1).round().astype(int)
        rows = []
        for t, (s, e) in enumerate(zip(bounds[:-1], bounds[1:])):
            p = f"t{t}/"
            out_c = b[-1]
            if sa.use_gmf:
                out_c = node("Gemm", [gmf_u, const(p + "gmf_items", sa.gmf_items[:, s:e]), out_c],
                             p + "gmf")
            if not sa.use_mlp:
                rows.append(out_c)
                continue
            h = node("Max", [const(p + "item_part", sa.item_part[s:e].t()), neg_u], p + "max")
            for i in range(len(w) - 1):
                h = node("Relu", [node("Gemm", [w[i], h, b[i]], f"{p}gemm{i}")], f"{p}relu{i}")
            rows.append(node("Gemm", [w[-1], h, out_c], p + "out"))
    row = rows[0] if len(rows) == 1 else node("Concat", rows, "rows", axis=1)
    node("Reshape", [row, _int64_init(inits, "flat", [-1])], "logits")
    graph = helper.make_graph(nodes, "score_all",
                              [helper.make_tensor_value_info("user", TensorProto.INT64, [1])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                                             [num_items])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mlbundle_training")
    model.ir_version = 8  # what opset 17 needs; readable by every supported runtime
    return model


def _initializer(arr: np.ndarray, name: str) -> Any:
    """An ONNX initializer holding ``arr``."""
    from onnx import numpy_helper

    return numpy_helper.from_array(arr, name)


def _int64_init(inits: list[Any], name: str, values: list[int]) -> str:
    inits.append(_initializer(np.array(values, dtype=np.int64), name))
    return name


def popular_items(data: Interactions, limit: int = 1000) -> list[dict[str, Any]]:
    """Most-interacted items first (ties: lower index), at most ``limit``."""
    counts = np.bincount(data.items, minlength=data.num_items)
    order = np.lexsort((np.arange(len(counts)), -counts))[:limit]
    return [{"item_id": data.item_ids[i], "count": int(counts[i])} for i in order if counts[i] > 0]


def item_categories(data: Interactions) -> list[str]:
    """One category per item, in item index order ("" for an item without one)."""
    return [data.item_categories.get(i, "") for i in data.item_ids]


def _parity_inputs(num_users: int, num_items: int, n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    users = np.linspace(0, num_users - 1, n).round().astype(np.int64)
    items = np.linspace(num_items - 1, 0, n).round().astype(np.int64)
    return users, items


def _run(sess_path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(sess_path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def write_files(model: NCF, data: Interactions, d: Path, extra: dict[str, Any],
                placer: ItemGraphs | None = None,
                index: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write every file but the manifest into ``d``; return the manifest's ONNX section
    and the optional entries of its ncf section: with a ``placer``, ``item_text`` (graphs
    of :mod:`.itemtext`); with ``index``, the retrieval index artifact (:mod:`.retrieval`)."""
    model = model.cpu().float().eval()
    s = model.shape
    u0 = torch.zeros(2, dtype=torch.long)
    export_onnx(model, (u0, u0), d / "model.onnx", ["user", "item"], ["logit"],
                {"user": {0: "batch"}, "item": {0: "batch"}, "logit": {0: "batch"}})
    score_all = ScoreAll(model).eval()
    onnx_save(score_all_graph(score_all, s.num_items), d / "score_all.onnx")
    (d / "users.json").write_text(json.dumps(data.user_ids), encoding="utf-8")
    (d / "items.json").write_text(json.dumps(data.item_ids), encoding="utf-8")
    (d / "popular.json").write_text(json.dumps(popular_items(data)), encoding="utf-8")
    if data.item_categories:
        (d / "item_categories.json").write_text(json.dumps(item_categories(data)), encoding="utf-8")
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
    graphs = ["model.onnx", "score_all.onnx"]
    optional: dict[str, Any] = {}
    if placer is not None:
        section, more = placer.write(model, d)
        checks += more
        graphs += [section["file"], section["score_file"]]
        optional["item_text"] = section
    for c in checks:
        ckpt.verify_parity_onnx(d, c)
    _check_score_all(d, probe, s.num_items)
    cases = None
    if index:
        artifact, cases = retrieval.export_index(model, d)
        retrieval.check_parity(d, artifact, s.num_users, s.num_items, cases)
        optional["artifacts"] = {retrieval.ARTIFACT: artifact}
    ckpt.write_parity(d, checks, retrieval=cases)
    return {name: ckpt.describe_onnx(d / name) for name in graphs}, optional


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
                      revision: str | None = None,
                      history: list[dict[str, Any]] | None = None,
                      placer: ItemGraphs | None = None, index: bool | None = None) -> Path:
    """Write ``<root>/ncf/<version>/`` and its manifest (last); return the directory.

    ``created_at``/``revision`` override the clock and git (reproducible fixtures);
    ``history`` (one record per epoch or iteration) is kept in model.pt for plots;
    ``placer`` (mlbundle_training.itemtext) adds the graphs that place items by text;
    ``index`` writes a retrieval index (None: from ``retrieval.MIN_ITEMS`` items on).
    """
    if index is None:
        index = model.shape.num_items >= retrieval.MIN_ITEMS
    version = ckpt.validate_version(version or ckpt.default_version())
    d = ckpt.prepare_version_dir(root, "ncf", version)
    s: NCFShape = model.shape
    try:
        onnx_io, optional = write_files(model, data, d, {"hyperparameters": hyperparameters,
                                                         "metrics": metrics, "history": history or []},
                                        placer, index)
        section = {"variant": s.variant, "num_users": s.num_users, "num_items": s.num_items,
                   "user_ids_file": "users.json", "item_ids_file": "items.json",
                   "popular_file": "popular.json", "item_vectors_file": "item_vectors.f32",
                   "item_vector_dim": int(model.item_vectors().shape[1]),
                   "pytorch_file": "model.pt"}
        if data.item_categories:
            section["item_categories_file"] = "item_categories.json"
        section.update(optional)
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
