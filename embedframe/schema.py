"""pandera schemas for frames in the Lightly embedding layout.

Two forms of one set of rules:

* :class:`LightlyEmbeddings` (float32) and :class:`LightlyEmbeddings64`
  (float64) are typed models for signatures such as
  ``pandera.typing.DataFrame[LightlyEmbeddings]``. They match embedding columns
  by a regular expression, so a frame-level check makes sure the indices run
  from 0 to d-1 without gaps.
* :func:`embedding_schema` builds a :class:`pandera.DataFrameSchema` for one
  dimension, with opt-outs for duplicate file names and non-finite values and
  a strict mode that rejects user columns.

:func:`json_schema` states the same rules as a JSON Schema document for one
row; ``embedframe schema`` prints it, and ``schemas/`` contains a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from embedframe._layout import (
    EMBEDDING_PATTERN,
    FILENAMES,
    KNOWN_EXTRAS,
    LABELS,
    Layout,
    header_problems,
)

__all__ = [
    "LightlyEmbeddings",
    "LightlyEmbeddings64",
    "embedding_schema",
    "json_schema",
    "satisfies_schema",
]

#: Floating-point dtypes an embedding block may have.
FloatDtype = Literal["float32", "float64"]

_EMBEDDING_REGEX = EMBEDDING_PATTERN.pattern
_FINITE_CHECK = "embeddings_are_finite"
_SEQUENCE_CHECK = "embedding_columns_are_contiguous"


def _finite(series: pd.Series) -> pd.Series:
    """Return a mask that is False at NaN and infinite values."""
    return pd.Series(np.isfinite(series.to_numpy()), index=series.index)


_FINITE = pa.Check(_finite, ignore_na=False, name=_FINITE_CHECK)


def _contiguous_columns(df: pd.DataFrame) -> bool:
    """Return True when embedding column names run 0..d-1 without gaps."""
    return not header_problems([str(c) for c in df.columns])


class LightlyEmbeddings(pa.DataFrameModel):
    """Typed model of a frame with float32 embeddings.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "filenames": ["a.png", "b.png"],
    ...         "embedding_0": np.array([0.5, 1.0], dtype=np.float32),
    ...         "labels": [0, 1],
    ...     }
    ... )
    >>> LightlyEmbeddings.validate(frame).shape
    (2, 3)
    """

    filenames: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    embedding: Series[np.float32] = pa.Field(
        alias=_EMBEDDING_REGEX, regex=True, nullable=True
    )
    masked: Series[np.int64] | None = pa.Field(isin=[0, 1])
    selected: Series[np.int64] | None = pa.Field(isin=[0, 1])
    labels: Series[np.int64]

    # NaN counts as null in pandas, so embedding columns are nullable and
    # this check, which does not skip nulls, reports NaN with infinities.
    @pa.check(_EMBEDDING_REGEX, ignore_na=False, name=_FINITE_CHECK)
    @classmethod
    def embeddings_are_finite(cls, series: pd.Series) -> pd.Series:
        """Check that no embedding value is NaN or infinite."""
        return _finite(series)

    @pa.dataframe_check(name=_SEQUENCE_CHECK)
    @classmethod
    def embedding_columns_are_contiguous(cls, df: pd.DataFrame) -> bool:
        """Check that the embedding columns are embedding_0 .. embedding_<d-1>."""
        return _contiguous_columns(df)


class LightlyEmbeddings64(LightlyEmbeddings):
    """Typed model of a frame with float64 embeddings."""

    embedding: Series[np.float64] = pa.Field(
        alias=_EMBEDDING_REGEX, regex=True, nullable=True
    )


def embedding_schema(
    dim: int,
    *,
    dtype: FloatDtype = "float32",
    strict: bool = False,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> pa.DataFrameSchema:
    """Build the schema of a frame with ``dim`` embedding dimensions.

    Parameters
    ----------
    dim : int
        Number of embedding columns, ``embedding_0`` to ``embedding_<dim-1>``.
    dtype : {'float32', 'float64'}, default 'float32'
        dtype every embedding column must have.
    strict : bool, default False
        Reject columns other than ``filenames``, the embeddings, ``masked``,
        ``selected`` and ``labels``.
    allow_duplicates : bool, default False
        Accept the same file name on several rows.
    allow_nonfinite : bool, default False
        Accept NaN and infinite embedding values.

    Returns
    -------
    pandera.DataFrameSchema
        A schema that validates lazily with every failure listed.

    Raises
    ------
    ValueError
        If ``dim`` is negative or ``dtype`` is not a supported float type.

    Examples
    --------
    >>> schema = embedding_schema(3, dtype="float64")
    >>> list(schema.columns)[:2]
    ['filenames', 'embedding_0']
    """
    if dim < 0:
        raise ValueError(f"dim must be at least 0 (got {dim}).")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64' (got {dtype!r}).")

    columns: dict[str, pa.Column] = {
        FILENAMES: pa.Column(
            str, pa.Check.str_length(min_value=1), unique=not allow_duplicates
        ),
    }
    finite = [] if allow_nonfinite else [_FINITE]
    for name in Layout.for_dim(dim).embeddings:
        columns[name] = pa.Column(dtype, finite, nullable=True)
    for name in KNOWN_EXTRAS:
        columns[name] = pa.Column("int64", pa.Check.isin([0, 1]), required=False)
    columns[LABELS] = pa.Column("int64")

    return pa.DataFrameSchema(
        columns,
        strict=strict,
        name=f"lightly_embeddings_{dim}d_{dtype}",
    )


def satisfies_schema(
    df: pd.DataFrame,
    embeddings: Sequence[str],
    *,
    dtype: FloatDtype,
    strict: bool = False,
    allow_duplicates: bool = False,
    allow_nonfinite: bool = False,
) -> bool:
    """Return True if ``df`` certainly passes :func:`embedding_schema`.

    This is a vectorised shortcut for large frames: pandera builds a Series
    and a result mask per column, which costs time and memory on 512 columns.
    False means "run the schema", which then names every failure; the tests
    check that both agree.
    """
    extras = [name for name in KNOWN_EXTRAS if name in df.columns]
    expected = {FILENAMES, LABELS, *embeddings, *extras}
    if strict and set(df.columns) != expected:
        return False
    if df[LABELS].dtype != np.int64 or df[FILENAMES].dtype.kind not in "OT":
        return False
    if any(df[name].dtype != np.int64 for name in extras):
        return False
    if (df.dtypes[list(embeddings)] != np.dtype(dtype)).any():
        return False
    filenames = df[FILENAMES]
    if filenames.isna().any() or (filenames.str.len() == 0).any():
        return False
    if not allow_duplicates and not filenames.is_unique:
        return False
    if any(not df[name].isin([0, 1]).all() for name in extras):
        return False
    if allow_nonfinite:
        return True
    # Row chunks keep the temporary boolean mask small.
    matrix = df[list(embeddings)].to_numpy()
    step = max(1, (1 << 22) // max(1, matrix.shape[1]))
    return all(
        np.isfinite(matrix[start : start + step]).all()
        for start in range(0, len(matrix), step)
    )


def json_schema() -> dict[str, Any]:
    """Describe one row of a Lightly embedding file as a JSON Schema.

    The document covers the per-row rules. Rules that span rows or the header
    are listed under the ``x-embedframe-file-rules`` keyword, which JSON Schema
    validators ignore.

    Returns
    -------
    dict
        A JSON Schema (draft 2020-12) document.

    Examples
    --------
    >>> json_schema()["required"]
    ['filenames', 'labels']
    """
    zero_or_one = {"type": "integer", "enum": [0, 1]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "One row of a Lightly embedding CSV file",
        "type": "object",
        "properties": {
            FILENAMES: {"type": "string", "minLength": 1},
            LABELS: {"type": "integer"},
            **{name: zero_or_one for name in KNOWN_EXTRAS},
        },
        "patternProperties": {f"^{_EMBEDDING_REGEX}$": {"type": "number"}},
        "required": [FILENAMES, LABELS],
        "additionalProperties": True,
        "x-embedframe-file-rules": [
            "The header names every column once, without surrounding whitespace.",
            "Embedding columns are embedding_0 .. embedding_<d-1> with d >= 1, "
            "no gaps and no leading zeros.",
            "Every embedding value is finite (no NaN or infinity).",
            "No file name appears on two rows.",
            "Labels are integers; a value such as 1.0 is read as 1.",
            "Columns other than filenames, embedding_<n>, masked, selected and "
            "labels are user columns and are kept.",
        ],
    }
