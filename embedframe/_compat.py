"""Version flags and the import helper for optional dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType

import pandas as pd

__all__ = ["PANDAS_GE_3", "optional_import"]

#: pandas 3 stores strings as ``str`` by default; pandas 2 as ``object``.
PANDAS_GE_3 = int(pd.__version__.split(".")[0]) >= 3


def optional_import(name: str, *, extra: str) -> ModuleType:
    """Import an optional dependency or explain which extra installs it.

    Parameters
    ----------
    name : str
        Module to import, such as ``"torch"`` or ``"matplotlib.pyplot"``.
    extra : str
        The embedframe extra that installs it.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    ImportError
        If the module is not installed.

    Examples
    --------
    >>> optional_import("json", extra="none").__name__
    'json'
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        raise ImportError(
            f"{top} is required for this feature but is not installed. "
            f"Install it with: pip install 'embedframe[{extra}]'"
        ) from exc
