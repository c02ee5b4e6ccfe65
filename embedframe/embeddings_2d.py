"""Drop-in replacement for ``lightly.utils.embeddings_2d``.

Same names and call signatures as lightly 1.6.0: ``PCA(n_components, eps)``
with ``fit``, ``transform``, ``mean`` and ``w``, and
``fit_pca(embeddings, n_components, fraction)``. The differences fix
lightly's bugs or extend it:

* The components are always real. lightly solves the covariance matrix with
  the general eigensolver ``numpy.linalg.eig``, which returns complex vectors
  (and a ``ComplexWarning`` on transform) when there are fewer rows than
  dimensions. embedframe uses ``numpy.linalg.eigh`` or a thin SVD.
* Each component's sign is fixed (its largest entry is positive), so the
  same data always gives the same picture.
* float32 in gives float32 out, and float64 in gives float64 out. lightly
  always returns float32.
* ``w`` holds only the ``n_components`` kept axes, shape ``(d, k)``; lightly
  keeps all ``d`` eigenvectors.
* ``fit_pca`` takes ``random_state`` to make the sample repeatable.
* Errors are :class:`embedframe.EmbeddingValueError`, a ``ValueError``,
  whose message gives the requested value and the allowed one: ``transform``
  before ``fit``, a ``fraction`` that leaves fewer than 2 rows, or
  ``n_components`` above ``min(rows, dimensions)``.
* ``eps`` no longer shifts the data. It bounds the total variance from below
  when computing ``explained_variance_ratio``.

Examples
--------
>>> import numpy as np
>>> from embedframe.embeddings_2d import fit_pca
>>> rng = np.random.default_rng(0)
>>> embeddings = rng.standard_normal((50, 8)).astype(np.float32)
>>> fit_pca(embeddings, random_state=0).transform(embeddings).shape
(50, 2)
"""

from __future__ import annotations

from embedframe._pca import PCA, fit_pca

__all__ = ["PCA", "fit_pca"]
