"""Write the golden Parquet files that pin each metadata format version.

Run ``python tests/data/make_golden.py`` from the repository root only when
``METADATA_VERSION`` in ``embedframe/formats/arrow.py`` goes up. It writes
``v<version>-wide.parquet`` and ``v<version>-list.parquet`` next to this
script and leaves older versions alone, so ``tests/test_arrow.py`` keeps
checking that files written by earlier releases still read back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import embedframe
from embedframe.formats.arrow import METADATA_VERSION, ArrowLayout, write_parquet

#: Folder that contains the golden files.
GOLDEN_DIR = Path(__file__).resolve().parent


def golden_path(version: int, layout: str) -> Path:
    """Return the golden file of one format version and layout."""
    return GOLDEN_DIR / f"v{version}-{layout}.parquet"


def golden_frame() -> pd.DataFrame:
    """Build the frame stored in every golden file.

    The values include a negative zero, a float32 subnormal, the largest
    float32 and a value with no short decimal form. The file names need CSV
    quoting, and the frame has a ``masked`` column and a user column.
    """
    matrix = np.array(
        [
            [-0.0, 1.0e-45, 3.4028235e38],
            [1.0 / 3.0, -2.5, 0.0],
            [7.0, 0.1, -1.0e-7],
        ],
        dtype=np.float32,
    )
    filenames = ["a,b.png", 'quote".png', "ünï/cödé.png"]
    frame = embedframe.build_frame(matrix, filenames, [3, 0, -1])
    frame.insert(4, "masked", np.array([0, 1, 0], dtype=np.int64))
    frame["note"] = pd.Series(["first", "", "third"], dtype="str")
    return frame


def main() -> None:
    layouts: tuple[ArrowLayout, ...] = ("wide", "list")
    for layout in layouts:
        path = golden_path(METADATA_VERSION, layout)
        write_parquet(golden_frame(), path, layout=layout)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
