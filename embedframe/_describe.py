"""Summaries of an embedding frame: the collapse measure and ``describe``.

:func:`describe` is what ``df.emb.describe()`` and ``embedframe info``
return. Its values are plain Python types with None for statistics that do
not apply, so ``json.dumps(..., allow_nan=False)`` always accepts them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd

from embedframe._frame import embedding_matrix, frame_layout
from embedframe._knn import (
    DEFAULT_K,
    DEFAULT_TEMPERATURE,
    RandomState,
    check_knn_parameters,
    knn_accuracy,
    l2_normalize,
)
from embedframe._layout import FILENAMES, LABELS
from embedframe.errors import EmbeddingValueError

__all__ = ["DEFAULT_KNN_QUERIES", "Description", "collapse", "describe"]

#: Rows that ``describe`` classifies for its kNN accuracy by default. Each
#: query is compared with every row, so this bounds the time on large files.
#: The standard error of the sampled accuracy is at most 0.5 / sqrt(2000),
#: about 1.1 percentage points.
DEFAULT_KNN_QUERIES = 2000

#: Rows per block when normalising for the collapse measure.
_BLOCK_ROWS = 8192

FloatArray = npt.NDArray[np.floating[Any]]


class Description(TypedDict):
    """Summary of an embedding frame, as returned by :func:`describe`."""

    #: Number of rows.
    rows: int
    #: Number of embedding dimensions.
    dimension: int
    #: dtype of the embedding columns, such as ``"float32"``.
    dtype: str
    #: Number of distinct labels.
    classes: int
    #: Rows per label, ordered by label.
    label_counts: dict[int, int]
    #: Number of file names that occur on more than one row.
    duplicate_filenames: int
    #: Up to 5 of those file names.
    duplicate_examples: list[str]
    #: Number of NaN or infinite embedding values.
    nonfinite_values: int
    #: Number of rows with at least one NaN or infinite value.
    nonfinite_rows: int
    #: Number of finite rows whose values are all 0.
    zero_vectors: int
    #: Smallest, mean and largest L2 norm of the finite rows; None without any.
    norm_min: float | None
    norm_mean: float | None
    norm_max: float | None
    #: :func:`collapse` of the finite rows; None without any.
    collapse: float | None
    #: The collapse value of isotropic Gaussian rows, ``1 / sqrt(dimension)``.
    collapse_isotropic: float
    #: Leave-one-out kNN accuracy of the finite rows against their labels;
    #: None unless they have at least 2 distinct labels.
    knn_accuracy: float | None
    #: Neighbours that voted, ``min(k, rows - 1)``; None without accuracy.
    knn_k: int | None
    #: Rows classified for the accuracy; None without accuracy.
    knn_queries: int | None


def collapse(matrix: FloatArray) -> float:
    """Return the mean over dimensions of the std of the L2-normalised rows.

    The measure of Chen and He ("Exploring Simple Siamese Representation
    Learning", 2021, https://arxiv.org/abs/2011.10566), the same value as
    :func:`embedframe.torch.debug.std_of_l2_normalized`: 0 when all rows
    point the same way (collapsed), about ``1 / sqrt(d)`` for rows from an
    isotropic Gaussian. The standard deviation divides by ``n - 1``. Zero
    rows stay zero after normalisation, as in lightly.

    Parameters
    ----------
    matrix : numpy.ndarray of shape (n, d)
        Finite rows, at least one. A single row gives 0.

    Returns
    -------
    float
        The collapse measure, computed in float64.

    Raises
    ------
    EmbeddingValueError
        If ``matrix`` is not 2-D, is empty or contains NaN or infinity.

    Examples
    --------
    >>> collapse(np.array([[1.0, 0.0], [2.0, 0.0]]))
    0.0
    >>> round(collapse(np.array([[3.0, 4.0], [-3.0, -4.0]])), 4)
    0.9899
    """
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise EmbeddingValueError(
            f"collapse needs a 2-D array with at least one row and one column "
            f"(got shape {matrix.shape})."
        )
    n = matrix.shape[0]
    if n == 1:
        l2_normalize(matrix, zero_vectors="keep")  # raises on NaN or infinity
        return 0.0

    # Two passes over blocks of normalised rows, in float64: the mean of each
    # column, then the sum of squared deviations from it.
    total = np.zeros(matrix.shape[1], dtype=np.float64)
    for block in _normalized_blocks(matrix):
        total += block.sum(axis=0)
    mean = total / n
    squares = np.zeros(matrix.shape[1], dtype=np.float64)
    for block in _normalized_blocks(matrix):
        squares += ((block - mean) ** 2).sum(axis=0)
    return float(np.sqrt(squares / (n - 1)).mean())


def describe(
    df: pd.DataFrame,
    *,
    k: int = DEFAULT_K,
    temperature: float = DEFAULT_TEMPERATURE,
    knn_queries: int | None = DEFAULT_KNN_QUERIES,
    random_state: RandomState = 0,
) -> Description:
    """Summarise an embedding frame.

    Rows with NaN or infinite values are counted, then left out of the norm
    statistics, the collapse measure and the kNN accuracy.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout. It is not changed.
    k : int, default 200
        Neighbours per vote for the kNN accuracy, clipped to ``rows - 1``.
    temperature : float, default 0.1
        Temperature of the kNN vote weights.
    knn_queries : int or None, default 2000
        Classify at most this many rows, chosen at random, for the kNN
        accuracy; all rows when None.
    random_state : int or numpy.random.Generator, default 0
        Seed or generator for choosing the kNN queries, so the same frame
        gives the same summary.

    Returns
    -------
    Description
        A dictionary of plain Python values; see :class:`Description`.

    Raises
    ------
    EmbeddingValueError
        If the frame is not in the Lightly layout, or ``k``, ``temperature``
        or ``knn_queries`` is out of range.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame(
    ...     [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]],
    ...     ["a", "b", "c", "d"],
    ...     [0, 0, 1, 1],
    ... )
    >>> summary = describe(frame)
    >>> summary["rows"], summary["label_counts"], summary["knn_accuracy"]
    (4, {0: 2, 1: 2}, 1.0)
    """
    check_knn_parameters(k, temperature, knn_queries)
    layout = frame_layout(df)
    matrix = embedding_matrix(df)
    labels = df[LABELS].to_numpy()
    finite_values = np.isfinite(matrix)
    finite_rows = finite_values.all(axis=1)
    if not finite_rows.all():
        matrix = matrix[finite_rows]
        labels = labels[finite_rows]

    names = df[FILENAMES]
    repeated = names[names.duplicated(keep=False)].unique().tolist()
    counts = df[LABELS].value_counts().sort_index()
    summary: Description = {
        "rows": len(df),
        "dimension": layout.dim,
        "dtype": str(matrix.dtype),
        "classes": int(counts.size),
        "label_counts": dict(zip(counts.index.tolist(), counts.tolist(), strict=True)),
        "duplicate_filenames": len(repeated),
        "duplicate_examples": [str(name) for name in repeated[:5]],
        "nonfinite_values": int(finite_values.size - finite_values.sum()),
        "nonfinite_rows": int(finite_rows.size - finite_rows.sum()),
        "zero_vectors": 0,
        "norm_min": None,
        "norm_mean": None,
        "norm_max": None,
        "collapse": None,
        "collapse_isotropic": 1.0 / math.sqrt(layout.dim),
        "knn_accuracy": None,
        "knn_k": None,
        "knn_queries": None,
    }
    if matrix.shape[0] > 0:
        norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64))
        summary["zero_vectors"] = int(np.count_nonzero(norms == 0))
        summary["norm_min"] = float(norms.min())
        summary["norm_mean"] = float(norms.mean())
        summary["norm_max"] = float(norms.max())
        summary["collapse"] = collapse(matrix)
    if np.unique(labels).size >= 2:
        summary["knn_accuracy"] = knn_accuracy(
            matrix,
            labels,
            k=k,
            temperature=temperature,
            max_queries=knn_queries,
            random_state=random_state,
        )
        rows = matrix.shape[0]
        summary["knn_k"] = min(k, rows - 1)
        summary["knn_queries"] = rows if knn_queries is None else min(knn_queries, rows)
    return summary


def _normalized_blocks(matrix: FloatArray) -> Iterator[FloatArray]:
    for start in range(0, matrix.shape[0], _BLOCK_ROWS):
        block = matrix[start : start + _BLOCK_ROWS].astype(np.float64)
        yield l2_normalize(block, zero_vectors="keep")
