"""Helpers for ``torch.distributed`` with the names of ``lightly.utils.dist``.

The functions keep lightly's names, signatures and return types, and add:

- :func:`gather` accepts tensors whose first dimension differs between ranks:
  it pads them to the longest, gathers, and trims each result back to its
  rank's size, in the forward and in the backward pass.
- Shapes and dtypes are compared across ranks before any data moves, so a
  mismatch raises the same :class:`~embedframe.errors.EmbeddingValueError`
  (a ``ValueError``) on every rank instead of a hang or wrong values.
- Outside a process group every helper behaves as the only process: rank 0,
  world size 1, and :func:`gather` returns its input in a 1-tuple.
- :func:`eye_rank` builds its mask on the requested device.
- :func:`gather`, :func:`eye_rank`, :func:`rank` and :func:`world_size` take
  an optional keyword-only ``group``, a process group from
  :func:`torch.distributed.new_group`. ``None`` means the default group.

The library never calls :func:`torch.distributed.init_process_group`: the
caller's training script does. A typical contrastive-loss step reads:

.. code-block:: python

    from embedframe.torch import dist

    z = model(images)                        # (n, d) on this rank
    everyone = torch.cat(dist.gather(z), 0)  # (total, d), differentiable
    logits = z @ everyone.T                  # (n, total)
    # Row i matches column rank * n + i when every rank has n rows.
    targets = dist.rank() * len(z) + torch.arange(len(z), device=z.device)
    loss = F.cross_entropy(logits, targets)
    loss.backward()                          # every rank must call backward
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import torch
import torch.distributed as torch_dist

from embedframe.errors import EmbeddingValueError

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup

__all__ = [
    "GatherLayer",
    "eye_rank",
    "gather",
    "print_rank_zero",
    "rank",
    "rank_zero_only",
    "world_size",
]

P = ParamSpec("P")
R = TypeVar("R")

#: Every dtype torch defines, in a fixed order, so that ranks can exchange a
#: dtype as its index in this tuple. Ranks must run the same torch version.
_DTYPES: tuple[torch.dtype, ...] = tuple(
    dict.fromkeys(
        value
        for _, value in sorted(vars(torch).items())
        if isinstance(value, torch.dtype)
    )
)

#: Number of dimensions sent with the first shape exchange. Tensors with more
#: dimensions need a second exchange for the rest of their shape.
_INLINE_DIMS = 4


def _is_distributed() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def rank(*, group: ProcessGroup | None = None) -> int:
    """Return the rank of this process.

    Parameters
    ----------
    group : ProcessGroup, optional
        Process group to ask; the default group when None.

    Returns
    -------
    int
        The rank in ``group``; 0 outside a process group, and -1 when this
        process is not a member of ``group``.

    Examples
    --------
    Without a process group there is one process:

    >>> rank()
    0
    """
    if not _is_distributed():
        return 0
    return torch_dist.get_rank(group)


def world_size(*, group: ProcessGroup | None = None) -> int:
    """Return the number of processes in the process group.

    Parameters
    ----------
    group : ProcessGroup, optional
        Process group to ask; the default group when None.

    Returns
    -------
    int
        The size of ``group``; 1 outside a process group, and -1 when this
        process is not a member of ``group``.

    Examples
    --------
    >>> world_size()
    1
    """
    if not _is_distributed():
        return 1
    return torch_dist.get_world_size(group)


def _check_member(group: ProcessGroup | None) -> int:
    """Return this process's rank in ``group`` or raise if it is no member."""
    member_rank = torch_dist.get_rank(group)
    if member_rank < 0:
        raise EmbeddingValueError(
            f"This process (global rank {torch_dist.get_rank()}) is not a member "
            "of the given process group, so it cannot gather over it. Call "
            "gather only on the ranks of the group."
        )
    return member_rank


def _describe(values: Sequence[object]) -> str:
    return ", ".join(f"rank {i}: {value}" for i, value in enumerate(values))


def _exchange_shapes(
    tensor: torch.Tensor, group: ProcessGroup | None
) -> list[torch.Size]:
    """Gather every rank's shape and check that the tensors can be gathered.

    Every rank receives the same shapes and dtypes, so every rank raises the
    same error when they do not fit together, and no rank is left waiting.
    """
    size = torch_dist.get_world_size(group)
    shape = list(tensor.shape)
    header = [tensor.dim(), _DTYPES.index(tensor.dtype)]
    header += shape[:_INLINE_DIMS] + [-1] * (_INLINE_DIMS - len(shape))
    headers = _all_gather_ints(header, tensor.device, size, group)

    dims = [h[0] for h in headers]
    if len(set(dims)) > 1:
        raise EmbeddingValueError(
            "gather needs tensors with the same number of dimensions on every "
            f"rank, but got {_describe(dims)}."
        )
    dtypes = [_DTYPES[h[1]] for h in headers]
    if len(set(dtypes)) > 1:
        raise EmbeddingValueError(
            f"gather needs the same dtype on every rank, but got {_describe(dtypes)}."
        )

    if tensor.dim() > _INLINE_DIMS:
        shapes = _all_gather_ints(shape, tensor.device, size, group)
    else:
        shapes = [h[2 : 2 + tensor.dim()] for h in headers]
    if len({tuple(s[1:]) for s in shapes}) > 1:
        found = _describe([tuple(s) for s in shapes])
        raise EmbeddingValueError(
            "gather needs tensors whose shapes differ at most in the first "
            f"dimension, but got {found}."
        )
    return [torch.Size(s) for s in shapes]


def _all_gather_ints(
    values: list[int],
    device: torch.device,
    size: int,
    group: ProcessGroup | None,
) -> list[list[int]]:
    local = torch.tensor(values, dtype=torch.long, device=device)
    received = [torch.empty_like(local) for _ in range(size)]
    torch_dist.all_gather(received, local, group=group)
    return [t.tolist() for t in received]


def _pad_rows(tensor: torch.Tensor, rows: int) -> torch.Tensor:
    """Return ``tensor`` with zero rows appended up to ``rows`` rows."""
    missing = rows - tensor.shape[0]
    if missing == 0:
        return tensor
    padding = tensor.new_zeros((missing, *tensor.shape[1:]))
    return torch.cat([tensor, padding])


def _all_gather_padded(
    tensor: torch.Tensor, shapes: list[torch.Size], group: ProcessGroup | None
) -> list[torch.Tensor]:
    """All-gather tensors that may differ in their first dimension."""
    if tensor.dim() == 0:
        received = [torch.empty_like(tensor) for _ in shapes]
        torch_dist.all_gather(received, tensor, group=group)
        return received

    rows = max(s[0] for s in shapes)
    padded_shape = (rows, *tensor.shape[1:])
    if math.prod(padded_shape) == 0:
        # Every rank already has the shapes, and there is no data to send.
        return [tensor.new_empty(s) for s in shapes]

    received = [tensor.new_empty(padded_shape) for _ in shapes]
    torch_dist.all_gather(received, _pad_rows(tensor, rows), group=group)
    # A trimmed result is cloned so that no output is a view into a buffer
    # that autograd does not know about.
    return [
        buffer if s[0] == rows else buffer[: s[0]].clone()
        for buffer, s in zip(received, shapes, strict=True)
    ]


class GatherLayer(torch.autograd.Function):
    """Gather a tensor from every process, with gradients.

    ``GatherLayer.apply(input, group=None)`` returns one tensor per rank of
    ``group``, in rank order. The first dimension may differ between ranks;
    the other dimensions and the dtype must match, or every rank raises
    :class:`~embedframe.errors.EmbeddingValueError`.

    In the backward pass each rank receives, for its own input, the sum over
    all ranks of the gradient that each rank's loss puts on that input's
    slice of the gathered outputs. This is the gradient of the sum of all
    ranks' losses. Every rank of the group must run the backward pass,
    because it contains an all-reduce.

    Use :func:`gather` rather than calling this class directly.
    """

    @staticmethod
    def forward(
        ctx: Any, input: torch.Tensor, group: ProcessGroup | None = None
    ) -> tuple[torch.Tensor, ...]:
        """Gather ``input`` from every rank of ``group``.

        Parameters
        ----------
        ctx : FunctionCtx
            Autograd context; stores what the backward pass needs.
        input : torch.Tensor
            This rank's tensor.
        group : ProcessGroup, optional
            Process group to gather over; the default group when None.

        Returns
        -------
        tuple of torch.Tensor
            One tensor per rank, in rank order.

        Raises
        ------
        EmbeddingValueError
            If the ranks' tensors differ in dtype, in their number of
            dimensions or beyond the first dimension, or if this process is
            not a member of ``group``.
        """
        ctx.group = group
        if not _is_distributed():
            ctx.rank = 0
            ctx.sizes = None
            return (input,)

        ctx.rank = _check_member(group)
        tensor = input.contiguous()
        shapes = _exchange_shapes(tensor, group)
        ctx.sizes = [s[0] for s in shapes] if tensor.dim() > 0 else None
        return tuple(_all_gather_padded(tensor, shapes, group))

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Sum the gradients of this rank's slice over all ranks.

        Parameters
        ----------
        ctx : FunctionCtx
            Autograd context filled by :meth:`forward`.
        *grads : torch.Tensor
            This rank's gradient for each gathered output.

        Returns
        -------
        tuple
            The gradient for ``input``, and None for ``group``.
        """
        if not _is_distributed():
            return grads[0], None

        sizes: list[int] | None = ctx.sizes
        if sizes is None:
            stacked = torch.stack(grads)
        else:
            rows = max(sizes)
            stacked = torch.stack([_pad_rows(g, rows) for g in grads])
        # Every rank has the same sizes, so all of them skip the reduction
        # together when there is nothing to reduce.
        if stacked.numel() > 0:
            torch_dist.all_reduce(stacked, op=torch_dist.ReduceOp.SUM, group=ctx.group)

        own = stacked[ctx.rank]
        if sizes is not None:
            own = own[: sizes[ctx.rank]]
        return own, None


def gather(
    input: torch.Tensor, *, group: ProcessGroup | None = None
) -> tuple[torch.Tensor, ...]:
    """Gather a tensor from every process, with gradients.

    Parameters
    ----------
    input : torch.Tensor
        This rank's tensor. Ranks may pass different sizes along the first
        dimension; the other dimensions and the dtype must be the same.
    group : ProcessGroup, optional
        Process group to gather over; the default group when None.

    Returns
    -------
    tuple of torch.Tensor
        One tensor per rank, in rank order, each with that rank's shape.
        Outside a process group, the 1-tuple ``(input,)``.

    Raises
    ------
    EmbeddingValueError
        On every rank, if the ranks' tensors differ in dtype, in their
        number of dimensions or beyond the first dimension. Also if this
        process is not a member of ``group``.

    Notes
    -----
    Each call exchanges the shapes before the data, which costs one small
    extra all-gather and a device-to-host copy of the shapes.

    Every rank of the group must run the backward pass through the outputs,
    because the backward pass contains an all-reduce. See
    :class:`GatherLayer` for the gradient it computes.

    Examples
    --------
    Outside a process group the input comes back unchanged:

    >>> import torch
    >>> x = torch.ones(2, 3, requires_grad=True)
    >>> (only,) = gather(x)
    >>> only is x
    True
    """
    if not _is_distributed():
        return (input,)
    # torch leaves Function.apply unannotated.
    gathered = GatherLayer.apply(input, group)  # type: ignore[no-untyped-call]
    return tuple(gathered)


def eye_rank(
    n: int,
    device: torch.device | str | None = None,
    *,
    group: ProcessGroup | None = None,
) -> torch.Tensor:
    """Build this rank's block of an identity mask over all ranks.

    The result has shape ``(n, n * world_size)`` and is True exactly at
    ``(i, rank * n + i)``. For 3 rows on rank 1 of 4 processes::

        rank 0  rank 1  rank 2  rank 3
        0 0 0 | 1 0 0 | 0 0 0 | 0 0 0
        0 0 0 | 0 1 0 | 0 0 0 | 0 0 0
        0 0 0 | 0 0 1 | 0 0 0 | 0 0 0

    Parameters
    ----------
    n : int
        Number of rows, the batch size on one process.
    device : torch.device or str, optional
        Device on which the mask is built; the default device when None.
    group : ProcessGroup, optional
        Process group whose rank and size are used; the default group when
        None.

    Returns
    -------
    torch.Tensor
        A bool tensor of shape ``(n, n * world_size)`` on ``device``; equal
        to ``torch.eye(n, dtype=torch.bool)`` outside a process group.

    Raises
    ------
    EmbeddingValueError
        If ``n`` is negative, or this process is not a member of ``group``.

    Examples
    --------
    >>> eye_rank(2)
    tensor([[ True, False],
            [False,  True]])
    """
    if n < 0:
        raise EmbeddingValueError(f"n must be zero or positive, got {n!r}.")
    own_rank = rank(group=group)
    if own_rank < 0:
        raise EmbeddingValueError(
            f"This process (global rank {torch_dist.get_rank()}) is not a member "
            "of the given process group, so it has no block in the mask."
        )
    mask = torch.zeros(
        (n, n * world_size(group=group)), dtype=torch.bool, device=device
    )
    mask.diagonal(own_rank * n).fill_(True)
    return mask


def rank_zero_only(fn: Callable[P, R]) -> Callable[P, R | None]:
    """Wrap ``fn`` so that it runs only on the process with rank 0.

    On other ranks the wrapper returns None without calling ``fn``. The rank
    is read from the default process group at each call, so the wrapper
    works whether the group is set up before or after decorating.

    Parameters
    ----------
    fn : callable
        The function to wrap.

    Returns
    -------
    callable
        A function with the same parameters that returns ``fn``'s result on
        rank 0 and None elsewhere.

    Examples
    --------
    >>> @rank_zero_only
    ... def report(epoch: int) -> str:
    ...     return f"epoch {epoch} done"
    >>> report(3)
    'epoch 3 done'
    """

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | None:
        if rank() == 0:
            return fn(*args, **kwargs)
        return None

    return wrapped


@rank_zero_only
def print_rank_zero(*args: Any, **kwargs: Any) -> None:
    """Call :func:`print` with the same arguments, on rank 0 only.

    Examples
    --------
    >>> print_rank_zero("loss", 0.5)
    loss 0.5
    """
    print(*args, **kwargs)
