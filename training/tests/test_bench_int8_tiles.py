"""Smoke runs of the int8-options and score_all-tile benchmarks on tiny inputs."""

import json
from pathlib import Path

import numpy as np
import pytest

from mlbundle_training.bench import int8, tiles

FIXTURE = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints" / "classifier" / "tiny-v1"


def test_tiles_rows_for_every_tile_size():
    rows = tiles.bench(3000, [16, 8, 4], [512, 4096], runs=2)
    assert [r["tile"] for r in rows] == [512, 4096]
    assert [r["activation_kib"] for r in rows] == [16, 94]  # 8 x min(tile, items) x 4 bytes
    assert all(r["cpu_p50_ms"] >= 0 and r["wall_p50_ms"] > 0 for r in rows)


def test_int8_logits_and_compare(tmp_path):
    if not (FIXTURE / "manifest.json").is_file():
        pytest.skip("fixture not built (make fixtures)")
    cases = [json.loads(x)["ids"] for x in (FIXTURE / "tokenizer_cases.jsonl").read_text().split("\n") if x][:5]
    np.savez(tmp_path / "ids.npz", *[np.asarray(r, np.int64) for r in cases])
    for name, opts in [("s8-7bit", int8.SCHEMES["s8-7bit"]), ("s8", int8.SCHEMES["s8"])]:
        int8.quantize(FIXTURE / "model.onnx", tmp_path / f"{name}.onnx", opts)
    models = [f"{n}={tmp_path / n}.onnx" for n in ("s8-7bit", "s8")]
    assert int8.main(["logits", "--ids", str(tmp_path / "ids.npz"), "--out", str(tmp_path / "a.npz"), *models]) == 0
    with np.load(tmp_path / "a.npz") as a:
        assert a["s8"].shape == (5, 9)
        np.savez(tmp_path / "b.npz", **{"s8-7bit": a["s8-7bit"], "s8": a["s8"] + 0.5})
    got = int8.compare(str(tmp_path / "a.npz"), str(tmp_path / "b.npz"))
    assert got["s8-7bit"] == {"max_abs_diff": 0.0, "identical_rows": 5, "rows": 5}
    assert got["s8"]["max_abs_diff"] == pytest.approx(0.5) and got["s8"]["identical_rows"] == 0
