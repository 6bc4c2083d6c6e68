"""Tile size of ``score_all.onnx``: latency of one user's scores over the whole catalogue
for several tile sizes, on the same random-init NeuMF, timed in turns.

``python -m mlbundle_training.bench tiles [--items 20000 100000] [--tiles 512 1024 ...]``

For each catalogue size and tower shape, the graph is written with each tile size
(``ncf.export.score_all_graph``) and run by ONNX Runtime on one thread, the options
taking turns call by call so that all see the same machine load. Reported: p50 wall and
CPU ms per call, and the tile's widest activation in KiB (first tower layer x tile x 4
bytes), the figure to hold against a core's L2 cache.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch


def _graphs(items: int, layers: list[int], tiles: list[int]) -> dict[int, bytes]:
    from ..ncf.export import score_all_graph
    from ..ncf.model import NCF, NCFShape, ScoreAll

    torch.manual_seed(0)
    model = NCF(NCFShape(1000, items, "neumf", 8, layers)).eval()
    sa = ScoreAll(model).eval()
    return {t: score_all_graph(sa, items, t).SerializeToString() for t in tiles}


def bench(items: int, layers: list[int], tiles: list[int], runs: int) -> list[dict]:
    """Per tile size: p50 wall and CPU ms of one score_all call, options timed in turns."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sessions = {t: ort.InferenceSession(g, opts, providers=["CPUExecutionProvider"])
                for t, g in _graphs(items, layers, tiles).items()}
    users = np.random.default_rng(0).integers(0, 1000, size=runs)
    ref = None
    for t, s in sessions.items():  # warm-up, and every tiling gives the same scores
        got = s.run(["logits"], {"user": np.array([3], np.int64)})[0]
        ref = got if ref is None else ref
        if not np.allclose(got, ref, rtol=0, atol=1e-4):
            raise RuntimeError(f"tile {t}: scores differ from tile {tiles[0]}")
    wall = {t: [] for t in sessions}
    cpu = {t: [] for t in sessions}
    for u in users:
        feed = {"user": np.array([u], np.int64)}
        for t, s in sessions.items():
            w, c = time.perf_counter(), time.process_time()
            s.run(["logits"], feed)
            wall[t].append(time.perf_counter() - w)
            cpu[t].append(time.process_time() - c)
    width = layers[1] if len(layers) > 1 else layers[0]
    return [{"items": items, "layers": layers, "tile": t, "activation_kib": round(width * min(t, items) * 4 / 1024),
             "wall_p50_ms": round(1e3 * float(np.median(wall[t])), 3),
             "cpu_p50_ms": round(1e3 * float(np.median(cpu[t])), 3)} for t in sessions]


def main(argv: list[str] | None = None) -> int:
    """``python -m mlbundle_training.bench tiles [flags]``."""
    p = argparse.ArgumentParser(prog="bench tiles", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--items", type=int, nargs="+", default=[20_000, 100_000], help="catalogue sizes")
    p.add_argument("--tiles", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192],
                   help="tile sizes (items per tile)")
    p.add_argument("--layers", default="64,32,16,8;128,64,32,16",
                   help="tower shapes, ';'-separated (first entry: concatenated input width)")
    p.add_argument("--runs", type=int, default=200, help="timed calls per tile size")
    p.add_argument("--out", help="also write the JSON result here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for layers in ([int(x) for x in s.split(",")] for s in args.layers.split(";")):
        for items in args.items:
            rows += bench(items, layers, args.tiles, args.runs)
            print(json.dumps(rows[-len(args.tiles):]), flush=True)
    text = json.dumps({"bench": "score_all tiles", "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                       "rows": rows}, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0
