"""What machine and software a benchmark run saw, for the report header."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

# CPU flags that change which kernels ONNX Runtime and PyTorch pick.
FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu() -> dict:
    info = {"model": platform.processor() or platform.machine(), "cores": os.cpu_count(), "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key.strip() == "model name":
            info["model"] = val.strip()
        elif key.strip() == "flags":
            have = set(val.split())
            info["flags"] = [f for f in FLAGS if f in have]
            break
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()
        info["memory_gib"] = round(int(mem[1]) / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    return info


def _out(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def software() -> dict:
    import numpy
    import onnxruntime
    import torch

    root = Path(__file__).resolve().parents[2]
    return {"go": _out(["go", "env", "GOVERSION"]), "python": platform.python_version(),
            "torch": torch.__version__, "onnxruntime (python)": onnxruntime.__version__, "numpy": numpy.__version__,
            "onnxruntime library": _lib_name(os.environ.get("ONNXRUNTIME_LIB", "")),
            "git": _out(["git", "-C", str(root), "rev-parse", "--short", "HEAD"])}


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _lib_name(path: str) -> str:
    """The file ONNXRUNTIME_LIB resolves to, or "unset" (an empty path is not the cwd)."""
    return os.path.basename(os.path.realpath(path)) if path else "unset"
