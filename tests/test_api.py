"""The public surface: exports, exceptions, import cost and the accessor."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import embedframe
from embedframe import errors
from embedframe._atomic import atomic_write


class TestExports:
    def test_all_is_sorted(self) -> None:
        assert embedframe.__all__ == sorted(embedframe.__all__)

    def test_all_is_complete(self) -> None:
        public = {
            name
            for name in vars(embedframe)
            if not name.startswith("_")
            and not isinstance(getattr(embedframe, name), type(sys))
        }

        assert public == set(embedframe.__all__)

    def test_import_leaves_out_torch_and_matplotlib(self) -> None:
        code = (
            "import sys, embedframe, embedframe.io; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))"
        )

        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )

        assert result.stdout.strip() == "[]"


class TestErrors:
    @pytest.mark.parametrize(
        ("error", "builtin"),
        [
            (errors.EmbeddingFormatError, RuntimeError),
            (errors.EmbeddingParseError, RuntimeError),
            (errors.EmbeddingValueError, ValueError),
            (errors.MetadataError, ValueError),
        ],
    )
    def test_also_builtin(
        self, error: type[Exception], builtin: type[Exception]
    ) -> None:
        assert issubclass(error, errors.EmbedframeError)
        assert issubclass(error, builtin)

    def test_problem_format(self) -> None:
        assert errors.Problem(None, None, "broken").format("a.csv") == "a.csv: broken"
        assert errors.Problem(4, None, "broken").format("a.csv") == "a.csv:4: broken"
        assert (
            errors.Problem(4, "labels", "broken").format("a.csv")
            == "a.csv:4: column 'labels': broken"
        )

    def test_parse_error_keeps_problems(self) -> None:
        problems = [errors.Problem(2, "x", "bad"), errors.Problem(3, None, "worse")]

        error = errors.EmbeddingParseError("f.csv", problems)

        assert error.path == "f.csv"
        assert error.problems == tuple(problems)
        assert str(error) == "f.csv:2: column 'x': bad\nf.csv:3: worse"


class TestAccessor:
    def test_rejects_frame_without_embeddings(self) -> None:
        frame = pd.DataFrame({"filenames": ["a"], "labels": [0]})

        with pytest.raises(
            AttributeError,
            match=re.escape(
                "The .emb accessor needs a frame with embedding_<n> columns."
            ),
        ):
            _ = frame.emb

        assert not hasattr(frame, "emb")

    def test_properties(self, frame: pd.DataFrame) -> None:
        assert frame.emb.dim == 4
        assert frame.emb.layout.embeddings == tuple(f"embedding_{i}" for i in range(4))
        assert frame.emb.matrix.shape == (6, 4)
        assert frame.emb.to_numpy("float64").dtype == "float64"

    def test_leaves_attrs_and_parquet_alone(
        self, frame: pd.DataFrame, tmp_path: Path
    ) -> None:
        frame.attrs["origin"] = "unit test"

        frame.emb.validate()
        frame.emb.to_csv(tmp_path / "a.csv")
        frame.to_parquet(tmp_path / "plain.parquet")

        assert frame.attrs == {"origin": "unit test"}
        assert pd.read_parquet(tmp_path / "plain.parquet").shape == frame.shape


class TestAtomicWrite:
    def test_keeps_permissions(self, tmp_path: Path) -> None:
        target = tmp_path / "out.bin"
        target.write_bytes(b"old")
        target.chmod(0o640)

        with atomic_write(target) as handle:
            handle.write(b"new")

        assert target.read_bytes() == b"new"
        assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def test_new_file_uses_umask(self, tmp_path: Path) -> None:
        previous = os.umask(0o022)
        try:
            with atomic_write(tmp_path / "out.bin") as handle:
                handle.write(b"x")
        finally:
            os.umask(previous)

        assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o644

    def test_failure_removes_temporary_file(self, tmp_path: Path) -> None:
        target = tmp_path / "out.bin"
        target.write_bytes(b"old")

        def interrupted_write() -> None:
            with atomic_write(target) as handle:
                handle.write(b"half")
                raise RuntimeError("interrupted")

        with pytest.raises(RuntimeError, match="interrupted"):
            interrupted_write()

        assert target.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
