"""GRU: the adding problem, digits read row by row, both reset modes in the
estimator, bad input."""

import numpy as np
import pytest

from zoo.datasets import load
from zoo.models.gru import GRUClassifier, GRURegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BATCH, MAX_UPDATES = 64, 2000


@pytest.mark.slow
def test_adding_problem_t50():
    """T = 50: test MSE < 0.01 (the mean predictor: about 0.167) and >= 80% of the test
    sequences within 0.04 of the target, in at most 2000 updates of batch 64 (measured:
    MSE 0.0003, 98% within 0.04, after 600 updates)."""
    data = load("adding", T=50, random_state=0)
    model = GRURegressor(hidden_size=32, batch_size=BATCH, max_iter=25, random_state=0)
    error = model.fit(data.X_train, data.y_train).predict(data.X_test) - data.y_test
    updates = model.n_iter_ * -(-len(data.X_train) // BATCH)
    assert updates <= MAX_UPDATES
    assert np.mean(error**2) < 0.01
    assert np.mean(np.abs(error) < 0.04) >= 0.80


@pytest.mark.slow
def test_digits_read_row_by_row():
    """Each digit as 8 steps of 8 pixels: test accuracy >= 0.95 (measured: 0.976)."""
    data = load("digits", random_state=0)
    rows = GRUClassifier(hidden_size=32, max_iter=30, random_state=0)
    rows.fit(data.X_train.reshape(-1, 8, 8) / 16, data.y_train)
    assert rows.score(data.X_test.reshape(-1, 8, 8) / 16, data.y_test) >= 0.95


@pytest.mark.parametrize("options,n_params", [
    ({}, 3 * (4 * (2 + 4) + 4)),
    ({"reset_after": True}, 3 * (4 * (2 + 4) + 4) + 4),
])
def test_cell_options_reach_the_layer(options, n_params):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 5, 2)), rng.standard_normal(20)
    model = GRURegressor(hidden_size=4, max_iter=2, **options).fit(X, y)
    assert model.n_params_ == n_params + 4 + 1  # and the output layer
    assert model.predict(X).shape == (20,)


@pytest.mark.parametrize("cls", [GRUClassifier, GRURegressor])
def test_bad_input(cls):
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
    if cls is GRUClassifier:
        with pytest.raises(ValueError, match="only one class"):
            cls().fit(X, np.zeros(12))
