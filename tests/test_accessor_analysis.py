"""Tests for the analysis methods of the .emb accessor.

pca, fit_pca, project, reorder, normalize, collapse, knn_accuracy, describe,
to_dict and to_torch. Each returns a new frame or a value and leaves the
caller's frame, including its attrs, unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lightly.utils.io import load_embeddings_as_dict
from numpy.testing import assert_allclose, assert_array_equal

import embedframe
from embedframe._describe import collapse, describe
from embedframe._knn import knn_accuracy
from embedframe._pca import fit_pca
from embedframe.errors import EmbeddingValueError


def make_frame(n: int = 12, dim: int = 4, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    matrix = (rng.standard_normal((n, dim)) + 0.5).astype(np.float32)
    labels = rng.integers(0, 3, n)
    return embedframe.build_frame(
        matrix, [f"img/{i:03d}.png" for i in range(n)], labels
    )


def assert_unchanged(frame: pd.DataFrame, before: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, before)
    assert frame.attrs == before.attrs


class TestAccessor:
    def test_stores_only_the_frame(self) -> None:
        frame = make_frame()

        assert vars(frame.emb) == {"_df": frame}


class TestPca:
    def test_adds_columns_with_pca_values(self) -> None:
        frame = make_frame()

        result = frame.emb.pca(3)

        assert result.columns.tolist() == [
            *frame.columns,
            "pca_0",
            "pca_1",
            "pca_2",
        ]
        expected = fit_pca(frame.emb.matrix, 3).transform(frame.emb.matrix)
        assert_array_equal(result[["pca_0", "pca_1", "pca_2"]].to_numpy(), expected)
        pd.testing.assert_frame_equal(result[frame.columns], frame)

    def test_caller_unchanged(self) -> None:
        frame = make_frame()
        frame.attrs["run"] = 3
        before = frame.copy()

        frame.emb.pca()

        assert_unchanged(frame, before)

    def test_seeded_fraction_repeats(self) -> None:
        frame = make_frame(100)

        first = frame.emb.pca(fraction=0.3, random_state=1)
        second = frame.emb.pca(fraction=0.3, random_state=1)

        pd.testing.assert_frame_equal(first, second)

    def test_model_reused_on_other_frame(self) -> None:
        train = make_frame(50, seed=1)
        test = make_frame(8, seed=2)
        model = train.emb.fit_pca(2)

        result = test.emb.project(model)

        assert_array_equal(
            result[["pca_0", "pca_1"]].to_numpy(), model.transform(test.emb.matrix)
        )

    def test_pca_equals_project_of_fit(self) -> None:
        frame = make_frame()

        pd.testing.assert_frame_equal(
            frame.emb.pca(), frame.emb.project(frame.emb.fit_pca())
        )

    def test_result_survives_parquet(self, tmp_path: Path) -> None:
        result = make_frame().emb.pca()
        path = tmp_path / "pca.parquet"

        result.emb.to_parquet(path)

        pd.testing.assert_frame_equal(embedframe.read_parquet(path), result)

    def test_too_many_components(self) -> None:
        message = (
            "n_components=5 is more than the data allows: 12 rows of 4 dimensions "
            "have at most 4 principal components. Pass n_components <= 4."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            make_frame().emb.pca(5)


class TestReorder:
    @given(st.permutations(list(range(10))))
    def test_permutation_keeps_rows_together(self, order: list[int]) -> None:
        frame = make_frame(10)
        frame["note"] = [f"note {i}" for i in range(10)]
        names = frame["filenames"].tolist()

        result = frame.emb.reorder([names[i] for i in order])

        assert result["filenames"].tolist() == [names[i] for i in order]
        assert_array_equal(result.emb.matrix, frame.emb.matrix[order])
        assert result["labels"].tolist() == frame["labels"].to_numpy()[order].tolist()
        assert result["note"].tolist() == [f"note {i}" for i in order]
        assert result.index.tolist() == order

    def test_caller_unchanged(self) -> None:
        frame = make_frame(3)
        before = frame.copy()

        frame.emb.reorder(frame["filenames"].tolist()[::-1])

        assert_unchanged(frame, before)

    def test_unknown_duplicate_and_missing_names(self) -> None:
        frame = make_frame(3)
        message = (
            "filenames must list each file name of the frame exactly once, but "
            "filenames has file names not in the frame: 'x.png'; filenames has "
            "duplicate file names: 'img/000.png'; filenames leaves out file "
            "names of the frame: 'img/001.png', 'img/002.png'."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            frame.emb.reorder(["img/000.png", "x.png", "img/000.png"])

    def test_frame_with_duplicate_names(self) -> None:
        frame = embedframe.build_frame(
            np.eye(2, dtype=np.float32), ["a.png", "a.png"], validate=False
        )
        message = (
            "filenames must list each file name of the frame exactly once, but "
            "the frame has duplicate file names: 'a.png'; filenames has "
            "duplicate file names: 'a.png'."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            frame.emb.reorder(["a.png", "a.png"])


class TestNormalize:
    def test_unit_rows_same_dtype_and_columns(self) -> None:
        frame = make_frame()
        frame["note"] = "x"

        result = frame.emb.normalize()

        assert result.columns.tolist() == frame.columns.tolist()
        assert (result.dtypes == frame.dtypes).all()
        assert_allclose(np.linalg.norm(result.emb.matrix, axis=1), 1.0, rtol=1e-6)
        others = ["filenames", "labels", "note"]
        pd.testing.assert_frame_equal(result[others], frame[others])

    def test_direction_kept(self) -> None:
        frame = make_frame()
        matrix = frame.emb.matrix

        result = frame.emb.normalize().emb.matrix

        norms = np.linalg.norm(matrix.astype(np.float64), axis=1, keepdims=True)
        assert_allclose(result, matrix / norms, rtol=1e-6)

    def test_caller_unchanged(self) -> None:
        frame = make_frame()
        frame.attrs["run"] = 1
        before = frame.copy()

        frame.emb.normalize()

        assert_unchanged(frame, before)

    def test_zero_vector_raises_with_filename(self) -> None:
        frame = embedframe.build_frame(
            np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32), ["a.png", "z.png"]
        )
        message = (
            "Cannot normalise zero vectors, which have no direction ('z.png'); "
            "remove them or pass zero_vectors='keep' to keep them as zeros."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            frame.emb.normalize()

    def test_zero_vector_kept_on_request(self) -> None:
        frame = embedframe.build_frame(
            np.array([[0.0, 2.0], [0.0, 0.0]], dtype=np.float32), ["a.png", "z.png"]
        )

        result = frame.emb.normalize(zero_vectors="keep")

        assert_array_equal(result.emb.matrix, [[0.0, 1.0], [0.0, 0.0]])

    def test_nonfinite_raises_with_filename(self) -> None:
        frame = embedframe.build_frame(
            np.array([[1.0, 0.0], [np.nan, 0.0]], dtype=np.float32),
            ["a.png", "n.png"],
            validate=False,
        )
        message = (
            "Cannot normalise rows with NaN or infinity ('n.png'); remove or fix "
            "them first."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            frame.emb.normalize()


class TestMeasures:
    def test_collapse(self) -> None:
        frame = make_frame(40)

        assert frame.emb.collapse() == collapse(frame.emb.matrix)

    def test_knn_accuracy(self) -> None:
        frame = make_frame(40)
        labels = frame["labels"].to_numpy()

        result = frame.emb.knn_accuracy(5, temperature=0.2)

        assert result == knn_accuracy(frame.emb.matrix, labels, k=5, temperature=0.2)

    def test_knn_accuracy_sampled(self) -> None:
        frame = make_frame(40)
        labels = frame["labels"].to_numpy()

        result = frame.emb.knn_accuracy(max_queries=10, random_state=2)

        assert result == knn_accuracy(
            frame.emb.matrix, labels, max_queries=10, random_state=2
        )

    def test_describe(self) -> None:
        frame = make_frame(40)
        frame.attrs["run"] = 1
        before = frame.copy()

        summary = frame.emb.describe(k=5)

        assert summary == describe(frame, k=5)
        assert_unchanged(frame, before)


class TestToDict:
    def test_same_payload_as_lightly(self, tmp_path: Path) -> None:
        frame = make_frame(5, 3)
        path = tmp_path / "e.csv"
        frame.emb.to_csv(path)

        result = frame.emb.to_dict("run-1")

        assert result == load_embeddings_as_dict(str(path), embedding_name="run-1")

    def test_structure(self) -> None:
        frame = embedframe.build_frame(
            np.array([[0.1, 2.5], [-1.0, 0.0]], dtype=np.float32),
            ["a.png", "b.png"],
            [4, 0],
        )

        result = frame.emb.to_dict()

        assert result == {
            "embeddingName": "default",
            "embeddings": [
                {"fileName": "a.png", "value": [0.1, 2.5], "label": 4},
                {"fileName": "b.png", "value": [-1.0, 0.0], "label": 0},
            ],
        }
        assert type(result["embeddings"][0]["label"]) is int

    def test_float64_values_exact(self) -> None:
        values = np.array([[0.1 + 1e-12, 1 / 3]])
        frame = embedframe.build_frame(values, ["a.png"], [0])

        result = frame.emb.to_dict("x")

        assert result["embeddings"][0]["value"] == values[0].tolist()

    def test_json_without_nan(self) -> None:
        payload = make_frame().emb.to_dict("x")

        assert json.loads(json.dumps(payload, allow_nan=False)) == payload

    def test_nonfinite_rejected_with_filenames(self) -> None:
        frame = embedframe.build_frame(
            np.array([[np.nan], [1.0], [np.inf]], dtype=np.float32),
            ["a.png", "b.png", "c.png"],
            validate=False,
        )
        message = (
            "Cannot build the upload payload: 2 embeddings contain NaN or "
            "infinity ('a.png', 'c.png'). Remove or fix those rows first."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            frame.emb.to_dict("x")

    def test_one_nonfinite_embedding(self) -> None:
        frame = embedframe.build_frame(
            np.array([[1.0], [np.nan]], dtype=np.float32),
            ["a.png", "b.png"],
            validate=False,
        )
        message = (
            "Cannot build the upload payload: 1 embedding contains NaN or "
            "infinity ('b.png'). Remove or fix those rows first."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            frame.emb.to_dict("x")

    @pytest.mark.parametrize("name", ["", None, 3])
    def test_bad_embedding_name(self, name: object) -> None:
        message = f"embedding_name must be a non-empty string (got {name!r})."
        with pytest.raises(ValueError, match=re.escape(message)):
            make_frame().emb.to_dict(name)  # type: ignore[arg-type]


class TestToTorch:
    def test_tensor_equals_matrix(self) -> None:
        torch = pytest.importorskip("torch")
        frame = make_frame()

        tensor = frame.emb.to_torch()

        assert isinstance(tensor, torch.Tensor)
        assert tensor.dtype == torch.float32
        assert_array_equal(tensor.numpy(), frame.emb.matrix)
