"""Optional dependencies, by need: which extra of ``pip install actionkit[...]`` brings a module.

The core install prepares and reads skeleton stores. Video work needs the ``video``
extra (OpenCV, decord, PyAV), training needs ``train`` (torch), and the SGN HDF5 export
needs ``export`` (h5py). A module that needs one calls :func:`require` where it would
``import`` the library, so a missing extra ends in one line naming it, not a traceback
ending in ``No module named 'torch'``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Import name -> (the pip distribution that provides it, the extra that installs it).
PROVIDERS: dict[str, tuple[str, str]] = {
    "cv2": ("opencv-contrib-python-headless", "video"),
    "decord": ("decord", "video"),
    "av": ("av", "video"),
    "torch": ("torch", "train"),
    "torchvision": ("torchvision", "train"),
    "h5py": ("h5py", "export"),
}


class MissingExtraError(ImportError):
    """A module of an extra that is not installed; the message says which extra to install."""


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, from PyPI and from a checkout."""
    return f"pip install 'actionkit[{extra}]' (in a checkout: pip install -e '.[{extra}]')"


def require(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module``, or fail with one line naming the extra that provides it.

    Args:
        module: Import name (``cv2``, ``decord``, ``av``, ``torch``, ``h5py``, or a
            submodule such as ``torch.nn``).
        extra: The extra that installs it (default: looked up in :data:`PROVIDERS`).

    Returns:
        The imported module.

    Raises:
        MissingExtraError: the module (or the package it belongs to) is not installed.
        KeyError: ``extra`` omitted for a module :data:`PROVIDERS` does not list.
    """
    top = module.split(".")[0]
    if extra is None:
        if top not in PROVIDERS:
            raise KeyError(f"no extra is known for {module!r}; known: {', '.join(PROVIDERS)}")
        extra = PROVIDERS[top][1]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != top:
            raise  # the library is there but one of its own dependencies is missing: its error says which
        dist = PROVIDERS.get(top, (top, extra))[0]
        what = top if dist == top else f"{top} ({dist})"
        raise MissingExtraError(f"{what} is not installed: this needs the '{extra}' extra; "
                                f"install it with {install_hint(extra)}", name=top) from None
