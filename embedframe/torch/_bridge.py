"""Conversion between frames in the Lightly layout and torch tensors.

:func:`to_tensor` backs ``df.emb.to_torch()``. :func:`from_tensor` builds a
validated frame from a model's output, ready for ``embedframe.write_csv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.dlpack import from_dlpack

from embedframe._frame import build_frame, embedding_matrix
from embedframe.errors import EmbeddingValueError

__all__ = ["from_tensor", "to_tensor"]


def to_tensor(
    df: pd.DataFrame, device: torch.device | str | None = None
) -> torch.Tensor:
    """Return the embeddings of a frame as an ``(n, d)`` tensor.

    The tensor keeps the frame's dtype (float32 or float64) and row order.
    Whether it shares memory with the frame depends on the matrix that
    :func:`embedframe.embedding_matrix` returns:

    - A writable matrix (pandas 2 without copy-on-write) is wrapped with
      :func:`torch.from_numpy`, so a CPU tensor shares memory with the frame
      and in-place changes to one show in the other.
    - A read-only matrix (pandas 3, where copy-on-write is always on) is
      copied for a CPU tensor, because torch has no read-only tensors and a
      shared tensor could change every frame that shares the data.
    - For any other device the data is copied once, straight from the
      frame's memory to the device.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout.
    device : torch.device or str, optional
        Device of the result; the CPU when None.

    Returns
    -------
    torch.Tensor
        The embeddings, one row per frame row.

    Raises
    ------
    EmbeddingValueError
        If the frame is not in the Lightly layout.

    Examples
    --------
    >>> import numpy as np
    >>> from embedframe import build_frame
    >>> frame = build_frame(np.eye(2, dtype=np.float32), ["a.png", "b.png"], [0, 1])
    >>> to_tensor(frame)
    tensor([[1., 0.],
            [0., 1.]])
    """
    matrix = embedding_matrix(df)
    target = torch.device("cpu") if device is None else torch.device(device)

    if matrix.flags.writeable:
        return torch.from_numpy(matrix).to(target)
    if target.type == "cpu":
        return torch.from_numpy(matrix.copy())
    return _transfer_read_only(matrix, target)


def _transfer_read_only(matrix: np.ndarray, device: torch.device) -> torch.Tensor:
    """Copy a read-only array to a non-CPU device without a host copy first.

    DLPack wraps the array without the warning that :func:`torch.from_numpy`
    gives for read-only arrays. The wrapping tensor is dropped right after the
    copy to the device, so nothing can write through it.
    """
    try:
        host = from_dlpack(matrix)
    except BufferError:
        # Older numpy versions cannot export a read-only array through DLPack.
        host = torch.from_numpy(matrix.copy())
    return host.to(device)


def _detached_copy(tensor: torch.Tensor, name: str, dtype: torch.dtype) -> np.ndarray:
    """Return a NumPy copy of ``tensor`` in ``dtype`` that shares no memory."""
    if tensor.is_complex():
        raise EmbeddingValueError(
            f"{name} must be a real tensor, got dtype {tensor.dtype}."
        )
    return tensor.detach().to(device="cpu", dtype=dtype, copy=True).numpy()


def from_tensor(
    embeddings: torch.Tensor,
    filenames: Sequence[str],
    labels: Sequence[int] | torch.Tensor | None = None,
) -> pd.DataFrame:
    """Build a validated frame in the Lightly layout from a tensor.

    The tensor is detached and copied to the CPU, so the frame never shares
    memory with it and keeps no reference to the autograd graph.

    Parameters
    ----------
    embeddings : torch.Tensor
        Embeddings of shape ``(n, d)`` on any device. float32 and float64
        keep their dtype; other real dtypes (float16, bfloat16, integers)
        become float32.
    filenames : sequence of str
        One file name per row.
    labels : sequence of int or torch.Tensor, optional
        One integer label per row; all zeros when None.

    Returns
    -------
    pandas.DataFrame
        ``filenames``, ``embedding_0`` .. ``embedding_<d-1>`` and
        ``labels``, validated against the Lightly schema.

    Raises
    ------
    TypeError
        If ``embeddings`` is not a :class:`torch.Tensor`.
    EmbeddingValueError
        If ``embeddings`` or ``labels`` is complex, ``embeddings`` is not
        2-dimensional, the lengths differ, or labels are not integers.
    pandera.errors.SchemaErrors
        If the frame breaks the schema, for example with a repeated or empty
        file name or a NaN embedding value.

    Examples
    --------
    >>> import torch
    >>> frame = from_tensor(torch.tensor([[0.5, 1.5]]), ["a.png"], torch.tensor([3]))
    >>> frame.to_dict("list")
    {'filenames': ['a.png'], 'embedding_0': [0.5], 'embedding_1': [1.5], 'labels': [3]}
    """
    if not isinstance(embeddings, torch.Tensor):
        raise TypeError(
            "embeddings must be a torch.Tensor, got "
            f"{type(embeddings).__name__}. Use embedframe.build_frame for arrays."
        )
    # numpy has no bfloat16, and build_frame turns other dtypes into float32.
    keeps_dtype = embeddings.dtype in (torch.float32, torch.float64)
    dtype = embeddings.dtype if keeps_dtype else torch.float32
    matrix = _detached_copy(embeddings, "embeddings", dtype)

    if isinstance(labels, torch.Tensor):
        label_values: Sequence[int] | np.ndarray | None = _detached_copy(
            labels, "labels", labels.dtype
        )
    else:
        label_values = labels
    return build_frame(matrix, filenames, label_values)
