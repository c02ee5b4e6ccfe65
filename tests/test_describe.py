"""Tests for embedframe._describe: the collapse measure and frame summaries."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import embedframe
from embedframe._describe import collapse, describe
from embedframe._knn import knn_accuracy
from embedframe.errors import EmbeddingValueError


def frame_from(
    rows: list[list[float]], labels: list[int], names: list[str] | None = None
) -> pd.DataFrame:
    """Build a frame without validation, so duplicates and NaN are allowed."""
    names = names or [f"{i}.png" for i in range(len(rows))]
    matrix = np.array(rows, dtype=np.float32)
    return embedframe.build_frame(matrix, names, labels, validate=False)


class TestCollapse:
    def test_isotropic_gaussian_near_inverse_sqrt_dim(self) -> None:
        matrix = np.random.default_rng(0).standard_normal((20_000, 16))

        assert_allclose(collapse(matrix), 1 / math.sqrt(16), rtol=0.01)

    def test_same_direction_is_zero(self) -> None:
        matrix = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]], dtype=np.float32)

        assert_allclose(collapse(matrix), 0.0, atol=1e-12)

    def test_opposite_pair_exact(self) -> None:
        # Normalised rows (0.6, 0.8) and (-0.6, -0.8); the sample std of each
        # column is |x| * sqrt(2).
        matrix = np.array([[3.0, 4.0], [-3.0, -4.0]])

        assert_allclose(collapse(matrix), (0.6 + 0.8) / 2 * math.sqrt(2), rtol=1e-12)

    def test_single_row_is_zero(self) -> None:
        assert collapse(np.array([[1.0, 2.0]])) == 0.0

    def test_zero_rows_stay_zero(self) -> None:
        # The zero row counts as the point (0, 0), so the columns hold 1, 0
        # (sample std sqrt(0.5)) and 0, 0 (std 0).
        matrix = np.array([[1.0, 0.0], [0.0, 0.0]])

        assert_allclose(collapse(matrix), math.sqrt(0.5) / 2, rtol=1e-12)

    def test_matches_torch_debug(self) -> None:
        torch = pytest.importorskip("torch")
        from embedframe.torch.debug import std_of_l2_normalized

        matrix = np.random.default_rng(1).standard_normal((300, 12)) + 0.5

        expected = float(std_of_l2_normalized(torch.tensor(matrix)))

        assert_allclose(collapse(matrix), expected, rtol=1e-10)

    def test_many_blocks_match_one_pass(self) -> None:
        matrix = np.random.default_rng(2).standard_normal((20_000, 3)) + 1.0
        unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

        expected = unit.std(axis=0, ddof=1).mean()

        assert_allclose(collapse(matrix), expected, rtol=1e-12)

    def test_empty_rejected(self) -> None:
        message = (
            "collapse needs a 2-D array with at least one row and one column "
            "(got shape (0, 3))."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            collapse(np.zeros((0, 3)))

    def test_nonfinite_rejected(self) -> None:
        message = (
            "Cannot normalise rows with NaN or infinity (rows 0); remove or fix "
            "them first."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            collapse(np.array([[np.nan, 1.0]]))


class TestDescribe:
    def test_exact_summary(self) -> None:
        frame = frame_from(
            [[3.0, 4.0], [0.0, 2.0], [1.0, 0.0], [0.0, 0.0]],
            [1, 1, 2, 2],
            names=["a.png", "b.png", "a.png", "c.png"],
        )

        summary = describe(frame)

        assert summary == {
            "rows": 4,
            "dimension": 2,
            "dtype": "float32",
            "classes": 2,
            "label_counts": {1: 2, 2: 2},
            "duplicate_filenames": 1,
            "duplicate_examples": ["a.png"],
            "nonfinite_values": 0,
            "nonfinite_rows": 0,
            "zero_vectors": 1,
            "norm_min": 0.0,
            "norm_mean": 2.0,
            "norm_max": 5.0,
            "collapse": pytest.approx(collapse(frame.emb.matrix), rel=1e-12),
            "collapse_isotropic": 1 / math.sqrt(2),
            "knn_accuracy": pytest.approx(
                knn_accuracy(frame.emb.matrix, [1, 1, 2, 2]), rel=1e-12
            ),
            "knn_k": 3,
            "knn_queries": 4,
        }

    def test_single_label_has_no_knn(self) -> None:
        summary = describe(frame_from([[1.0, 0.0], [0.0, 1.0]], [0, 0]))

        assert summary["knn_accuracy"] is None
        assert summary["knn_k"] is None
        assert summary["knn_queries"] is None
        assert summary["classes"] == 1

    def test_nonfinite_rows_counted_and_left_out(self) -> None:
        frame = frame_from(
            [[3.0, 4.0], [np.nan, np.inf], [0.0, 1.0], [np.nan, 0.0]], [0, 1, 1, 0]
        )

        summary = describe(frame)

        assert summary["nonfinite_values"] == 3
        assert summary["nonfinite_rows"] == 2
        assert summary["norm_min"] == 1.0
        assert summary["norm_max"] == 5.0
        assert summary["knn_queries"] == 2
        assert summary["knn_k"] == 1

    def test_all_rows_nonfinite(self) -> None:
        frame = frame_from([[np.nan], [np.nan]], [0, 1])

        summary = describe(frame)

        assert summary["norm_mean"] is None
        assert summary["collapse"] is None
        assert summary["knn_accuracy"] is None
        assert summary["nonfinite_rows"] == 2

    def test_json_without_nan(self) -> None:
        frame = frame_from([[np.nan, 1.0], [1.0, 2.0], [2.0, 1.0]], [0, 1, 0])

        text = json.dumps(describe(frame), allow_nan=False)

        assert json.loads(text)["nonfinite_rows"] == 1

    def test_values_are_plain_python(self) -> None:
        summary = describe(frame_from([[1.0, 0.0], [0.0, 1.0]], [0, 1]))

        for key, value in summary.items():
            assert type(value) in (int, float, str, dict, list, type(None)), key

    def test_knn_queries_sampled_with_seed(self) -> None:
        rng = np.random.default_rng(3)
        matrix = rng.standard_normal((300, 4)).astype(np.float32)
        labels = rng.integers(0, 3, 300)
        frame = embedframe.build_frame(matrix, [f"{i}" for i in range(300)], labels)

        summary = describe(frame, k=7, knn_queries=40, random_state=5)

        expected = knn_accuracy(matrix, labels, k=7, max_queries=40, random_state=5)
        assert summary["knn_accuracy"] == expected
        assert summary["knn_queries"] == 40

    def test_frame_not_changed(self) -> None:
        frame = frame_from([[1.0, 0.0], [np.nan, 1.0]], [0, 1])
        frame.attrs["source"] = "test"
        before = frame.copy()

        describe(frame)

        pd.testing.assert_frame_equal(frame, before)
        assert frame.attrs == {"source": "test"}

    def test_bad_k_rejected_without_labels(self) -> None:
        message = "k must be a positive integer (got 0)."
        with pytest.raises(ValueError, match=re.escape(message)):
            describe(frame_from([[1.0]], [0]), k=0)
