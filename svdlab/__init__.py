"""svdlab: the tested helper package of the SVD course book.

Every algorithm the book teaches lives here once, implemented from scratch for
reading, and is tested against SciPy / scikit-learn and the published results
it follows. The modules follow the chapters:

==============================  ==================================================
module                          chapter
==============================  ==================================================
:mod:`svdlab.linalg`            1-2, 2b: the SVD, its sign convention, its geometry: norms,
                                rank, pseudo-inverse, least squares; TSVD, Tikhonov, GCV,
                                polar, Procrustes, total least squares
:mod:`svdlab.factorizations`    3-4, 3b: LU, QR, Cholesky; power iteration, Jacobi,
                                bidiagonalization; Lanczos bidiagonalization, pivoted QR,
                                Gram-Schmidt (teaching implementations)
:mod:`svdlab.randomized`        4b: randomized, block Krylov, incremental, Dask SVD
:mod:`svdlab.image`             5: compression, denoising, completion of images
:mod:`svdlab.recsys`            6: recommender models, metrics, cross-validation
:mod:`svdlab.text`              6-7, 11a: LSA, co-occurrence, PPMI, SVD word vectors,
                                topic coherence
:mod:`svdlab.plot`              all: the book's figure style (the only module that
                                imports matplotlib)
:mod:`svdlab.datasets`          all: data registry, loaders and simulators
:mod:`svdlab.latent`            8: latent-space analysis, interpolation, probabilistic PCA
:mod:`svdlab.compress`          8, 11b: low-rank factorization of dense and conv layers
:mod:`svdlab.pca`               9: PCA two ways, choosing k, whitening, robust and
                                kernel PCA
:mod:`svdlab.nn`                8, 10, 11b: NumPy networks (``nn.layers``), their
                                spectra, init, spectral norm, LoRA; the
                                all-MiniLM-L6-v2 encoder (``nn.minilm``)
:mod:`svdlab.nmf`               11a: non-negative matrix factorization (HALS, MU, PG,
                                NNDSVD starts)
:mod:`svdlab.timing`            3-4 and benchmarks: best-of-n wall-clock timing
:mod:`svdlab.results`           12 and benchmarks: benchmark tables stored as JSON
==============================  ==================================================

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
    "nmf",
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
