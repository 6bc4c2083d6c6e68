"""The retrieval index: file layout, search, export with parity, and the proof serving runs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mlbundle_training.contract import checkpoint, proof, validate
from mlbundle_training.errors import TrainingError
from mlbundle_training.ncf import retrieval
from mlbundle_training.ncf.model import NCF, NCFShape

FIXTURE = Path(__file__).resolve().parents[2] / "testdata" / "checkpoints" / "ncf" / "tiny-index-v1"


def _index(users=5, items=400, dim=6, lists=12, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(lists, dim))
    vec = (centres[rng.integers(0, lists, items)] + 0.3 * rng.normal(size=(items, dim))).astype(np.float32)
    return retrieval.build(rng.normal(size=(users, dim)).astype(np.float32), vec, False, lists), vec


def test_write_read_round_trip(tmp_path):
    ivf, _ = _index()
    retrieval.write(tmp_path / "r.ivf", ivf)
    back = retrieval.read(tmp_path / "r.ivf", 5, 400, 6)
    for a, b in ((ivf.centroids, back.centroids), (ivf.offsets, back.offsets), (ivf.ids, back.ids),
                 (ivf.vectors, back.vectors), (ivf.queries, back.queries)):
        assert np.array_equal(a, b)
    assert sorted(back.ids.tolist()) == list(range(400))


@pytest.mark.parametrize("what, offset, value", [
    ("magic", 0, b"X"), ("version", 8, b"\x02"), ("offsets", 40 + 4 * 72 + 4, b"\xff\xff\x00\x00"),
    ("not finite", 40, np.float32(np.nan).tobytes()),
])
def test_read_refuses_a_broken_file(tmp_path, what, offset, value):
    ivf, _ = _index()
    retrieval.write(tmp_path / "r.ivf", ivf)
    raw = bytearray((tmp_path / "r.ivf").read_bytes())
    raw[offset:offset + len(value)] = value
    (tmp_path / "r.ivf").write_bytes(bytes(raw))
    with pytest.raises(TrainingError):
        retrieval.read(tmp_path / "r.ivf", 5, 400, 6)
    retrieval.write(tmp_path / "ok.ivf", ivf)
    with pytest.raises(TrainingError):  # a good file that disagrees with the manifest
        retrieval.read(tmp_path / "ok.ivf", 6, 400, 6)


def test_search_of_every_list_is_brute_force():
    ivf, vec = _index()
    skip = np.arange(400) % 3 == 0
    for u in range(5):
        items, scores = retrieval.search(ivf, u, 400, 25, skip)
        exact = vec @ ivf.queries[u]
        order = [i for i in np.lexsort((np.arange(400), -exact)) if not skip[i]][:25]
        assert items.tolist() == order and np.allclose(scores, exact[order])
        few, _ = retrieval.search(ivf, u, 1, 25, skip)
        assert len(few) == 25 and not skip[few].any()


def test_gmf_vectors_are_the_exact_dot_product():
    torch.manual_seed(0)
    m = NCF(NCFShape(7, 50, "gmf", 4))
    q, v, exact = retrieval.retrieval_vectors(m)
    with torch.no_grad():
        logits = m(torch.arange(7).repeat_interleave(50), torch.arange(50).repeat(7)).reshape(7, 50)
    assert exact and np.allclose(q @ v.T + float(m.out.bias.detach()), logits.numpy(), atol=1e-5)


def test_distilled_queries_find_the_model_top_items():
    torch.manual_seed(0)
    m = NCF(NCFShape(20, 3000, "neumf", 8, [32, 16, 8]))
    with torch.no_grad():
        for emb in (x for x in m.modules() if isinstance(x, torch.nn.Embedding)):
            emb.weight.normal_(0, 0.5)
    q, v, exact = retrieval.retrieval_vectors(m, sample=2000)
    assert not exact and q.shape == (20, v.shape[1])
    hits = 0
    with torch.no_grad():
        for u in range(20):
            s = m(torch.full((3000,), u), torch.arange(3000)).numpy()
            hits += len(set(np.argsort(-s)[:10]) & set(np.argsort(-(v @ q[u]))[:300]))
    assert hits / 200 >= 0.9  # 10 % of the items as candidates


def test_committed_index_fixture_is_servable():
    m = proof.check_servable(FIXTURE)
    art = m["ncf"]["artifacts"]["retrieval_index"]
    assert art["format"] == retrieval.FORMAT and art["format_version"] == retrieval.FORMAT_VERSION
    assert validate.problems("manifest", m) == []
    parity = json.loads((FIXTURE / "parity.json").read_text())
    assert validate.problems("parity", parity) == [] and parity["retrieval"]


def test_proof_refuses_other_candidates(tmp_path):
    d = tmp_path / "v"
    shutil.copytree(FIXTURE, d)
    parity = json.loads((d / "parity.json").read_text())
    parity["retrieval"][0]["scores"][0] += 1.0
    (d / "parity.json").write_text(json.dumps(parity))
    man = json.loads((d / "manifest.json").read_text())
    man["files"]["parity.json"] = checkpoint.file_digest(d / "parity.json")
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(TrainingError, match="retrieval parity"):
        proof.check_servable(d)
