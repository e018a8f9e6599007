import numpy as np
import pytest

from zoo.core import schedules
from zoo.core.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Nesterov, get_optimizer


def _quadratic_descent(optimizer, steps=500):
    """Minimise 0.5 * sum(a * p^2) from p = 1; returns the final |p|."""
    a = np.array([1.0, 10.0])
    p = np.ones(2)
    for _ in range(steps):
        optimizer.step([p], [a * p])
    return np.abs(p).max()


@pytest.mark.parametrize("name,lr", [("sgd", 0.05), ("momentum", 0.02), ("nesterov", 0.02),
                                     ("adagrad", 0.5), ("rmsprop", 0.01), ("adam", 0.05)])
def test_every_optimizer_minimises_a_quadratic(name, lr):
    assert _quadratic_descent(get_optimizer(name, learning_rate=lr)) < 0.02


def test_sgd_momentum_and_nesterov_updates_by_hand():
    g = np.array([1.0])
    p = np.zeros(1)
    SGD(0.1).step([p], [g])
    assert p[0] == pytest.approx(-0.1)
    p, opt = np.zeros(1), Momentum(0.1, momentum=0.5)
    opt.step([p], [g])
    opt.step([p], [g])  # v1 = -0.1, v2 = -0.05 - 0.1
    assert p[0] == pytest.approx(-0.1 - 0.15)
    p, opt = np.zeros(1), Nesterov(0.1, momentum=0.5)
    opt.step([p], [g])  # v1 = -0.1, step = 0.5 v1 - 0.1
    assert p[0] == pytest.approx(-0.15)


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    for scale in (1e-2, 1.0, 1e4):
        p = np.zeros(3)
        Adam(0.01).step([p], [scale * np.array([1.0, -2.0, 3.0])])
        assert np.allclose(p, -0.01 * np.sign([1.0, -2.0, 3.0]), rtol=1e-5)


def test_weight_decay_only_touches_matrices():
    W, b = np.ones((2, 2)), np.ones(2)
    SGD(0.1, weight_decay=0.5).step([W, b], [np.zeros((2, 2)), np.zeros(2)])
    assert np.allclose(W, 1 - 0.05) and np.allclose(b, 1)


def test_clip_norm_bounds_the_global_norm():
    p1, p2 = np.zeros(2), np.zeros(2)
    SGD(1.0, clip_norm=1.0).step([p1, p2], [np.array([3.0, 0.0]), np.array([0.0, 4.0])])
    assert np.linalg.norm(np.concatenate([p1, p2])) == pytest.approx(1.0)
    assert np.allclose(p1, [-0.6, 0]) and np.allclose(p2, [0, -0.8])  # the direction is kept


def test_optimizers_keep_float32():
    for name in OPTIMIZERS:
        p = np.ones(3, dtype=np.float32)
        opt = get_optimizer(name)
        opt.step([p], [np.ones(3, dtype=np.float32)])
        assert p.dtype == np.float32


def test_schedule_values():
    exp = schedules.ExponentialDecay(0.1, decay=0.5, every=10)
    assert exp(0) == 0.1 and exp(10) == pytest.approx(0.05) and exp(5) == pytest.approx(0.1 * 0.5**0.5)
    step = schedules.StepDecay(0.1, factor=0.5, every=10)
    assert step(9) == 0.1 and step(10) == pytest.approx(0.05)
    assert schedules.InverseScaling(1.0, power_t=0.5)(3) == pytest.approx(0.5)
    cosine = schedules.Cosine(1.0, total_steps=100, min_lr=0.1)
    assert cosine(0) == 1.0 and cosine(50) == pytest.approx(0.55) and cosine(100) == pytest.approx(0.1)
    assert cosine(1000) == pytest.approx(0.1)


def test_optimizer_follows_its_schedule():
    opt = SGD(schedules.StepDecay(1.0, factor=0.1, every=1))
    p = np.zeros(1)
    opt.step([p], [np.ones(1)])
    opt.step([p], [np.ones(1)])
    assert p[0] == pytest.approx(-1.1)


def test_unknown_optimizer_and_schedule_names():
    with pytest.raises(ValueError, match="adam"):
        get_optimizer("adamw")
    with pytest.raises(ValueError, match="cosine"):
        schedules.get_schedule("cosin", 0.1)
