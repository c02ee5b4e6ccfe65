"""Tests for embedframe.embeddings_2d, the drop-in for lightly's module."""

from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest
from lightly.utils import embeddings_2d as lightly_2d
from numpy.testing import assert_allclose

from embedframe import embeddings_2d


def data(n: int, dim: int, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = 2.0 * 0.6 ** np.arange(dim)
    return (rng.standard_normal((n, dim)) * scales + 1.0).astype(np.float32)


class TestSignatures:
    def test_exports(self) -> None:
        assert embeddings_2d.__all__ == ["PCA", "fit_pca"]

    def test_pca_constructor_matches_lightly(self) -> None:
        ours = inspect.signature(embeddings_2d.PCA)
        theirs = inspect.signature(lightly_2d.PCA)

        assert list(ours.parameters) == list(theirs.parameters)
        for name in theirs.parameters:
            assert ours.parameters[name].default == theirs.parameters[name].default

    @pytest.mark.parametrize("method", ["fit", "transform"])
    def test_method_parameters_match_lightly(self, method: str) -> None:
        ours = inspect.signature(getattr(embeddings_2d.PCA, method))
        theirs = inspect.signature(getattr(lightly_2d.PCA, method))

        assert list(ours.parameters) == list(theirs.parameters)

    def test_fit_pca_parameters_match_lightly(self) -> None:
        ours = inspect.signature(embeddings_2d.fit_pca).parameters
        theirs = inspect.signature(lightly_2d.fit_pca).parameters

        assert list(ours)[: len(theirs)] == list(theirs)
        for name in theirs:
            assert ours[name].default == theirs[name].default
        assert ours["random_state"].kind is inspect.Parameter.KEYWORD_ONLY


class TestLightlyContract:
    def test_attributes_are_none_before_fit(self) -> None:
        model = embeddings_2d.PCA()

        assert model.n_components == 2
        assert model.eps == 1e-10
        assert model.mean is None
        assert model.w is None

    def test_fit_returns_self(self) -> None:
        model = embeddings_2d.PCA()

        assert model.fit(data(20, 4)) is model

    def test_transform_before_fit_is_value_error(self) -> None:
        message = "This PCA is not fitted yet; call fit(X) before transform(X)."
        with pytest.raises(ValueError, match=re.escape(message)):
            embeddings_2d.PCA().transform(data(3, 2))

    def test_fraction_out_of_range_is_value_error(self) -> None:
        message = (
            "fraction must be a number in (0, 1] (got 1.5); pass None to fit on "
            "all rows."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            embeddings_2d.fit_pca(data(10, 3), fraction=1.5)

    def test_same_picture_as_lightly_up_to_sign(self) -> None:
        # lightly adds eps to the centred data, which shifts its output by
        # eps times the column sums of w: far below the tolerance.
        embeddings = data(300, 6)

        ours = embeddings_2d.fit_pca(embeddings).transform(embeddings)
        theirs = lightly_2d.PCA().fit(embeddings).transform(embeddings)

        signs = np.sign(np.sum(ours * theirs, axis=0))
        assert_allclose(ours * signs, theirs, rtol=1e-4, atol=1e-4)

    def test_wide_data_stays_real(self) -> None:
        # The case where lightly's eig returns complex eigenvectors.
        embeddings = data(5, 10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert lightly_2d.PCA().fit(embeddings).w.dtype.kind == "c"

        model = embeddings_2d.PCA().fit(embeddings)

        assert model.w is not None
        assert model.w.dtype == np.float32
        assert model.transform(embeddings).dtype == np.float32

    def test_w_holds_kept_axes_only(self) -> None:
        model = embeddings_2d.PCA(n_components=3).fit(data(50, 8))

        assert model.w is not None
        assert model.w.shape == (8, 3)
