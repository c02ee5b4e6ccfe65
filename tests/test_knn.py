"""Tests for embedframe._knn and embedframe.benchmarking: leave-one-out kNN."""

from __future__ import annotations

import importlib.util
import pathlib
import re
import tracemalloc
from types import ModuleType

import numpy as np
import numpy.typing as npt
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from embedframe import _knn, benchmarking
from embedframe._knn import knn_accuracy, knn_predictions, l2_normalize
from embedframe.errors import EmbeddingValueError


def clusters(
    n: int, dim: int, n_classes: int, *, seed: int = 0, spread: float = 1.5
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Return noisy points around one random centre per class, and labels."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, dim)) * 2.0
    labels = rng.integers(0, n_classes, n)
    points = centres[labels] + spread * rng.standard_normal((n, dim))
    return points, labels


def brute_force(
    embeddings: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    k: int,
    temperature: float,
) -> npt.NDArray[np.int64]:
    """Predict every row the slow, obvious way, one row at a time."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    n = len(labels)
    predicted = np.empty(n, dtype=np.int64)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        similarity = {j: float(unit[i] @ unit[j]) for j in others}
        nearest = sorted(others, key=lambda j: -similarity[j])[: min(k, n - 1)]
        scores: dict[int, float] = {}
        for j in nearest:
            label = int(labels[j])
            weight = np.exp(similarity[j] / temperature)
            scores[label] = scores.get(label, 0.0) + weight
        best = max(scores.values())
        predicted[i] = min(label for label, s in scores.items() if s == best)
    return predicted


def lightly_knn_module() -> ModuleType:
    """Load lightly's knn.py by path; its package imports pytorch_lightning."""
    pytest.importorskip("torch")
    spec = importlib.util.find_spec("lightly")
    assert spec is not None
    assert spec.origin is not None
    path = pathlib.Path(spec.origin).parent / "utils" / "benchmarking" / "knn.py"
    module_spec = importlib.util.spec_from_file_location("lightly_knn", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class TestAgainstReference:
    @pytest.mark.parametrize(
        ("k", "temperature"),
        [(1, 0.1), (5, 0.1), (20, 0.07), (200, 0.1), (10, 1.0)],
    )
    def test_predictions_match_brute_force(self, k: int, temperature: float) -> None:
        embeddings, labels = clusters(120, 6, 4, seed=k)

        result = knn_predictions(embeddings, labels, k=k, temperature=temperature)

        assert_array_equal(result, brute_force(embeddings, labels, k, temperature))

    def test_accuracy_matches_brute_force(self) -> None:
        embeddings, labels = clusters(150, 5, 3, seed=11)
        expected = np.mean(brute_force(embeddings, labels, 7, 0.1) == labels)

        assert knn_accuracy(embeddings, labels, k=7) == expected

    def test_float32_close_to_float64(self) -> None:
        embeddings, labels = clusters(300, 16, 5, seed=2)

        single = knn_accuracy(embeddings.astype(np.float32), labels, k=10)
        double = knn_accuracy(embeddings, labels, k=10)

        assert abs(single - double) <= 2 / 300

    def test_same_vote_as_lightly_knn_predict(self) -> None:
        torch = pytest.importorskip("torch")
        lightly_knn = lightly_knn_module()
        embeddings, labels = clusters(60, 8, 3, seed=5)
        unit = torch.nn.functional.normalize(torch.tensor(embeddings), dim=1)
        expected = []
        for i in range(60):
            keep = torch.arange(60) != i
            ranked = lightly_knn.knn_predict(
                unit[i : i + 1],
                unit[keep].T,
                torch.tensor(labels)[keep],
                num_classes=3,
                knn_k=9,
                knn_t=0.1,
            )
            expected.append(int(ranked[0, 0]))

        result = knn_predictions(embeddings, labels, k=9, temperature=0.1)

        assert result.tolist() == expected


class TestVote:
    def test_query_is_left_out(self) -> None:
        # Row 0's nearest other row has label 1; counting row 0 itself
        # would predict its own label 0.
        embeddings = np.array([[1.0, 0.0], [1.0, 0.05], [0.0, 1.0]])
        labels = np.array([0, 1, 1])

        result = knn_predictions(embeddings, labels, k=1)

        assert result.tolist() == [1, 0, 1]

    def test_duplicate_rows_are_neighbours(self) -> None:
        embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
        labels = np.array([0, 0, 1, 1])

        assert knn_predictions(embeddings, labels, k=1).tolist() == [0, 0, 1, 1]

    def test_tie_goes_to_smallest_label(self) -> None:
        embeddings = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, -0.8]])
        labels = np.array([5, 7, 3])

        result = knn_predictions(embeddings, labels, k=2, queries=[0])

        assert result.tolist() == [3]

    def test_weights_favour_closer_neighbours(self) -> None:
        # Two far neighbours of label 1 against one close neighbour of
        # label 0: a plain majority predicts 1, the weighted vote predicts 0.
        embeddings = np.array(
            [[1.0, 0.0], [1.0, 0.1], [0.3, 1.0], [0.3, -1.0], [-1.0, 0.2]]
        )
        labels = np.array([9, 0, 1, 1, 2])

        weighted = knn_predictions(embeddings, labels, k=3, queries=[0])
        flat = knn_predictions(embeddings, labels, k=3, temperature=1e6, queries=[0])

        assert weighted.tolist() == [0]
        assert flat.tolist() == [1]

    def test_tiny_temperature_does_not_overflow(self) -> None:
        embeddings, labels = clusters(50, 4, 2, seed=3)

        result = knn_predictions(embeddings, labels, k=10, temperature=1e-6)

        assert_array_equal(result, knn_predictions(embeddings, labels, k=1))

    def test_k_clipped_to_other_rows(self) -> None:
        embeddings, labels = clusters(12, 3, 2, seed=4)

        assert_array_equal(
            knn_predictions(embeddings, labels, k=1000),
            knn_predictions(embeddings, labels, k=11),
        )

    def test_scale_of_rows_is_ignored(self) -> None:
        embeddings, labels = clusters(40, 3, 2, seed=6)
        scales = np.random.default_rng(0).uniform(0.1, 10.0, (40, 1))

        assert_array_equal(
            knn_predictions(embeddings * scales, labels, k=5),
            knn_predictions(embeddings, labels, k=5),
        )

    def test_zero_rows_have_zero_similarity(self) -> None:
        embeddings = np.array([[0.0, 0.0], [1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])
        labels = np.array([0, 1, 1, 2])

        result = knn_predictions(embeddings, labels, k=1)

        assert result.tolist()[1:] == [1, 1, 0]

    def test_labels_keep_their_values(self) -> None:
        embeddings, labels = clusters(30, 3, 2, seed=8)

        result = knn_predictions(embeddings, labels * 10 - 5, k=3)

        assert set(result.tolist()) <= {-5, 5}


class TestChunking:
    @pytest.mark.parametrize("chunk_size", [1, 7, 64, 1000])
    def test_chunk_size_does_not_change_result(self, chunk_size: int) -> None:
        embeddings, labels = clusters(90, 5, 3, seed=9)

        assert_array_equal(
            knn_predictions(embeddings, labels, k=8, chunk_size=chunk_size),
            knn_predictions(embeddings, labels, k=8),
        )

    def test_default_chunk_bounds_block(self) -> None:
        assert _knn._chunk_rows(None, 100_000) == 2**23 // 100_000
        assert _knn._chunk_rows(None, 2**24) == 1
        assert _knn._chunk_rows(None, 10) == 2**23 // 10

    def test_memory_stays_near_one_block(self) -> None:
        n = 4000
        embeddings, labels = clusters(n, 8, 3, seed=10)
        embeddings = embeddings.astype(np.float32)
        tracemalloc.start()
        try:
            knn_accuracy(embeddings, labels, k=5, chunk_size=100)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        full_matrix = n * n * 4
        assert peak < full_matrix / 4


class TestAccuracy:
    def test_separable_clusters_score_one(self) -> None:
        embeddings, labels = clusters(200, 8, 4, seed=1, spread=0.05)

        assert knn_accuracy(embeddings, labels) == 1.0

    def test_max_queries_samples_rows(self) -> None:
        embeddings, labels = clusters(200, 4, 3, seed=12)
        predicted = knn_predictions(embeddings, labels, k=10)
        rows = np.sort(np.random.default_rng(3).choice(200, size=50, replace=False))

        result = knn_accuracy(embeddings, labels, k=10, max_queries=50, random_state=3)

        assert result == np.mean(predicted[rows] == labels[rows])

    def test_max_queries_above_rows_uses_all(self) -> None:
        embeddings, labels = clusters(30, 4, 3, seed=13)

        assert knn_accuracy(embeddings, labels, max_queries=500) == knn_accuracy(
            embeddings, labels
        )

    def test_benchmarking_exports(self) -> None:
        assert benchmarking.knn_accuracy is knn_accuracy
        assert benchmarking.knn_predictions is knn_predictions


class TestErrors:
    def test_single_label(self) -> None:
        message = (
            "kNN accuracy needs at least 2 distinct labels (got only [4]); with "
            "one label every prediction is right."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            knn_accuracy(np.eye(3), [4, 4, 4])

    def test_one_row(self) -> None:
        message = "kNN needs at least 2 rows, so that each row has a neighbour (got 1)."
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_predictions(np.ones((1, 2)), [0])

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"k": 0}, "k must be a positive integer (got 0)."),
            ({"k": 2.5}, "k must be a positive integer (got 2.5)."),
            ({"k": True}, "k must be a positive integer (got True)."),
            (
                {"temperature": 0.0},
                "temperature must be a finite number > 0 (got 0.0).",
            ),
            (
                {"temperature": float("inf")},
                "temperature must be a finite number > 0 (got inf).",
            ),
            (
                {"max_queries": 0},
                "The number of kNN queries must be a positive integer or None (got 0).",
            ),
            (
                {"chunk_size": 0},
                "chunk_size must be a positive integer or None (got 0).",
            ),
        ],
    )
    def test_bad_parameters(self, options: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_accuracy(np.eye(3), [0, 1, 1], **options)  # type: ignore[arg-type]

    def test_labels_wrong_length(self) -> None:
        message = "labels must have one value per row, shape (3,) (got shape (2,))."
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_accuracy(np.eye(3), [0, 1])

    def test_labels_not_integers(self) -> None:
        message = "labels must be integers (got dtype float64)."
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_accuracy(np.eye(3), [0.0, 1.0, 1.5])

    def test_embeddings_not_2d(self) -> None:
        message = "embeddings must be a 2-D array of shape (n, d) (got shape (3,))."
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_accuracy(np.ones(3), [0, 1, 1])

    def test_nonfinite_rows_named(self) -> None:
        embeddings = np.eye(3)
        embeddings[2, 0] = np.nan
        message = (
            "Cannot normalise rows with NaN or infinity (rows 2); remove or fix "
            "them first."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_accuracy(embeddings, [0, 1, 1])

    def test_queries_out_of_range(self) -> None:
        message = "queries must be row positions in [0, 3) (got 3, -1)."
        with pytest.raises(ValueError, match=re.escape(message)):
            knn_predictions(np.eye(3), [0, 1, 1], queries=[0, 3, -1])


class TestL2Normalize:
    def test_rows_have_unit_norm(self) -> None:
        matrix = np.random.default_rng(0).standard_normal((20, 7)).astype(np.float32)

        result = l2_normalize(matrix)

        assert result.dtype == np.float32
        assert_allclose(np.linalg.norm(result, axis=1), 1.0, rtol=1e-6)

    def test_large_float32_rows_do_not_overflow(self) -> None:
        matrix = np.array([[3e20, 4e20]], dtype=np.float32)

        assert_allclose(l2_normalize(matrix), [[0.6, 0.8]], rtol=1e-6)

    def test_zero_rows_raise_by_default(self) -> None:
        message = (
            "Cannot normalise zero vectors, which have no direction (rows 1); "
            "remove them or pass zero_vectors='keep' to keep them as zeros."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            l2_normalize(np.array([[1.0, 0.0], [0.0, 0.0]]))

    def test_zero_rows_kept_on_request(self) -> None:
        result = l2_normalize(np.array([[0.0, 2.0], [0.0, 0.0]]), zero_vectors="keep")

        assert_array_equal(result, [[0.0, 1.0], [0.0, 0.0]])

    def test_row_names_in_message(self) -> None:
        message = (
            "Cannot normalise rows with NaN or infinity ('b.png'); remove or fix "
            "them first."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            l2_normalize(
                np.array([[1.0, 0.0], [np.inf, 0.0]]), row_names=["a.png", "b.png"]
            )

    def test_bad_zero_vectors_option(self) -> None:
        message = "zero_vectors must be 'raise' or 'keep' (got 'drop')."
        with pytest.raises(ValueError, match=re.escape(message)):
            l2_normalize(np.eye(2), zero_vectors="drop")  # type: ignore[arg-type]
