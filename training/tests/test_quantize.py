"""int8 answers must not depend on the processor (docs/checkpoint.md, "int8 parity").

Every MatMulInteger of a published int8 model is recomputed in NumPy twice: exactly (int64)
and the way x86 kernels without VNNI compute it (u8 x s8 pairs saturated to int16). ONNX
Runtime on this host must give the exact result, and so must the saturating path: then
VNNI, AVX2, AVX-512 and arm64 kernels all give the same integers. Full-range int8 weights
(the earlier export) fail this on any host, VNNI included.
"""

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from mlbundle_training.contract import checkpoint as ckpt
from mlbundle_training.errors import TrainingError
from mlbundle_training.classifier.quantize import (WEIGHT_LIMIT, check_kernel_independent, integer_matmuls, matmul_exact,
                                        matmul_u8s8_saturating, quantize_int8)

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints" / "classifier"
VERSIONS = ["tiny-v1", "labels1k-v1"]


def _fixture(version: str) -> Path:
    d = FIXTURES / version
    if not (d / "manifest.json").is_file():
        pytest.skip(f"{d} not built (make fixtures)")
    return d


def _parity_feed(d: Path) -> dict[str, np.ndarray]:
    checks = json.loads((d / "parity.json").read_text())["checks"]
    return ckpt.parity_arrays(next(c for c in checks if c["file"] == "model.int8.onnx")["inputs"])


def _mismatches(model: Path, feed) -> list[str]:
    """Names of the MatMulIntegers where ORT, the exact product and the saturating path differ."""
    bad = []
    for m in integer_matmuls(model, feed):
        exact = matmul_exact(m.a, m.b, m.a_zero_point, m.b_zero_point)
        if not np.array_equal(m.output, exact):
            bad.append(f"{m.name}: onnxruntime differs from the exact product by {np.abs(m.output - exact).max()}")
        sat = matmul_u8s8_saturating(m.a, m.b, m.a_zero_point, m.b_zero_point)
        if not np.array_equal(sat, exact):
            bad.append(f"{m.name}: the non-VNNI u8s8 path would differ by {np.abs(sat - exact).max()}")
    return bad


@pytest.mark.parametrize("version", VERSIONS)
def test_committed_int8_model_is_exact_on_every_kernel(version):
    d = _fixture(version)
    check_kernel_independent(d / "model.int8.onnx")
    got = integer_matmuls(d / "model.int8.onnx", _parity_feed(d))
    assert len(got) >= 10  # every projection of the encoder and the head
    assert _mismatches(d / "model.int8.onnx", _parity_feed(d)) == []


def test_export_quantization_is_exact_and_full_range_is_not(tmp_path):
    d = _fixture("tiny-v1")
    feed = _parity_feed(d)
    ours = tmp_path / "ours.onnx"
    quantize_int8(d / "model.onnx", ours)
    assert _mismatches(ours, feed) == []

    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = tmp_path / "full.onnx"
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(d / "model.onnx"), str(full), weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    with pytest.raises(TrainingError, match="not be exact on every kernel"):
        check_kernel_independent(full)
    assert any("non-VNNI" in m for m in _mismatches(full, feed))


@pytest.mark.parametrize("a, b, za, zb, exact, saturating", [
    # 255*127 + 255*127 = 64770 saturates to 32767
    ([[255, 255]], [[127], [127]], 0, 0, 64770, 32767),
    ([[255, 255]], [[-128], [-128]], 0, 0, -65280, -32768),
    # 7-bit weights: 255*64*2 = 32640 stays exact
    ([[255, 255]], [[64], [64]], 0, 0, 32640, 32640),
    ([[255, 255]], [[-64], [-64]], 0, 0, -32640, -32640),
    # zero points are corrected outside the pair sums: (255-10)*100*2 = 49000; raw 32767 - 10*200
    ([[255, 255]], [[100], [100]], 10, 0, 49000, 30767),
    # odd K: the last pair is padded with a zero
    ([[255, 255, 255]], [[127], [127], [127]], 0, 0, 97155, 32767 + 32385),
    # uint8 weights are widened, never saturated
    ([[255, 255]], np.array([[255], [255]], dtype=np.uint8), 0, 0, 130050, 130050),
])
def test_reference_arithmetic(a, b, za, zb, exact, saturating):
    a = np.array(a, dtype=np.uint8)
    b = b if isinstance(b, np.ndarray) else np.array(b, dtype=np.int8)
    assert matmul_exact(a, b, za, zb).item() == exact
    assert matmul_u8s8_saturating(a, b, za, zb).item() == saturating


def test_signed_activations_are_shifted_like_the_kernels():
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, size=(5, 7), dtype=np.int8)
    b = rng.integers(-WEIGHT_LIMIT, WEIGHT_LIMIT + 1, size=(7, 3), dtype=np.int8)
    want = (a.astype(np.int64) - 3) @ b.astype(np.int64)
    assert np.array_equal(matmul_exact(a, b, np.int8(3), None), want)
    assert np.array_equal(matmul_u8s8_saturating(a, b, np.int8(3), None), want)
