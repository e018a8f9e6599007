import numpy as np
import pytest
from scipy.special import expit, logsumexp

from zoo.core.activations import get_activation
from zoo.core.losses import binary_cross_entropy, get_loss, hinge, mse, softmax_cross_entropy


def test_sigmoid_and_softmax_are_stable_for_huge_inputs():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.allclose(get_activation("logistic").forward(z), [[0, 0.5, 1]])
        p = get_activation("softmax").forward(z)
    assert np.allclose(p, [[0, 0, 1]]) and np.isfinite(p).all()


def test_softmax_rows_sum_to_one():
    p = get_activation("softmax").forward(np.random.default_rng(0).standard_normal((5, 7)) * 10)
    assert np.allclose(p.sum(axis=1), 1)


@pytest.mark.parametrize("name,expected", [("relu", [0, 0, 2]), ("leaky_relu", [-0.02, 0, 2]),
                                           ("identity", [-2, 0, 2]), ("tanh", np.tanh([-2, 0, 2])),
                                           ("softplus", np.log1p(np.exp([-2, 0, 2]))),
                                           ("elu", [np.expm1(-2), 0, 2])])
def test_activation_values(name, expected):
    assert np.allclose(get_activation(name).forward(np.array([-2.0, 0.0, 2.0])), expected)


def test_cross_entropies_from_huge_logits_are_finite_and_exact():
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    value, grad = softmax_cross_entropy(logits, np.array([0, 0]))
    assert value == pytest.approx(1000.0)  # one sample right, one wrong by 2000 nats: (0 + 2000) / 2
    assert np.isfinite(grad).all()
    value, grad = binary_cross_entropy(logits, np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert value == pytest.approx(1000.0)  # the second sample is wrong by 1000 nats twice
    assert np.isfinite(grad).all()


def test_softmax_cross_entropy_labels_equal_one_hot():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((8, 4)), rng.integers(0, 4, 8)
    v1, g1 = softmax_cross_entropy(logits, labels)
    v2, g2 = softmax_cross_entropy(logits, np.eye(4)[labels])
    assert v1 == pytest.approx(v2) and np.allclose(g1, g2)
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(8), labels])
    assert v1 == pytest.approx(expected)


def test_loss_values_match_their_definitions():
    rng = np.random.default_rng(1)
    out, target = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    assert mse(out, target)[0] == pytest.approx(0.5 * np.sum((out - target) ** 2) / 5)
    bits = (target > 0).astype(float)
    p = expit(out)
    bce = -np.sum(bits * np.log(p) + (1 - bits) * np.log(1 - p)) / 5
    assert binary_cross_entropy(out, bits)[0] == pytest.approx(bce)
    signs = np.sign(target)
    assert hinge(out, signs)[0] == pytest.approx(np.sum(np.maximum(0, 1 - signs * out)) / 5)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="valid: .*relu"):
        get_activation("rellu")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        get_loss("msee")
    with pytest.raises(TypeError):
        get_activation(3)
