"""The meaning of ``alpha`` in NeuralNetEstimator: scikit-learn's MLP L2 penalty,
(alpha / (2 n_batch)) sum ||W||^2 added to the mean loss of each batch."""

import numpy as np
import pytest

from zoo.core.losses import mse
from zoo.models.ae import Autoencoder
from zoo.models.ff import FFRegressor


def _one_sgd_step(X, y, alpha, batch_size):
    model = FFRegressor(hidden_layer_size=5, optimizer="sgd", learning_rate=0.1, alpha=alpha,
                        batch_size=batch_size, max_iter=1, shuffle=False, random_state=0,
                        dtype=np.float64)
    return model.fit(X, y)


@pytest.mark.filterwarnings("ignore::zoo.base.ConvergenceWarning")
@pytest.mark.parametrize("n_samples, batch_size, n_batch", [(8, 8, 8), (6, None, 6), (6, 50, 6)])
def test_one_sgd_step_decays_weights_by_alpha_over_the_batch_size(n_samples, batch_size, n_batch):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n_samples, 3)), rng.standard_normal(n_samples)
    alpha, lr = 0.7, 0.1
    initial = FFRegressor(hidden_layer_size=5, random_state=0, dtype=np.float64)
    initial = initial._build_network(3, 1).params  # the weights fit starts from
    plain = _one_sgd_step(X, y, 0.0, batch_size).network_.params  # W0 - lr * grad
    decayed = _one_sgd_step(X, y, alpha, batch_size).network_.params
    assert len(initial) == len(plain) == len(decayed) == 4
    for w0, w_plain, w_decayed in zip(initial, plain, decayed):
        if w0.ndim > 1:  # W - lr * (grad + alpha / n_batch * W)
            expected = w_plain - lr * alpha / n_batch * w0
            assert not np.allclose(w_decayed, w_plain)
        else:  # biases are not decayed
            expected = w_plain
        np.testing.assert_allclose(w_decayed, expected, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::zoo.base.ConvergenceWarning")
def test_lbfgs_minimizes_the_mean_loss_plus_alpha_over_2n_squared_weights():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 4))
    alpha = 2.0
    ae = Autoencoder(encoder_layer_sizes=(), code_size=2, activation="identity",
                     optimizer="lbfgs", alpha=alpha, max_iter=500, dtype=np.float64,
                     random_state=0).fit(X)
    network = ae.network_
    value, d_output = mse(network.forward(X, training=True), X)
    network.backward(d_output)
    weights = [(p, g) for p, g in zip(network.params, network.grads) if p.ndim > 1]
    squared = sum(float(np.vdot(p, p)) for p, _ in weights)
    # the loss curve reports the penalized objective, with the same scaling as its gradient
    assert ae.loss_curve_[-1] == pytest.approx(value + alpha / (2 * len(X)) * squared, rel=1e-9)
    # stationary for the sklearn-scaled penalty, not for the unscaled one
    for p, g in weights:
        assert np.abs(g + alpha / len(X) * p).max() < 1e-4  # L-BFGS-B gtol 1e-5
        assert np.abs(g + alpha * p).max() > 1e-2
