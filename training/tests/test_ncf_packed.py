"""Packed CPU step: same gradients, same Adam update and same training as the autograd loop."""

import copy

import pytest
import torch
import torch.nn.functional as F

from mlbundle_training.ncf.model import NCF, NCFShape
from mlbundle_training.ncf.packed import PackedNCF, packed_epoch
from mlbundle_training.data.synthetic import create_synthetic_interactions
from mlbundle_training.ncf.train import NCFConfig, train


def _model(variant: str, seed: int = 0) -> NCF:
    torch.manual_seed(seed)
    m = NCF(NCFShape(30, 20, variant, 4, [16, 8, 4]))
    with torch.no_grad():
        for p in m.parameters():  # away from the init so that every ReLU both fires and not
            p.normal_(0, 0.5)
    return m


def _batch(n: int = 64):
    g = torch.Generator().manual_seed(5)
    return (torch.randint(0, 30, (n,), generator=g), torch.randint(0, 20, (n,), generator=g),
            (torch.rand(n, generator=g) < 0.3).float())


@pytest.mark.parametrize("variant", ["mlp", "gmf", "neumf"])
def test_gradients_match_autograd(variant):
    m = _model(variant)
    ref = copy.deepcopy(m)  # autograd on a copy: the packed step writes the shared .grad
    u, i, y = _batch()
    packed = PackedNCF(m)
    z = packed.step_grads(packed.pairs(u, i).view(-1), y).view(-1)
    out = ref(u, i)
    F.binary_cross_entropy_with_logits(out, y).backward()
    assert torch.allclose(z, out.detach(), atol=1e-6)
    want = dict(ref.named_parameters())
    sides = []
    for branch, t in packed.tables.items():
        sides += [(t.grad[:30], f"{branch}_user.weight"), (t.grad[30:], f"{branch}_item.weight")]
    for name, p in m.named_parameters():
        if "_user" not in name and "_item" not in name:
            sides.append((p.grad, name))
    assert len(sides) == len(want)
    for got, name in sides:
        assert torch.count_nonzero(got), name
        assert torch.allclose(got, want[name].grad, atol=1e-7), name


@pytest.mark.parametrize("fused", [True, False])
def test_adam_step_matches_torch_adam(fused):
    m, ref = _model("neumf"), _model("neumf")
    u, i, y = _batch()
    packed = PackedNCF(m, lr=0.01)
    if not fused:
        packed._fused = None  # the for-each fallback of builds without the fused kernel
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    for _ in range(3):
        packed.step_grads(packed.pairs(u, i).view(-1), y)
        packed.adam_step()
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(ref(u, i), y).backward()
        opt.step()
    packed.write_back()
    for (name, a), b in zip(m.state_dict().items(), ref.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    assert not torch.allclose(m.out.weight, _model("neumf").out.weight)


def test_epoch_loss_is_the_mean_over_samples_scored_before_each_step():
    m = _model("neumf")
    u, i, y = _batch(100)
    packed = PackedNCF(m, lr=0.0)  # lr 0: weights fixed, so every batch sees the same model
    seen = []
    loss = packed_epoch(packed, packed.pairs(u, i), y, 32, lambda b, z, yy: seen.append((b, len(z))))
    assert seen == [(0, 32), (1, 32), (2, 32), (3, 4)]
    with torch.no_grad():
        assert loss == pytest.approx(float(F.binary_cross_entropy_with_logits(m(u, i), y)), rel=1e-5)


def test_packed_and_autograd_training_agree():
    data = create_synthetic_interactions(seed=2, users=60, items=50, count=1200)
    runs = {p: train(NCFConfig(epochs=2, batch_size=128, lr=0.003, progress=False, seed=1,
                               packed_step=p), data) for p in (True, False)}
    a, b = runs[True], runs[False]
    assert [h["epoch"] for h in a.history] == [1, 2]
    for (name, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.allclose(x, y, atol=1e-4), name
    # the packed epoch loss is the mean over samples, the autograd one the mean of batch means
    assert a.history[-1]["loss"] == pytest.approx(b.history[-1]["loss"], rel=0.01)


@pytest.mark.parametrize("variant", ["mlp", "gmf", "neumf"])
def test_row_adam_matches_sparse_adam(variant):
    """row_adam: tables as torch.optim.SparseAdam over sparse embeddings, the rest as Adam;
    rows no batch touched (items 10..19 here) keep their initial values."""
    m, ref = _model(variant), _model(variant)
    for name in ("gmf_user", "gmf_item", "mlp_user", "mlp_item"):
        if hasattr(ref, name):
            getattr(ref, name).sparse = True
    emb = [p for n, p in ref.named_parameters() if "_user" in n or "_item" in n]
    rest = [p for n, p in ref.named_parameters() if not ("_user" in n or "_item" in n)]
    opts = [torch.optim.SparseAdam(emb, lr=0.01), torch.optim.Adam(rest, lr=0.01)]
    packed = PackedNCF(m, lr=0.01, row_adam=True)
    g = torch.Generator().manual_seed(5)
    for _ in range(4):
        u, i = torch.randint(0, 30, (64,), generator=g), torch.randint(0, 10, (64,), generator=g)
        y = (torch.rand(64, generator=g) < 0.3).float()
        packed.step_grads(packed.pairs(u, i).view(-1), y)
        packed.adam_step()
        for o in opts:
            o.zero_grad()
        F.binary_cross_entropy_with_logits(ref(u, i), y).backward()
        for o in opts:
            o.step()
    packed.write_back()
    for (name, a), b in zip(m.state_dict().items(), ref.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    init = _model(variant)
    for name in ("gmf_item", "mlp_item"):
        if hasattr(m, name):
            assert torch.equal(getattr(m, name).weight[10:], getattr(init, name).weight[10:])
            assert not torch.equal(getattr(m, name).weight[:10], getattr(init, name).weight[:10])


@pytest.mark.parametrize("setting,rows,want", [
    ("auto", 2625, False),     # MovieLens 100K: 943 users + 1682 items, batch 1024
    ("auto", 16384, True),     # a step touches at most 1/8 of the rows
    ("dense", 10 ** 6, False),
    ("rows", 100, True),
])
def test_embedding_adam_setting(setting, rows, want):
    from mlbundle_training.ncf.train import row_adam

    assert row_adam(NCFConfig(batch_size=1024, embedding_adam=setting), rows) is want


def test_row_adam_training_beats_popularity():
    data = create_synthetic_interactions(seed=1, users=200, items=150, count=4000)
    got = train(NCFConfig(epochs=8, batch_size=256, lr=0.003, progress=False, seed=0,
                          embedding_adam="rows"), data)
    assert isinstance(got.history, list) and got.metrics
    m = got.metrics
    assert m["test_ndcg@10"] > m["popularity_test_ndcg@10"]
    assert m["validation_full_ndcg@10"] > m["popularity_validation_full_ndcg@10"]
