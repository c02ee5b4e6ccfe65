"""PyTorch helpers: lightly's ``dist`` and ``debug`` utilities, and tensors.

Importing this package imports torch, so ``import embedframe`` never imports
it. Without torch installed the import raises an :class:`ImportError` that
names the extra to install: ``pip install 'embedframe[torch]'``.

Modules
-------
dist
    Gathering across processes, rank helpers (``lightly.utils.dist``).
debug
    Collapse measure and augmentation previews (``lightly.utils.debug``).

Functions
---------
to_tensor
    The (n, d) embedding matrix of a frame as a tensor.
from_tensor
    A validated frame from a tensor, file names and labels.
"""

from __future__ import annotations

from embedframe._compat import optional_import

# Raise the ImportError that names the extra before any submodule imports torch.
optional_import("torch", extra="torch")

from embedframe.torch import debug, dist  # noqa: E402
from embedframe.torch._bridge import from_tensor, to_tensor  # noqa: E402

__all__ = ["debug", "dist", "from_tensor", "to_tensor"]
