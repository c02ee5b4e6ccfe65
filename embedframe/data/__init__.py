"""A small real embedding file bundled with the package.

``digits.csv`` contains one row per image of scikit-learn's handwritten digits
data set (1,797 images of 8x8 pixels, digits 0 to 9). The embedding is the 64
pixel intensities divided by 16, as float32. The file names look like
``digits/3/0421.png``: the digit, then the image's index in the data set.
The label is the digit. :mod:`embedframe.data.make_sample` wrote the file.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.resources
import pathlib

__all__ = ["sample_path"]

#: File name of the bundled sample inside this package.
SAMPLE_NAME = "digits.csv"

# Removes the temporary copy that as_file makes when the package is imported
# from a zip archive. For a package on disk it has nothing to remove.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


@functools.cache
def sample_path() -> pathlib.Path:
    """Return the path of the bundled digits sample, a Lightly CSV file.

    The file has 1,797 rows and the columns ``filenames``, ``embedding_0`` ..
    ``embedding_63`` and ``labels``. When the package is installed as a zip
    archive, the file is first copied to a temporary file that is removed
    when the interpreter exits.

    Returns
    -------
    pathlib.Path
        The path of ``digits.csv``.

    Examples
    --------
    >>> import embedframe
    >>> from embedframe.data import sample_path
    >>> sample_path().name
    'digits.csv'
    >>> frame = embedframe.read_csv(sample_path())
    >>> frame.shape
    (1797, 66)
    >>> frame["labels"].value_counts().sort_index().tolist()
    [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    """
    resource = importlib.resources.files(__name__) / SAMPLE_NAME
    return _extracted.enter_context(importlib.resources.as_file(resource))
