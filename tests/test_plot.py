"""Tests for embedframe._plot and df.emb.plot: the 2-D PCA scatter plot.

Figures are built with matplotlib.figure.Figure directly, so no backend or
pyplot state is involved.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from numpy.testing import assert_allclose, assert_array_equal

import embedframe
from embedframe._pca import fit_pca
from embedframe._plot import MAX_LEGEND_ENTRIES, plot_pca
from embedframe.errors import EmbeddingValueError


def labelled_frame(n: int, n_labels: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, 5)).astype(np.float32)
    labels = np.arange(n) % n_labels
    return embedframe.build_frame(matrix, [f"{i}.png" for i in range(n)], labels)


def scatters(figure: Figure) -> list[PathCollection]:
    return [c for c in figure.axes[0].collections if isinstance(c, PathCollection)]


class TestContent:
    def test_one_scatter_per_label_with_all_points(self) -> None:
        frame = labelled_frame(30, 3)

        figure = frame.emb.plot()

        collections = scatters(figure)
        assert len(collections) == 3
        assert [len(c.get_offsets()) for c in collections] == [10, 10, 10]

    def test_each_label_has_its_own_colour(self) -> None:
        figure = labelled_frame(30, 4).emb.plot()

        colours = [tuple(c.get_facecolor()[0]) for c in scatters(figure)]

        assert len(set(colours)) == 4

    def test_points_are_pca_coordinates(self) -> None:
        frame = labelled_frame(40, 2)
        expected = fit_pca(frame.emb.matrix).transform(frame.emb.matrix)

        figure = frame.emb.plot()

        first, second = scatters(figure)
        labels = frame["labels"].to_numpy()
        assert_allclose(first.get_offsets(), expected[labels == 0], rtol=1e-6)
        assert_allclose(second.get_offsets(), expected[labels == 1], rtol=1e-6)

    def test_legend_lists_labels(self) -> None:
        frame = labelled_frame(12, 3)
        frame["labels"] = frame["labels"] * 5 + 2

        figure = frame.emb.plot()

        legend = figure.axes[0].get_legend()
        assert [text.get_text() for text in legend.get_texts()] == ["2", "7", "12"]
        assert legend.get_title().get_text() == "label"

    def test_title_and_axis_titles_say_what_is_shown(self) -> None:
        frame = labelled_frame(30, 2)
        model = fit_pca(frame.emb.matrix)
        assert model.explained_variance_ratio is not None
        first, second = model.explained_variance_ratio

        axes = frame.emb.plot().axes[0]

        assert axes.get_title() == (
            "PCA of 30 embeddings (5 dimensions), coloured by label"
        )
        assert axes.get_xlabel() == f"PC 1 ({first:.1%} of variance)"
        assert axes.get_ylabel() == f"PC 2 ({second:.1%} of variance)"

    def test_custom_title(self) -> None:
        axes = labelled_frame(10, 2).emb.plot(title="Run 7").axes[0]

        assert axes.get_title() == "Run 7"

    def test_many_labels_legend_truncated(self) -> None:
        frame = labelled_frame(50, 25)

        figure = frame.emb.plot()

        legend = figure.axes[0].get_legend()
        texts = [text.get_text() for text in legend.get_texts()]
        assert texts == [str(i) for i in range(MAX_LEGEND_ENTRIES)]
        assert legend.get_title().get_text() == "label (first 20 of 25)"
        assert len(scatters(figure)) == 25
        colours = {tuple(c.get_facecolor()[0]) for c in scatters(figure)}
        assert len(colours) == 25

    def test_model_from_other_frame(self) -> None:
        train = labelled_frame(50, 2, seed=1)
        test = labelled_frame(20, 1, seed=2)
        model = train.emb.fit_pca()

        figure = test.emb.plot(model=model)

        (points,) = scatters(figure)
        assert_allclose(
            points.get_offsets(), model.transform(test.emb.matrix), rtol=1e-6
        )

    def test_seeded_fraction_repeats(self) -> None:
        frame = labelled_frame(100, 2)

        first = frame.emb.plot(fraction=0.5, random_state=4)
        second = frame.emb.plot(fraction=0.5, random_state=4)

        for a, b in zip(scatters(first), scatters(second), strict=True):
            assert_array_equal(a.get_offsets(), b.get_offsets())

    def test_saves_png(self) -> None:
        buffer = io.BytesIO()

        labelled_frame(20, 2).emb.plot().savefig(buffer, format="png")

        assert buffer.getvalue().startswith(b"\x89PNG\r\n\x1a\n")

    def test_frame_not_changed(self) -> None:
        frame = labelled_frame(20, 2)
        before = frame.copy()

        frame.emb.plot()

        pd.testing.assert_frame_equal(frame, before)


class TestErrors:
    def test_nonfinite_rows(self) -> None:
        frame = labelled_frame(10, 2)
        matrix = frame.emb.to_numpy().copy()
        matrix[[3, 7], 0] = np.nan
        broken = embedframe.build_frame(
            matrix, frame["filenames"].tolist(), frame["labels"], validate=False
        )
        message = (
            "Cannot plot rows with NaN or infinity (2 rows, first at position 3); "
            "remove or fix them first."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            broken.emb.plot()

    def test_one_nonfinite_row(self) -> None:
        frame = labelled_frame(10, 2)
        matrix = frame.emb.to_numpy().copy()
        matrix[4, 1] = np.inf
        broken = embedframe.build_frame(
            matrix, frame["filenames"].tolist(), frame["labels"], validate=False
        )
        message = (
            "Cannot plot rows with NaN or infinity (1 row, first at position 4); "
            "remove or fix them first."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            broken.emb.plot()

    def test_one_dimension(self) -> None:
        frame = embedframe.build_frame(
            np.arange(4.0).reshape(4, 1), ["a", "b", "c", "d"], [0, 1, 0, 1]
        )
        message = (
            "The plot needs at least 2 embedding dimensions, found 1, because "
            "it draws the first two principal components."
        )
        with pytest.raises(EmbeddingValueError, match=re.escape(message)):
            frame.emb.plot()

    def test_model_with_one_component(self) -> None:
        frame = labelled_frame(10, 2)
        model = frame.emb.fit_pca(1)
        message = (
            "The plot needs a model with at least 2 components (got "
            "n_components=1); fit one with n_components=2."
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            plot_pca(frame, model=model)

    def test_missing_matplotlib_names_extra(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        message = (
            "matplotlib is required for this feature but is not installed. "
            "Install it with: pip install 'embedframe[plot]'"
        )
        with pytest.raises(ImportError, match=re.escape(message)):
            plot_pca(labelled_frame(5, 2))


def test_import_leaves_out_matplotlib_and_torch() -> None:
    code = (
        "import sys, embedframe, embedframe.embeddings_2d, embedframe.benchmarking,"
        " embedframe.reordering, embedframe.version_compare, embedframe._plot\n"
        "frame = embedframe.build_frame([[1.0, 0.0], [0.0, 1.0]], ['a', 'b'], [0, 1])\n"
        "frame.emb.describe(); frame.emb.pca()\n"
        "print(sorted(m for m in ('matplotlib', 'torch') if m in sys.modules))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
