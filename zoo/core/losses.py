"""Losses that return ``(value, gradient)`` together, averaged over the samples.

The gradient is taken with respect to the network output: logits for the two
cross-entropies, so the fused, stable softmax/sigmoid forms are the only forms.
"""

import numpy as np
from scipy.special import expit

from ._choices import choose


def mse(output, target):
    """Half the squared error summed over outputs, mean over samples."""
    diff = output - target
    n = output.shape[0]
    return 0.5 * float(np.vdot(diff, diff)) / n, diff / n


def binary_cross_entropy(logits, target):
    """Sigmoid + binary cross-entropy from logits: softplus(z) - t z, stable for large |z|."""
    n = logits.shape[0]
    value = np.sum(np.logaddexp(0, logits) - target * logits) / n
    return float(value), (expit(logits) - target) / n


def softmax_cross_entropy(logits, target):
    """Softmax + cross-entropy from logits. ``target`` is one-hot (or soft) or integer labels."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    grad = np.exp(shifted)
    total = grad.sum(axis=-1, keepdims=True)
    grad /= total  # the softmax
    log_total = np.log(total)  # log p = shifted - log_total
    if target.ndim == logits.ndim - 1:
        index = np.arange(n)
        value = (log_total.sum() - shifted[index, target].sum()) / n
        grad[index, target] -= 1
    else:
        value = np.sum(target * (log_total - shifted)) / n
        grad -= target
    grad /= n
    return float(value), grad


def hinge(output, target):
    """Hinge loss max(0, 1 - t y) with targets t in {-1, +1}, summed over outputs."""
    n = output.shape[0]
    margin = 1 - target * output
    active = margin > 0
    return float(np.sum(margin[active]) / n), np.where(active, -target, 0).astype(output.dtype) / n


LOSSES = {
    "mse": mse,
    "squared_error": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "hinge": hinge,
}


def get_loss(name):
    """A loss function from its name (or the callable itself)."""
    if callable(name):
        return name
    return choose("loss", name, LOSSES)
