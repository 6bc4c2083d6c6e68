"""Row-wise (lazy) Adam for embedding tables: a step costs the rows it touches, not the table.

Dense Adam moves every row of a table at every step (its moments decay even where the
gradient is zero), so a step costs O(catalogue). :class:`RowAdam` updates only the rows a
batch touched, with ``torch.optim.SparseAdam``'s maths: for those rows
``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²`` and
``p -= lr · sqrt(1 - b2^t) / (1 - b1^t) · m / (sqrt(v) + eps)`` with ``t`` the global step
count; the other rows, and their moments, stay as they are. ``tests/test_ncf_packed.py``
checks it against ``torch.optim.SparseAdam`` over sparse embeddings.

Per step, for the ``n`` row references of a batch (duplicates allowed): the duplicates are
found with a row-indexed mark table (no sort), gradients of duplicates summed into one small
``[unique, d]`` buffer, and each table's ``m``/``v`` (kept interleaved, ``[rows, 2, d]``: one
gather and one scatter) and parameters read and written at those rows only.
"""

from __future__ import annotations

import math

import torch


class RowAdam:
    """Lazy Adam over the rows of several tables that share one row index per step."""

    def __init__(self, tables: dict[str, torch.Tensor], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.tables = tables
        self.lr, self.betas, self.eps = lr, betas, eps
        rows = {t.shape[0] for t in tables.values()}
        if len(rows) != 1:
            raise ValueError(f"tables must have the same number of rows, got {sorted(rows)}")
        dev = next(iter(tables.values())).device
        self.moments = {k: torch.zeros(t.shape[0], 2, t.shape[1], device=dev)
                        for k, t in tables.items()}
        self._mark = torch.zeros(rows.pop(), dtype=torch.long, device=dev)
        self._arange = torch.arange(0, device=dev)
        self._grads: dict[str, torch.Tensor] = {}
        self._rows: torch.Tensor | None = None
        self.steps = 0

    def set_grad(self, name: str, rows: torch.Tensor, grad_rows: torch.Tensor) -> None:
        """The gradient of table ``name`` for this step: ``grad_rows[j]`` belongs to row
        ``rows[j]`` (rows may repeat; repeats are summed). Every table of a step must get
        the same ``rows``; the tensors are read by the next :meth:`step`, not copied."""
        self._rows = rows
        self._grads[name] = grad_rows

    def _unique(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(distinct rows, slot of each reference in them), in O(len(rows)) without a sort."""
        n = len(rows)
        if len(self._arange) < n:
            self._arange = torch.arange(max(n, 2 * len(self._arange)), device=rows.device)
        ar = self._arange[:n]
        mark = self._mark
        mark.index_copy_(0, rows, ar)  # one reference per row wins
        uniq = rows[mark.index_select(0, rows) == ar]
        mark.index_copy_(0, uniq, ar[:len(uniq)])
        return uniq, mark.index_select(0, rows)

    @torch.no_grad()
    def step(self) -> None:
        """Apply the gradients given since the last step to the rows they touch."""
        if self._rows is None:
            return
        b1, b2 = self.betas
        self.steps += 1
        step_size = self.lr * math.sqrt(1 - b2 ** self.steps) / (1 - b1 ** self.steps)
        uniq, slot = self._unique(self._rows)
        for name, table in self.tables.items():
            dx = self._grads[name]
            g = torch.zeros(len(uniq), dx.shape[1], device=dx.device).index_add_(0, slot, dx)
            mv = self.moments[name].index_select(0, uniq)
            m, v = mv[:, 0], mv[:, 1]
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            self.moments[name].index_copy_(0, uniq, mv)
            table.index_add_(0, uniq, m.div(v.sqrt().add_(self.eps)), alpha=-step_size)
        self._rows = None
        self._grads.clear()
