"""Write the bundled sample, ``digits.csv``, from scikit-learn's digits data.

Each row is one 8x8 image of scikit-learn's ``load_digits`` data set. Its
embedding is the 64 pixel intensities read row by row and divided by 16, so
the values lie in [0, 1]. Every value is a multiple of 1/16, so float32 and
float64 represent it exactly. The file is written with
:func:`embedframe.write_csv`, so the same data and the same embedframe version
give the same bytes on every run.

Usage::

    python -m embedframe.data.make_sample [OUT]

OUT defaults to ``digits.csv`` next to this module. scikit-learn must be
installed; it ships the data, so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

import embedframe

#: Pixel intensities in ``load_digits`` are integers from 0 to this value.
MAX_INTENSITY = 16

DEFAULT_OUTPUT = pathlib.Path(__file__).with_name("digits.csv")


def digits_frame() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    images, digits = load_digits(return_X_y=True)
    embeddings = (images / MAX_INTENSITY).astype(np.float32)
    filenames = [
        f"digits/{digit}/{index:04d}.png" for index, digit in enumerate(digits)
    ]
    return embedframe.build_frame(embeddings, filenames, digits)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m embedframe.data.make_sample",
        description="Write the digits embedding sample as a Lightly CSV file.",
    )
    parser.add_argument(
        "out",
        nargs="?",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"file to write (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)
    embedframe.write_csv(digits_frame(), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
