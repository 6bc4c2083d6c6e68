"""Checkpoint directory writer for the contract in docs/checkpoint.md.

A version directory is filled by the export step (model files, id maps, parity.json) and
closed by :func:`write_manifest`, which hashes every other file and writes
``manifest.json`` last and atomically (temporary file + rename), so a reader that sees a
manifest sees a complete checkpoint. Nothing here knows about a particular model kind.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import TrainingError
from . import validate

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
PARITY = "parity.json"
KINDS = ("ncf", "classifier")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NP_DTYPES = {"int64": np.int64, "int32": np.int32, "float32": np.float32, "float64": np.float64}


def default_version(now: _dt.datetime | None = None) -> str:
    """Return the default version name: the UTC time as ``YYYYMMDDTHHMMSSZ``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return now.astimezone(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def validate_version(name: str) -> str:
    """Return ``name`` if it is a valid version name, else raise TrainingError."""
    if not isinstance(name, str) or not VERSION_RE.match(name):
        raise TrainingError(
            f"invalid version name {name!r}: want 1-64 characters of [A-Za-z0-9._-] "
            "starting with a letter or digit")
    return name


def validate_kind(kind: str) -> str:
    """Return ``kind`` if it is a checkpoint kind (ncf, classifier), else raise."""
    if kind not in KINDS:
        raise TrainingError(f"invalid checkpoint kind {kind!r}: want one of {', '.join(KINDS)}")
    return kind


def git_revision(cwd: str | os.PathLike | None = None) -> str:
    """Return the short git revision of the checkout (``-dirty`` if modified) or "unknown".

    The environment variable ``GIT_REVISION`` wins (container builds have no .git).
    """
    env = os.environ.get("GIT_REVISION")
    if env:
        return env
    cwd = cwd or Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                             cwd=cwd, capture_output=True, text=True, timeout=10, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def file_digest(path: str | os.PathLike) -> dict[str, Any]:
    """Return ``{"sha256": <lower-case hex>, "size": <bytes>}`` of a file."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return {"sha256": h.hexdigest(), "size": size}


def describe_files(directory: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Hash every file of a version directory except manifest.json (sorted by name).

    Sub-directories and temporary files are refused: the contract has plain base names.
    """
    d = Path(directory)
    files: dict[str, dict[str, Any]] = {}
    for p in sorted(d.iterdir()):
        if p.name == MANIFEST:
            continue
        if not p.is_file() or p.name.startswith(".") or p.name.endswith(".tmp"):
            raise TrainingError(f"{d}: unexpected entry {p.name!r} in a checkpoint directory")
        files[p.name] = file_digest(p)
    return files


def write_json_atomic(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> Path:
    """Write JSON to ``path`` through a temporary file in the same directory + rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=indent, sort_keys=False, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; checkpoints are read by other users
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def prepare_version_dir(root: str | os.PathLike, kind: str, version: str) -> Path:
    """Create ``<root>/<kind>/<version>/`` for a new checkpoint and return it.

    Fails if that version is already complete (has a manifest) or the root is not writable;
    leftovers of an incomplete earlier attempt are removed.
    """
    validate_kind(kind)
    validate_version(version)
    d = Path(root) / kind / version
    if (d / MANIFEST).exists():
        raise TrainingError(f"{d}: version {version} already exists (manifest.json present)")
    try:
        d.mkdir(parents=True, exist_ok=True)
        for p in d.iterdir():
            if p.is_file():
                p.unlink()
        probe = d / ".write-probe.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise TrainingError(f"output directory {d} is not writable: {e.strerror or e}") from e
    return d


def check_writable(root: str | os.PathLike) -> Path:
    """Fail early (before training) when the store root cannot be created or written."""
    r = Path(root)
    try:
        r.mkdir(parents=True, exist_ok=True)
        probe = r / f".write-probe-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise TrainingError(f"output directory {r} is not writable: {e.strerror or e}") from e
    return r


def io_spec(name: str, dtype: str, shape: Sequence[int | str]) -> dict[str, Any]:
    """One ONNX input/output description: ``{"name", "dtype", "shape"}``."""
    return {"name": name, "dtype": dtype, "shape": list(shape)}


def describe_onnx(path: str | os.PathLike) -> dict[str, list[dict[str, Any]]]:
    """Read the input/output names, dtypes and shapes (dynamic axes by name) of an ONNX file."""
    import onnx  # local: only the export step needs it

    model = onnx.load(str(path), load_external_data=False)

    def one(v: Any) -> dict[str, Any]:
        t = v.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name
        shape = [d.dim_param if d.dim_param else int(d.dim_value) for d in t.shape.dim]
        return io_spec(v.name, dtype, shape)

    inits = {i.name for i in model.graph.initializer}
    return {"inputs": [one(v) for v in model.graph.input if v.name not in inits],
            "outputs": [one(v) for v in model.graph.output]}


def _tensor(a: Any) -> dict[str, Any]:
    arr = np.asarray(a)
    if arr.dtype.kind in "iu":
        arr, dtype = arr.astype(np.int64), "int64"
    elif arr.dtype.kind == "f":
        arr, dtype = arr.astype(np.float32), "float32"
    else:
        raise TrainingError(f"parity tensor of unsupported dtype {arr.dtype}")
    return {"dtype": dtype, "shape": list(arr.shape), "data": arr.reshape(-1).tolist()}


def parity_check(file: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any],
                 tolerance: float = 1e-4, reference: str = "pytorch") -> dict[str, Any]:
    """Build one parity.json check: fixed inputs and the reference outputs (flattened)."""
    if "/" in file or file in ("", ".", ".."):
        raise TrainingError(f"parity check file must be a plain base name, got {file!r}")
    return {"file": file, "tolerance": float(tolerance), "reference": reference,
            "inputs": {k: _tensor(v) for k, v in inputs.items()},
            "outputs": {k: _tensor(v) for k, v in outputs.items()}}


def parity_arrays(tensors: Mapping[str, Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Turn the ``inputs``/``outputs`` of a parity check back into numpy arrays."""
    return {k: np.asarray(v["data"], dtype=_NP_DTYPES[v["dtype"]]).reshape(v["shape"])
            for k, v in tensors.items()}


def verify_parity_onnx(directory: str | os.PathLike, check: Mapping[str, Any]) -> float:
    """Run a parity check with ONNX Runtime; return the max abs error or raise if over."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(Path(directory) / check["file"]),
                                providers=["CPUExecutionProvider"])
    want = parity_arrays(check["outputs"])
    got = sess.run(list(want), parity_arrays(check["inputs"]))
    worst = 0.0
    for (name, w), g in zip(want.items(), got):
        if g.shape != w.shape:
            raise TrainingError(f"parity {check['file']}: output {name} has shape {g.shape}, "
                                f"want {w.shape}")
        worst = max(worst, float(np.max(np.abs(g - w))) if w.size else 0.0)
        if not np.allclose(g, w, rtol=0.0, atol=check["tolerance"]):
            raise TrainingError(f"parity {check['file']}: output {name} differs from "
                                f"{check['reference']} by {worst:.3g} > {check['tolerance']}")
    return worst


def write_parity(directory: str | os.PathLike, checks: Sequence[Mapping[str, Any]],
                 texts: Sequence[Mapping[str, Any]] | None = None,
                 retrieval: Sequence[Mapping[str, Any]] | None = None) -> Path:
    """Write ``parity.json`` with the given checks (and classifier ``texts``, ncf
    ``retrieval`` cases)."""
    doc: dict[str, Any] = {"checks": list(checks)}
    if texts is not None:
        doc["texts"] = list(texts)
    if retrieval:
        doc["retrieval"] = list(retrieval)
    validate.check("parity", doc, f"{Path(directory) / PARITY}")
    return write_json_atomic(Path(directory) / PARITY, doc, indent=None)


def write_manifest(directory: str | os.PathLike, kind: str, version: str,
                   onnx_io: Mapping[str, Any], hyperparameters: Mapping[str, Any],
                   data: Mapping[str, Any], metrics: Mapping[str, float],
                   section: Mapping[str, Any], created_at: str | None = None,
                   revision: str | None = None) -> dict[str, Any]:
    """Close a version directory: hash its files and write manifest.json last, atomically.

    ``onnx_io`` maps each ONNX file name to ``{"inputs": [...], "outputs": [...]}`` (see
    :func:`describe_onnx`); ``section`` is the kind-specific block (``ncf`` or
    ``classifier``). Returns the manifest written. Raises TrainingError when a required
    file is missing, a referenced file is not in the directory, a metric is not finite, or
    the manifest does not match manifest.schema.json (then nothing is written).
    """
    validate_kind(kind)
    validate_version(version)
    d = Path(directory)
    if not d.is_dir():
        raise TrainingError(f"checkpoint directory {d} does not exist")
    files = describe_files(d)
    for required in ("model.onnx", PARITY):
        if required not in files:
            raise TrainingError(f"{d}: checkpoint is missing {required}; manifest not written")
    for name in onnx_io:
        if name not in files:
            raise TrainingError(f"{d}: manifest describes {name} which is not in the directory")
    for key, value in section.items():
        if key.endswith("_file") and value is not None and value not in files:
            raise TrainingError(f"{d}: {kind}.{key} names {value} which is not in the directory")
    clean_metrics: dict[str, float] = {}
    for k, v in metrics.items():
        if v is None or not np.isfinite(float(v)):
            raise TrainingError(f"metric {k} is not a finite number ({v!r})")
        clean_metrics[k] = float(v)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "version": version,
        "created_at": created_at or _dt.datetime.now(_dt.timezone.utc)
        .replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "git_revision": revision or git_revision(),
        "files": files,
        "onnx": {k: dict(v) for k, v in onnx_io.items()},
        "hyperparameters": dict(hyperparameters),
        "data": dict(data),
        "metrics": clean_metrics,
        kind: dict(section),
    }
    validate.check("manifest", manifest, f"{d / MANIFEST}")
    write_json_atomic(d / MANIFEST, manifest)
    return manifest


def read_manifest(directory: str | os.PathLike) -> dict[str, Any]:
    """Read manifest.json of a version directory; raise if absent (incomplete checkpoint)."""
    p = Path(directory) / MANIFEST
    if not Path(directory).is_dir():
        raise TrainingError(f"checkpoint directory {directory} does not exist")
    if not p.is_file():
        raise TrainingError(f"{directory}: no manifest.json, the checkpoint is incomplete")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TrainingError(f"{p}: invalid JSON: {e}") from e


def verify_checkpoint(directory: str | os.PathLike) -> dict[str, Any]:
    """Check the manifest against the schema and every file it lists (name, size, sha256);
    return the manifest."""
    m = read_manifest(directory)
    validate.check("manifest", m, f"{directory}/manifest.json")
    for name, want in m["files"].items():
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise TrainingError(f"{directory}/manifest.json: file name {name!r} is not a base name")
        p = Path(directory) / name
        if not p.is_file():
            raise TrainingError(f"{directory}: file {name} listed in the manifest is missing")
        got = file_digest(p)
        if got != {"sha256": want.get("sha256"), "size": want.get("size")}:
            raise TrainingError(f"{directory}: file {name} does not match the manifest "
                                f"(sha256/size {got['sha256'][:12]}/{got['size']} vs "
                                f"{str(want.get('sha256'))[:12]}/{want.get('size')})")
    return m
