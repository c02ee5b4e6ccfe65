"""Principal component analysis for embeddings, shared by ``.emb`` and the drop-in.

:class:`PCA` keeps lightly's interface (``fit``, ``transform``, ``mean``,
``w``) but fixes its numerics:

- The components come from a symmetric eigensolver (``numpy.linalg.eigh``)
  on the covariance matrix, or from a thin SVD of the centred data when there
  are fewer rows than dimensions, so they are always real.
- Each component is flipped so that its entry of largest absolute value is
  positive, so the same data always gives the same signs.
- float32 input gives float32 output and float64 input gives float64 output.

The covariance matrix is accumulated over blocks of rows: each block is
centred and multiplied in the input dtype, and the block products are summed
in float64. Memory beyond the input stays at one block of rows plus a
``(d, d)`` matrix.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from embedframe._frame import embedding_matrix
from embedframe._text import plural
from embedframe.errors import EmbeddingValueError

__all__ = ["PCA", "PCA_PREFIX", "fit_pca", "pca_columns", "with_projection"]

#: Prefix of the columns that hold PCA coordinates: ``pca_0``, ``pca_1``, ...
PCA_PREFIX = "pca_"

#: Rows per block when accumulating the covariance matrix or projecting.
_BLOCK_ROWS = 4096

FloatArray = npt.NDArray[np.floating[Any]]
RandomState = int | np.random.Generator | None


class PCA:
    """Principal component analysis with real components and fixed signs.

    Parameters
    ----------
    n_components : int, default 2
        Number of principal components to keep.
    eps : float, default 1e-10
        Lower bound of the total variance when computing
        ``explained_variance_ratio``, so constant data gives ratios of 0
        instead of a division by zero.

    Attributes
    ----------
    n_components : int
        Number of principal components to keep.
    eps : float
        Lower bound of the total variance for the ratios.
    mean : numpy.ndarray of shape (d,) or None
        Mean of the data seen by :meth:`fit`, in the data's dtype.
    w : numpy.ndarray of shape (d, n_components) or None
        The principal axes as columns, in order of decreasing variance.
        Unlike lightly, which keeps all ``d`` eigenvectors, only the
        ``n_components`` kept axes are stored.
    explained_variance : numpy.ndarray of shape (n_components,) or None
        Variance of the data along each axis (divided by ``n - 1``).
    explained_variance_ratio : numpy.ndarray of shape (n_components,) or None
        Share of the total variance along each axis.

    Raises
    ------
    EmbeddingValueError
        If ``n_components`` is not a positive integer or ``eps`` is negative
        or not finite.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [2.0, 1.0], [4.0, 2.0]], dtype=np.float32)
    >>> pca = PCA(n_components=1).fit(x)
    >>> pca.transform(x).ravel()
    array([-2.236068,  0.      ,  2.236068], dtype=float32)
    >>> pca.explained_variance_ratio
    array([1.])
    """

    def __init__(self, n_components: int = 2, eps: float = 1e-10) -> None:
        if isinstance(n_components, bool) or not isinstance(
            n_components, int | np.integer
        ):
            raise EmbeddingValueError(
                f"n_components must be a positive integer (got {n_components!r})."
            )
        if n_components < 1:
            raise EmbeddingValueError(
                f"n_components must be a positive integer (got {n_components})."
            )
        if not (math.isfinite(eps) and eps >= 0):
            raise EmbeddingValueError(
                f"eps must be a finite number >= 0 (got {eps!r})."
            )
        self.n_components = int(n_components)
        self.eps = float(eps)
        self.mean: FloatArray | None = None
        self.w: FloatArray | None = None
        self.explained_variance: npt.NDArray[np.float64] | None = None
        self.explained_variance_ratio: npt.NDArray[np.float64] | None = None

    def __repr__(self) -> str:
        state = "fitted" if self.w is not None else "not fitted"
        return f"PCA(n_components={self.n_components}, eps={self.eps!r}) [{state}]"

    def fit(self, X: npt.ArrayLike) -> PCA:
        """Fit the principal axes to the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n, d)
            The data, at least 2 rows. float32 and float64 keep their dtype;
            other dtypes are converted to float32.

        Returns
        -------
        PCA
            ``self``, fitted.

        Raises
        ------
        EmbeddingValueError
            If ``X`` is not 2-D, has fewer than 2 rows, contains NaN or
            infinity, or allows fewer components than ``n_components``.

        Examples
        --------
        >>> x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5]])
        >>> PCA(n_components=2).fit(x).w
        array([[1., 0.],
               [0., 1.]])
        """
        data = _as_float_matrix(X, "X")
        n, dim = data.shape
        if n < 2:
            raise EmbeddingValueError(
                f"PCA needs at least 2 rows to fit (got {n}); pass more rows."
            )
        limit = min(n, dim)
        if self.n_components > limit:
            raise EmbeddingValueError(
                f"n_components={self.n_components} is more than the data allows: "
                f"{plural(n, 'row')} of {plural(dim, 'dimension')} have at most "
                f"{plural(limit, 'principal component')}. Pass "
                f"n_components <= {limit}."
            )

        mean = data.mean(axis=0, dtype=np.float64)
        if not np.all(np.isfinite(mean)):
            raise _nonfinite_error(data)
        if n >= dim:
            variances, axes = _eigh_axes(data, mean)
        else:
            variances, axes = _svd_axes(data, mean)
        variances = np.clip(variances, 0.0, None) / (n - 1)
        axes = _flip_signs(axes)

        k = self.n_components
        self.mean = mean.astype(data.dtype)
        self.w = axes[:, :k].astype(data.dtype)
        self.explained_variance = variances[:k]
        self.explained_variance_ratio = variances[:k] / max(
            float(variances.sum()), self.eps
        )
        return self

    def transform(self, X: npt.ArrayLike) -> FloatArray:
        """Project the rows of ``X`` onto the fitted principal axes.

        Parameters
        ----------
        X : array-like of shape (m, d)
            Rows with the dimension seen by :meth:`fit`. float32 and float64
            keep their dtype; other dtypes are converted to float32. A row
            with NaN or infinity gives NaN or infinity in its output row.

        Returns
        -------
        numpy.ndarray of shape (m, n_components)
            The coordinates along each axis, in ``X``'s dtype.

        Raises
        ------
        EmbeddingValueError
            If the model is not fitted, or ``X`` is not 2-D or has another
            dimension than the data seen by :meth:`fit`.

        Examples
        --------
        >>> pca = PCA(n_components=1).fit(np.array([[0.0, 1.0], [0.0, 3.0]]))
        >>> pca.transform(np.array([[5.0, 4.0]]))
        array([[2.]])
        """
        if self.mean is None or self.w is None:
            raise EmbeddingValueError(
                "This PCA is not fitted yet; call fit(X) before transform(X)."
            )
        data = _as_float_matrix(X, "X")
        if data.shape[1] != self.w.shape[0]:
            raise EmbeddingValueError(
                f"X has {plural(data.shape[1], 'dimension')} but the PCA was "
                f"fitted on {self.w.shape[0]}; pass rows with "
                f"{plural(self.w.shape[0], 'dimension')}."
            )

        # Centre and project block by block, so the only temporary is one
        # block of centred rows.
        mean = self.mean.astype(data.dtype)
        axes = self.w.astype(data.dtype)
        out = np.empty((data.shape[0], axes.shape[1]), dtype=data.dtype)
        for start in range(0, data.shape[0], _BLOCK_ROWS):
            block = data[start : start + _BLOCK_ROWS]
            np.matmul(block - mean, axes, out=out[start : start + _BLOCK_ROWS])
        return out

    def fit_transform(self, X: npt.ArrayLike) -> FloatArray:
        """Fit to ``X`` and return its projection; see :meth:`fit`.

        Examples
        --------
        >>> PCA(n_components=1).fit_transform([[1.0, 1.0], [3.0, 3.0]]).ravel()
        array([-1.41421356,  1.41421356])
        """
        return self.fit(X).transform(X)


def fit_pca(
    embeddings: npt.ArrayLike,
    n_components: int = 2,
    fraction: float | None = None,
    *,
    random_state: RandomState = None,
) -> PCA:
    """Fit a :class:`PCA` to all rows or to a random fraction of them.

    Fitting on a fraction saves time on large data; the model can then
    project every row.

    Parameters
    ----------
    embeddings : array-like of shape (n, d)
        The data.
    n_components : int, default 2
        Number of principal components to keep.
    fraction : float, optional
        Share of the rows to fit on, in (0, 1]. The sample has
        ``floor(n * fraction)`` rows (up to a 1e-9 tolerance, so that
        ``0.29 * 100`` selects 29 rows). All rows are used when None.
    random_state : int or numpy.random.Generator, optional
        Seed or generator for choosing the sample, so a seed always picks the
        same rows. Unused when ``fraction`` is None.

    Returns
    -------
    PCA
        The fitted model.

    Raises
    ------
    EmbeddingValueError
        If ``fraction`` is outside (0, 1], selects fewer than 2 rows, or any
        error of :meth:`PCA.fit`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((100, 3)).astype(np.float32)
    >>> model = fit_pca(x, fraction=0.5, random_state=0)
    >>> model.w.shape
    (3, 2)
    >>> model.w.dtype
    dtype('float32')
    """
    model = PCA(n_components=n_components)
    data = _as_float_matrix(embeddings, "embeddings")
    if fraction is None:
        return model.fit(data)
    rows = _sample_size(data.shape[0], fraction)
    generator = np.random.default_rng(random_state)
    chosen = np.sort(generator.choice(data.shape[0], size=rows, replace=False))
    return model.fit(data[chosen])


def pca_columns(n_components: int) -> list[str]:
    """Return the names of the PCA coordinate columns.

    Examples
    --------
    >>> pca_columns(3)
    ['pca_0', 'pca_1', 'pca_2']
    """
    return [f"{PCA_PREFIX}{i}" for i in range(n_components)]


def with_projection(df: pd.DataFrame, model: PCA) -> pd.DataFrame:
    """Return a copy of ``df`` with the PCA coordinates of each row appended.

    Columns ``pca_0`` .. ``pca_<k-1>`` are added after the existing ones, in
    the dtype of the embeddings. ``pca_<i>`` columns already in ``df`` are
    dropped first, so coordinates from an earlier projection never mix with
    new ones.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout. It is not changed.
    model : PCA
        A fitted model for the frame's dimension.

    Returns
    -------
    pandas.DataFrame
        The new frame, with the same index.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame([[0.0, 1.0], [0.0, 3.0]], ["a", "b"], [0, 1])
    >>> model = PCA(n_components=1).fit(frame.emb.matrix)
    >>> with_projection(frame, model)["pca_0"].tolist()
    [-1.0, 1.0]
    """
    coordinates = model.transform(embedding_matrix(df))
    stale = [name for name in df.columns if _is_pca_column(name)]
    names = pca_columns(coordinates.shape[1])
    block = pd.DataFrame(coordinates, columns=names, index=df.index, copy=False)
    return pd.concat([df.drop(columns=stale), block], axis=1)


def _is_pca_column(name: object) -> bool:
    text = str(name)
    return text.startswith(PCA_PREFIX) and text[len(PCA_PREFIX) :].isdigit()


def _as_float_matrix(values: npt.ArrayLike, name: str) -> FloatArray:
    matrix = np.asarray(values)
    if matrix.dtype not in (np.float32, np.float64):
        try:
            matrix = matrix.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbeddingValueError(
                f"{name} must contain numbers (got dtype {matrix.dtype})."
            ) from exc
    if matrix.ndim != 2:
        raise EmbeddingValueError(
            f"{name} must be a 2-D array of shape (n, d) (got shape {matrix.shape})."
        )
    if matrix.shape[1] == 0:
        raise EmbeddingValueError(
            f"{name} must have at least one dimension (got shape {matrix.shape})."
        )
    return matrix


def _sample_size(n: int, fraction: float) -> int:
    if isinstance(fraction, bool) or not (
        isinstance(fraction, float | int | np.floating) and 0.0 < fraction <= 1.0
    ):
        raise EmbeddingValueError(
            f"fraction must be a number in (0, 1] (got {fraction!r}); "
            "pass None to fit on all rows."
        )
    rows = math.floor(n * float(fraction) + 1e-9)
    if rows < 2:
        smallest = math.ceil(2 / n * 1e6) / 1e6 if n >= 2 else None
        hint = (
            f"pass fraction >= {smallest}"
            if smallest is not None and smallest <= 1
            else "pass more rows"
        )
        raise EmbeddingValueError(
            f"fraction={fraction!r} of {plural(n, 'row')} selects "
            f"{plural(rows, 'row')}, but PCA needs at least 2; {hint}."
        )
    return rows


def _nonfinite_error(data: FloatArray) -> EmbeddingValueError:
    bad_rows = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if bad_rows.size == 0:
        return EmbeddingValueError(
            "The data is too large to fit: its mean overflows. Scale the "
            "embeddings down before fitting PCA."
        )
    listed = ", ".join(str(i) for i in bad_rows[:5])
    more = "" if bad_rows.size <= 5 else f" and {bad_rows.size - 5} more"
    return EmbeddingValueError(
        f"The data contains NaN or infinity in {plural(bad_rows.size, 'row')} "
        f"(rows {listed}{more}); remove or fix them before fitting PCA."
    )


def _eigh_axes(
    data: FloatArray, mean: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return variances times (n - 1) and axes, from the covariance matrix."""
    # scatter = sum over blocks of (B - mean)^T (B - mean). Each block
    # product runs in the input dtype (float32 products are faster), and the sum
    # over blocks is kept in float64. float32 values above about 1e19
    # overflow when squared, so an overflowing float32 pass is redone in
    # float64.
    scatter = _scatter(data, mean, data.dtype)
    if not np.all(np.isfinite(scatter)) and data.dtype != np.float64:
        scatter = _scatter(data, mean, np.dtype(np.float64))
    if not np.all(np.isfinite(scatter)):
        raise EmbeddingValueError(
            "The data is too large to fit: its covariance overflows float64. "
            "Scale the embeddings down before fitting PCA."
        )

    # eigh returns ascending eigenvalues; the axes are wanted in descending
    # order of variance.
    values, vectors = np.linalg.eigh(scatter)
    return values[::-1], vectors[:, ::-1]


def _scatter(
    data: FloatArray, mean: npt.NDArray[np.float64], dtype: np.dtype[Any]
) -> npt.NDArray[np.float64]:
    centre = mean.astype(dtype)
    scatter = np.zeros((data.shape[1], data.shape[1]), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, data.shape[0], _BLOCK_ROWS):
            block = data[start : start + _BLOCK_ROWS].astype(dtype) - centre
            scatter += block.T @ block
    return scatter


def _svd_axes(
    data: FloatArray, mean: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return variances times (n - 1) and axes, from a thin SVD (n < d)."""
    centred = data.astype(np.float64) - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    return singular**2, vt.T


def _flip_signs(axes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Flip each column so that its entry of largest magnitude is positive."""
    largest = np.argmax(np.abs(axes), axis=0)
    signs = np.sign(axes[largest, np.arange(axes.shape[1])])
    signs[signs == 0] = 1.0
    flipped: npt.NDArray[np.float64] = axes * signs
    return flipped
