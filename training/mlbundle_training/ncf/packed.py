"""A CPU training step for :class:`~.ncf_model.NCF` with hand-written gradients.

On a CPU a step of a model this small is bound by the per-operator cost of PyTorch
(dispatch, autograd graph, the optimiser's Python), not by arithmetic. :class:`PackedNCF`
trains the same model with fewer operators:

- the user and item embedding tables are packed into one table per branch (MLP, GMF),
  users first, then items: a batch is one ``index_select`` of ``[batch, 2]`` rows per
  branch, straight into the MLP's input buffer, and the gradient one ``index_add_``;
- forward and backward are written out (no autograd graph): the gradient of the mean
  binary cross-entropy on logits is ``(sigmoid(z) - y) / batch``, pushed through the output
  layer, the ReLU tower and the GMF product by hand;
- the logits of every batch go into one epoch buffer, so the epoch's loss is one
  ``binary_cross_entropy_with_logits`` at the end (no per-batch loss operator);
- Adam (``torch.optim.Adam``'s maths and defaults) over the packed tables and the tower's
  own parameters, which are shared with the model: the fused Adam kernel called directly
  with one step counter for all parameters, which skips ``Optimizer.step``'s per-call
  bookkeeping (more than the kernel itself here); the functional for-each
  ``torch.optim.adam.adam`` where the build has no fused kernel. With ``row_adam=True`` the
  tables are updated by :class:`~.rowadam.RowAdam` instead (only the rows a step touches:
  the cost of a step no longer grows with the catalogue), the tower and output as before;
- activations, gradients and their views live in per-batch-size buffers reused by every
  step (no fresh memory to fault in, no views to rebuild).

The model's embeddings are refreshed from the packed tables by :meth:`PackedNCF.write_back`
(before evaluating or saving). The result is the same model trained by the same maths as
the autograd loop; ``tests/test_ncf_packed.py`` checks gradients, Adam and training
against autograd and ``torch.optim.Adam``.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.optim.adam import adam

from .model import NCF
from .rowadam import RowAdam


class PackedNCF:
    """Packed embeddings + hand-written forward/backward for one NCF model."""

    def __init__(self, model: NCF, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, row_adam: bool = False):
        self.model = model
        self.lr, self.betas, self.eps = lr, betas, eps
        s = model.shape
        self.num_users = s.num_users
        self.half = model.mlp_user.embedding_dim if model.use_mlp else 0
        self.factors = model.gmf_user.embedding_dim if model.use_gmf else 0
        with torch.no_grad():
            self.tables = {}
            for branch in ("mlp", "gmf"):
                if getattr(model, f"use_{branch}"):
                    both = [getattr(model, f"{branch}_{side}").weight for side in ("user", "item")]
                    self.tables[branch] = torch.nn.Parameter(torch.cat(both).contiguous())
        self.layers = [(l.weight, l.bias) for l in model.tower] if model.use_mlp else []
        # transposed views made once: Adam updates the parameters in place
        self.weights_t = [w.t() for w, _ in self.layers]
        self.biases = [bias for _, bias in self.layers]
        self.w_out_t = model.out.weight.t()
        self.params = list(self.tables.values()) + [p for wb in self.layers for p in wb] + [model.out.weight,
                                                                             model.out.bias]
        self.rows = RowAdam(self.tables, lr, betas, eps) if row_adam else None
        if self.rows is not None:  # the dense Adam below covers the tower and output only
            self.params = self.params[len(self.tables):]
        # gradients live in buffers kept across steps: a fresh table-sized tensor per step
        # costs page faults that outweigh the arithmetic
        for p in self.params:
            p.grad = torch.zeros_like(p)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        # one step counter shared by every parameter: they are always updated together
        self.step = torch.zeros((), dtype=torch.float32, device=model.out.weight.device)
        self._fused = getattr(torch, "_fused_adam_", None)
        self._grads = [p.grad for p in self.params]
        self._steps = [self.step] * len(self.params)
        self._relu_grad = torch.ops.aten.threshold_backward.grad_input
        self._ws: dict[int, dict[str, Any]] = {}

    @torch.no_grad()
    def adam_step(self) -> None:
        """One Adam update (``torch.optim.Adam``'s maths and defaults) of every packed
        parameter from its ``.grad``: the fused kernel called once, else the functional
        for-each ``torch.optim.adam.adam``; the tables' touched rows by :class:`RowAdam`
        when ``row_adam``."""
        grads, b1, b2 = self._grads, *self.betas
        self.step.add_(1)
        if self.rows is not None:
            self.rows.step()
        if self._fused is not None:
            try:
                self._fused(self.params, grads, self.exp_avg, self.exp_avg_sq, [],
                            self._steps, lr=self.lr, beta1=b1, beta2=b2,
                            weight_decay=0.0, eps=self.eps, amsgrad=False, maximize=False)
                return
            except (RuntimeError, TypeError):  # no fused kernel for this device or dtype
                self._fused = None
        steps = [self.step - 1 for _ in self.params]  # adam() counts the step itself
        adam(self.params, grads, self.exp_avg, self.exp_avg_sq, [], steps, foreach=True,
             capturable=False, differentiable=False, fused=False, grad_scale=None, found_inf=None,
             has_complex=False, amsgrad=False, beta1=b1, beta2=b2, lr=self.lr, weight_decay=0.0,
             eps=self.eps, maximize=False)

    def _table_grad(self, branch: str, rows: torch.Tensor, dx: torch.Tensor) -> None:
        """Gradient of a packed table from its gathered rows' gradients ``dx``."""
        if self.rows is not None:
            self.rows.set_grad(branch, rows, dx)
        else:
            self.tables[branch].grad.zero_().index_add_(0, rows, dx)

    def pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``[n, 2]`` packed-table rows of (user, item) pairs."""
        return torch.stack([users.long(), items.long() + self.num_users], dim=1).contiguous()

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the packed tables into the model's embedding weights."""
        nu = self.num_users
        for branch, t in self.tables.items():
            getattr(self.model, f"{branch}_user").weight.copy_(t[:nu])
            getattr(self.model, f"{branch}_item").weight.copy_(t[nu:])

    def _workspace(self, b: int) -> dict[str, Any]:
        """Activation and gradient buffers (and their views) for batch size ``b``, kept across
        steps: a fresh buffer per step is first touched page by page, which costs more than
        the maths, and each view made per step is one more operator call."""
        ws = self._ws.get(b)
        if ws is None:
            h, f, dev = self.half, self.factors, self.model.out.weight.device
            width = self.model.out.in_features
            ws = {name: torch.empty(b, cols, device=dev) for name, cols in
                  (("z", 1), ("dz", 1), ("g", f), ("feat", width), ("dfeat", width))}
            ws.update(dz_t=ws["dz"].t(), dg=ws["dfeat"][:, :f], da=ws["dfeat"][:, f:])
            if f:
                x, dx = torch.empty(b, 2, f, device=dev), torch.empty(b, 2, f, device=dev)
                ws.update(x=x.view(2 * b, f), dx=dx.view(2 * b, f), gu=x[:, 0], gi=x[:, 1],
                          dgu=dx[:, 0], dgi=dx[:, 1])
            if h:
                sizes = [2 * h] + [w.shape[0] for w, _ in self.layers]
                acts = [torch.empty(b, n, device=dev) for n in sizes]
                grads = [torch.empty(b, n, device=dev) for n in sizes]
                # [b, 2h] MLP input == [2b, h] gathered user and item rows
                ws.update(acts=acts, grads=grads, x_mlp=acts[0].view(2 * b, h),
                          dx_mlp=grads[0].view(2 * b, h))
            if len(self._ws) > 2:  # the full batch and the last, shorter one
                self._ws.clear()
            self._ws[b] = ws
        return ws

    @torch.no_grad()
    def step_grads(self, rows: torch.Tensor, labels: torch.Tensor,
                   logits_out: torch.Tensor | None = None) -> torch.Tensor:
        """Forward and backward of one batch: sets ``.grad`` of every packed parameter.

        ``rows`` ``[2 b]``: the flattened ``[b, 2]`` table rows of :meth:`pairs`; ``labels``
        ``[b]`` or ``[b, 1]`` float. Returns the logits ``[b, 1]``: ``logits_out`` when
        given, else a buffer reused by the next step.
        """
        b, h, f = len(labels), self.half, self.factors
        if labels.dim() == 1:
            labels = labels.unsqueeze(1)
        ws = self._workspace(b)
        if h:
            acts = ws["acts"]
            torch.index_select(self.tables["mlp"], 0, rows, out=ws["x_mlp"])
            for k, (bias, wt) in enumerate(zip(self.biases, self.weights_t)):
                torch.addmm(bias, acts[k], wt, out=acts[k + 1]).relu_()
        if f:
            torch.index_select(self.tables["gmf"], 0, rows, out=ws["x"])
            gu, gi = ws["gu"], ws["gi"]
            g = torch.mul(gu, gi, out=ws["g"])
            feat = torch.cat([g, acts[-1]], dim=1, out=ws["feat"]) if h else g
        else:
            feat = acts[-1]
        w_out = self.model.out.weight
        z = torch.addmm(self.model.out.bias, feat, self.w_out_t,
                        out=ws["z"] if logits_out is None else logits_out)
        # d mean BCE-with-logits / dz = (sigmoid(z) - y) / b
        dz = torch.sigmoid(z, out=ws["dz"]).sub_(labels).div_(b)
        torch.mm(ws["dz_t"], feat, out=w_out.grad)
        torch.sum(dz, 0, out=self.model.out.bias.grad)
        dfeat = torch.mm(dz, w_out, out=ws["dfeat"])
        if f:
            dg = ws["dg"]
            torch.mul(dg, gi, out=ws["dgu"])
            torch.mul(dg, gu, out=ws["dgi"])
            self._table_grad("gmf", rows, ws["dx"])
        if h:
            grads = ws["grads"]
            da = ws["da"] if f else dfeat
            for k in range(len(self.layers) - 1, -1, -1):
                w, bias = self.layers[k]
                da = self._relu_grad(da, acts[k + 1], 0, grad_input=grads[k + 1])
                torch.mm(da.t(), acts[k], out=w.grad)
                torch.sum(da, 0, out=bias.grad)
                da = torch.mm(da, w, out=grads[k])
            self._table_grad("mlp", rows, ws["dx_mlp"])
        return z


def packed_epoch(packed: PackedNCF, pair: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 on_batch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None) -> float:
    """One epoch over pre-shuffled ``pair`` (from :meth:`PackedNCF.pairs`) and ``labels`` in
    slices; returns the mean loss over the epoch's samples (each scored before its step).

    ``on_batch(b, logits, labels)`` (optional) is called after every step with the batch
    index, that batch's logits and labels (both ``[b, 1]``; for loss logging).
    """
    n = len(labels)
    logits = torch.empty(n, 1, device=pair.device)
    # every batch's views made up front: one split per tensor instead of slices per step
    batches = zip(torch.split(pair.reshape(-1), 2 * batch_size),
                  torch.split(labels.view(n, 1), batch_size), torch.split(logits, batch_size))
    for b, (rows, y, z) in enumerate(batches):
        packed.step_grads(rows, y, z)
        packed.adam_step()
        if on_batch is not None:
            on_batch(b, z, y)
    return float(F.binary_cross_entropy_with_logits(logits.view(-1), labels)) if n else 0.0
