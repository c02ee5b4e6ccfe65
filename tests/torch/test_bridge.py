from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import embedframe  # noqa: E402
from embedframe.errors import EmbeddingValueError  # noqa: E402
from embedframe.torch import _bridge  # noqa: E402


def _frame(dtype: Any = np.float32) -> pd.DataFrame:
    matrix = np.array([[0.5, 1.5, -2.0], [3.0, 0.25, 4.0]], dtype=dtype)
    return embedframe.build_frame(matrix, ["a.png", "b.png"], [7, 8])


# ---------------------------------------------------------------------------
# to_tensor
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numpy_dtype", "torch_dtype"),
    [(np.float32, torch.float32), (np.float64, torch.float64)],
)
def test_to_tensor_values_and_dtype(numpy_dtype: Any, torch_dtype: Any) -> None:
    tensor = _bridge.to_tensor(_frame(numpy_dtype))

    assert tensor.dtype == torch_dtype
    assert tensor.device.type == "cpu"
    assert tensor.tolist() == [[0.5, 1.5, -2.0], [3.0, 0.25, 4.0]]


def test_to_tensor_orders_columns_by_index() -> None:
    df = pd.DataFrame(
        {
            "labels": [0],
            "embedding_1": np.array([2.0], dtype=np.float32),
            "filenames": ["a.png"],
            "embedding_0": np.array([1.0], dtype=np.float32),
        }
    )

    assert _bridge.to_tensor(df).tolist() == [[1.0, 2.0]]


def test_to_tensor_read_only_matrix_is_copied() -> None:
    # With pandas copy-on-write the matrix is a read-only view, so writing
    # through a shared tensor would change the frame behind pandas' back.
    frame = _frame()
    before = frame.copy()

    tensor = _bridge.to_tensor(frame)
    tensor.fill_(9.0)

    pd.testing.assert_frame_equal(frame, before)


def test_to_tensor_writable_matrix_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    # pandas 2 without copy-on-write returns a writable view of the block.
    matrix = np.array([[1.0, 2.0]], dtype=np.float32)
    monkeypatch.setattr(_bridge, "embedding_matrix", lambda df: matrix)

    tensor = _bridge.to_tensor(_frame())

    assert np.shares_memory(tensor.numpy(), matrix)


def test_to_tensor_emits_no_warning_for_read_only() -> None:
    # pytest turns warnings into errors, so this fails if torch.from_numpy
    # warned about a read-only array.
    frame = _frame()

    assert not embedframe.embedding_matrix(frame).flags.writeable
    assert _bridge.to_tensor(frame, device="cpu").shape == (2, 3)


def test_to_tensor_other_device_skips_host_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrapped: list[Any] = []
    from_dlpack = _bridge.from_dlpack

    def spy(array: Any) -> Any:
        wrapped.append(array)
        return from_dlpack(array)

    monkeypatch.setattr(_bridge, "from_dlpack", spy)
    frame = _frame()

    tensor = _bridge.to_tensor(frame, device="meta")

    assert tensor.device.type == "meta"
    assert tensor.shape == (2, 3)
    assert tensor.dtype == torch.float32
    assert len(wrapped) == 1
    assert np.shares_memory(wrapped[0], embedframe.embedding_matrix(frame))


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"filenames": ["a"], "embedding_0": [1.0], "embedding_2": [2.0]},
            "The frame is not in the Lightly layout: embedding columns must run "
            "from embedding_0 to embedding_2 without gaps; missing embedding_1.",
        ),
        (
            {"filenames": ["a"], "labels": [0]},
            "The frame is not in the Lightly layout: missing embedding columns; "
            "expected embedding_0 .. embedding_<d-1>.",
        ),
    ],
)
def test_to_tensor_rejects_layout(columns: dict[str, Any], message: str) -> None:
    df = pd.DataFrame({**columns, "labels": [0]})

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        _bridge.to_tensor(df)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_to_tensor_on_cuda() -> None:
    tensor = _bridge.to_tensor(_frame(), device="cuda")

    assert tensor.device.type == "cuda"
    assert tensor.cpu().tolist() == [[0.5, 1.5, -2.0], [3.0, 0.25, 4.0]]


# ---------------------------------------------------------------------------
# from_tensor
# ---------------------------------------------------------------------------


def test_from_tensor_builds_lightly_frame() -> None:
    embeddings = torch.tensor([[0.5, 1.5], [2.0, -1.0]])

    df = _bridge.from_tensor(embeddings, ["a.png", "b.png"], [1, 0])

    assert list(df.columns) == ["filenames", "embedding_0", "embedding_1", "labels"]
    assert df["filenames"].tolist() == ["a.png", "b.png"]
    assert df["embedding_0"].tolist() == [0.5, 2.0]
    assert df["embedding_1"].tolist() == [1.5, -1.0]
    assert df["labels"].tolist() == [1, 0]
    assert str(df["embedding_0"].dtype) == "float32"
    assert str(df["labels"].dtype) == "int64"


@pytest.mark.parametrize(
    ("torch_dtype", "expected"),
    [
        (torch.float32, "float32"),
        (torch.float64, "float64"),
        (torch.float16, "float32"),
        (torch.bfloat16, "float32"),
        (torch.int64, "float32"),
    ],
)
def test_from_tensor_dtype(torch_dtype: Any, expected: str) -> None:
    embeddings = torch.tensor([[1.0, 2.0]]).to(torch_dtype)

    df = _bridge.from_tensor(embeddings, ["a.png"])

    assert str(df["embedding_0"].dtype) == expected
    assert df[["embedding_0", "embedding_1"]].to_numpy().tolist() == [[1.0, 2.0]]


def test_from_tensor_labels_default_to_zero() -> None:
    df = _bridge.from_tensor(torch.zeros(3, 2), ["a", "b", "c"])

    assert df["labels"].tolist() == [0, 0, 0]


def test_from_tensor_label_tensor() -> None:
    df = _bridge.from_tensor(torch.zeros(2, 2), ["a", "b"], torch.tensor([4, 5]))

    assert df["labels"].tolist() == [4, 5]


def test_from_tensor_detaches_and_copies() -> None:
    embeddings = torch.tensor([[1.0, 2.0]], requires_grad=True)
    scaled = embeddings * 2

    df = _bridge.from_tensor(scaled, ["a.png"])
    with torch.no_grad():
        scaled.fill_(0.0)

    assert df[["embedding_0", "embedding_1"]].to_numpy().tolist() == [[2.0, 4.0]]


def test_from_tensor_round_trip() -> None:
    embeddings = torch.tensor([[0.1, -0.2, 0.3], [4.0, 5.0, 6.5]], dtype=torch.float64)

    df = _bridge.from_tensor(embeddings, ["x.png", "y.png"], [2, 3])

    assert torch.equal(_bridge.to_tensor(df), embeddings)


def test_from_tensor_writes_csv(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.csv"
    df = _bridge.from_tensor(
        torch.tensor([[0.5, 1.5], [2.0, -1.0]]), ["a", "b"], [1, 0]
    )

    embedframe.write_csv(df, path)
    back = embedframe.read_csv(path)

    assert (
        path.read_text().splitlines()[0] == "filenames,embedding_0,embedding_1,labels"
    )
    pd.testing.assert_frame_equal(back, df)


def test_from_tensor_rejects_non_tensor() -> None:
    message = (
        "embeddings must be a torch.Tensor, got ndarray. "
        "Use embedframe.build_frame for arrays."
    )

    with pytest.raises(TypeError, match=re.escape(message)):
        _bridge.from_tensor(np.zeros((1, 2)), ["a"])  # type: ignore[arg-type]


def test_from_tensor_rejects_complex() -> None:
    message = "embeddings must be a real tensor, got dtype torch.complex64."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        _bridge.from_tensor(torch.zeros(1, 2, dtype=torch.complex64), ["a"])


def test_from_tensor_rejects_complex_labels() -> None:
    message = "labels must be a real tensor, got dtype torch.complex64."
    labels = torch.zeros(1, dtype=torch.complex64)

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        _bridge.from_tensor(torch.zeros(1, 2), ["a"], labels)


def test_from_tensor_rejects_one_dimension() -> None:
    message = "embeddings must be a 2-D array of shape (n, d) (got shape (3,))."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        _bridge.from_tensor(torch.zeros(3), ["a", "b", "c"])


def test_from_tensor_rejects_length_mismatch() -> None:
    message = (
        "embeddings, filenames and labels must have the same length (got 2, 1 and 2)."
    )

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        _bridge.from_tensor(torch.zeros(2, 2), ["a"])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_from_tensor_on_cuda() -> None:
    embeddings = torch.tensor([[0.5, 1.5]], device="cuda", requires_grad=True)

    df = _bridge.from_tensor(embeddings * 2, ["a.png"])

    assert df[["embedding_0", "embedding_1"]].to_numpy().tolist() == [[1.0, 3.0]]


# ---------------------------------------------------------------------------
# Importing the package
# ---------------------------------------------------------------------------


def _run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(embedframe.__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def test_import_loads_no_matplotlib() -> None:
    output = _run_python(
        "import sys, embedframe.torch; "
        "print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    )

    assert output == "True False\n"


def test_import_without_torch_names_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import torch` raise ImportError; the
    # embedframe.torch modules are removed so that the import runs again.
    monkeypatch.setitem(sys.modules, "torch", None)
    for name in [n for n in sys.modules if n.startswith("embedframe.torch")]:
        monkeypatch.delitem(sys.modules, name)
    message = (
        "torch is required for this feature but is not installed. "
        "Install it with: pip install 'embedframe[torch]'"
    )

    with pytest.raises(ImportError, match=re.escape(message)):
        __import__("embedframe.torch")
