"""A CPU training step for :class:`~.ncf_model.NCF` with hand-written gradients.

On a CPU a step of a model this small is bound by the per-operator cost of PyTorch
(dispatch, autograd graph, the optimiser's Python), not by arithmetic. :class:`PackedNCF`
trains the same model with fewer operators:

- the four embedding tables (user/item, GMF/MLP) are packed into one table, users first,
  then items, each row ``[mlp half | gmf factors]``: a batch is one ``index_select`` of
  ``[batch, 2]`` rows, and the gradient one ``index_add_``;
- forward and backward are written out (no autograd graph): the gradient of the mean
  binary cross-entropy on logits is ``(sigmoid(z) - y) / batch``, pushed through the output
  layer, the ReLU tower and the GMF product by hand;
- the logits of every batch go into one epoch buffer, so the epoch's loss is one
  ``binary_cross_entropy_with_logits`` at the end (no per-batch loss operator);
- Adam is ``torch.optim.Adam`` (fused kernel where the build has it) over the packed table
  and the tower's own parameters, which are shared with the model.

The model's embeddings are refreshed from the packed table by :meth:`PackedNCF.write_back`
(before evaluating or saving). The result is the same model trained by the same maths as
the autograd loop; ``tests/test_ncf.py`` checks the gradients against autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .ncf_model import NCF


class PackedNCF:
    """Packed embeddings + hand-written forward/backward for one NCF model."""

    def __init__(self, model: NCF):
        self.model = model
        s = model.shape
        self.num_users = s.num_users
        self.half = model.mlp_user.embedding_dim if model.use_mlp else 0
        self.factors = model.gmf_user.embedding_dim if model.use_gmf else 0
        with torch.no_grad():
            self.table = torch.nn.Parameter(torch.cat([self._side(model, "user"),
                                                       self._side(model, "item")]).contiguous())
        self.layers = [(l.weight, l.bias) for l in model.tower] if model.use_mlp else []
        self.params = [self.table] + [p for wb in self.layers for p in wb] + [model.out.weight,
                                                                             model.out.bias]
        # gradients live in buffers kept across steps: a fresh table-sized tensor per step
        # costs page faults that outweigh the arithmetic
        for p in self.params:
            p.grad = torch.zeros_like(p)

    def _side(self, model: NCF, side: str) -> torch.Tensor:
        cols = []
        if model.use_mlp:
            cols.append(getattr(model, f"mlp_{side}").weight.detach())
        if model.use_gmf:
            cols.append(getattr(model, f"gmf_{side}").weight.detach())
        return torch.cat(cols, dim=1)

    def pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``[n, 2]`` packed-table rows of (user, item) pairs."""
        return torch.stack([users.long(), items.long() + self.num_users], dim=1).contiguous()

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the packed table into the model's embedding weights."""
        m, h, nu = self.model, self.half, self.num_users
        t = self.table
        if m.use_mlp:
            m.mlp_user.weight.copy_(t[:nu, :h])
            m.mlp_item.weight.copy_(t[nu:, :h])
        if m.use_gmf:
            m.gmf_user.weight.copy_(t[:nu, h:])
            m.gmf_item.weight.copy_(t[nu:, h:])

    @torch.no_grad()
    def step_grads(self, pair: torch.Tensor, labels: torch.Tensor,
                   logits_out: torch.Tensor | None = None) -> torch.Tensor:
        """Forward and backward of one batch: sets ``.grad`` of every packed parameter.

        ``pair`` ``[b, 2]`` from :meth:`pairs`, ``labels`` ``[b]`` float. The logits go to
        ``logits_out`` (``[b]``) when given; returns them.
        """
        b, h, f = len(pair), self.half, self.factors
        x = self.table.index_select(0, pair.view(-1)).view(b, 2, h + f)
        acts = []
        if h:
            a = x[:, :, :h].reshape(b, 2 * h)
            for w, bias in self.layers:
                acts.append(a)
                a = torch.addmm(bias, a, w.t()).relu_()
            acts.append(a)
        if f:
            gu, gi = x[:, 0, h:], x[:, 1, h:]
            g = gu * gi
            feat = torch.cat([g, acts[-1]], dim=1) if h else g
        else:
            feat = acts[-1]
        w_out, b_out = self.model.out.weight, self.model.out.bias
        z = torch.addmm(b_out, feat, w_out.t(), out=None if logits_out is None
                        else logits_out.view(b, 1)).view(b)
        # d mean BCE-with-logits / dz = (sigmoid(z) - y) / b
        dz = torch.sigmoid(z).sub_(labels).div_(b).view(b, 1)
        torch.mm(dz.t(), feat, out=w_out.grad)
        torch.sum(dz, 0, out=b_out.grad)
        dfeat = dz * w_out
        dx = torch.empty_like(x)
        if f:
            dg = dfeat[:, :f]
            torch.mul(dg, gi, out=dx[:, 0, h:])
            torch.mul(dg, gu, out=dx[:, 1, h:])
        if h:
            da = dfeat[:, f:] if f else dfeat
            for k in range(len(self.layers) - 1, -1, -1):
                w, bias = self.layers[k]
                da = torch.ops.aten.threshold_backward(da, acts[k + 1], 0)
                torch.mm(da.t(), acts[k], out=w.grad)
                torch.sum(da, 0, out=bias.grad)
                da = torch.mm(da, w)
            dx[:, :, :h] = da.view(b, 2, h)
        self.table.grad.zero_().index_add_(0, pair.view(-1), dx.view(2 * b, h + f))
        return z


def packed_epoch(packed: PackedNCF, opt: torch.optim.Optimizer, pair: torch.Tensor,
                 labels: torch.Tensor, batch_size: int, on_batch=None) -> float:
    """One epoch over pre-shuffled ``pair``/``labels`` in slices; returns the mean loss.

    ``on_batch(b, logits)`` (optional) is called after every step with the batch index and
    that batch's logits (for loss logging).
    """
    n = len(pair)
    logits = torch.empty(n, device=pair.device)
    for b, start in enumerate(range(0, n, batch_size)):
        sl = slice(start, start + batch_size)
        z = packed.step_grads(pair[sl], labels[sl], logits[sl])
        opt.step()
        if on_batch is not None:
            on_batch(b, z, labels[sl])
    return float(F.binary_cross_entropy_with_logits(logits, labels)) if n else 0.0
