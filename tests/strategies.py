"""Hypothesis strategies for frames in the Lightly layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import embedframe

#: File names with the characters that stress CSV quoting.
filenames_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        include_characters=',"\n\r ',
        exclude_characters="\x00",
    ),
    min_size=1,
    max_size=12,
)


@st.composite
def embedding_frames(
    draw: st.DrawFn,
    *,
    dtypes: tuple[str, ...] = ("float32", "float64"),
    max_rows: int = 8,
    max_dim: int = 6,
) -> pd.DataFrame:
    """Draw a valid frame: unique file names, finite values, int64 labels."""
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(0, max_rows))
    dim = draw(st.integers(1, max_dim))
    width = np.dtype(dtype).itemsize * 8
    elements = st.floats(allow_nan=False, allow_infinity=False, width=width)
    matrix = draw(hnp.arrays(np.dtype(dtype), (n, dim), elements=elements))
    names = draw(st.lists(filenames_text, min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n))
    return embedframe.build_frame(matrix, names, np.array(labels, dtype=np.int64))
