"""Acceptance tasks and bad-input checks shared by the gated recurrent estimators
(LSTM and GRU): each family's test module calls them with its own estimator."""

import numpy as np
import pytest

from zoo.datasets import load

BATCH, MAX_UPDATES = 64, 2000


def check_adding_problem_t50(regressor_cls, max_iter):
    """T = 50: test MSE < 0.01 (the mean predictor: about 0.167) and >= 80% of the test
    sequences within 0.04 of the target, in at most 2000 updates of batch 64."""
    data = load("adding", T=50, random_state=0)
    model = regressor_cls(hidden_size=32, batch_size=BATCH, max_iter=max_iter, random_state=0)
    error = model.fit(data.X_train, data.y_train).predict(data.X_test) - data.y_test
    assert model.n_iter_ * -(-len(data.X_train) // BATCH) <= MAX_UPDATES
    assert np.mean(error**2) < 0.01
    assert np.mean(np.abs(error) < 0.04) >= 0.80


def check_digits_read_row_by_row(classifier_cls, **options):
    """Each digit as 8 steps of 8 pixels: test accuracy >= 0.95."""
    data = load("digits", random_state=0)
    rows = classifier_cls(hidden_size=32, max_iter=30, random_state=0, **options)
    rows.fit(data.X_train.reshape(-1, 8, 8) / 16, data.y_train)
    assert rows.score(data.X_test.reshape(-1, 8, 8) / 16, data.y_test) >= 0.95


def check_cell_options_reach_the_layer(regressor_cls, options, n_cell_params):
    """The options change the layer's parameter count (plus the 4 x 1 output layer)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 5, 2)), rng.standard_normal(20)
    model = regressor_cls(hidden_size=4, max_iter=2, **options).fit(X, y)
    assert model.n_params_ == n_cell_params + 4 + 1
    assert model.predict(X).shape == (20,)


def check_bad_input(cls, is_classifier):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((12, 5, 2)), np.arange(12) % 2
    X_bad = X.copy()
    X_bad[3, 4, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(X_bad, y)
    with pytest.raises(ValueError, match="hidden_size"):
        cls(hidden_size=0).fit(X, y)
    model = cls(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="1 features per step, but .* expecting 2"):
        model.predict(X[:, :, :1])
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X_bad)
    if is_classifier:
        with pytest.raises(ValueError, match="only one class"):
            cls().fit(X, np.zeros(12))
