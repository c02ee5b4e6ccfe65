"""Shared fixtures and Hypothesis profiles for the test suite."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

import embedframe

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def make_embedding_frame(
    n: int, dim: int, *, seed: int = 0, dtype: str = "float32"
) -> pd.DataFrame:
    """Build a valid frame with seeded random embeddings and labels 0..4."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim)).astype(dtype)
    filenames = [f"images/{i:05d}.png" for i in range(n)]
    labels = rng.integers(0, 5, n)
    return embedframe.build_frame(matrix, filenames, labels)


@pytest.fixture
def frame() -> pd.DataFrame:
    """Return a small valid float32 frame: 6 rows, 4 dimensions."""
    return make_embedding_frame(6, 4)
