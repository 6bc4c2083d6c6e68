"""Whether serving can load a checkpoint: the checks ``publish --activate`` runs before it
moves the active pointer, the same ones the Go side's reload runs before promotion.

A version proves itself by: its manifest and parity.json matching the schemas and every
file its hash; every graph loading in ONNX Runtime with the inputs and outputs the manifest
states and its kind requires; the kind's data files being what serving reads (id lists of
the stated length without repeats, popular counts that never rise, finite item vectors of
the stated size; a vocabulary holding the special tokens); and parity.json covering every
graph serving runs and reproducing within tolerance (for the classifier also its texts,
tokenised from the checkpoint's own vocabulary). Any failure is a TrainingError that names
the file and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrainingError
from . import checkpoint as ckpt
from . import ivf
from . import validate
from .ids import check_id

_ORT_TYPES = {"tensor(int64)": "int64", "tensor(float)": "float32"}


def check_servable(directory: str | Path) -> dict[str, Any]:
    """Run every check on the version in ``directory``; return its manifest."""
    d = Path(directory)
    m = ckpt.verify_checkpoint(d)
    parity = _json(d, ckpt.PARITY)
    validate.check("parity", parity, f"{d / ckpt.PARITY}")
    kind = m["kind"]
    graphs = _ncf(d, m) if kind == "ncf" else _classifier(d, m, parity)
    sessions = {name: _session(d, name, m["onnx"].get(name)) for name in graphs}
    for name, want in graphs.items():
        if m["onnx"][name] != want:
            raise TrainingError(f"{d}: manifest onnx[{name}] is {m['onnx'][name]}, the {kind} contract "
                                f"wants {want}")
    checked = {c["file"] for c in parity["checks"]}
    missing = sorted(set(graphs) - checked)
    if missing:
        raise TrainingError(f"{d}/parity.json has no check of {', '.join(missing)}")
    for c in parity["checks"]:
        if c["file"] not in sessions:
            raise TrainingError(f"{d}/parity.json checks {c['file']}, which serving does not run")
        ckpt.verify_parity_onnx(d, c)
    if kind == "classifier":
        _text_parity(d, m, parity, sessions["model.onnx"])
    index = m.get("ncf", {}).get("artifacts", {}).get("retrieval_index")
    if index:
        ivf.check_parity(d, index, m["ncf"]["num_users"], m["ncf"]["num_items"],
                         parity.get("retrieval", []))
    return m


def _json(d: Path, name: str) -> Any:
    try:
        return json.loads((d / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrainingError(f"{d / name}: not readable JSON: {e}") from e


def _io(inputs: list[tuple[str, str, list]], outputs: list[tuple[str, str, list]]) -> dict[str, Any]:
    return {"inputs": [ckpt.io_spec(*t) for t in inputs], "outputs": [ckpt.io_spec(*t) for t in outputs]}


def _session(d: Path, name: str, io: dict[str, Any] | None):
    """Open ``name`` in ONNX Runtime and check its I/O names and types against the manifest."""
    import onnxruntime as ort

    if io is None:
        raise TrainingError(f"{d}: manifest describes no {name}, which serving runs")
    try:
        sess = ort.InferenceSession(str(d / name), providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises its own exception types for unreadable graphs
        raise TrainingError(f"{d / name}: ONNX Runtime cannot load it: {str(e)[:300]}") from e
    for side, got in (("inputs", sess.get_inputs()), ("outputs", sess.get_outputs())):
        have = [(x.name, _ORT_TYPES.get(x.type, x.type)) for x in got]
        want = [(x["name"], x["dtype"]) for x in io[side]]
        if have != want:
            raise TrainingError(f"{d / name}: graph {side} are {have}, the manifest says {want}")
    return sess


def _ids(d: Path, name: str, want: int) -> list[str]:
    ids = _json(d, name)
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        raise TrainingError(f"{d / name}: want a JSON array of strings")
    if len(ids) != want:
        raise TrainingError(f"{d / name} has {len(ids)} ids, manifest says {want}")
    seen: dict[str, int] = {}
    for i, x in enumerate(ids):
        problem = check_id(x)
        if problem:
            raise TrainingError(f"{d / name}[{i}] {x!r}: {problem}")
        if x in seen:
            raise TrainingError(f"{d / name}[{i}] {x!r} repeats index {seen[x]}")
        seen[x] = i
    return ids


def _ncf(d: Path, m: dict[str, Any]) -> dict[str, Any]:
    """Check the ncf data files; return the graphs serving runs with their contract I/O."""
    s = m["ncf"]
    _ids(d, s["user_ids_file"], s["num_users"])
    _ids(d, s["item_ids_file"], s["num_items"])
    pop = _json(d, s["popular_file"])
    if not isinstance(pop, list):
        raise TrainingError(f"{d / s['popular_file']}: want [{{\"item_id\", \"count\"}}, ...]")
    for i, p in enumerate(pop):
        ok = isinstance(p, dict) and isinstance(p.get("item_id"), str) and p["item_id"] \
            and isinstance(p.get("count"), int) and not isinstance(p["count"], bool) and p["count"] >= 0
        if not ok:
            raise TrainingError(f"{d / s['popular_file']}[{i}]: item_id empty or count not a count")
        if i and p["count"] > pop[i - 1]["count"]:
            raise TrainingError(f"{d / s['popular_file']}[{i}]: counts must not increase "
                                f"({p['count']} after {pop[i - 1]['count']})")
    if s.get("item_vectors_file"):
        path, dim = d / s["item_vectors_file"], s["item_vector_dim"]
        want = s["num_items"] * dim * 4
        if path.stat().st_size != want:
            raise TrainingError(f"{path} has {path.stat().st_size} bytes, want {want} "
                                f"({s['num_items']} items x {dim} float32)")
        if not np.all(np.isfinite(np.fromfile(path, dtype="<f4"))):
            raise TrainingError(f"{path}: a value is not finite")
    graphs = {"model.onnx": _io([("user", "int64", ["batch"]), ("item", "int64", ["batch"])],
                                [("logit", "float32", ["batch"])]),
              "score_all.onnx": _io([("user", "int64", [1])], [("logits", "float32", [s["num_items"]])])}
    t = s.get("item_text")
    if t:
        _special_tokens(d, t["tokenizer"])
        dim = t["embedding_dim"]
        graphs[t["file"]] = _io([(k, "int64", ["batch", "sequence"]) for k in _TEXT_INPUTS],
                                [("item_embedding", "float32", ["batch", dim])])
        graphs[t["score_file"]] = _io([("user", "int64", [1]), ("item_embedding", "float32", ["items", dim])],
                                      [("logits", "float32", ["items"])])
    return graphs


_TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _special_tokens(d: Path, tok: dict[str, Any]) -> None:
    """The vocabulary must hold every special token of the tokenizer settings."""
    vocab = set((d / tok["vocab_file"]).read_text(encoding="utf-8").splitlines())
    for key in ("unk_token", "cls_token", "sep_token", "pad_token"):
        if tok[key] not in vocab:
            raise TrainingError(f"{d / tok['vocab_file']} lacks the {key} {tok[key]!r}")


def _classifier(d: Path, m: dict[str, Any], parity: dict[str, Any]) -> dict[str, Any]:
    """Check labels, vocabulary and text cases; return the graphs with their contract I/O."""
    c = m["classifier"]
    n = len(c["labels"])
    if not n == c["num_labels"] == len(c["thresholds"]):
        raise TrainingError(f"{d}: classifier has {n} labels, {len(c['thresholds'])} thresholds, "
                            f"num_labels {c['num_labels']}")
    codes = [lab["code"] for lab in c["labels"]]
    if len(set(codes)) != n:
        raise TrainingError(f"{d}: classifier label codes repeat")
    _special_tokens(d, c["tokenizer"])
    if not parity.get("texts"):
        raise TrainingError(f"{d}/parity.json has no texts: the tokenizer and the graph are unproven end to end")
    io = _io([(k, "int64", ["batch", "sequence"]) for k in _TEXT_INPUTS], [("logits", "float32", ["batch", n])])
    graphs = {"model.onnx": io}
    if c.get("int8_file"):
        graphs[c["int8_file"]] = io
    return graphs


def _text_parity(d: Path, m: dict[str, Any], parity: dict[str, Any], sess) -> None:
    """Tokenise each parity text with the checkpoint's vocabulary and settings (Hugging Face
    BERT WordPiece, as the tokenizer cases were made) and compare the fp32 logits."""
    from transformers import BertTokenizer

    c = m["classifier"]
    t = c["tokenizer"]
    lower = t["lowercase"]
    tokenizer = BertTokenizer(vocab=str(d / t["vocab_file"]), do_lower_case=lower,
                              strip_accents=lower if t.get("strip_accents") is None else t["strip_accents"],
                              tokenize_chinese_chars=t.get("tokenize_chinese_chars") is not False,
                              unk_token=t["unk_token"], cls_token=t["cls_token"],
                              sep_token=t["sep_token"], pad_token=t["pad_token"])
    for i, case in enumerate(parity["texts"]):
        ids = tokenizer(case["text"], truncation=True, max_length=c["max_length"])["input_ids"]
        x = np.asarray([ids], dtype=np.int64)
        (got,) = sess.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x),
                                       "token_type_ids": np.zeros_like(x)})
        want = np.asarray(case["logits"], dtype=np.float32)
        if got.shape != (1, len(want)) or not np.allclose(got[0], want, rtol=0.0, atol=case["tolerance"]):
            worst = float(np.max(np.abs(got[0] - want))) if got.shape == (1, len(want)) else float("inf")
            raise TrainingError(f"{d}/parity.json texts[{i}]: logits differ by {worst:.3g} "
                                f"> {case['tolerance']}")
