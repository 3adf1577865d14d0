"""Text as matrices: term weighting and latent semantic analysis (chapter 6.2),
co-occurrence, PPMI and SVD word embeddings (chapter 7), topic coherence (chapter 11a)."""

from ._coherence import npmi_coherence, top_terms  # noqa: F401  (chapter 11a)
from ._embeddings import (  # noqa: F401  (chapter 7)
    AnalogyResult,
    BootstrapResult,
    SimilarityResult,
    SVDEmbedding,
    Vocabulary,
    WordVectors,
    bootstrap_scores,
    build_vocab,
    cooccurrence,
    ppmi,
    tokenize,
)
from ._lsa import LSA, log_entropy, tfidf  # noqa: F401  (chapter 6.2)
