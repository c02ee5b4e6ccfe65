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
"""

from __future__ import annotations

from embedframe._compat import optional_import

# Raise the ImportError that names the extra before any submodule imports torch.
optional_import("torch", extra="torch")

from embedframe.torch import debug, dist  # noqa: E402

__all__ = ["debug", "dist"]
