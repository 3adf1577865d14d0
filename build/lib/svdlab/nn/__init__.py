"""The book's neural-network code, in NumPy: one home for chapters 8, 10 and 11.

* :mod:`svdlab.nn.layers` -- dense and convolutional layers, ReLU, pooling, a
  ``Sequential`` model trained by Adam on softmax cross-entropy (chapter 8 trains,
  factors and fine-tunes small networks with it).
* :mod:`svdlab.nn.minilm` -- the forward pass of the pre-trained sentence encoder
  all-MiniLM-L6-v2 (chapters 8 and 11 compress its weight matrices).

The names of :mod:`svdlab.nn.layers` are importable from ``svdlab.nn`` directly::

    from svdlab import nn
    net = nn.make_mlp([64, 32, 10], random_state=0)
"""

from __future__ import annotations

from . import layers, minilm
from .layers import *  # noqa: F403  (the toolkit's public names)
from .layers import __all__ as _layers_all

__all__ = ["layers", "minilm", *_layers_all]
