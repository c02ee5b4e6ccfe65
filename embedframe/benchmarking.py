"""kNN evaluation of embeddings, under lightly's module name ``benchmarking``.

lightly's ``lightly.utils.benchmarking`` contains PyTorch Lightning modules and
``knn_predict``, which classifies a batch of torch features against a
feature bank. embedframe evaluates a finished set of embeddings instead, with
NumPy only: :func:`knn_accuracy` classifies every row from its ``k`` most
cosine-similar other rows (leave-one-out), with the same temperature-weighted
vote as ``knn_predict`` (``k=200``, ``t=0.1`` by default), and returns the
share of rows whose label is predicted correctly.

Examples
--------
>>> import numpy as np
>>> from embedframe.benchmarking import knn_accuracy
>>> rng = np.random.default_rng(0)
>>> centres = np.array([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
>>> labels = np.repeat([0, 1], 20)
>>> embeddings = centres[labels] + rng.standard_normal((40, 3))
>>> knn_accuracy(embeddings, labels, k=5)
1.0
"""

from __future__ import annotations

from embedframe._knn import knn_accuracy, knn_predictions

__all__ = ["knn_accuracy", "knn_predictions"]
