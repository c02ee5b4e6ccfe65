"""build_frame: the checks it makes on file names and labels."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from embedframe import build_frame
from embedframe.errors import EmbeddingValueError

MATRIX = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
NAMES = ["a.png", "b.png", "c.png"]
INT64_RANGE = "(from -9223372036854775808 to 9223372036854775807)"


class TestFilenames:
    @pytest.mark.parametrize(
        ("filenames", "shown"),
        [
            (
                [None, float("nan"), "c.png"],
                "2 rows are not: row 0 is None, row 1 is nan",
            ),
            (["a.png", 7, "c.png"], "1 row is not: row 1 is 7"),
            (["a.png", "b.png", b"c.png"], "1 row is not: row 2 is b'c.png'"),
            (
                pd.Series(["a.png", None, "c.png"], dtype="str"),
                "1 row is not: row 1 is nan",
            ),
        ],
        ids=["none-and-nan", "number", "bytes", "pandas-missing"],
    )
    def test_non_strings_rejected(self, filenames: Any, shown: str) -> None:
        """A missing name is not turned into the text 'None' or 'nan'."""
        message = (
            f"filenames must be strings, but {shown}. Give every row its file "
            f"name as a string."
        )

        with pytest.raises(EmbeddingValueError, match=f"^{re.escape(message)}$"):
            build_frame(MATRIX, filenames, [0, 1, 2])

    def test_first_three_listed(self) -> None:
        matrix = np.zeros((5, 1), dtype=np.float32)
        message = (
            "filenames must be strings, but 5 rows are not: row 0 is None, "
            "row 1 is None, row 2 is None and 2 more. Give every row its file "
            "name as a string."
        )

        with pytest.raises(EmbeddingValueError, match=f"^{re.escape(message)}$"):
            build_frame(matrix, [None] * 5, [0] * 5)

    def test_numpy_strings_accepted(self) -> None:
        frame = build_frame(MATRIX, np.array(NAMES), [0, 1, 2])

        assert frame["filenames"].tolist() == NAMES


class TestLabels:
    @pytest.mark.parametrize(
        ("labels", "shown"),
        [
            (np.array([0, 2**64 - 1, 1], dtype=np.uint64), "18446744073709551615"),
            ([0, 2**64 - 1, 1], "18446744073709551615"),
            ([0, 2**64, 1], "18446744073709551616"),
            ([0, -(2**63) - 1, 1], "-9223372036854775809"),
            (np.array([0.0, 2.0**63, 1.0]), "9.223372036854776e+18"),
            (np.array([0.0, -1e20, 1.0]), "-1e+20"),
        ],
        ids=["uint64", "list", "beyond-uint64", "below-int64", "float", "float-neg"],
    )
    def test_outside_int64_rejected(self, labels: Any, shown: str) -> None:
        """Values that int64 cannot hold are rejected instead of wrapping."""
        message = (
            f"Column 'labels' has {shown} at row 1, which does not fit in int64 "
            f"{INT64_RANGE}."
        )

        with pytest.raises(EmbeddingValueError, match=f"^{re.escape(message)}$"):
            build_frame(MATRIX, NAMES, labels)

    @pytest.mark.parametrize(
        "labels",
        [
            np.array([0, 2**63 - 1, 5], dtype=np.uint64),
            [-(2**63), 2**63 - 1, 5],
            np.array([-(2.0**63), 2.0**62, 5.0]),
            [True, False, 5],
        ],
        ids=["uint64", "list", "float", "bool"],
    )
    def test_int64_extremes_kept(self, labels: Any) -> None:
        frame = build_frame(MATRIX, NAMES, labels)

        assert frame["labels"].dtype == np.int64
        assert frame["labels"].tolist() == [int(value) for value in labels]

    def test_two_dimensional_rejected(self) -> None:
        message = "labels must be one-dimensional (got shape (3, 1))."

        with pytest.raises(EmbeddingValueError, match=f"^{re.escape(message)}$"):
            build_frame(MATRIX, NAMES, [[0], [1], [2]])
