"""Elementwise activation functions with their derivatives.

Each activation maps pre-activations ``z`` to ``a = f(z)`` and back-propagates
``da`` to ``dz`` given both ``z`` and ``a`` (whichever is cheaper to use).
Maxout is a layer (``zoo.core.layers.Maxout``) because it has its own weights.
"""

import numpy as np
from scipy.special import expit

from ._choices import choose


class Activation:
    """An elementwise nonlinearity ``a = f(z)`` with ``backward(z, a, da) -> dz``."""

    name = "activation"

    def forward(self, z):
        raise NotImplementedError

    def backward(self, z, a, da):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Identity(Activation):
    name = "identity"

    def forward(self, z):
        return z

    def backward(self, z, a, da):
        return da


class Sigmoid(Activation):
    name = "logistic"

    def forward(self, z):
        return expit(z)

    def backward(self, z, a, da):
        return da * a * (1 - a)


class Tanh(Activation):
    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, da):
        return da * (1 - a * a)


class ReLU(Activation):
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, z, a, da):
        return da * (z > 0)


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, z):
        return np.where(z > 0, z, self.slope * z)

    def backward(self, z, a, da):
        return np.where(z > 0, da, self.slope * da)


class ELU(Activation):
    """Clevert, Unterthiner & Hochreiter (2015): z for z > 0, alpha (e^z - 1) otherwise."""

    name = "elu"

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, z):
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))

    def backward(self, z, a, da):
        return np.where(z > 0, da, da * (a + self.alpha))


class Softplus(Activation):
    name = "softplus"

    def forward(self, z):
        return np.logaddexp(0, z)

    def backward(self, z, a, da):
        return da * expit(z)


class Softmax(Activation):
    """Softmax over the last axis; its Jacobian-vector product is a * (da - <da, a>)."""

    name = "softmax"

    def forward(self, z):
        shifted = z - z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, z, a, da):
        return a * (da - (da * a).sum(axis=-1, keepdims=True))


ACTIVATIONS = {
    "identity": Identity,
    "linear": Identity,
    "logistic": Sigmoid,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "softplus": Softplus,
    "softmax": Softmax,
}


def get_activation(name):
    """An activation instance from its name (or the instance itself)."""
    if isinstance(name, Activation):
        return name
    return choose("activation", name, ACTIVATIONS)()
