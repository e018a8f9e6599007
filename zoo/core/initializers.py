"""Weight initializers ``init(shape, rng, dtype)`` for a ``(fan_in, fan_out)`` matrix.

For higher-rank shapes (e.g. convolution kernels ``(out, in, kh, kw)``) fan-in and
fan-out follow the usual receptive-field convention.
"""

import numpy as np

from ._choices import choose


def fans(shape):
    """(fan_in, fan_out) of a weight tensor."""
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def lecun_normal(shape, rng, dtype=np.float64):
    """Normal with std fan_in ** -0.5 (LeCun et al. 1998)."""
    fan_in, _ = fans(shape)
    return (rng.standard_normal(shape) * fan_in**-0.5).astype(dtype)


def glorot_uniform(shape, rng, dtype=np.float64):
    """Glorot & Bengio (2010): U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(shape, rng, dtype=np.float64):
    """Glorot & Bengio (2010): normal with variance 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def he_normal(shape, rng, dtype=np.float64):
    """He et al. (2015): normal with variance 2 / fan_in, for ReLU layers."""
    fan_in, _ = fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def he_uniform(shape, rng, dtype=np.float64):
    """He et al. (2015): uniform with variance 2 / fan_in."""
    fan_in, _ = fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def orthogonal(shape, rng, dtype=np.float64):
    """Saxe et al. (2014): a (semi-)orthogonal matrix from the QR of a Gaussian matrix."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the decomposition unique so q is Haar-distributed
    if rows < cols:
        q = q.T
    return q.reshape(shape).astype(dtype)


def identity(shape, rng=None, dtype=np.float64):
    """The identity matrix, ones on the diagonal of a non-square one (Le, Jaitly &
    Hinton 2015: the recurrent weights of the IRNN)."""
    if len(shape) != 2:
        raise ValueError(f"the identity initializer needs a matrix, got shape {shape}")
    return np.eye(*shape, dtype=dtype)


def small_normal(shape, rng, dtype=np.float64, std=0.01):
    """N(0, 0.01^2), the classic fixed-scale start (collapses deep nets' signals)."""
    return (rng.standard_normal(shape) * std).astype(dtype)


def zeros(shape, rng=None, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


INITIALIZERS = {
    "lecun": lecun_normal,
    "normal": small_normal,
    "glorot_uniform": glorot_uniform,
    "xavier": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "orthogonal": orthogonal,
    "identity": identity,
    "zeros": zeros,
}


def get_initializer(name):
    """An initializer from its name (or the callable itself)."""
    if callable(name):
        return name
    return choose("initializer", name, INITIALIZERS)
