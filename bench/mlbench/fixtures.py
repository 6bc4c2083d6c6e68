"""The Python side of the benchmark fixtures (the Go side is shared/benchtest; both read
bench/models.json and bench/thresholds.json).

- ``checkpoint(name)`` returns the version directory of a benchmark model from the local
  store (models/, or ``BENCH_MODELS_DIR`` / ``MODELS_DIR``), or downloads it from S3 when
  ``MODELS_BUCKET`` and ``AWS_ENDPOINT_URL`` are set; a missing model raises ``Missing``,
  whose message names the command that makes it.
- ``check(id, value, unit)`` records a measured number in ``$BENCH_RESULTS`` and compares
  it with its threshold; ``failures()`` lists the regressions so far.

``python -m mlbench.fixtures`` prints which models are available.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Missing(Exception):
    """A benchmark model or data set is absent; the message says how to make it."""


@dataclass
class Model:
    """One entry of bench/models.json."""

    name: str
    kind: str
    version: str
    data: str
    make: str
    store: str = ""


def models() -> list[Model]:
    doc = json.loads((ROOT / "bench" / "models.json").read_text())
    return [Model(**m) for m in doc["models"]]


def store_root() -> Path:
    for var in ("BENCH_MODELS_DIR", "MODELS_DIR"):
        if os.environ.get(var):
            p = Path(os.environ[var])
            return p if p.is_absolute() else ROOT / p
    return ROOT / "models"


def _fetch_s3(m: Model) -> Path:
    import boto3

    bucket, prefix = os.environ["MODELS_BUCKET"], os.environ.get("MODELS_PREFIX", "models/")
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                      region_name=os.environ.get("AWS_REGION", "us-east-1"))
    key = f"{prefix}{m.kind}/{m.version}/"
    cache = Path(os.environ.get("MLBUNDLE_CACHE", Path.home() / ".cache" / "mlbundle"))
    dst = cache / "bench-fetch" / bucket / m.kind / m.version
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key + "manifest.json")["Body"].read())
    except Exception as e:  # noqa: BLE001 - any S3 failure means "not available"
        raise Missing(f"s3://{bucket}/{key}manifest.json: {e}") from None
    dst.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:
        if not (dst / name).is_file() and not name.endswith(".pt"):
            s3.download_file(bucket, key + name, str(dst / name))
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst


def locate(m: Model) -> Path:
    """The version directory of m, or Missing."""
    if not m.store and os.environ.get("MODELS_BUCKET") and os.environ.get("AWS_ENDPOINT_URL"):
        return _fetch_s3(m)
    root = ROOT / m.store if m.store else store_root()
    version = m.version
    if version == "ACTIVE":
        active = root / m.kind / "ACTIVE"
        if not active.is_file():
            raise Missing(f"no active {m.kind} version in {root}")
        version = json.loads(active.read_text())["version"]
    d = root / m.kind / version
    if not (d / "manifest.json").is_file():
        raise Missing(f"{d} has no manifest.json")
    return d


def checkpoint(name: str) -> Path:
    """The named benchmark model's directory; Missing names the command that makes it. In
    fast mode every name stands for the committed fixture of its kind (``<kind>-fixture``)."""
    by_name = {m.name: m for m in models()}
    if mode() == "fast" and name in by_name:
        name = f"{by_name[name].kind}-fixture"
    for m in models():
        if m.name == name:
            try:
                return locate(m)
            except Missing as e:
                raise Missing(f"benchmark model {name} ({m.kind}/{m.version}) is missing: {e}; "
                              f"make it with `{m.make}`") from None
    raise KeyError(f"bench/models.json names no model {name!r}")


def available() -> list[dict]:
    """Every benchmark model with its path or why it is missing."""
    out = []
    for m in models():
        try:
            out.append({"name": m.name, "path": str(locate(m)), "data": m.data})
        except Missing as e:
            out.append({"name": m.name, "missing": f"{e}; make it with `{m.make}`", "data": m.data})
    return out


# ---- thresholds and results -------------------------------------------------------------

_FAILURES: list[str] = []


def mode() -> str:
    return os.environ.get("BENCH_MODE", "full")


def thresholds() -> dict:
    return json.loads((ROOT / "bench" / "thresholds.json").read_text())


def verdict(entry: dict | None, value: float, run_mode: str) -> str:
    """pass, fail or unchecked for value against one threshold entry."""
    if entry is None or run_mode not in entry.get("modes", ["full"]):
        return "unchecked"
    if ("min" in entry and value < entry["min"]) or ("max" in entry and value > entry["max"]):
        return "fail"
    return "pass"


def _write(file: str, obj: dict) -> None:
    d = os.environ.get("BENCH_RESULTS")
    if not d:
        return
    Path(d).mkdir(parents=True, exist_ok=True)
    with open(Path(d) / f"py-{file}", "a") as f:
        f.write(json.dumps(obj) + "\n")


def check(bench_id: str, value: float, unit: str, extra: dict | None = None) -> str:
    """Record value and compare it with its threshold; returns pass, fail or unchecked."""
    entry = thresholds()["thresholds"].get(bench_id)
    status = verdict(entry, float(value), mode())
    _write("results.jsonl", {"id": bench_id, "value": float(value), "unit": unit, "mode": mode(),
                             "threshold": entry, "status": status, "extra": extra or {}})
    line = f"{bench_id} = {value:.4g} {unit}"
    if status == "fail":
        bound = f"at least {entry['min']}" if "min" in entry and value < entry["min"] else f"at most {entry['max']}"
        msg = (f"regression: {line}, threshold {bound} (measured {entry['measured']}, margin {entry['margin']};"
               " bench/thresholds.json)")
        _FAILURES.append(msg)
        print(msg, file=sys.stderr, flush=True)
    else:
        print(f"{line} ({status})", flush=True)
    return status


def series(bench_id: str, values) -> None:
    """Raw samples for the report's plots (nothing is checked)."""
    _write("series.jsonl", {"id": bench_id, "values": [float(v) for v in values]})


def note(bench_id: str, obj: dict) -> None:
    """Structured context for the report (tables, histories); nothing is checked."""
    _write("notes.jsonl", {"id": bench_id, **obj})


def skip(what: str, why: str) -> None:
    """Record that a benchmark was skipped and why (the report lists it)."""
    print(f"skipped {what}: {why}", flush=True)
    _write("skips.jsonl", {"id": what, "why": why})


def failures() -> list[str]:
    return list(_FAILURES)


def exit_code() -> int:
    """1 when any check failed in this process."""
    return 1 if _FAILURES else 0


def main() -> int:
    for a in available():
        print(f"{a['name']:20} {a.get('path') or 'MISSING: ' + a['missing']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
