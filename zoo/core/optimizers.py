"""First-order optimizers that update ``(param, grad)`` pairs in place.

Every optimizer takes a learning rate or a schedule (``zoo.core.schedules``), an L2
``weight_decay`` (added to the gradient of every weight matrix, never to biases or
other 1-D parameters) and ``clip_norm``, a bound on the global gradient norm.
"""

import math

import numpy as np

from ._choices import choose
from .schedules import Constant


class Optimizer:
    """Base class: ``step(params, grads)`` updates each param in place."""

    def __init__(self, learning_rate=0.01, weight_decay=0.0, clip_norm=None):
        if callable(learning_rate):
            self.schedule = learning_rate
        else:
            self.schedule = Constant(learning_rate)
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.iterations = 0
        self.state = {}

    @property
    def learning_rate(self):
        return self.schedule(self.iterations)

    def step(self, params, grads):
        """Apply one update to ``params`` (a list of arrays) from ``grads``.

        The gradients may be modified in place (decay, clipping)."""
        grads = self._regularize(params, grads)
        lr = self.schedule(self.iterations)
        self.iterations += 1
        for index, (param, grad) in enumerate(zip(params, grads)):
            self._update(index, param, grad, lr)

    def _regularize(self, params, grads):
        # Python floats, not numpy float64 scalars: under NEP 50 those would promote
        # float32 arrays to float64.
        if self.weight_decay:
            for param, grad in zip(params, grads):
                if param.ndim > 1:
                    grad += self.weight_decay * param
        if self.clip_norm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if norm > self.clip_norm:
                for grad in grads:
                    grad *= self.clip_norm / norm
        return grads

    def _slot(self, index, name, like):
        key = (index, name)
        if key not in self.state:
            self.state[key] = np.zeros_like(like)
        return self.state[key]

    def _update(self, index, param, grad, lr):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p -= lr * g."""

    def _update(self, index, param, grad, lr):
        param -= lr * grad


class Momentum(Optimizer):
    """Polyak heavy ball: v = mu v - lr g; p += v."""

    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = momentum

    def _update(self, index, param, grad, lr):
        velocity = self._slot(index, "v", param)
        velocity *= self.momentum
        velocity -= lr * grad
        param += velocity


class Nesterov(Momentum):
    """Nesterov accelerated gradient in the Sutskever et al. (2013) form:
    v = mu v - lr g; p += mu v - lr g (the look-ahead folded into the update)."""

    def _update(self, index, param, grad, lr):
        velocity = self._slot(index, "v", param)
        velocity *= self.momentum
        velocity -= lr * grad
        param += self.momentum * velocity - lr * grad


class Adagrad(Optimizer):
    """Duchi, Hazan & Singer (2011): per-coordinate lr / sqrt(sum of squared grads)."""

    def __init__(self, learning_rate=0.01, eps=1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.eps = eps

    def _update(self, index, param, grad, lr):
        accumulated = self._slot(index, "g2", param)
        accumulated += grad * grad
        param -= lr * grad / (np.sqrt(accumulated) + self.eps)


class RMSProp(Optimizer):
    """Tieleman & Hinton (2012): divide by a running RMS of the gradient."""

    def __init__(self, learning_rate=0.001, rho=0.9, eps=1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.eps = rho, eps

    def _update(self, index, param, grad, lr):
        mean_square = self._slot(index, "g2", param)
        mean_square *= self.rho
        mean_square += (1 - self.rho) * grad * grad
        param -= lr * grad / (np.sqrt(mean_square) + self.eps)


class Adam(Optimizer):
    """Kingma & Ba (2014), with bias-corrected first and second moments."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, index, param, grad, lr):
        m, v = self._slot(index, "m", param), self._slot(index, "v", param)
        scratch = self._slot(index, "scratch", param)
        # lr * m_hat / (sqrt(v_hat) + eps), with both bias corrections folded into scalars
        correction = math.sqrt(1 - self.beta2**self.iterations)
        step_size = lr * correction / (1 - self.beta1**self.iterations)
        m *= self.beta1
        np.multiply(grad, 1 - self.beta1, out=scratch)
        m += scratch
        v *= self.beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - self.beta2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.eps * correction
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        param -= scratch


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def get_optimizer(name, **options):
    """An optimizer from its name and keyword options."""
    if isinstance(name, Optimizer):
        return name
    return choose("optimizer", name, OPTIMIZERS)(**options)
