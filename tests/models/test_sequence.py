"""The training loop as the three BPTT families (RNN, LSTM, GRU) use it, through
zoo/sequence.py: gradient-norm clipping on by default, early stopping on held-out
sequences, learning-rate schedules, loss curves and progress lines."""

import numpy as np
import pytest

from zoo.models.gru import GRUClassifier, GRURegressor
from zoo.models.lstm import LSTMClassifier, LSTMRegressor
from zoo.models.rnn import RNNClassifier, RNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

REGRESSORS = [RNNRegressor, LSTMRegressor, GRURegressor]
CLASSIFIERS = [RNNClassifier, LSTMClassifier, GRUClassifier]


def _sum_task(n=200, n_steps=6, seed=0):
    """Regress the sum of a sequence of U(0, 1) values (learnable in a few epochs)."""
    X = np.random.default_rng(seed).uniform(size=(n, n_steps, 1))
    return X, X.sum(axis=(1, 2))


def _step_norm(cls, y_scale, **options):
    """Norm of the parameter change made by the second full-batch SGD step (lr 1)."""
    X, y = _sum_task()
    model = cls(optimizer="sgd", learning_rate=1.0, batch_size=None, max_iter=1,
                warm_start=True, random_state=0, **options)
    before = [w.astype(np.float64) for w in model.fit(X, y_scale * y).network_.get_weights()]
    after = model.fit(X, y_scale * y).network_.get_weights()
    return np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, before)))


@pytest.mark.parametrize("cls", REGRESSORS)
def test_gradient_norm_is_clipped_to_one_by_default(cls):
    """With targets of order 1000 the raw gradient norm is in the hundreds; the default
    clip_norm=1 bounds an SGD step of rate 1 to norm 1 (Pascanu et al. 2013)."""
    assert cls().clip_norm == 1.0
    assert _step_norm(cls, 1000.0) <= 1.0 + 1e-5
    assert _step_norm(cls, 1000.0, clip_norm=None) > 10.0


@pytest.mark.parametrize("cls", REGRESSORS)
def test_loss_curve_falls_and_counts_the_epochs(cls):
    X, y = _sum_task()
    model = cls(hidden_size=8, max_iter=15, random_state=0).fit(X, y)
    assert len(model.loss_curve_) == model.n_iter_ == 15
    assert model.loss_curve_[-1] < 0.1 * model.loss_curve_[0]


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_early_stopping_holds_out_sequences_and_stops(cls):
    X, total = _sum_task(n=300)
    y = (total > np.median(total)).astype(int)
    # a tol no epoch can beat: stop after n_iter_no_change epochs without improvement
    model = cls(hidden_size=8, early_stopping=True, validation_fraction=0.2, tol=10.0,
                n_iter_no_change=2, max_iter=30, random_state=0).fit(X, y)
    assert model.n_iter_ == 3 and len(model.validation_scores_) == 3
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert all(0 <= score <= 1 for score in model.validation_scores_)
    learned = cls(hidden_size=8, early_stopping=True, max_iter=40, random_state=0).fit(X, y)
    assert learned.best_validation_score_ >= 0.9


@pytest.mark.parametrize("schedule", ["exponential", "step", "cosine", "invscaling"])
def test_schedules_lower_the_learning_rate(schedule):
    X, y = _sum_task(n=64)
    model = LSTMRegressor(hidden_size=4, schedule=schedule, learning_rate=0.01, batch_size=16,
                          max_iter=6, random_state=0).fit(X, y)
    assert model.optimizer_.learning_rate < 0.01
    constant = LSTMRegressor(hidden_size=4, learning_rate=0.01, batch_size=16, max_iter=6,
                             random_state=0).fit(X, y)
    assert constant.optimizer_.learning_rate == 0.01


def test_verbose_prints_a_line_per_epoch(capsys):
    X, y = _sum_task(n=32)
    GRURegressor(hidden_size=4, max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]


@pytest.mark.parametrize("cls", REGRESSORS)
def test_warm_start_continues_the_same_architecture_only(cls):
    X, y = _sum_task(n=64)
    model = cls(hidden_size=4, max_iter=3, warm_start=True, random_state=0).fit(X, y)
    first = [w.copy() for w in model.network_.get_weights()]
    model.fit(X, y)  # three more epochs from the weights and the optimizer state
    assert len(model.loss_curve_) == 6
    # a restart with the same seed would repeat the first epoch's loss exactly
    assert model.loss_curve_[3] < model.loss_curve_[2] < model.loss_curve_[0]
    assert not np.allclose(model.network_.get_weights()[0], first[0])
    model.set_params(hidden_size=5, bidirectional=True)
    model.fit(X, y)  # another architecture: a new network
    assert model.network_.layers[0].forward_layer.units == 5 and len(model.loss_curve_) == 3
