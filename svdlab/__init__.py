"""svdlab: the tested helper package of the SVD course book.

Every algorithm the book teaches lives here once, implemented from scratch for
reading, and is tested against SciPy / scikit-learn and the published results
it follows. The modules follow the chapters:

==============================  ===========================================
Submodules are imported lazily, so ``import svdlab`` is cheap and never touches
the network.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "compress",
    "datasets",
    "factorizations",
    "image",
    "latent",
    "linalg",
    "nn",
    "pca",
    "plot",
    "randomized",
    "recsys",
    "results",
    "text",
    "timing",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'svdlab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
