"""Typed, DataFrame-centric I/O for Lightly-style embedding files.

Importing embedframe registers the ``.emb`` accessor on pandas DataFrames.
It never imports torch or matplotlib; ``embedframe.torch`` and the plotting
functions import them when used.
"""

from embedframe._accessor import EmbeddingAccessor
from embedframe._frame import build_frame, embedding_matrix, validate
from embedframe._layout import Layout
from embedframe._version import __version__ as __version__
from embedframe.errors import (
    EmbeddingFormatError,
    EmbeddingParseError,
    EmbeddingValueError,
    EmbedframeError,
    EmbedframeWarning,
    MetadataError,
    Problem,
)
from embedframe.formats.arrow import from_arrow, read_parquet, to_arrow, write_parquet
from embedframe.formats.csv import read_csv, write_csv
from embedframe.schema import LightlyEmbeddings, LightlyEmbeddings64, embedding_schema

__all__ = [
    "EmbeddingAccessor",
    "EmbeddingFormatError",
    "EmbeddingParseError",
    "EmbeddingValueError",
    "EmbedframeError",
    "EmbedframeWarning",
    "Layout",
    "LightlyEmbeddings",
    "LightlyEmbeddings64",
    "MetadataError",
    "Problem",
    "build_frame",
    "embedding_matrix",
    "embedding_schema",
    "from_arrow",
    "read_csv",
    "read_parquet",
    "to_arrow",
    "validate",
    "write_csv",
    "write_parquet",
]
