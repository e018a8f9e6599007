"""Layers with explicit forward and backward passes.

The protocol every layer follows::

    layer.build(input_shape, rng, dtype) -> output_shape   # shapes without the batch axis
    layer.forward(x, training) -> y                        # caches what backward needs
    layer.backward(dy) -> dx                               # fills layer.grads
    layer.params, layer.grads                              # dicts with the same keys

For a dense layer y = x W + b the backward pass is the textbook one:
dW = x^T dy, db = sum_batch dy, dx = dy W^T.
"""

import numpy as np

from .activations import get_activation
from .initializers import get_initializer, zeros


class Layer:
    """Base class: a layer without parameters passes its shape through.

    Attributes whose names start with an underscore are forward-pass caches; they are
    left out when a layer is saved or pickled.
    """

    def __init__(self):
        self.params = {}
        self.grads = {}

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        return input_shape

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def _add_param(self, name, value):
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    @property
    def flops(self):
        """Floating-point operations of one sample's forward pass: two per weight of
        each matrix (a multiply and an add), biases and elementwise work left out."""
        return 2 * sum(p.size for p in self.params.values() if p.ndim > 1)


class Dense(Layer):
    """Fully connected layer y = x W + b over the last axis."""

    def __init__(self, units, init="glorot_uniform", use_bias=True):
        super().__init__()
        self.units, self.init, self.use_bias = units, init, use_bias

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        fan_in = input_shape[-1]
        self._add_param("W", get_initializer(self.init)((fan_in, self.units), rng, dtype))
        if self.use_bias:
            self._add_param("b", zeros((self.units,), dtype=dtype))
        return (*input_shape[:-1], self.units)

    def forward(self, x, training=False):
        self._x = x
        y = x @ self.params["W"]
        if self.use_bias:
            y += self.params["b"]
        return y

    def backward(self, dy):
        x2 = self._x.reshape(-1, self._x.shape[-1])
        dy2 = dy.reshape(-1, dy.shape[-1])
        np.matmul(x2.T, dy2, out=self.grads["W"])
        if self.use_bias:
            np.sum(dy2, axis=0, out=self.grads["b"])
        return dy @ self.params["W"].T


class Activation(Layer):
    """An elementwise activation (see ``zoo.core.activations``) as a layer."""

    def __init__(self, activation):
        super().__init__()
        self.activation = get_activation(activation)

    def forward(self, x, training=False):
        self._z = x
        self._a = self.activation.forward(x)
        return self._a

    def backward(self, dy):
        return self.activation.backward(self._z, self._a, dy)


class Dropout(Layer):
    """Inverted dropout (Srivastava et al. 2014): during training each unit is kept
    with probability 1 - rate and scaled by 1 / (1 - rate); identity at inference."""

    def __init__(self, rate):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = rate

    def build(self, input_shape, rng, dtype):
        self.dtype, self.rng = dtype, rng
        return input_shape

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = 1 - self.rate
        self._mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / keep
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask


class BatchNorm(Layer):
    """Ioffe & Szegedy (2015) batch normalisation over the batch axis.

    Training normalises with the batch statistics and updates running averages
    (``momentum`` is the weight of the old average); inference uses the averages.
    """

    def __init__(self, momentum=0.9, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        units = input_shape[-1]
        self._add_param("gamma", np.ones(units, dtype=dtype))
        self._add_param("beta", np.zeros(units, dtype=dtype))
        self.running_mean = np.zeros(units, dtype=dtype)
        self.running_var = np.ones(units, dtype=dtype)
        return input_shape

    def forward(self, x, training=False):
        self._training = training
        if not training:
            self._inv_std = 1 / np.sqrt(self.running_var + self.eps)
            self._x_hat = (x - self.running_mean) * self._inv_std
            return self._x_hat * self.params["gamma"] + self.params["beta"]
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        self.running_mean *= self.momentum
        self.running_mean += (1 - self.momentum) * mean
        self.running_var *= self.momentum
        self.running_var += (1 - self.momentum) * var
        self._inv_std = 1 / np.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        return self._x_hat * self.params["gamma"] + self.params["beta"]

    def backward(self, dy):
        x_hat, n = self._x_hat, dy.shape[0]
        self.grads["gamma"][...] = np.sum(dy * x_hat, axis=0)
        self.grads["beta"][...] = np.sum(dy, axis=0)
        dx_hat = dy * self.params["gamma"]
        if not self._training:
            return dx_hat * self._inv_std
        # d/dx of (x - mean) / std with the batch mean and variance depending on x
        return (self._inv_std / n) * (
            n * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)
        )


class Maxout(Layer):
    """Goodfellow et al. (2013): ``units`` outputs, each the max over ``pieces`` affine maps."""

    def __init__(self, units, pieces=2, init="glorot_uniform"):
        super().__init__()
        self.units, self.pieces, self.init = units, pieces, init

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        fan_in = input_shape[-1]
        weights = get_initializer(self.init)((fan_in, self.units * self.pieces), rng, dtype)
        self._add_param("W", weights)
        self._add_param("b", zeros((self.units * self.pieces,), dtype=dtype))
        return (*input_shape[:-1], self.units)

    def forward(self, x, training=False):
        self._x = x
        z = (x @ self.params["W"] + self.params["b"]).reshape(-1, self.units, self.pieces)
        self._argmax = z.argmax(axis=-1)
        return np.take_along_axis(z, self._argmax[..., None], axis=-1)[..., 0]

    def backward(self, dy):
        dz = np.zeros((dy.shape[0], self.units, self.pieces), dtype=dy.dtype)
        np.put_along_axis(dz, self._argmax[..., None], dy[..., None], axis=-1)
        dz = dz.reshape(dy.shape[0], -1)
        np.matmul(self._x.T, dz, out=self.grads["W"])
        np.sum(dz, axis=0, out=self.grads["b"])
        return dz @ self.params["W"].T


def dense_stack(sizes, activations, init, batch_norm=False, dropout=0.0):
    """Hidden layers: for each size, Dense -> [BatchNorm] -> Activation -> [Dropout].

    With batch norm the Dense bias is left out: BatchNorm's beta takes its place.
    """
    layers = []
    for units, activation in zip(sizes, activations):
        layers.append(Dense(units, init=init, use_bias=not batch_norm))
        if batch_norm:
            layers.append(BatchNorm())
        layers.append(Activation(activation))
        if dropout:
            layers.append(Dropout(dropout))
    return layers
