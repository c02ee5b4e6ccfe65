"""The ``.emb`` DataFrame accessor, registered by ``import embedframe``.

The accessor stores only the frame. pandas 3 builds a new accessor on every
``df.emb`` access, so construction is a cheap check of column names and all
work happens in the methods, which return new frames or values and never
change the caller's frame.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from embedframe import _frame
from embedframe._layout import EMBEDDING_PATTERN, Layout
from embedframe.formats import arrow, csv

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

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write a Lightly CSV file; see :func:`embedframe.write_csv`."""
        csv.write_csv(self._df, path)

    def to_parquet(
        self,
        path: str | os.PathLike[str],
        *,
        layout: arrow.ArrowLayout = "wide",
        compression: str = "zstd",
    ) -> None:
        """Write a Parquet file; see :func:`embedframe.write_parquet`."""
        arrow.write_parquet(self._df, path, layout=layout, compression=compression)

    def to_arrow(self, *, layout: arrow.ArrowLayout = "wide") -> pa.Table:
        """Return an Arrow table; see :func:`embedframe.to_arrow`."""
        return arrow.to_arrow(self._df, layout=layout)
