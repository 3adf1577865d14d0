"""Term weighting and latent semantic analysis (chapter 6.2).

Counts are a (documents x terms) matrix, dense or ``scipy.sparse``, as scikit-learn's
``CountVectorizer`` produces.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_int, check_operator, check_option, check_random_state
from ..linalg import sign_flip

__all__ = ["tfidf", "log_entropy", "LSA"]


def _counts(counts, name="counts"):
    if sparse.issparse(counts):
        C = check_operator(counts, name).tocsr().astype(np.float64)
    else:
        C = sparse.csr_matrix(check_operator(np.asarray(counts), name), dtype=np.float64)
    if C.shape[0] == 0 or C.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (documents x terms) matrix")
    if C.nnz and C.data.min() < 0:
        raise ValueError(f"{name} must be non-negative counts")
    return C


def _l2_rows(C):
    norms = np.sqrt(np.asarray(C.multiply(C).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ C


def tfidf(counts, *, smooth=True, sublinear=False, norm=True):
    r"""TF-IDF weights, the same formula as scikit-learn's ``TfidfTransformer``.

    $w_{dt} = \mathrm{tf}_{dt}\,(\ln\frac{1+n}{1+\mathrm{df}_t} + 1)$ (smoothed), rows
    scaled to unit length.

    Returns a CSR matrix.

    Parameters
    ----------
    counts : {array_like, sparse matrix} of shape (n_documents, n_terms)
        Non-negative term counts.
    smooth : bool, default True
        Add one document containing every term once (``ln((1+n)/(1+df)) + 1``), so no
        idf divides by zero.
    sublinear : bool, default False
        Replace each count by ``1 + ln(tf)``.
    norm : bool, default True
        Scale every row to unit Euclidean length.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, n_terms)
        The weights.

    Raises
    ------
    ValueError
        If ``counts`` is not a non-empty 2-D matrix or holds a negative entry.

    References
    ----------
    G. Salton and C. Buckley, "Term-weighting approaches in automatic text retrieval",
    Information Processing & Management 24(5), 1988.

    Taught in chapter 6.

    Examples
    --------
    >>> W = tfidf([[1, 1, 0], [1, 0, 2]])
    >>> np.round(W.toarray(), 3)
    array([[0.58 , 0.815, 0.   ],
           [0.335, 0.   , 0.942]])
    """
    C = _counts(counts)
    n = C.shape[0]
    df = np.bincount(C.indices, minlength=C.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1 if smooth else np.log(n / np.maximum(df, 1)) + 1
    if sublinear:
        C = C.copy()
        C.data = 1 + np.log(C.data)
    W = C @ sparse.diags(idf)
    return _l2_rows(W).tocsr() if norm else W.tocsr()


def log_entropy(counts):
    r"""Log-entropy weights (Dumais 1991): local $\log(1+\mathrm{tf})$ times a global term weight.

    The global weight of term $t$ is $g_t = 1 + \sum_d p_{dt}\log p_{dt} / \log n$ with
    $p_{dt} = \mathrm{tf}_{dt} / \sum_d \mathrm{tf}_{dt}$: each *term* is normalized over
    the documents, so a term spread evenly over all documents gets weight 0 and a term
    in a single document weight 1.

    Parameters
    ----------
    counts : {array_like, sparse matrix} of shape (n_documents, n_terms)
        Non-negative term counts.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, n_terms)
        ``log(1 + tf_dt) * g_t``.

    Raises
    ------
    ValueError
        If ``counts`` is not a non-empty 2-D matrix or holds a negative entry.

    References
    ----------
    S. T. Dumais, "Improving the retrieval of information from external sources",
    Behavior Research Methods 23(2), 1991.

    Taught in chapter 6.

    Examples
    --------
    >>> W = log_entropy([[1, 1], [1, 0]])
    >>> np.round(W.toarray(), 3)   # term 0 is everywhere equally: weight 0
    array([[0.   , 0.693],
           [0.   , 0.   ]])
    """
    C = _counts(counts)
    n = C.shape[0]
    gf = np.asarray(C.sum(axis=0)).ravel()
    Cc = C.tocoo()
    p = Cc.data / gf[Cc.col]
    ent = np.bincount(Cc.col, p * np.log(p), C.shape[1])
    g = 1 + ent / np.log(n) if n > 1 else np.ones(C.shape[1])
    L = C.copy()
    L.data = np.log1p(L.data)
    return (L @ sparse.diags(g)).tocsr()


class LSA(TransformerMixin, BaseEstimator):
    """Latent semantic analysis: truncated SVD of a weighted document-term matrix.

    ``fit`` weights the counts (``"tfidf"``, ``"log_entropy"`` or ``"none"``), takes the
    rank-``n_components`` SVD $W \\approx U_k \\Sigma_k V_k^T$ and keeps the document
    coordinates $U_k\\Sigma_k$ (as ``TruncatedSVD.fit_transform``). Signs follow
    :func:`svdlab.linalg.sign_flip`: the largest loading of each component is positive.

    Parameters
    ----------
    n_components : int
        Number of concepts $k$, below min(n_documents, n_terms).
    weighting : {"tfidf", "log_entropy", "none"}
        Term weighting applied to the counts (fitted on the training documents).
    random_state : int, Generator or None
        Seed of ARPACK's start vector.

    Attributes
    ----------
    components_ : ndarray (n_components, n_terms)
        The concepts $V_k^T$.
    singular_values_ : ndarray (n_components,)
    embedding_ : ndarray (n_documents, n_components)
        Document coordinates $U_k\\Sigma_k$.
    explained_variance_ : ndarray (n_components,)
        Variance of each column of ``embedding_``.
    explained_variance_ratio_ : ndarray (n_components,)
        ``explained_variance_`` over the total variance of the weighted matrix (the sum of
        its column variances): scikit-learn's ``TruncatedSVD`` definition. As there, the
        SVD is of the uncentred matrix, so these need not decrease.
    energy_ratio_ : ndarray (n_components,)
        $\\sigma_j^2 / \\|W\\|_F^2$: each component's share of the squared Frobenius norm
        (decreasing; the first component carries the mean document).
    idf_, global_weight_ : ndarray (n_terms,)
        The TF-IDF and log-entropy term weights.

    Raises
    ------
    ValueError
        On an unknown ``weighting``, negative counts, or too many components.

    References
    ----------
    S. Deerwester, S. T. Dumais, G. W. Furnas, T. K. Landauer and R. Harshman,
    "Indexing by latent semantic analysis", JASIS 41(6), 1990.

    Taught in chapter 6.

    Examples
    --------
    >>> C = np.array([[2, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 2], [0, 1, 2, 1]])
    >>> lsa = LSA(n_components=2).fit(C)
    >>> lsa.components_.shape
    (2, 4)
    >>> bool(lsa.similarity(0, 1) > lsa.similarity(0, 2))
    True
    """

    def __init__(self, n_components=10, weighting="tfidf", random_state=0):
        self.n_components = n_components
        self.weighting = weighting
        self.random_state = random_state

    def _weight(self, counts):
        if self.weighting == "tfidf":
            C = _counts(counts)
            W = C @ sparse.diags(self.idf_)
            return _l2_rows(W).tocsr()
        if self.weighting == "log_entropy":
            C = _counts(counts).copy()
            C.data = np.log1p(C.data)
            return (C @ sparse.diags(self.global_weight_)).tocsr()
        return _counts(counts)

    def fit(self, X, y=None):
        """Weight the counts and take their rank-``n_components`` SVD; returns ``self``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_documents, n_terms)
            Term counts.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        LSA
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``weighting`` is unknown, ``n_components`` is not in ``1..min(X.shape) - 1``
            (ARPACK's limit), or ``X`` is empty or has a negative entry.
        """
        check_option(self.weighting, "weighting", ("tfidf", "log_entropy", "none"))
        C = _counts(X, "X")
        n, m = C.shape
        k = check_int(self.n_components, "n_components", min_value=1,
                      max_value=max(1, min(n, m) - 1))
        rng = check_random_state(self.random_state)
        df = np.bincount(C.indices, minlength=m)
        self.idf_ = np.log((1 + n) / (1 + df)) + 1
        gf = np.asarray(C.sum(axis=0)).ravel()
        Cc = C.tocoo()
        p = Cc.data / gf[Cc.col]
        ent = np.bincount(Cc.col, p * np.log(p), m)
        self.global_weight_ = 1 + ent / np.log(n) if n > 1 else np.ones(m)
        W = self._weight(C)
        v0 = rng.uniform(-1, 1, min(W.shape))
        U, s, Vt = svds(W, k=k, v0=v0)
        order = np.argsort(s)[::-1]
        U, s, Vt = U[:, order], s[order], Vt[order]
        U, Vt = sign_flip(U, Vt)
        self.components_ = Vt
        self.singular_values_ = s
        self.embedding_ = U * s
        # as scikit-learn's TruncatedSVD: the variance of each column of the projected
        # documents over the total variance of W (columns centred; W itself is not)
        col_mean = np.asarray(W.mean(axis=0)).ravel()
        col_var = np.asarray(W.multiply(W).mean(axis=0)).ravel() - col_mean ** 2
        self.explained_variance_ = self.embedding_.var(axis=0)
        self.explained_variance_ratio_ = self.explained_variance_ / col_var.sum()
        # the share of ||W||_F^2 each component carries (no centring): what s^2 measures
        self.energy_ratio_ = s ** 2 / W.multiply(W).sum()
        self.n_features_in_ = m
        return self

    def transform(self, X):
        """Fold new documents into the semantic space: ``W V_k``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_documents, n_terms)
            Term counts over the training vocabulary; weighted with the training set's idf or
            global weights.

        Returns
        -------
        ndarray of shape (n_documents, n_components)
            Their coordinates (for a training document, its row of ``embedding_``).

        Raises
        ------
        ValueError
            If ``X`` has the wrong number of columns or a negative entry.
        """
        C = _counts(X, "X")
        if C.shape[1] != self.components_.shape[1]:
            raise ValueError(f"X must have {self.components_.shape[1]} columns (terms), "
                             f"got {C.shape[1]}")
        return np.asarray(self._weight(C) @ self.components_.T)

    def fit_transform(self, X, y=None):
        """Fit and return the document coordinates ``U_k Sigma_k`` (``embedding_``).

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_documents, n_terms)
            Term counts.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_documents, n_components)
            ``embedding_``.

        Raises
        ------
        ValueError
            As :meth:`fit`.
        """
        return self.fit(X).embedding_

    def concepts(self, feature_names, n_words=8):
        """The ``n_words`` terms with the largest loadings (and the most negative) per component.

        Parameters
        ----------
        feature_names : array_like of str, shape (n_terms,)
            The vocabulary, in column order.
        n_words : int, default 8
            Terms listed at each end of a component.

        Returns
        -------
        list of (list of str, list of str)
            Per component: the terms with the largest loadings, then those with the most
            negative ones.

        Raises
        ------
        ValueError
            If ``feature_names`` does not have one entry per term or ``n_words`` is not a
            positive integer.
        """
        names = np.asarray(feature_names, dtype=object)
        if names.shape != (self.components_.shape[1],):
            raise ValueError(f"feature_names must have {self.components_.shape[1]} entries")
        n_words = check_int(n_words, "n_words", min_value=1)
        out = []
        for v in self.components_:
            o = np.argsort(v)
            out.append((list(names[o[::-1][:n_words]]), list(names[o[:n_words]])))
        return out

    def _unit(self):
        E = self.embedding_
        norms = np.linalg.norm(E, axis=1, keepdims=True)
        return E / np.where(norms == 0, 1, norms)

    def similarity(self, i, j):
        """Cosine similarity of fitted documents ``i`` and ``j`` in the semantic space.

        Parameters
        ----------
        i, j : int
            Indices of training documents.

        Returns
        -------
        float
            The cosine of the angle between their rows of ``embedding_``, in [-1, 1].

        Raises
        ------
        ValueError
            If an index is not an integer in ``0..n_documents - 1``.
        """
        n = self.embedding_.shape[0]
        i = check_int(i, "i", min_value=0, max_value=n - 1)
        j = check_int(j, "j", min_value=0, max_value=n - 1)
        E = self._unit()
        return float(E[i] @ E[j])

    def most_similar_documents(self, i, n=5):
        """Indices and cosine similarities of the ``n`` fitted documents closest to ``i``.

        Parameters
        ----------
        i : int
            Index of a training document.
        n : int, default 5
            How many neighbours (at most ``n_documents - 1``).

        Returns
        -------
        indices : ndarray of int, shape (n,)
            The neighbours, most similar first (``i`` itself excluded).
        similarities : ndarray of float, shape (n,)
            Their cosine similarities to ``i``.

        Raises
        ------
        ValueError
            If ``i`` or ``n`` is out of range.
        """
        N = self.embedding_.shape[0]
        i = check_int(i, "i", min_value=0, max_value=N - 1)
        n = check_int(n, "n", min_value=1, max_value=max(1, N - 1))
        E = self._unit()
        sims = E @ E[i]
        sims[i] = -np.inf
        idx = np.argsort(sims)[::-1][:n]
        return idx, sims[idx]
