"""A 2-D PCA scatter plot of an embedding frame, coloured by label.

matplotlib is imported inside :func:`plot_pca`, so ``import embedframe``
works without it. The figure is built with ``matplotlib.figure.Figure``
directly, never through ``pyplot``, so no GUI backend is involved and the
figure is not registered with pyplot's global figure manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from embedframe._compat import optional_import
from embedframe._frame import embedding_matrix
from embedframe._layout import LABELS
from embedframe._pca import PCA, RandomState, fit_pca
from embedframe._text import plural
from embedframe.errors import EmbeddingValueError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_LEGEND_ENTRIES", "plot_pca"]

#: Labels listed in the legend; with more labels only the first are listed.
MAX_LEGEND_ENTRIES = 20


def plot_pca(
    df: pd.DataFrame,
    *,
    model: PCA | None = None,
    fraction: float | None = None,
    random_state: RandomState = None,
    title: str | None = None,
) -> Figure:
    """Draw the rows of a frame on their first two principal components.

    Each label gets one colour and one legend entry (up to 20 entries), and
    the axis titles give the share of variance along each component.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame in the Lightly layout with at least 2 rows and 2 dimensions,
        without NaN or infinite values. It is not changed.
    model : PCA, optional
        A fitted model with at least 2 components, such as one from
        ``other.emb.fit_pca()``, so several frames share the same axes.
        Fitted to ``df`` when None.
    fraction, random_state
        Passed to :func:`embedframe.embeddings_2d.fit_pca` when ``model``
        is None.
    title : str, optional
        The figure title; by default it names the data shown.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure with one axes. Save it with ``figure.savefig(path)``.

    Raises
    ------
    ImportError
        If matplotlib is not installed; it names the ``plot`` extra.
    EmbeddingValueError
        If the frame has fewer than 2 embedding dimensions, the embeddings
        contain NaN or infinity, ``model`` has fewer than 2 components, or
        PCA cannot be fitted.

    Examples
    --------
    >>> from embedframe import build_frame
    >>> frame = build_frame(
    ...     [[0.0, 1.0, 0.0], [1.0, 0.0, 0.5], [0.5, 0.5, 1.0]],
    ...     ["a.png", "b.png", "c.png"],
    ...     [0, 1, 1],
    ... )
    >>> figure = plot_pca(frame)
    >>> figure.axes[0].get_title()
    'PCA of 3 embeddings (3 dimensions), coloured by label'
    """
    matplotlib = optional_import("matplotlib", extra="plot")
    figure_module = optional_import("matplotlib.figure", extra="plot")

    matrix = embedding_matrix(df)
    if matrix.shape[1] < 2:
        raise EmbeddingValueError(
            f"The plot needs at least 2 embedding dimensions, found "
            f"{matrix.shape[1]}, because it draws the first two principal "
            f"components."
        )
    bad_rows = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad_rows.size:
        raise EmbeddingValueError(
            f"Cannot plot rows with NaN or infinity "
            f"({plural(bad_rows.size, 'row')}, first at position {bad_rows[0]}); "
            f"remove or fix them first."
        )
    if model is None:
        model = fit_pca(matrix, 2, fraction, random_state=random_state)
    elif model.n_components < 2:
        raise EmbeddingValueError(
            f"The plot needs a model with at least 2 components (got "
            f"n_components={model.n_components}); fit one with n_components=2."
        )
    coordinates = model.transform(matrix)[:, :2]

    figure: Figure = figure_module.Figure(figsize=(7.0, 6.0), layout="constrained")
    axes = figure.add_subplot()
    labels = df[LABELS].to_numpy()
    distinct = np.unique(labels)
    colours = _colours(matplotlib, distinct.size)
    size = float(np.clip(10000 / max(len(df), 1), 2.0, 36.0))
    for i, label in enumerate(distinct):
        rows = labels == label
        axes.scatter(
            coordinates[rows, 0],
            coordinates[rows, 1],
            s=size,
            color=colours[i],
            linewidths=0,
            label=str(label) if i < MAX_LEGEND_ENTRIES else "_nolegend_",
        )

    legend_title = "label"
    if distinct.size > MAX_LEGEND_ENTRIES:
        legend_title = f"label (first {MAX_LEGEND_ENTRIES} of {distinct.size})"
    legend = axes.legend(title=legend_title, loc="best")
    for handle in legend.legend_handles:
        # Legend markers at a readable size, however small the points are.
        handle.set_sizes([36.0])  # type: ignore[union-attr]
    axes.set_xlabel(_axis_title(model, 0))
    axes.set_ylabel(_axis_title(model, 1))
    if title is None:
        title = (
            f"PCA of {len(df)} embeddings ({matrix.shape[1]} dimensions), "
            "coloured by label"
        )
    axes.set_title(title)
    return figure


def _colours(matplotlib: Any, count: int) -> npt.NDArray[np.float64]:
    """Return ``count`` RGBA colours: tab10 or tab20 when they suffice."""
    if count <= 10:
        palette = matplotlib.colormaps["tab10"]
        return np.asarray(palette(np.arange(count)), dtype=np.float64)
    if count <= 20:
        palette = matplotlib.colormaps["tab20"]
        return np.asarray(palette(np.arange(count)), dtype=np.float64)
    palette = matplotlib.colormaps["viridis"]
    return np.asarray(palette(np.linspace(0.0, 1.0, count)), dtype=np.float64)


def _axis_title(model: PCA, component: int) -> str:
    ratios = model.explained_variance_ratio
    if ratios is None:
        return f"PC {component + 1}"
    return f"PC {component + 1} ({ratios[component]:.1%} of variance)"
