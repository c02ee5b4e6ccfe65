"""The README's Python examples run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from embedframe.data import sample_path

README = Path(__file__).parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_examples() -> None:
    assert len(python_blocks()) >= 2


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every block in order, in one namespace, next to a sample file."""
    pytest.importorskip("matplotlib")
    shutil.copy(sample_path(), tmp_path / "embeddings.csv")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}

    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)

    assert (tmp_path / "embeddings.parquet").exists()
    assert (tmp_path / "copy.csv").read_bytes() == (
        tmp_path / "embeddings.csv"
    ).read_bytes()
