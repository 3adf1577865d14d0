"""The book's neural-network code, in NumPy: one home for chapters 8, 10 and 11.

* :mod:`svdlab.nn.layers` -- dense and convolutional layers, ReLU and tanh, pooling, a
  ``Sequential`` model trained by Adam or SGD on cross-entropy or squared error
  (chapter 8 trains, factors and fine-tunes small networks with it).
* :mod:`svdlab.nn.minilm` -- the forward pass of the pre-trained sentence encoder
  all-MiniLM-L6-v2 (chapters 8, 10 and 11 read its weight matrices).
* :mod:`svdlab.nn.init` -- Gaussian, He, Glorot and orthogonal initialization (chapter 10).
* :mod:`svdlab.nn.spectra` -- weight spectra, stable rank, the Marchenko-Pastur bulk, the
  power-law exponent of an ESD, exact input-output Jacobians (chapter 10).
* :mod:`svdlab.nn.spectral_norm` -- warm-started power iteration, spectral-norm
  regularization and spectral normalization (chapter 10).
* :mod:`svdlab.nn.autoencoder` -- the linear autoencoder and principal angles (chapter 10).
* :mod:`svdlab.nn.lora` -- LoRA adapters with zero or PiSSA initialization (chapter 10).
* :mod:`svdlab.nn.lowrank` -- factored layers and plain, ASVD and whitened (SVD-LLM) SVD
  compression of MiniLM under a parameter budget (chapter 11b).
* :mod:`svdlab.nn.gan` -- a small GAN on a ring of Gaussians and its mode coverage
  (chapter 10).

The public names of these modules (not MiniLM's) are importable from ``svdlab.nn``::

    from svdlab import nn
    net = nn.make_mlp([64, 32, 10], random_state=0)
"""

from __future__ import annotations

from . import autoencoder, gan, init, layers, lora, minilm, spectra, spectral_norm
from .autoencoder import *  # noqa: F403
from .autoencoder import __all__ as _ae_all
from .gan import *  # noqa: F403
from .gan import __all__ as _gan_all
from .init import *  # noqa: F403
from .init import __all__ as _init_all
from .layers import *  # noqa: F403  (the toolkit's public names)
from .layers import __all__ as _layers_all
from .lora import *  # noqa: F403
from .lora import __all__ as _lora_all
from .spectra import *  # noqa: F403
from .spectra import __all__ as _spectra_all
from .spectral_norm import *  # noqa: F403
from .spectral_norm import __all__ as _sn_all

__all__ = ["layers", "minilm", "init", "spectra", "spectral_norm", "autoencoder", "lora",
           "gan", *_layers_all, *_init_all, *_spectra_all, *_sn_all, *_ae_all, *_lora_all,
           *_gan_all]
