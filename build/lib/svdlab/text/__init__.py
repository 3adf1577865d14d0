"""Text as matrices: term weighting and latent semantic analysis (chapter 6.2),
co-occurrence, PPMI and SVD word embeddings (chapter 7)."""

from ._embeddings import (  # noqa: F401  (chapter 7)
    AnalogyResult,
    SimilarityResult,
    SVDEmbedding,
    Vocabulary,
    WordVectors,
    build_vocab,
    cooccurrence,
    ppmi,
    tokenize,
)
from ._lsa import LSA, log_entropy, tfidf  # noqa: F401  (chapter 6.2)
