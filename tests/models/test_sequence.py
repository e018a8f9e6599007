"""The training loop as the three BPTT families (RNN, LSTM, GRU) use it, through
zoo/sequence.py: gradient-norm clipping on by default, early stopping on held-out
sequences, learning-rate schedules, loss curves and progress lines, warm starts, and
padded sequences of different lengths (mask_value)."""

import numpy as np
import pytest

import zoo
from zoo.core.gradcheck import check_network
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


# ---------------------------------------------------------------- padded sequences

PAD = -9.0


def _ragged(n, longest, seed, left=False):
    """n sequences of U(0, 1) values of lengths 2..longest, padded with PAD (at the end,
    or at the start with ``left``); returns X (n, longest, 1) and the lengths."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, longest + 1, n)
    X = np.full((n, longest, 1), PAD)
    for row, length in enumerate(lengths):
        values = rng.uniform(size=(length, 1))
        if left:
            X[row, longest - length :] = values
        else:
            X[row, :length] = values
    return X, lengths


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS)
def test_padding_changes_nothing_for_the_real_steps(cls, bidirectional):
    """With mask_value, a sequence padded on either side gives the prediction of the
    sequence alone (float64 inference; 1e-10)."""
    X, lengths = _ragged(30, 7, seed=0)
    y = (X[:, 0, 0] > 0.5).astype(int) if cls in CLASSIFIERS else X[:, 0, 0]
    model = cls(hidden_size=5, n_layers=2, bidirectional=bidirectional, mask_value=PAD,
                max_iter=2, random_state=0).fit(X, y)
    method = model.predict_proba if cls in CLASSIFIERS else model.predict
    for row in range(5):
        alone = method(X[row : row + 1, : lengths[row]])
        right = method(X[row : row + 1])
        left = method(np.roll(X[row : row + 1], 7 - lengths[row], axis=1))
        np.testing.assert_allclose(right, alone, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(left, alone, rtol=1e-10, atol=1e-12)
    unmasked = cls(hidden_size=5, n_layers=2, bidirectional=bidirectional, max_iter=2,
                   random_state=0).fit(X, y)
    umethod = unmasked.predict_proba if cls in CLASSIFIERS else unmasked.predict
    short = int(np.argmin(lengths))  # without the mask the padding is read as input
    padded, alone = X[short : short + 1], X[short : short + 1, : lengths[short]]
    assert not np.allclose(umethod(padded), umethod(alone))


def test_variable_length_sums_are_learned_with_masking(tmp_path):
    """Training on a ragged batch: LSTM regression of the sum of 2..10 values, padded
    at the start, reaches test R^2 >= 0.95 (measured 0.999); the saved model reloads
    with its padding rule."""
    X, _ = _ragged(600, 10, seed=1, left=True)
    X_test, _ = _ragged(200, 10, seed=2, left=True)

    def sums(X):
        return np.where(X == PAD, 0.0, X).sum(axis=(1, 2))

    model = LSTMRegressor(hidden_size=16, mask_value=PAD, max_iter=60, random_state=0)
    assert model.fit(X, sums(X)).score(X_test, sums(X_test)) >= 0.95
    zoo.save(model, tmp_path / "lstm.npz")
    np.testing.assert_array_equal(zoo.load(tmp_path / "lstm.npz").predict(X_test), model.predict(X_test))


@pytest.mark.parametrize("cls", [GRUClassifier, LSTMRegressor])
def test_padded_targets_take_no_part(cls, tmp_path):
    """output='sequence': whatever the targets at padded steps, the fit, the score and
    (for classifiers) the classes are the same; the whole network's float64 gradient
    matches central differences through the masks."""
    X, lengths = _ragged(40, 6, seed=3)
    padded = X[:, :, 0] == PAD
    y = (X[:, :, 0] > 0.5).astype(int) if cls is GRUClassifier else np.cumsum(X[:, :, 0], axis=1)
    junk = [np.where(padded, 7, y), np.where(padded, -3, y)]
    fits = [cls(hidden_size=4, output="sequence", mask_value=PAD, max_iter=3,
                dtype=np.float64, random_state=0).fit(X, target) for target in junk]
    for a, b in zip(fits[0].network_.get_weights(), fits[1].network_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert fits[0].score(X, junk[0]) == fits[1].score(X, junk[1])
    predicted = fits[0].predict(X)
    if cls is GRUClassifier:
        np.testing.assert_array_equal(fits[0].classes_, [0, 1])
        expected = np.mean([(predicted[r] == y[r])[~padded[r]].all() for r in range(len(y))])
        assert fits[0].score(X, junk[0]) == pytest.approx(expected)
    model = fits[0]
    targets = model._step_codes(X, junk[0], model._codes) if cls is GRUClassifier else (
        model._step_targets(X, junk[0])[0])
    assert max(check_network(model.network_, model._loss, X, targets)) < 1e-6


def test_mask_value_is_checked():
    X, _ = _ragged(10, 4, seed=4)
    with pytest.raises(ValueError, match="mask_value"):
        GRURegressor(mask_value=np.nan).fit(X, X[:, 0, 0])
    with pytest.raises(TypeError, match="mask_value"):
        GRURegressor(mask_value="pad").fit(X, X[:, 0, 0])
