import numpy as np
import pytest

from zoo.core.initializers import INITIALIZERS, fans, get_initializer

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("name,variance", [
    ("lecun", lambda i, o: 1 / i),
    ("glorot_uniform", lambda i, o: 2 / (i + o)),
    ("glorot_normal", lambda i, o: 2 / (i + o)),
    ("he_normal", lambda i, o: 2 / i),
    ("he_uniform", lambda i, o: 2 / i),
    ("normal", lambda i, o: 1e-4),
])
def test_initializer_variances(name, variance):
    w = get_initializer(name)((400, 300), RNG)
    assert w.var() == pytest.approx(variance(400, 300), rel=0.03)
    assert abs(w.mean()) < 0.05 * np.sqrt(variance(400, 300))


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30)])
def test_orthogonal(shape):
    w = get_initializer("orthogonal")(shape, RNG)
    small = w.T @ w if shape[0] >= shape[1] else w @ w.T
    assert np.allclose(small, np.eye(min(shape)), atol=1e-10)


def test_dtype_and_conv_fans():
    for name, init in INITIALIZERS.items():
        assert init((3, 4), RNG, np.float32).dtype == np.float32, name
    assert fans((8, 3, 5, 5)) == (75, 200)


def test_identity():
    np.testing.assert_array_equal(get_initializer("identity")((3, 3), RNG), np.eye(3))
    np.testing.assert_array_equal(get_initializer("identity")((2, 3), RNG), np.eye(2, 3))
    with pytest.raises(ValueError, match="matrix"):
        get_initializer("identity")((2, 2, 2), RNG)
