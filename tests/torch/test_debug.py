from __future__ import annotations

import math
import re
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

from embedframe.errors import EmbeddingValueError  # noqa: E402
from embedframe.torch import debug  # noqa: E402

# ---------------------------------------------------------------------------
# std_of_l2_normalized
# ---------------------------------------------------------------------------


def test_std_opposite_rows_by_hand() -> None:
    # Rows normalize to [0.6, 0.8] and [-0.6, -0.8]. With Bessel's correction
    # the column stds are sqrt(2 * 0.36) and sqrt(2 * 0.64).
    z = torch.tensor([[3.0, 4.0], [-3.0, -4.0]])
    expected = (math.sqrt(0.72) + math.sqrt(1.28)) / 2

    result = debug.std_of_l2_normalized(z)

    assert result.shape == ()
    assert result.item() == pytest.approx(expected, rel=1e-6)


def test_std_collapsed_rows_is_zero() -> None:
    z = torch.tensor([[1.0, 2.0, 2.0]] * 5)

    assert debug.std_of_l2_normalized(z).item() == 0.0


def test_std_isotropic_gaussian_near_inverse_sqrt_d() -> None:
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(4096, 64, generator=generator)

    result = debug.std_of_l2_normalized(z).item()

    assert result == pytest.approx(1 / math.sqrt(64), abs=2e-3)


def test_std_single_row_is_zero() -> None:
    z = torch.tensor([[1.0, -2.0, 3.0]], dtype=torch.float64)

    result = debug.std_of_l2_normalized(z)

    assert result.item() == 0.0
    assert result.dtype == torch.float64
    assert result.shape == ()


def test_std_zero_row_gives_no_nan() -> None:
    # The zero row stays zero, so column 0 contains 0 and 1 and column 1
    # contains 0 and 0. Their stds are sqrt(0.5) and 0.
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0]])

    result = debug.std_of_l2_normalized(z).item()

    assert result == pytest.approx(math.sqrt(0.5) / 2, rel=1e-6)


def test_std_integer_input_converted() -> None:
    z = torch.tensor([[3, 4], [-3, -4]])

    result = debug.std_of_l2_normalized(z)

    assert result.dtype == torch.get_default_dtype()
    assert result.item() == pytest.approx(
        (math.sqrt(0.72) + math.sqrt(1.28)) / 2, rel=1e-6
    )


def test_std_keeps_no_graph() -> None:
    z = torch.tensor([[3.0, 4.0], [1.0, 0.0]], requires_grad=True)

    assert debug.std_of_l2_normalized(z).requires_grad is False


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            (3,),
            "z must be a 2-dimensional tensor of shape (batch_size, dimension), "
            "got 1 dimensions with shape (3,).",
        ),
        (
            (2, 3, 4),
            "z must be a 2-dimensional tensor of shape (batch_size, dimension), "
            "got 3 dimensions with shape (2, 3, 4).",
        ),
        ((0, 3), "z must have at least one row and one column, got shape (0, 3)."),
        ((3, 0), "z must have at least one row and one column, got shape (3, 0)."),
    ],
)
def test_std_rejects_shape(shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        debug.std_of_l2_normalized(torch.zeros(shape))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_std_on_cuda_stays_on_device() -> None:
    z = torch.tensor([[3.0, 4.0], [-3.0, -4.0]], device="cuda")

    result = debug.std_of_l2_normalized(z)

    assert result.device.type == "cuda"
    assert result.item() == pytest.approx(
        (math.sqrt(0.72) + math.sqrt(1.28)) / 2, rel=1e-6
    )


# ---------------------------------------------------------------------------
# Transforms used by the tests: plain callables on PIL images.
# ---------------------------------------------------------------------------


def _image(width: int = 3, height: int = 2, offset: int = 0) -> Any:
    """Return an RGB image whose pixel bytes are offset, offset + 1, ..."""
    values = (np.arange(width * height * 3) + offset).astype(np.uint8)
    return Image.fromarray(values.reshape(height, width, 3))


def _pixels(image: Any) -> list[Any]:
    return np.asarray(image).tolist()


def _rotate(image: Any) -> Any:
    return image.rotate(90, expand=True)


def _flip(image: Any) -> Any:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _to_array(image: Any) -> Any:
    return np.asarray(image, dtype=np.float32) / 255


def _to_tensor(image: Any) -> Any:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)


class Compose:
    """A pipeline with the shape of torchvision's Compose."""

    def __init__(self, transforms: list[Any]) -> None:
        self.transforms = transforms

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image


class ComposeWithTransformMethod(Compose):
    """A pipeline like torchvision v2's Compose, which has a ``transform`` method."""

    def transform(self, image: Any, params: dict[str, Any]) -> Any:
        raise AssertionError("the transform method must not be called")


class FlipWithTransformMethod:
    """A single step like a torchvision v2 transform, with a ``transform`` method."""

    def transform(self, image: Any, params: dict[str, Any]) -> Any:
        raise AssertionError("the transform method must not be called")

    def __call__(self, image: Any) -> Any:
        return _flip(image)


class ViewTransform:
    """A wrapper like lightly's SimCLRViewTransform or BaseCollateFunction."""

    def __init__(self, transform: Any) -> None:
        self.transform = transform


class MultiViewTransform:
    """A wrapper like lightly's MultiViewTransform: one transform per view."""

    def __init__(self, transforms: list[Any]) -> None:
        self.transforms = transforms


class CallNumber:
    """Return a 1x1 grayscale image whose pixel is the number of this call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, image: Any) -> Any:
        self.calls += 1
        return Image.new("L", (1, 1), color=self.calls)


def _must_not_run(self: Any, image: Any) -> Any:
    raise AssertionError(f"{type(self).__name__} must be skipped")


def _named_step(name: str) -> Any:
    """Return an instance of a class called ``name`` that fails when called."""
    return type(name, (), {"__call__": _must_not_run})()


# ---------------------------------------------------------------------------
# apply_transform_without_normalize
# ---------------------------------------------------------------------------


def test_apply_plain_callable() -> None:
    result = debug.apply_transform_without_normalize(_image(), _rotate)

    assert result.size == (2, 3)
    assert _pixels(result) == _pixels(_rotate(_image()))


@pytest.mark.parametrize(
    "name",
    [
        "ConvertImageDtype",
        "Normalize",
        "PILToTensor",
        "ToDtype",
        "ToImage",
        "ToPILImage",
        "ToTensor",
    ],
)
def test_apply_skips_step_by_name(name: str) -> None:
    pipeline = Compose([_rotate, _named_step(name), _flip])

    result = debug.apply_transform_without_normalize(_image(), pipeline)

    assert _pixels(result) == _pixels(_flip(_rotate(_image())))


def test_apply_skips_named_transform_alone() -> None:
    image = _image()

    result = debug.apply_transform_without_normalize(image, _named_step("ToTensor"))

    assert result is image


@pytest.mark.parametrize("to_array", [_to_array, _to_tensor])
def test_apply_skips_step_returning_array(to_array: Any) -> None:
    pipeline = Compose([_rotate, to_array, _flip])

    result = debug.apply_transform_without_normalize(_image(), pipeline)

    assert isinstance(result, Image.Image)
    assert _pixels(result) == _pixels(_flip(_rotate(_image())))


def test_apply_keeps_array_input_result() -> None:
    # Only a step that turns an image into an array is dropped.
    array = np.zeros((2, 2), dtype=np.float32)

    result = debug.apply_transform_without_normalize(array, lambda a: a + 1)

    assert result.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_apply_walks_nested_pipelines() -> None:
    pipeline = Compose(
        [
            [_rotate, _named_step("ToTensor")],
            ViewTransform(Compose([_flip, _named_step("Normalize")])),
            (_rotate,),
        ]
    )

    result = debug.apply_transform_without_normalize(_image(), pipeline)

    assert _pixels(result) == _pixels(_rotate(_flip(_rotate(_image()))))


def test_apply_ignores_transform_method() -> None:
    pipeline = ComposeWithTransformMethod([_flip, _named_step("ToImage")])

    result = debug.apply_transform_without_normalize(_image(), pipeline)

    assert _pixels(result) == _pixels(_flip(_image()))


def test_apply_calls_step_with_transform_method() -> None:
    result = debug.apply_transform_without_normalize(
        _image(), FlipWithTransformMethod()
    )

    assert _pixels(result) == _pixels(_flip(_image()))


def test_apply_rejects_non_callable_step() -> None:
    message = "transform must be callable or a composed transform, got 42 of type int."

    with pytest.raises(TypeError, match=re.escape(message)):
        debug.apply_transform_without_normalize(_image(), Compose([_rotate, 42]))


# ---------------------------------------------------------------------------
# generate_grid_of_augmented_images
# ---------------------------------------------------------------------------


def _call_numbers(grid: list[list[Any]]) -> list[list[int]]:
    return [[image.getpixel((0, 0)) for image in view] for view in grid]


def test_grid_single_transform_two_views() -> None:
    images = [_image(), _image(offset=1), _image(offset=2)]

    grid = debug.generate_grid_of_augmented_images(images, CallNumber())

    assert _call_numbers(grid) == [[1, 2, 3], [4, 5, 6]]


def test_grid_one_image() -> None:
    grid = debug.generate_grid_of_augmented_images([_image()], CallNumber())

    assert _call_numbers(grid) == [[1], [2]]


@pytest.mark.parametrize("container", [list, tuple, MultiViewTransform])
def test_grid_one_view_per_transform(container: Any) -> None:
    first, second, third = CallNumber(), CallNumber(), CallNumber()
    images = [_image(), _image(offset=1)]

    grid = debug.generate_grid_of_augmented_images(
        images, container([first, second, third])
    )

    assert _call_numbers(grid) == [[1, 2], [1, 2], [1, 2]]
    assert (first.calls, second.calls, third.calls) == (2, 2, 2)


def test_grid_compose_is_one_transform() -> None:
    counter = CallNumber()
    pipeline = Compose([_rotate, counter, _named_step("ToTensor")])

    grid = debug.generate_grid_of_augmented_images([_image()], pipeline)

    assert _call_numbers(grid) == [[1], [2]]


def test_grid_step_with_transform_method_two_views() -> None:
    image = _image()

    grid = debug.generate_grid_of_augmented_images([image], FlipWithTransformMethod())

    assert [[_pixels(img) for img in view] for view in grid] == [
        [_pixels(_flip(image))],
        [_pixels(_flip(image))],
    ]


def test_grid_wrapped_transform_two_views() -> None:
    images = (_image(), _image(offset=1))

    grid = debug.generate_grid_of_augmented_images(
        images, ViewTransform(Compose([_rotate, _to_tensor]))
    )

    expected = [_pixels(_rotate(image)) for image in images]
    assert [[_pixels(image) for image in view] for view in grid] == [expected] * 2


def test_grid_multi_view_of_pipelines() -> None:
    views = MultiViewTransform(
        [
            Compose([_rotate, _named_step("ToTensor"), _named_step("Normalize")]),
            Compose([_flip, _to_tensor]),
        ]
    )
    image = _image()

    grid = debug.generate_grid_of_augmented_images([image], views)

    assert [[_pixels(img) for img in view] for view in grid] == [
        [_pixels(_rotate(image))],
        [_pixels(_flip(image))],
    ]


def test_grid_keeps_input_images() -> None:
    image = _image()
    before = _pixels(image)

    debug.generate_grid_of_augmented_images([image], [_rotate, _flip])

    assert _pixels(image) == before
    assert image.size == (3, 2)


def test_grid_rejects_no_images() -> None:
    message = "input_images must contain at least one image, got an empty sequence."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        debug.generate_grid_of_augmented_images([], _rotate)


@pytest.mark.parametrize(("views", "kind"), [([], "list"), ((), "tuple")])
def test_grid_rejects_no_views(views: Any, kind: str) -> None:
    message = (
        f"transform must contain at least one view transform, got an empty {kind}."
    )

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        debug.generate_grid_of_augmented_images([_image()], views)


def test_grid_rejects_unknown_transform() -> None:
    message = (
        "transform must be a callable, a list or tuple of callables, or an object "
        "with a transform or transforms attribute, got 'flip' of type str."
    )

    with pytest.raises(TypeError, match=re.escape(message)):
        debug.generate_grid_of_augmented_images([_image()], "flip")


# ---------------------------------------------------------------------------
# plot_augmented_images
# ---------------------------------------------------------------------------


def _shown(axes: Any) -> list[Any]:
    return np.asarray(axes.get_images()[0].get_array()).tolist()


def test_plot_one_image(close_figures: Any) -> None:
    image = _image()

    figure = debug.plot_augmented_images([image], [_rotate, _flip])

    assert len(figure.axes) == 3
    assert [ax.get_title() for ax in figure.axes] == [
        "Original images",
        "Augmented images",
        "",
    ]
    assert figure.axes[0].title.get_fontsize() == 8
    assert figure.axes[1].title.get_fontsize() == 8
    assert _shown(figure.axes[0]) == _pixels(image)
    assert _shown(figure.axes[1]) == _pixels(_rotate(image))
    assert _shown(figure.axes[2]) == _pixels(_flip(image))
    assert list(figure.get_size_inches()) == [4.5, 1.5]


def test_plot_many_images(close_figures: Any) -> None:
    images = [_image(), _image(offset=10), _image(offset=20)]

    figure = debug.plot_augmented_images(images, _rotate)

    # Rows are images, columns are original, view 1, view 2 (row-major).
    assert len(figure.axes) == 9
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["Original images", "Augmented images"] + [""] * 7
    for row, image in enumerate(images):
        assert _shown(figure.axes[3 * row]) == _pixels(image)
        assert _shown(figure.axes[3 * row + 1]) == _pixels(_rotate(image))
        assert _shown(figure.axes[3 * row + 2]) == _pixels(_rotate(image))
    assert all(not ax.axison for ax in figure.axes)
    assert list(figure.get_size_inches()) == [4.5, 4.5]


def test_plot_figure_registered_with_pyplot(close_figures: Any) -> None:
    figure = debug.plot_augmented_images([_image()], _rotate)

    assert figure.number in close_figures.get_fignums()


def test_plot_rejects_no_images(close_figures: Any) -> None:
    message = "input_images must contain at least one image, got an empty sequence."

    with pytest.raises(EmbeddingValueError, match=re.escape(message)):
        debug.plot_augmented_images([], _rotate)


def test_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    message = (
        "matplotlib is required for this feature but is not installed. "
        "Install it with: pip install 'embedframe[plot]'"
    )

    with pytest.raises(ImportError, match=re.escape(message)):
        debug.plot_augmented_images([_image()], _rotate)
