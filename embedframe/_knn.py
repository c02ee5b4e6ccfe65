"""L2 normalisation and leave-one-out k-nearest-neighbour evaluation.

The kNN classifier is the weighted vote used to monitor self-supervised
training (Wu et al., "Unsupervised Feature Learning via Non-Parametric
Instance Discrimination", 2018, https://arxiv.org/abs/1805.01978): each row
is classified by its ``k`` most cosine-similar other rows, each neighbour
voting for its label with weight ``exp(similarity / temperature)``.

The similarities are computed for one block of query rows at a time, so
memory beyond the normalised copy of the embeddings is a few arrays of
``chunk_size * n`` values: the similarities and the ``argpartition``
indices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from embedframe._reorder import format_keys
from embedframe.errors import EmbeddingValueError

__all__ = [
    "DEFAULT_K",
    "DEFAULT_TEMPERATURE",
    "check_knn_parameters",
    "knn_accuracy",
    "knn_predictions",
    "l2_normalize",
]

#: Neighbours per vote, as in lightly's ``knn_predict``; clipped to n - 1.
DEFAULT_K = 200
#: Temperature of the similarity weights, as in lightly's ``knn_predict``.
DEFAULT_TEMPERATURE = 0.1
#: Similarity values per block when ``chunk_size`` is not given (32 MiB of
#: float32), which sets the number of query rows per block to this over n.
_BLOCK_VALUES = 2**23

FloatArray = npt.NDArray[np.floating[Any]]
RandomState = int | np.random.Generator | None


def l2_normalize(
    matrix: FloatArray,
    *,
    zero_vectors: Literal["raise", "keep"] = "raise",
    row_names: Sequence[str] | None = None,
) -> FloatArray:
    """Return the rows of ``matrix`` scaled to unit L2 norm.

    Parameters
    ----------
    matrix : numpy.ndarray of shape (n, d)
        float32 or float64 rows; the result has the same dtype.
    zero_vectors : {'raise', 'keep'}, default 'raise'
        What to do with rows whose norm is 0, which have no direction:
        raise, or keep them as zero rows (as ``torch.nn.functional.normalize``
        does).
    row_names : sequence of str, optional
        A name per row, such as its file name, to identify rows in error
        messages; rows are identified by position when None.

    Returns
    -------
    numpy.ndarray of shape (n, d)
        A new array; ``matrix`` is not changed.

    Raises
    ------
    EmbeddingValueError
        If ``matrix`` contains NaN or infinity, or has zero rows while
        ``zero_vectors`` is 'raise'. The message names the rows.

    Examples
    --------
    >>> l2_normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    array([[0.6, 0.8],
           [0. , 1. ]])
    >>> l2_normalize(np.zeros((1, 2)), zero_vectors="keep")
    array([[0., 0.]])
    """
    if zero_vectors not in ("raise", "keep"):
        raise EmbeddingValueError(
            f"zero_vectors must be 'raise' or 'keep' (got {zero_vectors!r})."
        )
    # The norms are computed in float64, so float32 rows with large values
    # do not overflow when squared.
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64))
    if not np.all(np.isfinite(norms)):
        rows = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
        raise EmbeddingValueError(
            f"Cannot normalise rows with NaN or infinity "
            f"({_name_rows(rows, row_names)}); remove or fix them first."
        )
    zero = norms == 0
    if zero_vectors == "raise" and np.any(zero):
        raise EmbeddingValueError(
            f"Cannot normalise zero vectors, which have no direction "
            f"({_name_rows(np.flatnonzero(zero), row_names)}); remove them or "
            "pass zero_vectors='keep' to keep them as zeros."
        )
    norms[zero] = 1.0
    normalized: FloatArray = matrix / norms[:, None].astype(matrix.dtype)
    return normalized


def knn_predictions(
    embeddings: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    k: int = DEFAULT_K,
    temperature: float = DEFAULT_TEMPERATURE,
    queries: npt.ArrayLike | None = None,
    chunk_size: int | None = None,
) -> npt.NDArray[Any]:
    """Predict each row's label from its nearest other rows (leave-one-out).

    Parameters
    ----------
    embeddings : array-like of shape (n, d)
        The vectors. float32 and float64 keep their dtype for the
        similarities; other dtypes become float32. Zero rows have cosine
        similarity 0 to every row.
    labels : array-like of shape (n,)
        One integer label per row.
    k : int, default 200
        Number of neighbours that vote; values above ``n - 1`` use all other
        rows.
    temperature : float, default 0.1
        Neighbour ``j`` of row ``i`` votes with weight
        ``exp(cos(i, j) / temperature)``.
    queries : array-like of int, optional
        Positions of the rows to predict; all rows when None. Every row is a
        candidate neighbour of every query except itself.
    chunk_size : int, optional
        Query rows per block of similarities; by default as many as fit in
        2**23 similarity values.

    Returns
    -------
    numpy.ndarray of shape (len(queries),)
        The predicted label of each query row, in ``labels``' dtype. A tie
        between classes goes to the smallest label.

    Raises
    ------
    EmbeddingValueError
        If the shapes disagree, there are fewer than 2 rows, the values are
        not finite, or ``k``, ``temperature``, ``queries`` or ``chunk_size``
        is out of range.

    Examples
    --------
    >>> x = np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
    >>> knn_predictions(x, [0, 0, 1, 1], k=1)
    array([0, 0, 1, 1])
    """
    matrix, label_array = _check_inputs(embeddings, labels)
    n = matrix.shape[0]
    check_knn_parameters(k, temperature)
    query_rows = _query_rows(queries, n)
    block = _chunk_rows(chunk_size, n)

    classes, class_of_row = np.unique(label_array, return_inverse=True)
    bank = l2_normalize(matrix, zero_vectors="keep")
    neighbours = min(k, n - 1)
    predicted = np.empty(query_rows.size, dtype=np.intp)
    for start in range(0, query_rows.size, block):
        rows = query_rows[start : start + block]
        predicted[start : start + rows.size] = _vote(
            bank, rows, class_of_row, classes.size, neighbours, temperature
        )
    result: npt.NDArray[Any] = classes[predicted]
    return result


def knn_accuracy(
    embeddings: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    k: int = DEFAULT_K,
    temperature: float = DEFAULT_TEMPERATURE,
    max_queries: int | None = None,
    random_state: RandomState = None,
    chunk_size: int | None = None,
) -> float:
    """Return the leave-one-out kNN accuracy of embeddings against labels.

    Each row is classified by :func:`knn_predictions` from the other rows,
    and the share of rows whose prediction equals their label is returned.

    Parameters
    ----------
    embeddings : array-like of shape (n, d)
        The vectors.
    labels : array-like of shape (n,)
        One integer label per row, with at least 2 distinct labels.
    k : int, default 200
        Number of neighbours that vote; clipped to ``n - 1``.
    temperature : float, default 0.1
        Temperature of the ``exp(similarity / temperature)`` weights.
    max_queries : int, optional
        Classify at most this many rows, chosen at random without
        replacement, to bound the time on large data (each query costs
        ``O(n * d)``). All rows when None or when ``n <= max_queries``.
    random_state : int or numpy.random.Generator, optional
        Seed or generator for choosing the rows to classify.
    chunk_size : int, optional
        Query rows per block of similarities; see :func:`knn_predictions`.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Raises
    ------
    EmbeddingValueError
        If the labels have fewer than 2 distinct values, where every
        prediction would be right, or any error of :func:`knn_predictions`.

    Examples
    --------
    >>> x = np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
    >>> knn_accuracy(x, [0, 0, 1, 1], k=1)
    1.0
    >>> knn_accuracy(x, [0, 1, 0, 1], k=1)
    0.0
    """
    check_knn_parameters(k, temperature, max_queries)
    matrix, label_array = _check_inputs(embeddings, labels)
    distinct = np.unique(label_array)
    if distinct.size < 2:
        raise EmbeddingValueError(
            f"kNN accuracy needs at least 2 distinct labels (got only "
            f"{distinct.tolist()!r}); with one label every prediction is right."
        )
    n = matrix.shape[0]
    queries = None
    if max_queries is not None and max_queries < n:
        generator = np.random.default_rng(random_state)
        queries = np.sort(generator.choice(n, size=max_queries, replace=False))
    predicted = knn_predictions(
        matrix,
        label_array,
        k=k,
        temperature=temperature,
        queries=queries,
        chunk_size=chunk_size,
    )
    truth = label_array if queries is None else label_array[queries]
    return float(np.mean(predicted == truth))


def _vote(
    bank: FloatArray,
    rows: npt.NDArray[np.intp],
    class_of_row: npt.NDArray[np.intp],
    n_classes: int,
    k: int,
    temperature: float,
) -> npt.NDArray[np.intp]:
    """Return the class index voted for each query row of one block."""
    similarity = bank[rows] @ bank.T
    # Leave each query out of its own neighbours; k <= n - 1 other rows stay.
    similarity[np.arange(rows.size), rows] = -np.inf

    top = np.argpartition(similarity, -k, axis=1)[:, -k:]
    top_similarity = np.take_along_axis(similarity, top, axis=1).astype(np.float64)
    # Subtracting the row maximum scales all weights of a row by the same
    # factor, so the vote is unchanged and exp cannot overflow.
    shifted = top_similarity - top_similarity.max(axis=1, keepdims=True)
    weights = np.exp(shifted / temperature)

    # Sum the weights per (query, class) pair with one bincount.
    slots = np.arange(rows.size)[:, None] * n_classes + class_of_row[top]
    scores = np.bincount(
        slots.ravel(), weights=weights.ravel(), minlength=rows.size * n_classes
    ).reshape(rows.size, n_classes)
    winners: npt.NDArray[np.intp] = np.argmax(scores, axis=1)
    return winners


def _check_inputs(
    embeddings: npt.ArrayLike, labels: npt.ArrayLike
) -> tuple[FloatArray, npt.NDArray[Any]]:
    matrix = np.asarray(embeddings)
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float32)
    label_array = np.asarray(labels)
    if matrix.ndim != 2:
        raise EmbeddingValueError(
            f"embeddings must be a 2-D array of shape (n, d) "
            f"(got shape {matrix.shape})."
        )
    if label_array.shape != (matrix.shape[0],):
        raise EmbeddingValueError(
            f"labels must have one value per row, shape ({matrix.shape[0]},) "
            f"(got shape {label_array.shape})."
        )
    if label_array.dtype.kind not in "iub":
        raise EmbeddingValueError(
            f"labels must be integers (got dtype {label_array.dtype})."
        )
    if matrix.shape[0] < 2:
        raise EmbeddingValueError(
            f"kNN needs at least 2 rows, so that each row has a neighbour "
            f"(got {matrix.shape[0]})."
        )
    return matrix, label_array


def check_knn_parameters(
    k: int, temperature: float, max_queries: int | None = None
) -> None:
    """Raise EmbeddingValueError unless the kNN parameters are in range."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise EmbeddingValueError(f"k must be a positive integer (got {k!r}).")
    if not (math.isfinite(temperature) and temperature > 0):
        raise EmbeddingValueError(
            f"temperature must be a finite number > 0 (got {temperature!r})."
        )
    if max_queries is not None and (
        isinstance(max_queries, bool)
        or not isinstance(max_queries, int | np.integer)
        or max_queries < 1
    ):
        raise EmbeddingValueError(
            f"The number of kNN queries must be a positive integer or None "
            f"(got {max_queries!r})."
        )


def _query_rows(queries: npt.ArrayLike | None, n: int) -> npt.NDArray[np.intp]:
    if queries is None:
        return np.arange(n, dtype=np.intp)
    rows = np.asarray(queries)
    if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
        raise EmbeddingValueError(
            f"queries must be a 1-D array of row positions (got shape "
            f"{rows.shape} and dtype {rows.dtype})."
        )
    outside = rows[(rows < 0) | (rows >= n)]
    if outside.size:
        raise EmbeddingValueError(
            f"queries must be row positions in [0, {n}) (got {_rows(outside)})."
        )
    return rows.astype(np.intp)


def _chunk_rows(chunk_size: int | None, n: int) -> int:
    if chunk_size is None:
        return max(1, _BLOCK_VALUES // n)
    if isinstance(chunk_size, bool) or chunk_size < 1:
        raise EmbeddingValueError(
            f"chunk_size must be a positive integer or None (got {chunk_size!r})."
        )
    return int(chunk_size)


def _name_rows(positions: npt.NDArray[Any], names: Sequence[str] | None) -> str:
    if names is None:
        return f"rows {_rows(positions)}"
    return format_keys([names[i] for i in positions])


def _rows(positions: npt.NDArray[Any]) -> str:
    listed = ", ".join(str(i) for i in positions[:5])
    hidden = positions.size - 5
    return f"{listed} and {hidden} more" if hidden > 0 else listed
