"""The ``.emb`` DataFrame accessor, registered by ``import embedframe``.

The accessor stores only the frame. pandas 3 builds a new accessor on every
``df.emb`` access, so construction is a cheap check of column names and all
work happens in the methods, which return new frames or values and never
change the caller's frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from embedframe import _describe, _frame, _knn, _pca, _plot, _reorder
from embedframe._layout import EMBEDDING_PATTERN, FILENAMES, LABELS, Layout
from embedframe._text import plural
from embedframe.errors import EmbeddingValueError
from embedframe.formats import arrow, csv

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

__all__ = ["EmbeddingAccessor"]


@pd.api.extensions.register_dataframe_accessor("emb")
class EmbeddingAccessor:
    """Embedding operations on a frame in the Lightly layout, as ``df.emb``.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with at least one ``embedding_<n>`` column.

    Raises
    ------
    AttributeError
        If the frame has no embedding columns, so ``hasattr(df, "emb")`` is
        False for unrelated frames.

    Examples
    --------
    >>> import embedframe
    >>> frame = embedframe.build_frame([[3.0, 4.0]], ["a.png"], [1])
    >>> frame.emb.dim
    2
    """

    def __init__(self, df: pd.DataFrame) -> None:
        if not any(EMBEDDING_PATTERN.fullmatch(str(name)) for name in df.columns):
            raise AttributeError(
                "The .emb accessor needs a frame with embedding_<n> columns."
            )
        self._df = df

    @property
    def layout(self) -> Layout:
        """Column roles of the frame."""
        return _frame.frame_layout(self._df)

    @property
    def dim(self) -> int:
        """Number of embedding dimensions."""
        return self.layout.dim

    @property
    def matrix(self) -> npt.NDArray[np.floating[Any]]:
        """The (n, d) embedding matrix, a view where the frame allows it."""
        return _frame.embedding_matrix(self._df)

    def to_numpy(
        self, dtype: npt.DTypeLike | None = None
    ) -> npt.NDArray[np.floating[Any]]:
        """Return the (n, d) embedding matrix, converted to ``dtype`` if given.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[1.0, 2.0]], ["a.png"], [0])
        >>> frame.emb.to_numpy("float64").dtype
        dtype('float64')
        """
        return _frame.embedding_matrix(self._df, dtype)

    def validate(
        self,
        *,
        strict: bool = False,
        allow_duplicates: bool = False,
        allow_nonfinite: bool = False,
    ) -> pd.DataFrame:
        """Validate the frame and return it; see :func:`embedframe.validate`."""
        return _frame.validate(
            self._df,
            strict=strict,
            allow_duplicates=allow_duplicates,
            allow_nonfinite=allow_nonfinite,
        )

    def to_csv(
        self,
        path: str | os.PathLike[str],
        *,
        validate: bool = True,
        allow_duplicates: bool = False,
        allow_nonfinite: bool = False,
    ) -> None:
        """Write a Lightly CSV file; see :func:`embedframe.write_csv`."""
        csv.write_csv(
            self._df,
            path,
            validate=validate,
            allow_duplicates=allow_duplicates,
            allow_nonfinite=allow_nonfinite,
        )

    def to_parquet(
        self,
        path: str | os.PathLike[str],
        *,
        layout: arrow.ArrowLayout = "wide",
        compression: str | None = "zstd",
        validate: bool = True,
        allow_duplicates: bool = False,
        allow_nonfinite: bool = False,
    ) -> None:
        """Write a Parquet file; see :func:`embedframe.write_parquet`."""
        arrow.write_parquet(
            self._df,
            path,
            layout=layout,
            compression=compression,
            validate=validate,
            allow_duplicates=allow_duplicates,
            allow_nonfinite=allow_nonfinite,
        )

    def to_arrow(self, *, layout: arrow.ArrowLayout = "wide") -> pa.Table:
        """Return an Arrow table; see :func:`embedframe.to_arrow`."""
        return arrow.to_arrow(self._df, layout=layout)

    def fit_pca(
        self,
        n_components: int = 2,
        *,
        fraction: float | None = None,
        random_state: _pca.RandomState = None,
    ) -> _pca.PCA:
        """Fit PCA to the embeddings and return the model.

        Use the model with :meth:`project` to put other frames on the same
        axes, or with :meth:`plot`.

        Parameters
        ----------
        n_components : int, default 2
            Number of principal components to keep.
        fraction : float, optional
            Fit on this share of the rows, chosen at random; all rows when
            None.
        random_state : int or numpy.random.Generator, optional
            Seed or generator for choosing the rows.

        Returns
        -------
        embedframe.embeddings_2d.PCA
            The fitted model.

        Raises
        ------
        EmbeddingValueError
            As :func:`embedframe.embeddings_2d.fit_pca`.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame(
        ...     [[0.0, 1.0], [0.0, 3.0], [1.0, 2.0]], ["a", "b", "c"], [0, 0, 1]
        ... )
        >>> model = frame.emb.fit_pca(1)
        >>> model.w
        array([[0.],
               [1.]], dtype=float32)
        """
        return _pca.fit_pca(
            self.matrix, n_components, fraction, random_state=random_state
        )

    def project(self, model: _pca.PCA) -> pd.DataFrame:
        """Return the frame with the coordinates from a fitted PCA model added.

        Columns ``pca_0`` .. ``pca_<k-1>`` come after the existing columns,
        in the embeddings' dtype. ``pca_<i>`` columns already in the frame
        are replaced.

        Parameters
        ----------
        model : embedframe.embeddings_2d.PCA
            A fitted model for this dimension, such as one returned by
            :meth:`fit_pca` on another frame.

        Returns
        -------
        pandas.DataFrame
            A new frame; this one is not changed.

        Raises
        ------
        EmbeddingValueError
            If the model is not fitted or has another dimension.

        Examples
        --------
        >>> import embedframe
        >>> train = embedframe.build_frame([[0.0, 1.0], [0.0, 3.0]], ["a", "b"])
        >>> test = embedframe.build_frame([[5.0, 4.0]], ["c"])
        >>> test.emb.project(train.emb.fit_pca(1))["pca_0"].tolist()
        [2.0]
        """
        return _pca.with_projection(self._df, model)

    def pca(
        self,
        n_components: int = 2,
        *,
        fraction: float | None = None,
        random_state: _pca.RandomState = None,
    ) -> pd.DataFrame:
        """Return the frame with its own PCA coordinates added.

        The same as ``df.emb.project(df.emb.fit_pca(...))``; call those two
        to keep the model.

        Parameters
        ----------
        n_components : int, default 2
            Number of ``pca_<i>`` columns to add.
        fraction, random_state
            As for :meth:`fit_pca`.

        Returns
        -------
        pandas.DataFrame
            A new frame with ``pca_0`` .. ``pca_<k-1>`` added.

        Raises
        ------
        EmbeddingValueError
            As :meth:`fit_pca`.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[0.0, 1.0], [0.0, 3.0]], ["a", "b"])
        >>> frame.emb.pca(1).columns.tolist()
        ['filenames', 'embedding_0', 'embedding_1', 'labels', 'pca_0']
        """
        model = self.fit_pca(n_components, fraction=fraction, random_state=random_state)
        return self.project(model)

    def reorder(self, filenames: Sequence[str]) -> pd.DataFrame:
        """Return the rows in the order of ``filenames``.

        Each row keeps all its values, so every vector stays with its file
        name and label. Index labels move with their rows.

        Parameters
        ----------
        filenames : sequence of str
            Every file name of the frame exactly once.

        Returns
        -------
        pandas.DataFrame
            A new frame; this one is not changed.

        Raises
        ------
        EmbeddingValueError
            If the frame has duplicate file names, or ``filenames`` has
            duplicates, unknown names or leaves names out. The message names
            them.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[1.0], [2.0]], ["a", "b"], [0, 1])
        >>> frame.emb.reorder(["b", "a"])["labels"].tolist()
        [1, 0]
        """
        return _reorder.reorder_frame(self._df, filenames)

    def normalize(
        self, *, zero_vectors: Literal["raise", "keep"] = "raise"
    ) -> pd.DataFrame:
        """Return the frame with each embedding scaled to unit L2 norm.

        Parameters
        ----------
        zero_vectors : {'raise', 'keep'}, default 'raise'
            Rows of zeros have no direction. By default they raise; with
            'keep' they stay zero. No option produces NaN.

        Returns
        -------
        pandas.DataFrame
            A new frame with the same columns and dtypes.

        Raises
        ------
        EmbeddingValueError
            If a row contains NaN or infinity, or is zero while
            ``zero_vectors`` is 'raise'. The message names the file names.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[3.0, 4.0]], ["a"])
        >>> frame.emb.normalize().emb.matrix
        array([[0.6, 0.8]], dtype=float32)
        """
        normalized = _knn.l2_normalize(
            self.matrix,
            zero_vectors=zero_vectors,
            row_names=self._df[FILENAMES].tolist(),
        )
        return _replace_embeddings(self._df, normalized)

    def collapse(self) -> float:
        """Return the collapse measure of the embeddings.

        The mean over dimensions of the standard deviation of the
        L2-normalised embeddings: about ``1 / sqrt(d)`` for healthy, spread
        out embeddings and 0 for collapsed ones. See
        :func:`embedframe.torch.debug.std_of_l2_normalized` for the same
        measure on tensors.

        Returns
        -------
        float
            The measure; 0 for a single row.

        Raises
        ------
        EmbeddingValueError
            If the frame is empty or has NaN or infinite values.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[1.0, 0.0], [0.0, 1.0]], ["a", "b"])
        >>> round(frame.emb.collapse(), 6)
        0.707107
        """
        return _describe.collapse(self.matrix)

    def knn_accuracy(
        self,
        k: int = _knn.DEFAULT_K,
        *,
        temperature: float = _knn.DEFAULT_TEMPERATURE,
        max_queries: int | None = None,
        random_state: _knn.RandomState = None,
    ) -> float:
        """Return the leave-one-out kNN accuracy of the embeddings.

        Each row's label is predicted from its ``k`` most cosine-similar
        other rows, each voting with weight ``exp(similarity /
        temperature)``; see :func:`embedframe.benchmarking.knn_accuracy`.

        Parameters
        ----------
        k : int, default 200
            Neighbours per vote, clipped to ``rows - 1``.
        temperature : float, default 0.1
            Temperature of the vote weights.
        max_queries : int, optional
            Classify at most this many rows, chosen at random.
        random_state : int or numpy.random.Generator, optional
            Seed or generator for choosing those rows.

        Returns
        -------
        float
            Accuracy in [0, 1].

        Raises
        ------
        EmbeddingValueError
            If the labels have fewer than 2 distinct values, or as
            :func:`embedframe.benchmarking.knn_accuracy`.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame(
        ...     [[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]],
        ...     ["a", "b", "c", "d"],
        ...     [0, 0, 1, 1],
        ... )
        >>> frame.emb.knn_accuracy(k=1)
        1.0
        """
        return _knn.knn_accuracy(
            self.matrix,
            self._df[LABELS].to_numpy(),
            k=k,
            temperature=temperature,
            max_queries=max_queries,
            random_state=random_state,
        )

    def describe(
        self,
        *,
        k: int = _knn.DEFAULT_K,
        temperature: float = _knn.DEFAULT_TEMPERATURE,
        knn_queries: int | None = _describe.DEFAULT_KNN_QUERIES,
        random_state: _knn.RandomState = 0,
    ) -> _describe.Description:
        """Summarise the frame, as ``embedframe info`` prints it.

        The summary has the row count, dimension, dtype, label counts,
        duplicate file names, non-finite values, L2 norm statistics, the
        :meth:`collapse` measure and, when there are at least 2 labels, the
        kNN accuracy. Rows with NaN or infinity are counted, then left out
        of the statistics.

        Parameters
        ----------
        k : int, default 200
            Neighbours per vote for the kNN accuracy.
        temperature : float, default 0.1
            Temperature of the kNN vote weights.
        knn_queries : int or None, default 2000
            Classify at most this many rows, chosen at random, for the kNN
            accuracy; all rows when None.
        random_state : int or numpy.random.Generator, default 0
            Seed or generator for choosing those rows.

        Returns
        -------
        dict
            Plain Python values with None where a statistic does not apply,
            so ``json.dumps(..., allow_nan=False)`` accepts it. The keys are
            those of :class:`embedframe._describe.Description`.

        Raises
        ------
        EmbeddingValueError
            If ``k``, ``temperature`` or ``knn_queries`` is out of range.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[3.0, 4.0], [0.0, 2.0]], ["a", "b"])
        >>> frame.emb.describe()["norm_max"]
        5.0
        """
        return _describe.describe(
            self._df,
            k=k,
            temperature=temperature,
            knn_queries=knn_queries,
            random_state=random_state,
        )

    def plot(
        self,
        *,
        model: _pca.PCA | None = None,
        fraction: float | None = None,
        random_state: _pca.RandomState = None,
        title: str | None = None,
    ) -> Figure:
        """Return a scatter plot of the first two principal components.

        Points are coloured by label, with one legend entry per label (up to
        20) and a title naming the data shown. The axis titles give each
        component's share of the variance. Needs the ``plot`` extra
        (matplotlib).

        Parameters
        ----------
        model : embedframe.embeddings_2d.PCA, optional
            A fitted model with at least 2 components, such as one from
            ``other.emb.fit_pca()``, so several plots share the same axes.
            Fitted to this frame when None.
        fraction, random_state
            As for :meth:`fit_pca`, when ``model`` is None.
        title : str, optional
            The figure title, replacing the default one.

        Returns
        -------
        matplotlib.figure.Figure
            A new figure, not registered with pyplot; save it with
            ``figure.savefig(path)``.

        Raises
        ------
        ImportError
            If matplotlib is not installed; it names the ``plot`` extra.
        EmbeddingValueError
            If the embeddings contain NaN or infinity, or PCA cannot be
            fitted.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame(
        ...     [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], ["a", "b", "c"], [0, 1, 1]
        ... )
        >>> figure = frame.emb.plot()
        >>> [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
        ['0', '1']
        """
        return _plot.plot_pca(
            self._df,
            model=model,
            fraction=fraction,
            random_state=random_state,
            title=title,
        )

    def to_dict(self, embedding_name: str = "default") -> dict[str, Any]:
        """Return the upload payload of lightly's ``load_embeddings_as_dict``.

        Parameters
        ----------
        embedding_name : str, default 'default'
            Name of the embedding on the Lightly platform, which rejects two
            embeddings with the same name.

        Returns
        -------
        dict
            ``{"embeddingName": name, "embeddings": [{"fileName": str,
            "value": list of float, "label": int}, ...]}`` in row order.
            float32 values are given as the shortest decimal that reads back
            to the same float32, as in the CSV file. The payload never
            contains NaN or infinity, so ``json.dumps(payload,
            allow_nan=False)`` always works.

        Raises
        ------
        EmbeddingValueError
            If ``embedding_name`` is not a non-empty string, or an embedding
            contains NaN or infinity; the message names the file names.

        Examples
        --------
        >>> import embedframe
        >>> frame = embedframe.build_frame([[0.1, 2.0]], ["a.png"], [3])
        >>> frame.emb.to_dict("run-1")
        {'embeddingName': 'run-1', 'embeddings': [{'fileName': 'a.png', 'value': [0.1, 2.0], 'label': 3}]}
        """  # noqa: E501
        return _upload_dict(self._df, self.matrix, embedding_name)

    def to_torch(self, device: torch.device | str | None = None) -> torch.Tensor:
        """Return the embeddings as an ``(n, d)`` torch tensor.

        See :func:`embedframe.torch._bridge.to_tensor`. torch is imported
        only when this method is called.

        Parameters
        ----------
        device : torch.device or str, optional
            Device of the tensor; the CPU when None.

        Returns
        -------
        torch.Tensor
            The embeddings in the frame's dtype and row order.

        Raises
        ------
        ImportError
            If torch is not installed; it names the ``torch`` extra.
        """
        from embedframe.torch._bridge import to_tensor

        return to_tensor(self._df, device)


def _replace_embeddings(
    df: pd.DataFrame, matrix: npt.NDArray[np.floating[Any]]
) -> pd.DataFrame:
    """Return ``df`` with its embedding columns replaced by ``matrix``."""
    columns = list(_frame.frame_layout(df).embeddings)
    block = pd.DataFrame(matrix, columns=columns, index=df.index, copy=False)
    rest = df.drop(columns=columns)
    return pd.concat([rest, block], axis=1)[list(df.columns)]


def _upload_dict(
    df: pd.DataFrame, matrix: npt.NDArray[np.floating[Any]], embedding_name: str
) -> dict[str, Any]:
    if not isinstance(embedding_name, str) or not embedding_name:
        raise EmbeddingValueError(
            f"embedding_name must be a non-empty string (got {embedding_name!r})."
        )
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        names = df[FILENAMES][bad].tolist()
        raise EmbeddingValueError(
            f"Cannot build the upload payload: {plural(len(names), 'embedding')} "
            f"{'contains' if len(names) == 1 else 'contain'} NaN or infinity "
            f"({_reorder.format_keys(names)}). Remove or fix those rows first."
        )

    if matrix.dtype == np.float32:
        # Through pyarrow's shortest round-trip text, so 0.1f becomes 0.1
        # and not 0.10000000149011612.
        text = pc.cast(pa.array(matrix.ravel()), pa.string())
        matrix = pc.cast(text, pa.float64()).to_numpy().reshape(matrix.shape)
    filenames = df[FILENAMES].tolist()
    labels = df[LABELS].tolist()
    return {
        "embeddingName": embedding_name,
        "embeddings": [
            {"fileName": name, "value": vector, "label": label}
            for name, vector, label in zip(
                filenames, matrix.tolist(), labels, strict=True
            )
        ],
    }
