"""Data for the book: a checksummed registry, loaders and simulators.

Data flows one way: ``data/`` (or the user cache, or a verified download)
-> :mod:`svdlab.datasets` -> notebooks. See :func:`list_datasets` for what is
registered, with licenses and citations.
"""

from ._corpora import (
    BrownCorpus,
    Corpus,
    load_analogy_questions,
    load_brown,
    load_sotu,
    load_word_similarity,
)
from ._faces import Faces, load_faces
from ._images import load_image
from ._movielens import Ratings, load_movielens, make_ratings
from ._registry import (
    REGISTRY,
    Dataset,
    DatasetError,
    cache_dir,
    data_dir,
    fetch,
    get_info,
    list_datasets,
    package_file,
    register,
    sha256,
)

__all__ = [
    "BrownCorpus",
    "Corpus",
    "load_brown",
    "load_analogy_questions",
    "load_sotu",
    "load_word_similarity",
    "REGISTRY",
    "Dataset",
    "DatasetError",
    "Faces",
    "cache_dir",
    "data_dir",
    "fetch",
    "get_info",
    "list_datasets",
    "load_faces",
    "load_image",
    "Ratings",
    "load_movielens",
    "make_ratings",
    "package_file",
    "register",
    "sha256",
]
