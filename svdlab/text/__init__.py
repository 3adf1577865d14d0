"""Text as matrices: term weighting and latent semantic analysis (chapter 6.2),
co-occurrence, PPMI and SVD word embeddings (chapter 7)."""
