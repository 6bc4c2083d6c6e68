"""Dynamic int8 quantization of the classifier, and the rule that makes its integer
arithmetic the same on every host (docs/checkpoint.md, "int8 parity").

ONNX Runtime runs a ``MatMulInteger`` (uint8 activations x int8 weights) through the
processor's kernel: VNNI (``vpdpbusd``) and arm64 accumulate exactly in int32, while x86
AVX2/AVX-512 without VNNI use ``vpmaddubsw``, which adds two u8 x s8 products into an int16
and saturates. Weights quantized to 7 bits (``reduce_range``: ``|w| <= 64``) keep every such
pair sum within int16 (``2 * 255 * 64 = 32640 <= 32767``), so each kernel computes the
exact integer product and hosts differ only in the fp32 operations around it.

``integer_matmuls`` runs a quantized model with every ``MatMulInteger``'s inputs and output
exposed, so tests can compare ONNX Runtime's int32 results with ``matmul_exact`` (NumPy in
int64) and with ``matmul_u8s8_saturating`` (the non-VNNI pair-sum path emulated).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TrainingError

WEIGHT_LIMIT = 64
"""Largest |int8 weight| for which the saturating u8 x s8 pair sum stays exact."""

INTEGER_MATMULS = ("MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat")
"""Operators whose second input is a quantized weight multiplied in integers."""

_INT16 = (-32768, 32767)


def quantize_int8(src: str | Path, dst: str | Path) -> None:
    """Quantize ``src`` to ``dst``: dynamic (uint8 activations, per tensor), int8 weights
    per output channel with 7-bit range (``reduce_range``), then ``check_kernel_independent``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    was = root.disabled
    root.disabled = True  # quantize_dynamic logs advice about pre-processing on the root logger
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    finally:
        root.disabled = was
    check_kernel_independent(dst)


def _initializers(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def check_kernel_independent(path: str | Path) -> None:
    """Raise TrainingError unless every integer matmul weight of the model at ``path`` is
    uint8 (widened to int16 by every kernel) or int8 within ``WEIGHT_LIMIT``."""
    import onnx

    model = onnx.load(str(path))
    inits = _initializers(model)
    problems = []
    for node in model.graph.node:
        if node.op_type not in INTEGER_MATMULS:
            continue
        w = inits.get(node.input[1])
        if w is None:
            problems.append(f"{node.name or node.op_type}: weight {node.input[1]} is not an initializer")
        elif w.dtype == np.int8 and int(np.abs(w.astype(np.int16)).max(initial=0)) > WEIGHT_LIMIT:
            problems.append(f"{node.input[1]}: max |w| {int(np.abs(w.astype(np.int16)).max())} > {WEIGHT_LIMIT}")
        elif w.dtype not in (np.int8, np.uint8):
            problems.append(f"{node.input[1]}: weight type {w.dtype}, want int8 or uint8")
    if problems:
        raise TrainingError(f"{Path(path).name}: integer products would not be exact on every kernel "
                            f"(x86 without VNNI saturates u8 x s8 pair sums): {'; '.join(problems[:5])}")


def _operands(a, b, za, zb):
    """int64 copies with a signed activation moved to uint8 the way the kernels do (+128)."""
    a, b = np.asarray(a), np.asarray(b)
    za = np.asarray(0 if za is None else za).astype(np.int64)
    zb = np.asarray(0 if zb is None else zb).astype(np.int64)
    if a.dtype == np.int8:
        a, za = a.astype(np.int64) + 128, za + 128
    return a.astype(np.int64).reshape(-1, b.shape[0]), b.astype(np.int64), za, zb


def matmul_exact(a, b, za=None, zb=None) -> np.ndarray:
    """``(a - za) @ (b - zb)`` in int64: the MatMulInteger definition, 2-D [rows, N]."""
    a, b, za, zb = _operands(a, b, za, zb)
    return (a - za) @ (b - zb)


def matmul_u8s8_saturating(a, b, za=None, zb=None) -> np.ndarray:
    """The same product as x86 AVX2/AVX-512 kernels without VNNI compute it for int8
    weights: u8 x s8 products of consecutive k added in pairs with int16 saturation
    (``vpmaddubsw``), pairs summed in int32; zero points corrected with row/column sums."""
    if np.asarray(b).dtype == np.uint8:
        return matmul_exact(a, b, za, zb)  # uint8 weights: widened to int16, no saturation
    a, b, za, zb = _operands(a, b, za, zb)
    k = b.shape[0]
    if k % 2:
        a = np.pad(a, ((0, 0), (0, 1)))
        b = np.pad(b, ((0, 1), (0, 0)))
    raw = np.empty((a.shape[0], b.shape[1]), dtype=np.int64)
    step = max(1, (8 << 20) // max(1, (b.shape[0] // 2) * b.shape[1]))  # ~64 MB of pair sums at a time
    for r in range(0, a.shape[0], step):
        blk = a[r:r + step]
        pairs = blk[:, 0::2, None] * b[None, 0::2, :] + blk[:, 1::2, None] * b[None, 1::2, :]
        raw[r:r + step] = np.clip(pairs, *_INT16).sum(axis=1)
    return raw - za * b.sum(axis=0) - a.sum(axis=1, keepdims=True) * zb + k * za * zb


@dataclass
class IntegerMatMul:
    """One MatMulInteger as ONNX Runtime ran it: operands and its int32 output [rows, N]."""

    name: str
    a: np.ndarray
    b: np.ndarray
    a_zero_point: np.ndarray | None
    b_zero_point: np.ndarray | None
    output: np.ndarray


def integer_matmuls(path: str | Path, feed: dict[str, np.ndarray]) -> list[IntegerMatMul]:
    """Run the quantized model at ``path`` on ``feed`` (graph optimizations off, so every
    MatMulInteger stays) and return each one's operands and output."""
    import onnx
    import onnxruntime as ort

    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    inits = _initializers(model)
    types = {v.name: v.type.tensor_type.elem_type for v in model.graph.value_info}
    nodes = [n for n in model.graph.node if n.op_type == "MatMulInteger"]
    wanted = []
    for n in nodes:
        for name in (n.input[0], n.input[2] if len(n.input) > 2 else "", n.output[0]):
            if name and name not in inits and name not in wanted:
                if name not in types:
                    raise TrainingError(f"{n.name}: no inferred type for {name}")
                wanted.append(name)
    del model.graph.output[:]
    model.graph.output.extend(onnx.helper.make_tensor_value_info(x, types[x], None) for x in wanted)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    values = {**inits, **dict(zip(wanted, sess.run(wanted, feed)))}
    out = []
    for n in nodes:
        b = values[n.input[1]]
        opt = [values[n.input[i]] if len(n.input) > i and n.input[i] else None for i in (2, 3)]
        out.append(IntegerMatMul(n.name, values[n.input[0]], b, opt[0], opt[1],
                                 values[n.output[0]].reshape(-1, b.shape[1])))
    return out
