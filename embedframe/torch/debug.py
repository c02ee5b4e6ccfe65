"""Debugging helpers with the names of ``lightly.utils.debug``.

:func:`std_of_l2_normalized` measures how far embeddings have collapsed.
:func:`plot_augmented_images` and :func:`generate_grid_of_augmented_images`
show what an augmentation pipeline does to a few images. Unlike lightly, they
need neither lightly's transform or collate classes nor torchvision: they
take any of

- a single transform (any callable on a PIL image), drawn twice to give two
  views, as lightly does for its base collate function;
- a list or tuple of transforms, one view each;
- an object with a ``transforms`` list, one view each (lightly's
  ``MultiViewTransform`` and ``MultiViewCollateFunction``), unless its class
  name ends in ``Compose``, in which case it is a single transform;
- an object with a ``transform`` attribute, drawn twice (lightly's
  ``BaseCollateFunction`` and view transforms such as ``SimCLRViewTransform``).

Each view is applied by :func:`apply_transform_without_normalize`, which skips
the steps that turn an image into a tensor, so the result is still an image.
matplotlib is imported only by :func:`plot_augmented_images`.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from embedframe._compat import optional_import
from embedframe.errors import EmbeddingValueError

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from PIL.Image import Image

__all__ = [
    "apply_transform_without_normalize",
    "generate_grid_of_augmented_images",
    "plot_augmented_images",
    "std_of_l2_normalized",
]

#: Class names of the torchvision (v1 and v2) steps that convert an image to a
#: tensor, change its dtype or normalize it. ``ToPILImage`` is listed because
#: the image it would convert back is already a PIL image once the others are
#: skipped.
SKIPPED_TRANSFORM_NAMES = frozenset(
    {
        "ConvertImageDtype",
        "Normalize",
        "PILToTensor",
        "ToDtype",
        "ToImage",
        "ToPILImage",
        "ToTensor",
    }
)


@torch.no_grad()
def std_of_l2_normalized(z: torch.Tensor) -> torch.Tensor:
    """Compute the mean over dimensions of the std of L2-normalized rows.

    Each row of ``z`` is scaled to unit L2 norm, the standard deviation of
    each column is taken over the batch, and the mean over columns is
    returned. A value of 0 means that the embeddings have collapsed to one
    direction. For rows drawn from a zero-mean isotropic Gaussian the value
    is close to ``1 / sqrt(d)``. Chen and He use this measure of collapse in
    "Exploring Simple Siamese Representation Learning" (2021),
    https://arxiv.org/abs/2011.10566.

    Parameters
    ----------
    z : torch.Tensor
        Embeddings of shape ``(batch_size, dimension)``. Integer and bool
        tensors are converted to the default float dtype. Rows of zeros stay
        zero after normalization.

    Returns
    -------
    torch.Tensor
        A 0-dimensional tensor on ``z``'s device. For a batch of one row the
        result is 0, because a single row has no spread. The standard
        deviation uses Bessel's correction (divides by ``batch_size - 1``),
        which is undefined for one row.

    Raises
    ------
    EmbeddingValueError
        If ``z`` is not 2-dimensional, or has no rows or no columns.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[3.0, 4.0], [-3.0, -4.0]])
    >>> std_of_l2_normalized(z)
    tensor(0.9899)
    >>> std_of_l2_normalized(torch.tensor([[1.0, 2.0]]))
    tensor(0.)
    """
    if z.dim() != 2:
        raise EmbeddingValueError(
            "z must be a 2-dimensional tensor of shape (batch_size, dimension), "
            f"got {z.dim()} dimensions with shape {tuple(z.shape)}."
        )
    if z.shape[0] == 0 or z.shape[1] == 0:
        raise EmbeddingValueError(
            f"z must have at least one row and one column, got shape {tuple(z.shape)}."
        )
    if not (z.is_floating_point() or z.is_complex()):
        z = z.to(torch.get_default_dtype())

    normalized = F.normalize(z, dim=1)
    if z.shape[0] == 1:
        return normalized.new_zeros(())
    return normalized.std(dim=0).mean()


def _is_array(value: object) -> bool:
    return isinstance(value, torch.Tensor | np.ndarray)


def _wrapped_transform(transform: object) -> Any:
    """Return the transform that ``transform`` wraps in a ``transform`` attribute.

    Returns None when there is no such attribute, or when it is a method of
    ``transform`` itself (torchvision v2 transforms have a ``transform``
    method, which is not a wrapped pipeline).
    """
    inner = getattr(transform, "transform", None)
    if inner is None or not callable(inner):
        return None
    if inspect.ismethod(inner) and inner.__self__ is transform:
        return None
    return inner


def _composed_steps(transform: object) -> Sequence[Any] | None:
    """Return the steps of a composed transform, or None if it is not one."""
    if isinstance(transform, list | tuple):
        return transform
    steps = getattr(transform, "transforms", None)
    if isinstance(steps, list | tuple):
        return steps
    return None


def apply_transform_without_normalize(image: Image, transform: Any) -> Image:
    """Apply a transform to an image, skipping tensor conversion and normalization.

    Composed transforms (a list, a tuple, or any object with a ``transforms``
    list, like torchvision's ``Compose``) are walked step by step, and so is
    the pipeline inside an object's ``transform`` attribute. A step is
    skipped when its class name is in :data:`SKIPPED_TRANSFORM_NAMES`, or
    when it turns the image into a :class:`torch.Tensor` or a
    :class:`numpy.ndarray`: its result is then dropped and the next step gets
    the image. Every other step is called on the image.

    Parameters
    ----------
    image : PIL.Image.Image
        The input image.
    transform : callable or composed transform
        The transform to apply.

    Returns
    -------
    PIL.Image.Image
        The transformed image.

    Raises
    ------
    TypeError
        If a step is neither callable nor a composed transform.

    Notes
    -----
    A step that needs a tensor but comes after a skipped step gets the PIL
    image, and whatever error it raises propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from PIL import Image
    >>> class ToArray:
    ...     def __call__(self, img):
    ...         return np.asarray(img)
    >>> class Compose:
    ...     def __init__(self, transforms):
    ...         self.transforms = transforms
    >>> pipeline = Compose([lambda img: img.rotate(90, expand=True), ToArray()])
    >>> apply_transform_without_normalize(Image.new("RGB", (4, 2)), pipeline).size
    (2, 4)
    """
    if type(transform).__name__ in SKIPPED_TRANSFORM_NAMES:
        return image

    steps = _composed_steps(transform)
    if steps is not None:
        for step in steps:
            image = apply_transform_without_normalize(image, step)
        return image

    inner = _wrapped_transform(transform)
    if inner is not None:
        return apply_transform_without_normalize(image, inner)

    if not callable(transform):
        raise TypeError(
            f"transform must be callable or a composed transform, got {transform!r} "
            f"of type {type(transform).__name__}."
        )
    result = transform(image)
    if _is_array(result) and not _is_array(image):
        return image
    return result  # type: ignore[no-any-return]


def _view_transforms(transform: Any) -> list[Any]:
    """Return one transform per view, following the rules in the module doc."""
    if isinstance(transform, list | tuple):
        views = list(transform)
        if not views:
            raise EmbeddingValueError(
                "transform must contain at least one view transform, got an empty "
                f"{type(transform).__name__}."
            )
        return views
    if type(transform).__name__.endswith("Compose"):
        return [transform, transform]

    views_attribute = getattr(transform, "transforms", None)
    if isinstance(views_attribute, list | tuple):
        return _view_transforms(views_attribute)

    inner = _wrapped_transform(transform)
    if inner is not None:
        return [inner, inner]
    if callable(transform):
        return [transform, transform]
    raise TypeError(
        "transform must be a callable, a list or tuple of callables, or an object "
        f"with a transform or transforms attribute, got {transform!r} of type "
        f"{type(transform).__name__}."
    )


def generate_grid_of_augmented_images(
    input_images: Sequence[Image], transform: Any
) -> list[list[Image]]:
    """Augment each image once per view, skipping tensor conversion.

    Parameters
    ----------
    input_images : sequence of PIL.Image.Image
        The images to augment.
    transform : transform, sequence of transforms, or wrapper
        A single transform gives two views; a list or tuple of transforms,
        or an object with a ``transforms`` list, gives one view per
        transform. The module documentation lists every accepted form.

    Returns
    -------
    list of list of PIL.Image.Image
        One inner list per view, with one augmented image per input image,
        in input order. ``grid[v][i]`` is view ``v`` of image ``i``.

    Raises
    ------
    EmbeddingValueError
        If ``input_images`` is empty, or ``transform`` is an empty list or
        tuple.
    TypeError
        If ``transform`` has none of the accepted forms.

    Examples
    --------
    >>> from PIL import Image
    >>> images = [Image.new("RGB", (4, 2)), Image.new("RGB", (6, 2))]
    >>> views = [lambda img: img.rotate(90, expand=True), lambda img: img]
    >>> grid = generate_grid_of_augmented_images(images, views)
    >>> [[img.size for img in view] for view in grid]
    [[(2, 4), (2, 6)], [(4, 2), (6, 2)]]
    """
    images = list(input_images)
    if not images:
        raise EmbeddingValueError(
            "input_images must contain at least one image, got an empty sequence."
        )
    return [
        [apply_transform_without_normalize(image, view) for image in images]
        for view in _view_transforms(transform)
    ]


def plot_augmented_images(input_images: Sequence[Image], transform: Any) -> Figure:
    """Plot images next to their augmented views.

    Each row shows one input image: the original in the first column, then
    one augmented view per column, as
    :func:`generate_grid_of_augmented_images` makes them. The first column
    is titled "Original images" and the second "Augmented images".

    Parameters
    ----------
    input_images : sequence of PIL.Image.Image
        The images to augment, one row each.
    transform : transform, sequence of transforms, or wrapper
        As for :func:`generate_grid_of_augmented_images`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, created through :mod:`matplotlib.pyplot` as lightly does,
        so ``plt.show()`` displays it. Close it with ``plt.close(figure)``
        when done.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    EmbeddingValueError
        If ``input_images`` is empty, or ``transform`` is an empty list or
        tuple.
    TypeError
        If ``transform`` has none of the accepted forms.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from PIL import Image
    >>> figure = plot_augmented_images([Image.new("RGB", (4, 4))], lambda img: img)
    >>> figure.axes[0].get_title(), len(figure.axes)
    ('Original images', 3)
    >>> plt.close(figure)
    """
    plt = optional_import("matplotlib.pyplot", extra="plot")
    images = list(input_images)
    columns = [images, *generate_grid_of_augmented_images(images, transform)]

    nrows, ncols = len(images), len(columns)
    figure: Figure
    figure, axes = plt.subplots(
        nrows, ncols, figsize=(1.5 * ncols, 1.5 * nrows), squeeze=False
    )
    for col, column in enumerate(columns):
        for row, image in enumerate(column):
            axes[row, col].imshow(image)
            axes[row, col].set_axis_off()

    axes[0, 0].set_title("Original images", fontsize=8)
    axes[0, 1].set_title("Augmented images", fontsize=8)
    figure.tight_layout()
    return figure
