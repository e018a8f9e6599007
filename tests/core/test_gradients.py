"""Float64 central-difference gradient checks of every activation, layer and loss,
with every parameter randomised (biases included)."""

import numpy as np
import pytest

from zoo.core import layers
from zoo.core.activations import ACTIVATIONS
from zoo.core.gradcheck import check_layer, check_loss
from zoo.core.losses import LOSSES

TOLERANCE = 1e-6


def _randomise(layer, rng):
    for param in layer.params.values():
        param[...] = rng.standard_normal(param.shape)


def _away_from_kinks(rng, shape):
    """Inputs at least 0.1 away from 0, where ReLU-like activations are not differentiable."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x) * 0.1 + x, x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradient(name):
    rng = np.random.default_rng(0)
    layer = layers.Activation(name)
    layer.build((5,), rng, np.float64)
    errors = check_layer(layer, _away_from_kinks(rng, (4, 5)), rng)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: layers.Dense(3),
        lambda: layers.Dense(3, use_bias=False),
        lambda: layers.BatchNorm(),
        lambda: layers.Maxout(3, pieces=3),
    ],
    ids=["dense", "dense-no-bias", "batchnorm", "maxout"],
)
@pytest.mark.parametrize("training", [True, False])
def test_layer_gradient(make_layer, training):
    rng = np.random.default_rng(1)
    layer = make_layer()
    layer.build((4,), rng, np.float64)
    _randomise(layer, rng)
    if isinstance(layer, layers.BatchNorm):
        layer.running_mean[...] = rng.standard_normal(4)
        layer.running_var[...] = rng.uniform(0.5, 2, 4)
    errors = check_layer(layer, rng.standard_normal((6, 4)), rng, training=training)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOLERANCE, errors


def test_dense_gradient_on_sequences():
    rng = np.random.default_rng(2)
    layer = layers.Dense(3)
    layer.build((5, 4), rng, np.float64)
    _randomise(layer, rng)
    errors = check_layer(layer, rng.standard_normal((2, 5, 4)), rng)
    assert max(errors.values()) < TOLERANCE, errors


class _FixedDraws:
    """Stands in for a Generator so that every forward pass draws the same mask."""

    def __init__(self, values):
        self.values = values

    def random(self, shape):
        return self.values


def test_dropout_gradient_with_a_fixed_mask():
    rng = np.random.default_rng(3)
    layer = layers.Dropout(0.4)
    layer.build((8,), rng, np.float64)
    layer.rng = _FixedDraws(rng.random((5, 8)))
    errors = check_layer(layer, rng.standard_normal((5, 8)), rng, training=True)
    assert errors["x"] < TOLERANCE


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient(name):
    rng = np.random.default_rng(4)
    output = rng.standard_normal((6, 3)) * 2
    targets = {
        "mse": rng.standard_normal((6, 3)),
        "squared_error": rng.standard_normal((6, 3)),
        "binary_cross_entropy": rng.integers(0, 2, (6, 3)).astype(float),
        "softmax_cross_entropy": np.eye(3)[rng.integers(0, 3, 6)],
        "hinge": np.where(rng.random((6, 3)) < 0.5, -1.0, 1.0),
    }
    target = targets[name]
    if name == "hinge":  # keep away from the kink at margin 1
        output = target * (1 + np.where(rng.random((6, 3)) < 0.5, -0.5, 0.5) * rng.uniform(0.2, 1, (6, 3)))
    assert check_loss(LOSSES[name], output, target) < TOLERANCE


def test_gradient_checker_catches_a_wrong_gradient():
    rng = np.random.default_rng(5)
    layer = layers.Dense(3)
    layer.build((4,), rng, np.float64)
    _randomise(layer, rng)
    layer.backward = lambda dy: 1.01 * (dy @ layer.params["W"].T)
    assert check_layer(layer, rng.standard_normal((6, 4)), rng)["x"] > 1e-3
