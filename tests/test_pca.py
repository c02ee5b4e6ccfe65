"""Tests for embedframe._pca: the PCA numerics behind .emb and embeddings_2d."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA as SklearnPCA

import embedframe
from embedframe import _pca
from embedframe._pca import PCA, fit_pca, pca_columns, with_projection
from embedframe.errors import EmbeddingValueError


def spread_data(
    n: int, dim: int, *, seed: int = 0, dtype: str = "float32"
) -> npt.NDArray[np.floating]:
    """Rows with well-separated variances along random axes and an offset mean.

    Distinct variances make every principal axis unique up to sign, so the
    comparison with scikit-learn is meaningful.
    """
    rng = np.random.default_rng(seed)
    scales = 3.0 * 0.7 ** np.arange(dim)
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    data = (rng.standard_normal((n, dim)) * scales) @ rotation.T + 5.0
    return data.astype(dtype)


def align_signs(
    reference: npt.NDArray[np.floating], columns: npt.NDArray[np.floating]
) -> npt.NDArray[np.floating]:
    """Flip each column of ``columns`` to point the same way as ``reference``."""
    signs = np.sign(np.sum(reference * columns, axis=0))
    return columns * signs


# Both solvers: more rows than dimensions (eigh) and fewer (SVD).
SHAPES = [(500, 12), (40, 12), (12, 40)]


class TestAgainstScikitLearn:
    @pytest.mark.parametrize(("n", "dim"), SHAPES)
    def test_projection_matches_float64_reference(self, n: int, dim: int) -> None:
        data = spread_data(n, dim)
        k = min(3, n, dim)
        reference = SklearnPCA(n_components=k, svd_solver="full")
        expected = reference.fit_transform(data.astype(np.float64))

        result = PCA(n_components=k).fit(data).transform(data)

        scale = np.abs(expected).max()
        assert_allclose(
            align_signs(expected, result), expected, rtol=1e-5, atol=1e-5 * scale
        )

    @pytest.mark.parametrize(("n", "dim"), SHAPES)
    def test_axes_and_variances_match(self, n: int, dim: int) -> None:
        data = spread_data(n, dim)
        k = min(3, n, dim)
        reference = SklearnPCA(n_components=k, svd_solver="full")
        reference.fit(data.astype(np.float64))

        model = PCA(n_components=k).fit(data)

        assert model.w is not None
        expected_axes = reference.components_.T
        assert_allclose(align_signs(expected_axes, model.w), expected_axes, atol=1e-5)
        assert_allclose(
            model.explained_variance, reference.explained_variance_, rtol=1e-5
        )
        assert_allclose(
            model.explained_variance_ratio,
            reference.explained_variance_ratio_,
            rtol=1e-5,
        )
        assert model.mean is not None
        assert_allclose(model.mean, reference.mean_, rtol=1e-6)

    def test_float64_matches_tightly(self) -> None:
        data = spread_data(300, 10, dtype="float64")
        expected = SklearnPCA(n_components=2, svd_solver="full").fit_transform(data)

        result = PCA().fit(data).transform(data)

        assert_allclose(align_signs(expected, result), expected, rtol=1e-9, atol=1e-9)


class TestDtypes:
    @pytest.mark.parametrize(("n", "dim"), SHAPES)
    def test_float32_in_float32_out(self, n: int, dim: int) -> None:
        data = spread_data(n, dim)

        model = PCA(n_components=2).fit(data)

        assert model.mean is not None
        assert model.w is not None
        assert model.mean.dtype == np.float32
        assert model.w.dtype == np.float32
        assert model.transform(data).dtype == np.float32

    def test_float64_in_float64_out(self) -> None:
        data = spread_data(50, 4, dtype="float64")

        assert PCA().fit(data).transform(data).dtype == np.float64

    def test_integers_become_float32(self) -> None:
        data = np.array([[0, 1], [2, 0], [4, 5]], dtype=np.int64)

        assert PCA().fit(data).transform(data).dtype == np.float32

    def test_components_are_real_with_fewer_rows(self) -> None:
        # lightly's eig gives complex vectors here; filterwarnings=error also
        # turns any ComplexWarning into a failure.
        data = spread_data(5, 10)

        model = PCA().fit(data)

        assert model.w is not None
        assert model.w.dtype.kind == "f"
        assert np.all(np.isfinite(model.transform(data)))

    @given(
        n=st.integers(2, 30),
        dim=st.integers(1, 8),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_float32_kept_for_any_shape(self, n: int, dim: int, seed: int) -> None:
        data = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)

        result = PCA(n_components=1).fit(data).transform(data)

        assert result.dtype == np.float32
        assert result.shape == (n, 1)


class TestSigns:
    def test_largest_entry_of_each_axis_is_positive(self) -> None:
        model = PCA(n_components=4).fit(spread_data(200, 6))

        assert model.w is not None
        largest = model.w[np.argmax(np.abs(model.w), axis=0), np.arange(4)]
        assert np.all(largest > 0)

    def test_negated_data_gives_same_axes(self) -> None:
        data = spread_data(200, 6, dtype="float64")

        first = PCA(n_components=3).fit(data)
        second = PCA(n_components=3).fit(-data)

        assert first.w is not None
        assert second.w is not None
        assert_allclose(first.w, second.w, atol=1e-12)

    def test_row_order_does_not_change_picture(self) -> None:
        data = spread_data(300, 8)
        shuffled = data[np.random.default_rng(1).permutation(300)]

        first = PCA().fit(data).transform(data)
        second = PCA().fit(shuffled).transform(data)

        assert_allclose(first, second, rtol=1e-5, atol=1e-5)

    def test_repeated_fits_are_identical(self) -> None:
        data = spread_data(100, 20)

        first = PCA().fit(data).transform(data)
        second = PCA().fit(data.copy()).transform(data)

        assert_array_equal(first, second)


class TestInvariants:
    @given(
        n=st.integers(2, 25),
        dim=st.integers(1, 6),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_all_components_keep_total_variance(
        self, n: int, dim: int, seed: int
    ) -> None:
        data = np.random.default_rng(seed).standard_normal((n, dim))
        k = min(n, dim)

        model = PCA(n_components=k).fit(data)
        projected = model.transform(data)

        total = data.var(axis=0, ddof=1).sum()
        assert model.explained_variance is not None
        assert_allclose(model.explained_variance.sum(), total, rtol=1e-9, atol=1e-12)
        assert_allclose(
            projected.var(axis=0, ddof=1).sum(), total, rtol=1e-9, atol=1e-12
        )

    def test_variance_ratios_sorted_and_at_most_one(self) -> None:
        model = PCA(n_components=5).fit(spread_data(100, 8))

        ratios = model.explained_variance_ratio
        assert ratios is not None
        assert np.all(np.diff(ratios) <= 0)
        assert ratios.sum() <= 1.0 + 1e-12

    def test_axes_are_orthonormal(self) -> None:
        model = PCA(n_components=4).fit(spread_data(30, 50))

        assert model.w is not None
        assert_allclose(model.w.T @ model.w, np.eye(4), atol=1e-5)

    def test_constant_data_gives_zero_ratios(self) -> None:
        data = np.ones((4, 3), dtype=np.float32)

        model = PCA(n_components=2).fit(data)

        assert_array_equal(model.explained_variance_ratio, [0.0, 0.0])
        assert_array_equal(model.transform(data), np.zeros((4, 2), dtype=np.float32))

    def test_input_is_not_changed(self) -> None:
        data = spread_data(50, 5)
        before = data.copy()

        PCA().fit(data).transform(data)

        assert_array_equal(data, before)

    def test_fit_transform_equals_fit_then_transform(self) -> None:
        data = spread_data(60, 5)

        assert_array_equal(PCA().fit_transform(data), PCA().fit(data).transform(data))

    def test_transform_works_across_blocks(self) -> None:
        data = spread_data(_pca._BLOCK_ROWS * 2 + 3, 3, dtype="float64")
        model = PCA().fit(data)

        assert model.mean is not None
        assert model.w is not None
        expected = (data - model.mean) @ model.w
        assert_allclose(model.transform(data), expected, rtol=1e-12, atol=1e-12)


class TestErrors:
    def test_transform_before_fit(self) -> None:
        message = "This PCA is not fitted yet; call fit(X) before transform(X)."
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            PCA().transform(np.zeros((2, 2)))

    def test_too_many_components(self) -> None:
        message = (
            "n_components=4 is more than the data allows: 3 rows of 10 dimensions "
            "have at most 3 principal components. Pass n_components <= 3."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA(n_components=4).fit(np.zeros((3, 10)))

    def test_one_row(self) -> None:
        message = "PCA needs at least 2 rows to fit (got 1); pass more rows."
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA(n_components=1).fit(np.zeros((1, 3)))

    def test_nonfinite_rows_named(self) -> None:
        data = np.zeros((8, 2))
        data[[1, 6], 0] = [np.nan, np.inf]
        message = (
            "The data contains NaN or infinity in 2 rows (rows 1, 6); remove or "
            "fix them before fitting PCA."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA().fit(data)

    def test_float32_overflow_uses_float64(self) -> None:
        data = np.array([[3e30, 0.0], [-3e30, 1.0], [0.0, 2.0]], dtype=np.float32)

        model = PCA(n_components=1).fit(data)

        assert model.w is not None
        assert_allclose(model.w, [[1.0], [0.0]], atol=1e-12)
        assert model.transform(data).dtype == np.float32

    def test_overflowing_float64_covariance(self) -> None:
        data = np.array([[1e200, 0.0], [-1e200, 1.0], [0.0, 2.0]])
        message = (
            "The data is too large to fit: its covariance overflows float64. "
            "Scale the embeddings down before fitting PCA."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA().fit(data)

    def test_one_dimension_singular(self) -> None:
        """Counts of 1 read '1 row', '1 dimension', '1 principal component'."""
        limit_message = (
            "n_components=2 is more than the data allows: 5 rows of 1 dimension "
            "have at most 1 principal component. Pass n_components <= 1."
        )
        transform_message = (
            "X has 1 dimension but the PCA was fitted on 3; pass rows with "
            "3 dimensions."
        )
        data = np.zeros((8, 2))
        data[6, 0] = np.nan
        nonfinite_message = (
            "The data contains NaN or infinity in 1 row (rows 6); remove or fix "
            "them before fitting PCA."
        )

        with pytest.raises(ValueError, match=re.escape(limit_message)):
            PCA(n_components=2).fit(np.arange(5.0).reshape(5, 1))
        with pytest.raises(ValueError, match=re.escape(transform_message)):
            PCA().fit(np.eye(3)).transform(np.zeros((1, 1)))
        with pytest.raises(ValueError, match=re.escape(nonfinite_message)):
            PCA().fit(data)

    def test_wrong_dimension_on_transform(self) -> None:
        model = PCA().fit(np.eye(3))
        message = (
            "X has 2 dimensions but the PCA was fitted on 3; pass rows with "
            "3 dimensions."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            model.transform(np.zeros((1, 2)))

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                np.zeros(3),
                "X must be a 2-D array of shape (n, d) (got shape (3,)).",
            ),
            (
                np.zeros((3, 0)),
                "X must have at least one dimension (got shape (3, 0)).",
            ),
            (
                np.array([["a", "b"], ["c", "d"]]),
                "X must contain numbers (got dtype <U1).",
            ),
        ],
    )
    def test_bad_shapes(self, data: npt.NDArray[np.generic], message: str) -> None:
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA().fit(data)

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (0, "n_components must be a positive integer (got 0)."),
            (2.5, "n_components must be a positive integer (got 2.5)."),
            (True, "n_components must be a positive integer (got True)."),
        ],
    )
    def test_bad_n_components(self, value: object, message: str) -> None:
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA(n_components=value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("eps", [-1.0, float("nan"), float("inf")])
    def test_bad_eps(self, eps: float) -> None:
        message = f"eps must be a finite number >= 0 (got {eps!r})."
        with pytest.raises(ValueError, match=re.escape(message)):
            PCA(eps=eps)


class TestFitPca:
    def test_seed_repeats_sample(self) -> None:
        data = spread_data(400, 6)

        first = fit_pca(data, fraction=0.1, random_state=3)
        second = fit_pca(data, fraction=0.1, random_state=3)

        assert_array_equal(first.mean, second.mean)
        assert_array_equal(first.w, second.w)

    def test_different_seeds_pick_different_rows(self) -> None:
        data = spread_data(400, 6)

        first = fit_pca(data, fraction=0.1, random_state=3)
        second = fit_pca(data, fraction=0.1, random_state=4)

        assert not np.array_equal(first.mean, second.mean)

    def test_sample_size_rounds_down(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seen: list[tuple[int, ...]] = []
        original = PCA.fit

        def record(model: PCA, x: npt.NDArray[np.floating]) -> PCA:
            seen.append(x.shape)
            return original(model, x)

        monkeypatch.setattr(PCA, "fit", record)
        fit_pca(spread_data(100, 3), fraction=0.29, random_state=0)
        fit_pca(spread_data(100, 3), fraction=0.555, random_state=0)

        assert seen == [(29, 3), (55, 3)]

    def test_sample_rows_come_from_data(self) -> None:
        data = spread_data(50, 3, dtype="float64")
        rows = np.sort(np.random.default_rng(7).choice(50, size=25, replace=False))

        model = fit_pca(data, fraction=0.5, random_state=7)

        assert_allclose(model.mean, data[rows].mean(axis=0), rtol=1e-12)

    def test_without_fraction_uses_all_rows(self) -> None:
        data = spread_data(80, 4)

        assert_array_equal(fit_pca(data).w, PCA().fit(data).w)

    def test_fraction_leaving_too_few_rows(self) -> None:
        message = (
            "fraction=0.01 of 50 rows selects 0 rows, but PCA needs at least 2; "
            "pass fraction >= 0.04."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            fit_pca(np.zeros((50, 3)), fraction=0.01)

    def test_fraction_of_one_row(self) -> None:
        message = (
            "fraction=1.0 of 1 row selects 1 row, but PCA needs at least 2; "
            "pass more rows."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            fit_pca(np.zeros((1, 3)), n_components=1, fraction=1.0)

    @pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5, float("nan"), "half"])
    def test_fraction_out_of_range(self, fraction: object) -> None:
        message = (
            f"fraction must be a number in (0, 1] (got {fraction!r}); pass None "
            "to fit on all rows."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            fit_pca(np.zeros((10, 3)), fraction=fraction)  # type: ignore[arg-type]


class TestWithProjection:
    def frame(self) -> pd.DataFrame:
        data = spread_data(30, 4)
        names = [f"{i}.png" for i in range(30)]
        return embedframe.build_frame(data, names, np.arange(30) % 3)

    def test_adds_columns_after_existing(self) -> None:
        frame = self.frame()
        model = PCA(n_components=3).fit(frame.emb.matrix)

        result = with_projection(frame, model)

        assert result.columns.tolist() == [*frame.columns, *pca_columns(3)]
        assert_array_equal(
            result[pca_columns(3)].to_numpy(), model.transform(frame.emb.matrix)
        )
        assert (result[pca_columns(3)].dtypes == np.float32).all()

    def test_replaces_earlier_pca_columns(self) -> None:
        frame = self.frame()
        three = with_projection(frame, PCA(n_components=3).fit(frame.emb.matrix))

        result = with_projection(three, PCA(n_components=1).fit(frame.emb.matrix))

        assert result.columns.tolist() == [*frame.columns, "pca_0"]

    def test_keeps_index_and_leaves_input_unchanged(self) -> None:
        frame = self.frame()
        frame.index = pd.RangeIndex(100, 130)
        before = frame.copy()

        result = with_projection(frame, PCA().fit(frame.emb.matrix))

        pd.testing.assert_frame_equal(frame, before)
        assert result.index.equals(frame.index)
        assert not result[pca_columns(2)].isna().any().any()


def test_benchmark_runs_on_small_data(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).parent.parent / "benchmarks" / "bench_pca.py"
    spec = importlib.util.spec_from_file_location("bench_pca", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    code = module.main(["--rows", "300", "--dim", "8", "--repeats", "1"])

    assert code == 0
    output = capsys.readouterr().out
    assert output.startswith("PCA fit + transform, 300 x 8 float32, 2 components\n")
    assert "ratio lightly / embedframe: " in output
