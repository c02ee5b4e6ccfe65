"""Tests for the pca and plot sub-commands and the kNN line of info."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import embedframe
from embedframe._pca import fit_pca
from embedframe.cli import main

PCA_COLUMNS = ["pca_0", "pca_1"]


def write_sample(
    path: Path, *, n: int = 40, labels: np.ndarray | None = None
) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    matrix = (rng.standard_normal((n, 6)) * np.arange(1, 7)).astype(np.float32)
    if labels is None:
        labels = np.arange(n) % 3
    frame = embedframe.build_frame(
        matrix, [f"img/{i:03d}.png" for i in range(n)], labels
    )
    if path.suffix == ".csv":
        embedframe.write_csv(frame, path)
    else:
        embedframe.write_parquet(frame, path)
    return frame


class TestPca:
    def test_csv_output(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The CSV is read with --dtype auto, so PCA gets its exact values."""
        source = tmp_path / "in.csv"
        write_sample(source)
        frame = embedframe.read_csv(source, dtype="auto")
        target = tmp_path / "out.csv"
        model = fit_pca(frame.emb.matrix)
        assert model.explained_variance_ratio is not None
        share = model.explained_variance_ratio.sum()

        code = main(["pca", str(source), "-o", str(target)])

        assert code == 0
        assert capsys.readouterr().out == (
            f"wrote {target}: 40 rows with columns pca_0 .. pca_1, "
            f"{share:.1%} of the variance\n"
        )
        written = embedframe.read_csv(target, dtype="auto")
        assert written.columns.tolist() == [*frame.columns, *PCA_COLUMNS]
        values = written[PCA_COLUMNS].astype(np.float32).to_numpy()
        assert_array_equal(values, model.transform(frame.emb.matrix))

    def test_dtype_float32(self, tmp_path: Path) -> None:
        source = tmp_path / "in.csv"
        frame = write_sample(source)
        target = tmp_path / "out.csv"
        model = fit_pca(frame.emb.matrix)

        code = main(["pca", str(source), "-o", str(target), "--dtype", "float32"])

        assert code == 0
        written = embedframe.read_csv(target)
        values = written[PCA_COLUMNS].astype(np.float32).to_numpy()
        assert_array_equal(values, model.transform(frame.emb.matrix))

    def test_parquet_with_options(self, tmp_path: Path) -> None:
        source = tmp_path / "in.parquet"
        frame = write_sample(source, n=60)
        target = tmp_path / "out.parquet"
        options = ["--components", "3", "--fraction", "0.5", "--seed", "7"]

        code = main(["pca", str(source), "-o", str(target), *options])

        assert code == 0
        written = embedframe.read_parquet(target)
        model = fit_pca(frame.emb.matrix, 3, 0.5, random_state=7)
        assert_allclose(
            written[["pca_0", "pca_1", "pca_2"]].to_numpy(),
            model.transform(frame.emb.matrix),
            rtol=1e-6,
        )

    def test_same_seed_same_output(self, tmp_path: Path) -> None:
        source = tmp_path / "in.parquet"
        write_sample(source, n=60)
        first = tmp_path / "a.parquet"
        second = tmp_path / "b.parquet"
        options = ["--fraction", "0.3", "--seed", "2"]

        main(["pca", str(source), "-o", str(first), *options])
        main(["pca", str(source), "-o", str(second), *options])

        pd.testing.assert_frame_equal(
            embedframe.read_parquet(first), embedframe.read_parquet(second)
        )

    def test_too_many_components(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        target = tmp_path / "out.csv"

        code = main(["pca", str(source), "-o", str(target), "--components", "9"])

        assert code == 1
        assert capsys.readouterr().err == (
            "error: n_components=9 is more than the data allows: 40 rows of 6 "
            "dimensions have at most 6 principal components. Pass "
            "n_components <= 6.\n"
        )
        assert not target.exists()

    def test_one_component_singular(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.parquet"
        write_sample(source)
        target = tmp_path / "out.parquet"

        code = main(["pca", str(source), "-o", str(target), "--components", "1"])

        assert code == 0
        assert capsys.readouterr().out.startswith(
            f"wrote {target}: 40 rows with column pca_0, "
        )

    @pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
    def test_components_not_positive(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
    ) -> None:
        """--components below 1 is a usage error, caught before any read."""
        source = tmp_path / "in.csv"
        target = tmp_path / "out.csv"

        code = main(["pca", str(source), "-o", str(target), "--components", value])

        error = capsys.readouterr().err
        assert code == 2
        assert error.endswith(
            f"embedframe pca: error: argument --components: expected a positive "
            f"integer, found {value!r}\n"
        )
        assert not target.exists()

    def test_same_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)

        code = main(["pca", str(source), "-o", str(source)])

        assert code == 2
        assert capsys.readouterr().err == (
            "error: FILE and OUT are the same file; choose another OUT\n"
        )

    def test_same_file_through_symlink(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        linked = tmp_path / "link.csv"
        linked.symlink_to(source)
        before = source.read_bytes()

        code = main(["pca", str(source), "-o", str(linked)])

        assert code == 2
        assert capsys.readouterr().err == (
            "error: FILE and OUT are the same file; choose another OUT\n"
        )
        assert source.read_bytes() == before
        assert linked.is_symlink()

    def test_unknown_output_extension(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        target = tmp_path / "out.txt"

        code = main(["pca", str(source), "-o", str(target)])

        assert code == 2
        assert capsys.readouterr().err == (
            f"error: cannot tell the format of {str(target)!r} from its "
            "extension; use one of .csv, .parquet, .pq\n"
        )

    def test_output_required(self, tmp_path: Path) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)

        assert main(["pca", str(source)]) == 2


class TestPlot:
    def test_png_written(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        target = tmp_path / "plot.png"

        code = main(["plot", str(source), "-o", str(target), "--dpi", "50"])

        assert code == 0
        assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert capsys.readouterr().out == (
            f"wrote {target}: PCA plot of 40 embeddings\n"
        )

    def test_svg_has_title(self, tmp_path: Path) -> None:
        source = tmp_path / "in.parquet"
        write_sample(source)
        target = tmp_path / "plot.svg"

        code = main(["plot", str(source), "-o", str(target), "--title", "Run 12"])

        assert code == 0
        assert "Run 12" in target.read_text()

    def test_unknown_image_extension(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        target = tmp_path / "plot.bmpx"

        code = main(["plot", str(source), "-o", str(target)])

        assert code == 2
        error = capsys.readouterr().err
        assert error.startswith(
            f"error: cannot tell the image format of {str(target)!r} from its "
            "extension; use one of "
        )
        assert ".png" in error
        assert not target.exists()

    def test_one_dimension(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The message speaks of the plot, not of an n_components option."""
        source = tmp_path / "in.csv"
        source.write_text("filenames,embedding_0,labels\na,1,0\nb,2,1\nc,4,0\n")
        target = tmp_path / "plot.png"

        code = main(["plot", str(source), "-o", str(target)])

        assert code == 1
        assert capsys.readouterr().err == (
            "error: The plot needs at least 2 embedding dimensions, found 1, "
            "because it draws the first two principal components.\n"
        )
        assert not target.exists()

    @pytest.mark.parametrize("value", ["0", "-72"])
    def test_dpi_not_positive(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)

        code = main(
            ["plot", str(source), "-o", str(tmp_path / "p.png"), "--dpi", value]
        )

        assert code == 2
        assert capsys.readouterr().err.endswith(
            f"embedframe plot: error: argument --dpi: expected a positive "
            f"integer, found {value!r}\n"
        )

    def test_too_few_rows(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source, n=1)
        target = tmp_path / "plot.png"

        code = main(["plot", str(source), "-o", str(target)])

        assert code == 1
        assert capsys.readouterr().err == (
            "error: PCA needs at least 2 rows to fit (got 1); pass more rows.\n"
        )
        assert not target.exists()

    def test_missing_matplotlib(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)

        code = main(["plot", str(source), "-o", str(tmp_path / "plot.png")])

        assert code == 1
        assert capsys.readouterr().err == (
            "error: matplotlib is required for this feature but is not "
            "installed. Install it with: pip install 'embedframe[plot]'\n"
        )


class TestInfoKnn:
    def test_text_has_knn_accuracy(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        frame = write_sample(source)
        expected = frame.emb.knn_accuracy()

        code = main(["info", str(source)])

        assert code == 0
        lines = capsys.readouterr().out.splitlines()
        assert f"knn_accuracy: {expected}" in lines
        assert "knn_k: 39" in lines
        assert "knn_queries: 40" in lines

    def test_json_knn_null_for_one_label(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.csv"
        write_sample(source, labels=np.zeros(40, dtype=np.int64))

        code = main(["info", "--json", str(source)])

        assert code == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["knn_accuracy"] is None
        assert summary["classes"] == 1

    def test_json_knn_for_several_labels(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        source = tmp_path / "in.parquet"
        frame = write_sample(source)

        code = main(["info", "--json", str(source)])

        assert code == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["knn_accuracy"] == frame.emb.knn_accuracy()
        assert summary["knn_k"] == 39
