"""Word vectors from the SVD: co-occurrence, PPMI and truncated SVD (chapter 7).

The pipeline of Levy, Goldberg & Dagan (2015):

1. :func:`tokenize` the documents and :func:`build_vocab`;
2. count word-context pairs within a window, weighted by distance (:func:`cooccurrence`,
   a sparse matrix built with vectorized NumPy, never a dense ``V x V`` array);
3. turn counts into positive pointwise mutual information with context-distribution
   smoothing (:func:`ppmi`, sparse in and out);
4. factor it with a truncated SVD and keep ``U Sigma^p`` (:class:`SVDEmbedding`);
5. query and evaluate the vectors (:class:`WordVectors`: nearest words, analogies,
   word-similarity and analogy benchmarks), with paired bootstrap confidence intervals
   for comparing models on the items they all cover (:func:`bootstrap_scores`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata, spearmanr
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import (
    check_array,
    check_int,
    check_operator,
    check_option,
    check_random_state,
    check_scalar,
)
from ..linalg import sign_flip

__all__ = [
    "tokenize",
    "Vocabulary",
    "build_vocab",
    "cooccurrence",
    "ppmi",
    "SVDEmbedding",
    "WordVectors",
    "SimilarityResult",
    "AnalogyResult",
    "BootstrapResult",
    "bootstrap_scores",
]

_TOKEN = re.compile(r"[a-z]+(?:['\u2019][a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into words (letters, with an inner apostrophe).

    Digits and punctuation are dropped; ``"nation's"`` stays one token.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str
        The tokens, in order.

    Raises
    ------
    TypeError
        If ``text`` is not a str.

    Taught in chapter 7.

    Examples
    --------
    >>> tokenize("The Union's State, in 1790: strong!")
    ['the', "union's", 'state', 'in', 'strong']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


def _check_docs(docs, name: str = "docs") -> list[list[str]]:
    if isinstance(docs, str) or not isinstance(docs, Iterable):
        raise TypeError(f"{name} must be a list of token lists, got {type(docs).__name__}")
    docs = list(docs)
    if not docs:
        raise ValueError(f"{name} must not be empty")
    if all(isinstance(t, str) for t in docs):  # one flat token list
        docs = [docs]
    out = []
    for d in docs:
        if isinstance(d, str) or not isinstance(d, Sequence | np.ndarray):
            raise TypeError(f"{name} must be a list of token lists (lists of str); "
                            f"got an element of type {type(d).__name__}")
        out.append(list(d))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """Words sorted by decreasing count (ties alphabetically) and their counts.

    ``index`` maps a word to its row in every matrix built on this vocabulary.

    Attributes
    ----------
    words : tuple of str
        The vocabulary, most frequent first.
    counts : ndarray of int
        The corpus count of each word.
    index : dict
        Word to row.
    """

    words: tuple[str, ...]
    counts: np.ndarray
    index: dict[str, int] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Row indices of ``tokens``, ``-1`` for words outside the vocabulary.

        Parameters
        ----------
        tokens : sequence of str
            Words, in order.

        Returns
        -------
        ndarray of int, shape (len(tokens),)
            Their rows, ``-1`` for unknown words.
        """
        get = self.index.get
        return np.fromiter((get(t, -1) for t in tokens), dtype=np.int64, count=len(tokens))


def build_vocab(tokens, min_count: int = 1, max_size: int | None = None) -> Vocabulary:
    """The vocabulary of a corpus: words seen at least ``min_count`` times, most frequent first.

    Parameters
    ----------
    tokens : list of str, or list of lists of str
        One token list or one list per document.
    min_count : int, default 1
        Drop rarer words.
    max_size : int, optional
        Keep at most this many of the most frequent words.

    Returns
    -------
    Vocabulary

    References
    ----------
    Mikolov et al. (2013) and Levy, Goldberg & Dagan (2015) both cut rare words first.
    Taught in chapter 7.

    Examples
    --------
    >>> v = build_vocab([["a", "b", "a"], ["c", "a", "b"]], min_count=2)
    >>> v.words, v.counts.tolist(), v.index["b"]
    (('a', 'b'), [3, 2], 1)
    """
    docs = _check_docs(tokens, "tokens")
    min_count = check_int(min_count, "min_count", min_value=1)
    if max_size is not None:
        max_size = check_int(max_size, "max_size", min_value=1)
    counts = Counter()
    for d in docs:
        if not all(isinstance(t, str) for t in d):
            raise TypeError("tokens must hold strings only")
        counts.update(d)
    items = sorted(((w, c) for w, c in counts.items() if c >= min_count),
                   key=lambda wc: (-wc[1], wc[0]))
    if max_size is not None:
        items = items[:max_size]
    if not items:
        raise ValueError(f"no word occurs at least min_count={min_count} times")
    words = tuple(w for w, _ in items)
    return Vocabulary(words=words, counts=np.array([c for _, c in items], dtype=np.int64),
                      index={w: i for i, w in enumerate(words)})


def _distance_weights(window: int, weighting: str) -> np.ndarray:
    d = np.arange(1, window + 1, dtype=np.float64)
    if weighting == "harmonic":
        return 1.0 / d
    if weighting == "linear":
        return (window - d + 1) / window
    return np.ones(window)


def cooccurrence(docs, vocab: Vocabulary, window: int = 5, weighting: str = "harmonic",
                 dtype=np.float64) -> sp.csr_array:
    """Symmetric word-context co-occurrence counts in a window, as a sparse matrix.

    Words outside ``vocab`` are removed before windowing (as word2vec does), and
    windows never cross document boundaries. A pair at distance ``d`` adds

    * ``1/d`` (``"harmonic"``, GloVe's and the seed's weighting),
    * ``(window - d + 1) / window`` (``"linear"``, word2vec's expected weight from its
      random window shrinking), or
    * ``1`` (``"uniform"``)

    to both ``C[w, c]`` and ``C[c, w]``. The matrix is built one offset ``d`` at a time
    from vectorized index arrays, so memory is ``O(tokens + nnz)``, never ``O(V^2)``.

    Parameters
    ----------
    docs : list of lists of str
        Tokenized documents (or one token list).
    vocab : Vocabulary
    window : int, default 5
        Largest distance counted.
    weighting : {"harmonic", "linear", "uniform"}
    dtype : float dtype, default float64

    Returns
    -------
    scipy.sparse.csr_array, shape (len(vocab), len(vocab))
        Symmetric, non-negative.

    References
    ----------
    Levy, Goldberg & Dagan (2015), section 3.2 (dynamic context window);
    Pennington, Socher & Manning (2014) for harmonic weighting. Taught in chapter 7.

    Examples
    --------
    >>> v = build_vocab(["a", "b", "c"])
    >>> cooccurrence([["a", "b", "c"]], v, window=2).toarray()
    array([[0. , 1. , 0.5],
           [1. , 0. , 1. ],
           [0.5, 1. , 0. ]])
    """
    docs = _check_docs(docs)
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be a Vocabulary (from build_vocab), got {type(vocab).__name__}")
    window = check_int(window, "window", min_value=1)
    weighting = check_option(weighting, "weighting", ("harmonic", "linear", "uniform"))
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    n = len(vocab)
    ids = [vocab.ids(d) for d in docs]
    ids = [i[i >= 0] for i in ids]
    lengths = np.array([len(i) for i in ids], dtype=np.int64)
    flat = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    doc_of = np.repeat(np.arange(len(ids)), lengths)
    weights = _distance_weights(window, weighting)
    C = sp.csr_array((n, n), dtype=dtype)
    for d in range(1, min(window, max(len(flat) - 1, 0)) + 1):
        same = doc_of[:-d] == doc_of[d:]
        rows, cols = flat[:-d][same], flat[d:][same]
        vals = np.full(rows.shape[0], weights[d - 1], dtype=dtype)
        C = C + sp.csr_array((vals, (rows, cols)), shape=(n, n))  # duplicates are summed
    C = (C + C.T).tocsr()
    C.sum_duplicates()
    return C


def ppmi(C, alpha: float = 0.75, shift: float = 1.0) -> sp.csr_array:
    """Positive pointwise mutual information with context-distribution smoothing.

    .. math::

        \\mathrm{PMI}_\\alpha(w, c) = \\log \\frac{\\hat P(w, c)}{\\hat P(w)\\, \\hat P_\\alpha(c)},
        \\qquad \\hat P_\\alpha(c) = \\frac{\\#(c)^\\alpha}{\\sum_{c'} \\#(c')^\\alpha},

        \\mathrm{SPPMI}(w, c) = \\max\\bigl(\\mathrm{PMI}_\\alpha(w, c) - \\log k,\\ 0\\bigr),

    computed only on the stored (non-zero) counts: a zero count has PMI :math:`-\\infty`
    and PPMI 0, so the result is as sparse as ``C`` (or sparser).

    Parameters
    ----------
    C : array_like or sparse matrix, shape (n_words, n_contexts)
        Non-negative co-occurrence counts.
    alpha : float in (0, 1], default 0.75
        Context-distribution smoothing; 1 is plain PMI. Raising context counts to
        0.75 lifts the probability of rare contexts and tames PMI's bias towards them.
    shift : float >= 1, default 1
        The ``k`` of shifted PPMI (``k`` negative samples in SGNS); 1 means no shift.

    Returns
    -------
    scipy.sparse.csr_array, same shape as ``C``, float64

    References
    ----------
    O. Levy, Y. Goldberg, I. Dagan, Improving distributional similarity with lessons
    learned from word embeddings, TACL 3 (2015). Taught in chapter 7.

    Examples
    --------
    >>> C = np.array([[0., 2.], [2., 1.]])
    >>> P = ppmi(C, alpha=1.0).toarray()
    >>> np.round(P, 4)
    array([[0.    , 0.5108],
           [0.5108, 0.    ]])
    """
    C = check_operator(C, "C")
    if not sp.issparse(C):
        C = sp.csr_array(C)
    elif not isinstance(C, sp.csr_array):
        C = sp.csr_array(C)
    C = C.astype(np.float64)
    if C.data.size and C.data.min() < 0:
        raise ValueError("C must hold non-negative counts")
    alpha = check_scalar(alpha, "alpha", low=0.0, high=1.0, include_low=False)
    shift = check_scalar(shift, "shift", low=1.0)
    C.eliminate_zeros()
    total = C.data.sum()
    if total <= 0:
        raise ValueError("C must contain at least one positive count")
    row_sum = np.asarray(C.sum(axis=1)).ravel()
    col_sum = np.asarray(C.sum(axis=0)).ravel()
    ctx = col_sum ** alpha
    p_ctx = ctx / ctx.sum()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    # log P(w,c) - log P(w) - log P_alpha(c) with P(w,c) = C/total, P(w) = row_sum/total
    pmi = np.log(C.data) - np.log(row_sum[rows]) - np.log(p_ctx[C.indices])
    pmi -= np.log(shift)
    out = sp.csr_array((np.maximum(pmi, 0.0), C.indices.copy(), C.indptr.copy()), shape=C.shape)
    out.eliminate_zeros()
    return out


@dataclass(frozen=True)
class SimilarityResult:
    """Spearman correlation between model cosines and human scores.

    ``rho`` is computed on the ``n_found`` pairs whose words are both in the vocabulary;
    ``coverage = n_found / n_pairs``.

    Attributes
    ----------
    rho : float
        Spearman correlation on the covered pairs.
    coverage : float
        ``n_found / n_pairs``.
    n_found, n_pairs : int
        Covered and total pairs.
    """

    rho: float
    coverage: float
    n_found: int
    n_pairs: int


@dataclass(frozen=True)
class AnalogyResult:
    """Accuracy on analogy questions ``a : b :: c : d`` whose four words are known.

    ``accuracy`` is over the ``n_found`` covered questions; ``coverage = n_found /
    n_questions``; ``by_section`` maps a section name to ``(accuracy, n_found)``.

    Attributes
    ----------
    accuracy : float
        Fraction of the covered questions answered correctly.
    coverage : float
        ``n_found / n_questions``.
    n_found, n_questions : int
        Covered and total questions.
    by_section : dict
        Section name to ``(accuracy, n_found)``.
    """

    accuracy: float
    coverage: float
    n_found: int
    n_questions: int
    by_section: dict = field(default_factory=dict)


class WordVectors:
    """Word vectors with a vocabulary: nearest words, analogies and benchmarks.

    Works for any embedding matrix (PPMI-SVD, word2vec, ...), so that every model
    is evaluated by the same code. Rows are L2-normalized once; every query is
    one matrix product.

    Parameters
    ----------
    vectors : array_like, shape (n_words, dim)
    words : sequence of str, length n_words

    Taught in chapter 7.

    Examples
    --------
    >>> wv = WordVectors([[1., 0.], [0.9, 0.1], [0., 1.]], ["king", "queen", "apple"])
    >>> wv.most_similar("king", 1)
    [('queen', 0.9939)]
    """

    def __init__(self, vectors, words):
        V = check_array(vectors, "vectors", ndim=2)
        words = tuple(words)
        if len(words) != V.shape[0]:
            raise ValueError(f"words must have one entry per row of vectors "
                             f"({V.shape[0]}), got {len(words)}")
        if not all(isinstance(w, str) for w in words):
            raise TypeError("words must be strings")
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        self.vectors = V
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        self.unit = V / np.where(norms > 0, norms, 1.0)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def _id(self, word, name="word") -> int:
        if not isinstance(word, str):
            raise TypeError(f"{name} must be a str, got {type(word).__name__}")
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"{name} {word!r} is not in the vocabulary") from None

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words.

        Parameters
        ----------
        a, b : str
            Two words of the vocabulary.

        Returns
        -------
        float
            The cosine of their vectors.

        Raises
        ------
        KeyError
            If a word is not in the vocabulary.
        """
        return float(self.unit[self._id(a, "a")] @ self.unit[self._id(b, "b")])

    def most_similar(self, word, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` words of highest cosine with ``word`` (a word or a vector), itself excluded.

        One matrix-vector product and a partial sort.

        Parameters
        ----------
        word : str or array_like of shape (dim,)
            A word of the vocabulary, or a query vector.
        n : int
            How many neighbours.

        Returns
        -------
        list of (str, float)
            Words and cosines, best first.

        Raises
        ------
        KeyError
            If ``word`` is a str outside the vocabulary.
        ValueError
            If the vector has the wrong length or ``n`` is out of range.
        """
        if isinstance(word, str):
            i = self._id(word)
            q, exclude = self.unit[i], [i]
        else:
            q = check_array(word, "word", ndim=1)
            if q.shape[0] != self.unit.shape[1]:
                raise ValueError(f"word must be a str or a vector of length "
                                 f"{self.unit.shape[1]}, got length {q.shape[0]}")
            q, exclude = q / max(np.linalg.norm(q), 1e-300), []
        n = check_int(n, "n", min_value=1, max_value=len(self) - len(exclude))
        sims = self.unit @ q
        sims[exclude] = -np.inf
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.words[j], round(float(sims[j]), 4)) for j in top]

    def _analogy_scores(self, A, B, C, method):
        """Scores of every word as the answer d of a : b :: c : d, one row per question."""
        ua, ub, uc = self.unit[A], self.unit[B], self.unit[C]
        if method == "3cosadd":
            S = (ub - ua + uc) @ self.unit.T
        else:  # 3cosmul on cosines shifted to [0, 1]
            ca = (self.unit @ ua.T).T
            cb = (self.unit @ ub.T).T
            cc = (self.unit @ uc.T).T
            S = ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + 1e-3)
        rows = np.arange(len(A))
        S[rows, A] = S[rows, B] = S[rows, C] = -np.inf
        return S

    def analogy(self, a: str, b: str, c: str, method: str = "3cosadd", n: int = 1):
        """Solve ``a : b :: c : ?``: the words ``d`` best matching ``b - a + c``.

        ``"3cosadd"`` maximizes :math:`\\cos(d, b) - \\cos(d, a) + \\cos(d, c)`;
        ``"3cosmul"`` maximizes :math:`\\cos(d,b)\\cos(d,c)/(\\cos(d,a)+\\varepsilon)` on
        cosines shifted to :math:`[0, 1]` (Levy & Goldberg 2014). The question words
        are never answers.

        Parameters
        ----------
        a, b, c : str
            The question's words.
        method : {"3cosadd", "3cosmul"}
            The objective.
        n : int
            How many answers.

        Returns
        -------
        list of (word, score)
            The best candidates, best first.

        Raises
        ------
        KeyError
            If a word is not in the vocabulary.
        """
        method = check_option(method, "method", ("3cosadd", "3cosmul"))
        n = check_int(n, "n", min_value=1, max_value=len(self) - 3)
        ids = [self._id(w, nm) for w, nm in ((a, "a"), (b, "b"), (c, "c"))]
        S = self._analogy_scores(*(np.array([i]) for i in ids), method)[0]
        top = np.argpartition(-S, n - 1)[:n]
        top = top[np.argsort(-S[top], kind="stable")]
        return [(self.words[j], round(float(S[j]), 4)) for j in top]

    def pair_cosines(self, pairs) -> np.ndarray:
        """Cosine of each pair ``(a, b)``; NaN where a word is not in the vocabulary.

        The per-item values that :func:`bootstrap_scores` resamples (with the human
        scores) to put a confidence interval on Spearman's rho.

        Parameters
        ----------
        pairs : sequence of (str, str)

        Returns
        -------
        ndarray, shape (n_pairs,)

        Raises
        ------
        TypeError
            If ``pairs`` is not a sequence of word pairs.

        Examples
        --------
        >>> wv = WordVectors([[1., 0.], [1., 1.]], ["a", "b"])
        >>> wv.pair_cosines([("a", "b"), ("a", "zebra")]).round(4)
        array([0.7071,    nan])
        """
        ia, ib = self._pair_ids(pairs)
        out = np.full(ia.shape[0], np.nan)
        ok = (ia >= 0) & (ib >= 0)
        out[ok] = np.einsum("ij,ij->i", self.unit[ia[ok]], self.unit[ib[ok]])
        return out

    def _pair_ids(self, pairs):
        pairs = list(pairs)
        if not all(isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2
                   for p in pairs):
            raise TypeError("pairs must be a sequence of (word, word) pairs")
        get = self.index.get
        ia = np.array([get(a, -1) for a, _ in pairs], dtype=np.int64)
        ib = np.array([get(b, -1) for _, b in pairs], dtype=np.int64)
        return ia, ib

    def analogy_hits(self, questions, method: str = "3cosadd",
                     batch_size: int = 256) -> np.ndarray:
        """1.0 for each question answered right, 0.0 if wrong, NaN if a word is unknown.

        Questions are taken in order (sections in their order for a dict), so the
        vectors of two models line up item by item for :func:`bootstrap_scores`.

        Parameters
        ----------
        questions : sequence of (a, b, c, d), or dict section -> sequence
        method : {"3cosadd", "3cosmul"}
        batch_size : int
            Questions scored per matrix product.

        Returns
        -------
        ndarray, shape (n_questions,)

        Raises
        ------
        ValueError
            If ``method`` is unknown or ``questions`` is empty.
        TypeError
            If a question is not four words.

        Examples
        --------
        >>> wv = WordVectors([[1, 1, 0], [1, -1, 0], [0, 1, .1], [0, -1, .1], [0, 0, 1]],
        ...                  ["king", "queen", "man", "woman", "apple"])
        >>> wv.analogy_hits([("man", "king", "woman", "queen"), ("man", "x", "y", "z")])
        array([ 1., nan])
        """
        method = check_option(method, "method", ("3cosadd", "3cosmul"))
        batch_size = check_int(batch_size, "batch_size", min_value=1)
        if isinstance(questions, Mapping):
            qs = [q for v in questions.values() for q in v]
        else:
            qs = list(questions)
        if not qs:
            raise ValueError("questions must not be empty")
        if not all(isinstance(q, Sequence) and not isinstance(q, str) and len(q) == 4
                   for q in qs):
            raise TypeError("questions must be (a, b, c, d) tuples of words")
        get = self.index.get
        ids = np.array([[get(w, -1) for w in q] for q in qs], dtype=np.int64)
        ok = np.flatnonzero((ids >= 0).all(axis=1))
        out = np.full(len(qs), np.nan)
        for s in range(0, ok.shape[0], batch_size):
            rows = ok[s:s + batch_size]
            blk = ids[rows]
            S = self._analogy_scores(blk[:, 0], blk[:, 1], blk[:, 2], method)
            out[rows] = S.argmax(axis=1) == blk[:, 3]
        return out

    def evaluate_similarity(self, pairs, scores) -> SimilarityResult:
        """Spearman's rho between cosines and human ``scores`` on the covered pairs.

        Parameters
        ----------
        pairs : sequence of (str, str)
        scores : array_like, shape (n_pairs,)

        References
        ----------
        Finkelstein et al. (2002); Hill, Reichart & Korhonen (2015).
        """
        pairs = list(pairs)
        scores = check_array(scores, "scores", ndim=1)
        if len(pairs) != scores.shape[0]:
            raise ValueError(f"pairs and scores must have the same length, got "
                             f"{len(pairs)} and {scores.shape[0]}")
        if not all(isinstance(p, Sequence) and len(p) == 2 for p in pairs):
            raise TypeError("pairs must be a sequence of (word, word) pairs")
        get = self.index.get
        ia = np.array([get(a, -1) for a, _ in pairs])
        ib = np.array([get(b, -1) for _, b in pairs])
        ok = (ia >= 0) & (ib >= 0)
        n_found = int(ok.sum())
        if n_found < 3:
            return SimilarityResult(float("nan"), n_found / len(pairs), n_found, len(pairs))
        cos = np.einsum("ij,ij->i", self.unit[ia[ok]], self.unit[ib[ok]])
        rho = float(spearmanr(cos, scores[ok]).statistic)
        return SimilarityResult(rho, n_found / len(pairs), n_found, len(pairs))

    def evaluate_analogies(self, questions, method: str = "3cosadd",
                           batch_size: int = 256) -> AnalogyResult:
        """Accuracy on analogy questions (all four words in the vocabulary), in batches.

        Parameters
        ----------
        questions : sequence of (a, b, c, d), or dict section -> sequence
        method : {"3cosadd", "3cosmul"}
        batch_size : int
            Questions scored per matrix product (memory ``batch_size x n_words``).

        References
        ----------
        Mikolov et al. (2013); Levy & Goldberg (2014).
        """
        method = check_option(method, "method", ("3cosadd", "3cosmul"))
        batch_size = check_int(batch_size, "batch_size", min_value=1)
        if isinstance(questions, Mapping):
            sections = {str(k): list(v) for k, v in questions.items()}
        else:
            sections = {"all": list(questions)}
        total_q = sum(map(len, sections.values()))
        if total_q == 0:
            raise ValueError("questions must not be empty")
        get = self.index.get
        by_section, n_found, n_right = {}, 0, 0
        for name, qs in sections.items():
            if not all(isinstance(q, Sequence) and len(q) == 4 for q in qs):
                raise TypeError("questions must be (a, b, c, d) tuples of words")
            ids = np.array([[get(w, -1) for w in q] for q in qs], dtype=np.int64).reshape(-1, 4)
            ids = ids[(ids >= 0).all(axis=1)]
            right = 0
            for s in range(0, ids.shape[0], batch_size):
                blk = ids[s:s + batch_size]
                S = self._analogy_scores(blk[:, 0], blk[:, 1], blk[:, 2], method)
                right += int((S.argmax(axis=1) == blk[:, 3]).sum())
            by_section[name] = (right / ids.shape[0] if ids.shape[0] else float("nan"),
                                int(ids.shape[0]))
            n_found += ids.shape[0]
            n_right += right
        acc = n_right / n_found if n_found else float("nan")
        return AnalogyResult(acc, n_found / total_q, int(n_found), total_q, by_section)


@dataclass(frozen=True)
class BootstrapResult:
    """Scores of several models on the same items, with percentile bootstrap intervals.

    Attributes
    ----------
    names : tuple of str
        The models, in the order given.
    estimate : dict
        name -> score on all common items (Spearman's rho, or the mean for accuracies).
    ci : dict
        name -> ``(low, high)``, the percentile interval at ``level``.
    samples : ndarray, shape (n_boot, n_models)
        The score of every model on every resample; the same resampled items for all
        models, so differences between columns are paired.
    n_items : int
        Items covered by every model (the ones scored).
    coverage : float
        ``n_items`` over the number of items given.
    level : float
    """

    names: tuple
    estimate: dict
    ci: dict
    samples: np.ndarray = field(repr=False)
    n_items: int
    coverage: float
    level: float

    def diff(self, a: str, b: str) -> tuple[float, float, float]:
        """Paired difference ``score(a) - score(b)``: ``(estimate, low, high)``.

        Parameters
        ----------
        a, b : str
            Two of the models' names.

        Returns
        -------
        tuple of float
            The difference of the full-sample scores and the percentile interval of the
            bootstrap differences at ``level``.

        Raises
        ------
        KeyError
            If ``a`` or ``b`` is not one of ``names``.
        """
        for nm in (a, b):
            if nm not in self.names:
                raise KeyError(f"{nm!r} is not one of the models {self.names}")
        d = self.samples[:, self.names.index(a)] - self.samples[:, self.names.index(b)]
        lo, hi = np.quantile(d, [(1 - self.level) / 2, (1 + self.level) / 2])
        return self.estimate[a] - self.estimate[b], float(lo), float(hi)


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of every row of ``x`` with the same row of ``y`` (ties averaged)."""
    rx = rankdata(x, axis=-1)
    ry = rankdata(y, axis=-1)
    rx -= rx.mean(axis=-1, keepdims=True)
    ry -= ry.mean(axis=-1, keepdims=True)
    num = np.einsum("ij,ij->i", rx, ry)
    den = np.sqrt(np.einsum("ij,ij->i", rx, rx) * np.einsum("ij,ij->i", ry, ry))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def bootstrap_scores(values, scores=None, *, n_boot: int = 2000, level: float = 0.95,
                     random_state=None) -> BootstrapResult:
    """Benchmark scores of several models with paired percentile bootstrap intervals.

    The items (word pairs or analogy questions) are resampled with replacement
    ``n_boot`` times; every model is scored on the same resamples, so the interval of a
    difference (:meth:`BootstrapResult.diff`) accounts for the models' shared items.
    Only items that every model covers (no NaN in any ``values``) are used: models
    with different vocabularies are compared on the same questions.

    Parameters
    ----------
    values : dict
        Model name -> per-item values of equal length: cosines
        (:meth:`WordVectors.pair_cosines`) or hits (:meth:`WordVectors.analogy_hits`),
        NaN where the model does not cover the item.
    scores : array_like, shape (n_items,), optional
        Human similarity scores. Given: each model's score is Spearman's rho of its
        values with ``scores``. Omitted: the mean of its values (an accuracy).
    n_boot : int, default 2000
        Resamples.
    level : float in (0, 1), default 0.95
        Coverage of the intervals.
    random_state : int or Generator, optional

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        If ``values`` is empty, lengths differ, fewer than three items are covered by
        every model, or ``level``/``n_boot`` is out of range.
    TypeError
        If ``values`` is not a dict of arrays.

    References
    ----------
    B. Efron, R. Tibshirani, An Introduction to the Bootstrap, Chapman & Hall (1993),
    chapter 13 (percentile intervals). Taught in chapter 7.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> human = rng.random(200)
    >>> good, noisy = human + 0.1 * rng.random(200), human + rng.random(200)
    >>> res = bootstrap_scores({"good": good, "noisy": noisy}, human, random_state=0)
    >>> res.n_items, round(res.estimate["good"], 3)
    (200, 0.99)
    >>> est, lo, hi = res.diff("good", "noisy")
    >>> bool(lo > 0)
    True
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a dict: model name -> per-item values, got "
                        f"{type(values).__name__}")
    if not values:
        raise ValueError("values must not be empty")
    names = tuple(str(k) for k in values)
    cols = [check_array(v, f"values[{k!r}]", ndim=1, finite=False) for k, v in values.items()]
    n = cols[0].shape[0]
    if any(c.shape[0] != n for c in cols):
        raise ValueError(f"every values array must have the same length, got "
                         f"{[c.shape[0] for c in cols]}")
    X = np.column_stack(cols).astype(np.float64)
    ok = ~np.isnan(X).any(axis=1)
    if scores is not None:
        y = check_array(scores, "scores", ndim=1)
        if y.shape[0] != n:
            raise ValueError(f"scores must have one entry per item ({n}), got {y.shape[0]}")
    n_boot = check_int(n_boot, "n_boot", min_value=1)
    level = check_scalar(level, "level", low=0.0, high=1.0, include_low=False,
                         include_high=False)
    rng = check_random_state(random_state)
    m = int(ok.sum())
    if m < 3:
        raise ValueError(f"at least 3 items must be covered by every model, got {m}")
    X = X[ok]
    idx = rng.integers(0, m, size=(n_boot, m))
    samples = np.empty((n_boot, len(names)))
    if scores is not None:
        y = y[ok]
        est = {nm: float(spearmanr(X[:, j], y).statistic) for j, nm in enumerate(names)}
        ys = y[idx]
        for j in range(len(names)):
            samples[:, j] = _spearman_rows(X[idx, j], ys)
    else:
        est = {nm: float(X[:, j].mean()) for j, nm in enumerate(names)}
        for j in range(len(names)):
            samples[:, j] = X[idx, j].mean(axis=1)
    q = [(1 - level) / 2, (1 + level) / 2]
    ci = {nm: tuple(float(v) for v in np.nanquantile(samples[:, j], q))
          for j, nm in enumerate(names)}
    return BootstrapResult(names, est, ci, samples, m, m / n, level)


class SVDEmbedding(TransformerMixin, BaseEstimator):
    """Word embeddings from a truncated SVD of a (PPMI) word-context matrix.

    With :math:`M \\approx U_d \\Sigma_d V_d^\\top` the word vectors are
    :math:`W = U_d \\Sigma_d^{p}` with ``p = eig_weight``: ``p = 1`` is the rank-``d``
    approximation's own scaling, ``p = 0.5`` splits :math:`\\Sigma` symmetrically between
    words and contexts (as SGNS does implicitly), ``p = 0`` keeps only directions.
    Levy, Goldberg & Dagan (2015) found ``p`` in {0, 0.5} consistently better than 1.

    Parameters
    ----------
    dim : int, default 100
        Number of singular triplets kept.
    eig_weight : float in [0, 1], default 0.5
        The exponent ``p`` on the singular values.
    add_context : bool, default False
        Return :math:`W + C` with context vectors :math:`C = V_d \\Sigma_d^p`
        (only meaningful for a square, symmetric word-word matrix).
    algorithm : {"arpack", "randomized"}, default "arpack"
        ``scipy.sparse.linalg.svds`` (implicitly restarted Lanczos, run to convergence
        at working precision, ``tol=0``) or :func:`svdlab.randomized.randomized_svd`
        (Halko, Martinsson & Tropp 2011). PPMI spectra decay slowly, so a randomized
        SVD with few passes returns a rotated, shrunken top-``dim`` subspace; ARPACK is
        the default because its answer does not depend on a pass budget. Choose
        ``"randomized"`` with an explicit ``n_iter`` checked against ARPACK.
    n_iter : "auto" or int, default "auto"
        Power iterations of the randomized solver (``"auto"``: its adaptive rule);
        ignored by ARPACK.
    dtype : {"float32", "float64"}, default "float32"
        Precision of the factorization. ARPACK on chapter 7's 5548-word PPMI matrix
        (d = 100) took 2.3 s in single and 4.2 s in double precision; single-precision
        triplets have residuals of about 1e-6 sigma_1 there, far below the differences
        that word-similarity benchmarks resolve.
    random_state : int or Generator, optional

    Attributes
    ----------
    embedding_ : ndarray, shape (n_words, dim)
        The word vectors of the training rows.
    singular_values_ : ndarray, shape (dim,)
        Decreasing.
    components_ : ndarray, shape (dim, n_features)
        :math:`V_d^\\top`, signs fixed with :func:`svdlab.linalg.sign_flip`.
    wv_ : WordVectors or None
        Set when ``fit`` gets ``words``.

    References
    ----------
    O. Levy, Y. Goldberg, I. Dagan, TACL 3 (2015); J. Bullinaria, J. Levy, Behavior
    Research Methods 44 (2012) on the eigenvalue weight. Taught in chapter 7.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> M = rng.random((30, 30)); M = M + M.T
    >>> emb = SVDEmbedding(dim=3, algorithm="arpack", dtype="float64", random_state=0).fit(M)
    >>> emb.embedding_.shape
    (30, 3)

    ARPACK converges to machine precision (``tol=0``), so the singular values and the
    fold-in of the training rows agree with the exact ones to a small multiple of
    ``eps * sigma_1``, whatever the BLAS kernel:

    >>> s = np.linalg.svd(M, compute_uv=False)[:3]
    >>> tol = 100 * 30 * np.finfo(float).eps * s[0]
    >>> bool(np.abs(emb.singular_values_ - s).max() < tol)
    True
    >>> bool(np.abs(emb.transform(M) - emb.embedding_).max() < tol)
    True
    """

    def __init__(self, dim=100, eig_weight=0.5, add_context=False, algorithm="arpack",
                 n_iter="auto", dtype="float32", random_state=None):
        self.dim = dim
        self.eig_weight = eig_weight
        self.add_context = add_context
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.dtype = dtype
        self.random_state = random_state

    def fit(self, X, y=None, words=None):
        """Factor ``X`` (dense or sparse, shape (n_words, n_contexts)); return ``self``.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_words, n_contexts)
            The association matrix (PPMI, counts, ...).
        y : None
            Ignored (scikit-learn's signature).
        words : sequence of str, optional
            The row labels; with them ``vectors()`` returns :class:`WordVectors`.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``dim`` exceeds ``min(X.shape)``, or another hyperparameter is out of range.
        """
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          ensure_min_samples=2)
        dim = check_int(self.dim, "dim", min_value=1, max_value=min(X.shape))
        p = check_scalar(self.eig_weight, "eig_weight", low=0.0, high=1.0)
        algorithm = check_option(self.algorithm, "algorithm", ("arpack", "randomized"))
        n_iter = self.n_iter if isinstance(self.n_iter, str) else check_int(
            self.n_iter, "n_iter", min_value=0)
        try:
            dtype_name = np.dtype(self.dtype).name
        except TypeError:
            dtype_name = repr(self.dtype)
        dtype = np.dtype(check_option(dtype_name, "dtype", ("float32", "float64")))
        if not isinstance(self.add_context, bool | np.bool_):
            raise TypeError(f"add_context must be a bool, got {type(self.add_context).__name__}")
        if self.add_context and X.shape[0] != X.shape[1]:
            raise ValueError(f"add_context=True needs a square word-word matrix, got shape "
                             f"{X.shape}")
        rng = check_random_state(self.random_state)
        if algorithm == "arpack":
            if dim >= min(X.shape):
                raise ValueError(f"dim must be < min(X.shape) = {min(X.shape)} for "
                                 f"algorithm='arpack' (X has n_samples={X.shape[0]}, "
                                 f"n_features={X.shape[1]}), got {dim}")
            from scipy.sparse.linalg import svds

            v0 = rng.uniform(-1, 1, min(X.shape)).astype(dtype)
            U, s, Vt = svds(X.astype(dtype), k=dim, v0=v0)
            order = np.argsort(s)[::-1]
            U, s, Vt = U[:, order], s[order], Vt[order]
        else:
            from ..randomized import randomized_svd

            U, s, Vt = randomized_svd(X.astype(dtype), dim, n_iter=n_iter, random_state=rng)
        U, Vt = sign_flip(U, Vt)
        scale = s ** p
        W = U * scale
        if self.add_context:
            W = W + Vt.T * scale
        self.singular_values_ = s
        self.components_ = Vt
        self.embedding_ = W
        if words is not None:
            self.wv_ = WordVectors(W, words)
        else:
            self.wv_ = None
        return self

    def transform(self, X):
        """Fold new rows in: ``X V_d Sigma_d^(p-1)`` (equals ``U_d Sigma_d^p`` on training rows).

        With ``add_context=True`` the context part of a new row is unknown, so this
        returns only the word part.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_rows, n_contexts)
            Rows of the same association measure.

        Returns
        -------
        ndarray, shape (n_rows, dim)
            Their embeddings.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          reset=False)
        s = self.singular_values_
        p = float(self.eig_weight)
        with np.errstate(divide="ignore"):
            scale = np.where(s > 0, s ** (p - 1.0), 0.0)
        return np.asarray(X @ self.components_.T) * scale

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
