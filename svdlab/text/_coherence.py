"""Topic coherence: normalized pointwise mutual information of a topic's top terms (chapter 11a).

A topic (an NMF component, or one pole of an LSA concept) is summarized by its top
terms. It is *coherent* when those terms tend to occur in the same documents. With
document frequencies ``p_i = df_i / N`` and ``p_ij = df_ij / N`` (the share of the
``N`` documents containing term ``i``, and both ``i`` and ``j``), the normalized
pointwise mutual information (Bouma 2009)

.. math:: \\mathrm{NPMI}(i, j) = \\frac{\\log \\frac{p_{ij}}{p_i p_j}}{-\\log p_{ij}}

lies in ``[-1, 1]``: ``-1`` when the two never co-occur, ``0`` when they are
independent, ``1`` when each occurs exactly where the other does. A topic's coherence is
the mean NPMI over the pairs of its top terms; Lau, Newman and Baldwin (2014) found this
mean to agree best with human judgements of topic quality among the automatic measures
they compared.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_array, check_int, check_operator

__all__ = ["npmi_coherence", "top_terms"]


def top_terms(components, n_terms: int = 10) -> np.ndarray:
    """Indices of the ``n_terms`` largest entries of each row, largest first.

    Parameters
    ----------
    components : array_like, shape (n_topics, n_terms_total)
        Topic-term weights (NMF ``components_``, or an LSA component; negate it for the
        negative pole).
    n_terms : int
        How many terms per topic.

    Returns
    -------
    ndarray of int, shape (n_topics, n_terms)

    Raises
    ------
    ValueError
        If ``n_terms`` exceeds the number of columns.

    Taught in chapter 11a.

    Examples
    --------
    >>> top_terms([[0.1, 0.5, 0.3], [0.9, 0.0, 0.2]], 2)
    array([[1, 2],
           [0, 2]])
    """
    C = check_operator(np.asarray(components, dtype=float), "components")
    n_terms = check_int(n_terms, "n_terms", min_value=1, max_value=C.shape[1])
    return np.argsort(-C, axis=1, kind="stable")[:, :n_terms]


def npmi_coherence(topics, X, *, sample_weight=None, return_matrix: bool = False):
    """Mean NPMI of each topic's terms, from their document co-occurrence in ``X``.

    Parameters
    ----------
    topics : array_like of int, shape (n_topics, t)
        Term indices (columns of ``X``) of each topic, ``t >= 2`` distinct per topic
        (e.g. :func:`top_terms`).
    X : array_like or scipy.sparse matrix, shape (n_documents, n_terms_total)
        Document-term counts or weights; only whether an entry is positive matters.
        The "documents" may be whole texts or shorter segments of them.
    sample_weight : array_like of float, shape (n_documents,) or (n_draws, n_documents)
        Non-negative weights of the documents (e.g. bootstrap multiplicities): a document
        of weight ``w`` counts as ``w`` documents in ``p_i`` and ``p_ij``. A 2-D array
        evaluates every row of weights (every bootstrap draw) in one call.
    return_matrix : bool
        Also return the NPMI matrices, shape (n_topics, t, t) (diagonal set to 1).

    Returns
    -------
    coherence : ndarray, shape (n_topics,), or (n_draws, n_topics) for 2-D weights
        Mean NPMI over the ``t (t - 1) / 2`` pairs of each topic.
    npmi : ndarray, shape (n_topics, t, t) (or (n_draws, n_topics, t, t)), only with
        ``return_matrix``

    Raises
    ------
    ValueError
        If a topic repeats a term, has fewer than two terms or names a column outside
        ``X``, or if ``sample_weight`` is negative, of the wrong length or all zero.

    Notes
    -----
    Pairs that never co-occur get ``-1`` (the limit of NPMI as ``p_ij -> 0``; this
    includes a term absent from the documents, which co-occurs with nothing), pairs
    that occur in every document ``1``. Only the columns of the topics' terms are read:
    their occurrence matrix ``B_S`` (documents x distinct topic terms, dense) gives all
    co-occurrence counts as ``B_S^T diag(w) B_S``.

    References
    ----------
    G. Bouma, "Normalized (pointwise) mutual information in collocation extraction",
    GSCL 2009. J. H. Lau, D. Newman and T. Baldwin, "Machine reading tea leaves:
    automatically evaluating topic coherence and topic model quality", EACL 2014.

    Taught in chapter 11a.

    Examples
    --------
    >>> X = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]])
    >>> npmi_coherence([[0, 1], [0, 2]], X).round(3)    # 0, 1 together; 0, 2 never
    array([ 0.415, -1.   ])
    """
    if sp.issparse(X):          # checked in place: no conversion of the whole matrix
        if X.ndim != 2 or min(X.shape) == 0:
            raise ValueError(f"X must be a non-empty 2-D sparse matrix, got shape {X.shape}")
        if X.format not in ("csr", "csc"):
            X = X.tocsc()
        if X.dtype.kind not in "biuf" or not np.all(np.isfinite(X.data)):
            raise ValueError("X must hold finite real numbers")
    else:
        X = check_operator(X, "X")
        if not isinstance(X, np.ndarray):
            raise TypeError(f"X must be a dense array or a scipy.sparse matrix, got "
                            f"{type(X).__name__}")
    T = np.asarray(topics)
    if T.ndim != 2 or T.shape[1] < 2 or T.dtype.kind not in "iu":
        raise ValueError(f"topics must be a 2-D array of term indices with >= 2 terms per "
                         f"topic, got shape {T.shape} and dtype {T.dtype}")
    n_docs, n_cols = X.shape
    if T.min() < 0 or T.max() >= n_cols:
        raise ValueError(f"topics must index columns 0..{n_cols - 1} of X, got "
                         f"{T.min()}..{T.max()}")
    if any(len(set(row)) != len(row) for row in T.tolist()):
        raise ValueError("topics must not repeat a term within a topic")
    if sample_weight is None:
        Wt = np.ones((1, n_docs))
    else:
        Wt = check_array(sample_weight, "sample_weight", ndim=(1, 2), nonnegative=True)
        if Wt.shape[-1] != n_docs:
            raise ValueError(f"sample_weight must have {n_docs} entries (one per document) "
                             f"per row, got shape {Wt.shape}")
        if np.any(Wt.reshape(-1, n_docs).sum(axis=1) <= 0):
            raise ValueError("sample_weight must not be all zero")
    single = sample_weight is None or Wt.ndim == 1
    Wt = Wt.reshape(-1, n_docs)
    used, inverse = np.unique(T, return_inverse=True)
    inverse = inverse.reshape(T.shape)
    # the occurrence matrix of the topics' terms only: n_docs x (number of distinct terms)
    B = X[:, used] > 0
    B = B.toarray() if sp.issparse(B) else B
    B = B.astype(np.float64)
    t = T.shape[1]
    iu = np.triu_indices(t, 1)
    out, mats = [], []
    for w in Wt:
        co = B.T @ (w[:, None] * B)
        total = w.sum()
        p = co / total
        pi = np.diag(p).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            npmi = (np.log(p) - np.log(pi)[:, None] - np.log(pi)[None, :]) / -np.log(p)
        npmi[co <= 0] = -1.0
        npmi[np.isclose(co, total, rtol=1e-12, atol=0)] = 1.0
        M = npmi[inverse[:, :, None], inverse[:, None, :]]
        out.append(M[:, iu[0], iu[1]].mean(axis=1))
        if return_matrix:
            idx = np.arange(t)
            M[:, idx, idx] = 1.0
            mats.append(M)
    coherence = out[0] if single else np.array(out)
    if return_matrix:
        return coherence, (mats[0] if single else np.array(mats))
    return coherence
