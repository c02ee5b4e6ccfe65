"""The public surface: exports, exceptions, import cost and the accessor."""

from __future__ import annotations

import errno
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

    def test_parse_error_one_more_problem(self) -> None:
        limit = errors.EmbeddingParseError.MAX_LISTED
        problems = [errors.Problem(i + 2, None, "bad") for i in range(limit + 1)]

        error = errors.EmbeddingParseError("f.csv", problems)

        assert str(error).splitlines()[-1] == "... and 1 more problem"


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

    def test_writes_through_symbolic_link(self, tmp_path: Path) -> None:
        real = tmp_path / "real.bin"
        real.write_bytes(b"old")
        link = tmp_path / "link.bin"
        link.symlink_to(real)

        with atomic_write(link) as handle:
            handle.write(b"new")

        assert link.is_symlink()
        assert real.read_bytes() == b"new"

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

    def test_missing_folder_names_target(self, tmp_path: Path) -> None:
        target = tmp_path / "missing" / "out.bin"
        message = (
            f"Cannot write {target}: the folder {tmp_path / 'missing'} does not "
            f"exist. Create it first or choose another path."
        )

        with pytest.raises(FileNotFoundError, match=re.escape(message)) as caught:
            with atomic_write(target):
                pass

        assert caught.value.errno == errno.ENOENT
        assert os.listdir(tmp_path) == []

    def test_directory_target_names_it(self, tmp_path: Path) -> None:
        target = tmp_path / "out.parquet"
        target.mkdir()
        message = f"Cannot write {target}: it is a directory. Choose a file name."

        with pytest.raises(IsADirectoryError, match=re.escape(message)) as caught:
            with atomic_write(target):
                pass

        assert caught.value.errno == errno.EISDIR
        assert os.listdir(tmp_path) == ["out.parquet"]
        assert os.listdir(target) == []

    def test_file_as_folder_names_it(self, tmp_path: Path) -> None:
        blocker = tmp_path / "data"
        blocker.write_bytes(b"")
        direct = blocker / "out.bin"
        nested = blocker / "sub" / "out.bin"

        with pytest.raises(
            NotADirectoryError,
            match=re.escape(
                f"Cannot write {direct}: {blocker} is a file, not a folder."
            ),
        ):
            with atomic_write(direct):
                pass
        with pytest.raises(
            NotADirectoryError,
            match=re.escape(
                f"Cannot write {nested}: a part of {blocker / 'sub'} is a file, "
                f"not a folder."
            ),
        ):
            with atomic_write(nested):
                pass

    def test_relative_path_kept_in_message(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        message = (
            f"Cannot write nodir/out.csv: the folder {tmp_path / 'nodir'} does "
            f"not exist. Create it first or choose another path."
        )

        with pytest.raises(FileNotFoundError, match=re.escape(message)):
            with atomic_write("nodir/out.csv"):
                pass

    def test_os_error_names_target_not_temporary(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An error creating the temporary file names the requested path."""
        target = tmp_path / "out.bin"

        def denied(*args: object, **kwargs: object) -> tuple[int, str]:
            temporary = str(tmp_path / ".out.bin.abc123")
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), temporary)

        monkeypatch.setattr("embedframe._atomic.tempfile.mkstemp", denied)
        message = f"[Errno {errno.EACCES}] {os.strerror(errno.EACCES)}: {str(target)!r}"

        with pytest.raises(PermissionError, match=re.escape(message)):
            with atomic_write(target):
                pass

    def test_umask_read_without_setting_it(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On Linux the umask comes from /proc, so os.umask is never called."""
        if not Path("/proc/self/status").exists():
            pytest.skip("needs /proc/self/status (Linux)")
        previous = os.umask(0o027)
        calls: list[int] = []

        def tracked_umask(mask: int) -> int:
            calls.append(mask)
            return previous

        try:
            monkeypatch.setattr("embedframe._atomic.os.umask", tracked_umask)
            with atomic_write(tmp_path / "out.bin") as handle:
                handle.write(b"x")
        finally:
            monkeypatch.undo()
            os.umask(previous)

        assert calls == []
        assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o640

    def test_umask_fallback_without_proc(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without /proc the umask is read by setting it and restoring it."""
        monkeypatch.setattr(
            "embedframe._atomic._PROC_STATUS", str(tmp_path / "no-such-status")
        )
        previous = os.umask(0o077)
        try:
            with atomic_write(tmp_path / "out.bin") as handle:
                handle.write(b"x")
            restored = os.umask(0o077)
        finally:
            os.umask(previous)

        assert restored == 0o077
        assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o600
