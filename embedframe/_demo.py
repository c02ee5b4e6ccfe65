"""The main job on the bundled digits sample, as ``make demo`` runs it.

Each step runs an ``embedframe`` command in-process and prints it first, so
the output reads like a terminal session a user can repeat by hand.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedframe import cli
from embedframe.data import sample_path
from embedframe.formats.arrow import read_parquet
from embedframe.formats.csv import read_csv

__all__ = ["main"]


def _run(arguments: list[str]) -> None:
    print(f"\n$ embedframe {shlex.join(arguments)}", flush=True)
    status = cli.main(arguments)
    sys.stdout.flush()
    if status != 0:
        raise SystemExit(f"demo step failed with exit code {status}")


def main(argv: Sequence[str] | None = None) -> int:
    """Check, describe, convert, project and plot the bundled sample.

    Parameters
    ----------
    argv : sequence of str, optional
        ``[--out FOLDER]``; the outputs go to ``demo-output`` by default.

    Returns
    -------
    int
        0 when every step succeeded.
    """
    parser = argparse.ArgumentParser(prog="python -m embedframe._demo")
    parser.add_argument("--out", default="demo-output", help="folder for outputs")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sample = str(sample_path())
    parquet = str(out / "digits.parquet")
    back = str(out / "digits-roundtrip.csv")

    print(f"Bundled sample: {sample}")
    _run(["check", sample])
    _run(["info", sample])
    _run(["convert", sample, parquet, "--layout", "list"])
    _run(["convert", parquet, back])

    print("\nComparing the CSV, the Parquet file and the CSV written back:")
    original = read_csv(sample)
    from_parquet = read_parquet(parquet)
    same_frame = original.equals(from_parquet)
    same_bits = np.array_equal(
        original.emb.matrix.view(np.uint32), from_parquet.emb.matrix.view(np.uint32)
    )
    same_bytes = Path(sample).read_bytes() == Path(back).read_bytes()
    print(f"  frames equal after CSV -> Parquet -> frame: {same_frame}")
    print(f"  embeddings bit-identical: {same_bits}")
    print(f"  CSV written back is byte-identical to the sample: {same_bytes}")
    if not (same_frame and same_bits and same_bytes):
        print("error: the round trip changed the data", file=sys.stderr)
        return 1

    _run(["pca", sample, "-o", str(out / "digits-pca.parquet"), "--seed", "0"])
    _run(["plot", sample, "-o", str(out / "digits-pca.png")])
    print(f"\nDone. Outputs are in {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
