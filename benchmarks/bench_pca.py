"""Time embedframe's PCA against lightly's PCA on the same data, in one run.

Usage::

    python benchmarks/bench_pca.py [--rows N] [--dim D] [--components K]
                                   [--repeats R]

Both tools fit on all rows and then project them (``fit`` + ``transform``)
of seeded float32 data; the default size is 100,000 x 512. The two tools
alternate, run after run, so that load from other processes on the machine
affects both alike. The script checks that the two projections agree up to
the sign of each component (exit code 1 if not), then prints the best and
median time of each tool and the ratio lightly / embedframe (the target is
at least 5).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
from lightly.utils.embeddings_2d import PCA as LightlyPCA

from embedframe.embeddings_2d import PCA

SEED = 0
TARGET_RATIO = 5.0
#: Largest accepted difference between the two projections, relative to the
#: largest coordinate; lightly rounds through float32 on the way.
MAX_DIFFERENCE = 1e-3


def make_data(rows: int, dim: int) -> np.ndarray:
    """Return float32 rows with decaying variances and a non-zero mean."""
    rng = np.random.default_rng([SEED, rows, dim])
    scales = (1.0 + np.arange(dim, dtype=np.float32)) ** -0.5
    data = rng.standard_normal((rows, dim), dtype=np.float32) * scales
    data += rng.standard_normal(dim, dtype=np.float32)
    return data


def run_embedframe(data: np.ndarray, components: int) -> np.ndarray:
    return PCA(n_components=components).fit(data).transform(data)


def run_lightly(data: np.ndarray, components: int) -> np.ndarray:
    # lightly warns (ComplexWarning) when there are fewer rows than dims.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LightlyPCA(n_components=components).fit(data).transform(data)


def timed(function: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def check_agreement(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Return the largest difference after sign alignment, relative to scale."""
    signs = np.sign(np.sum(ours.astype(np.float64) * theirs, axis=0))
    difference = np.abs(ours * signs - theirs).max()
    return float(difference / np.abs(theirs).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="number of rows")
    parser.add_argument("--dim", type=int, default=512, help="embedding dimension")
    parser.add_argument(
        "--components", type=int, default=2, help="principal components to keep"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs of each tool"
    )
    args = parser.parse_args(argv)

    data = make_data(args.rows, args.dim)
    print(
        f"PCA fit + transform, {args.rows:,} x {args.dim} float32, "
        f"{args.components} components"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )

    # One untimed run each loads the BLAS threads and checks the results.
    error = check_agreement(
        run_embedframe(data, args.components), run_lightly(data, args.components)
    )
    print(f"largest difference from lightly, relative to scale: {error:.2e}")
    if error > MAX_DIFFERENCE:
        print(f"error: the projections differ by more than {MAX_DIFFERENCE:g}")
        return 1

    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.repeats):
        ours.append(timed(lambda: run_embedframe(data, args.components)))
        theirs.append(timed(lambda: run_lightly(data, args.components)))

    print(f"{'tool':<12}{'best s':>10}{'median s':>10}")
    for name, times in (("embedframe", ours), ("lightly", theirs)):
        print(f"{name:<12}{min(times):>10.3f}{statistics.median(times):>10.3f}")
    best_ratio = min(theirs) / min(ours)
    median_ratio = statistics.median(theirs) / statistics.median(ours)
    verdict = "meets" if best_ratio >= TARGET_RATIO else "misses"
    print(
        f"ratio lightly / embedframe: {best_ratio:.1f}x best, "
        f"{median_ratio:.1f}x median ({verdict} the {TARGET_RATIO:.0f}x target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
