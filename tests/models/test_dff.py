import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

from zoo.base import _split_validation
from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.layers import Activation, BatchNorm, Dropout
from zoo.core.losses import mse, softmax_cross_entropy
from zoo.core.network import TrainingDivergedError
from zoo.core.optimizers import OPTIMIZERS
from zoo.core.schedules import SCHEDULES
from zoo.datasets import load
from zoo.models.dff import DFFClassifier, DFFRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _standardized_digits():
    data = load("digits", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def _small_problem():
    return make_classification(n_samples=200, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)


def test_digits_accuracy():
    X_train, y_train, X_test, y_test = _standardized_digits()
    dff = DFFClassifier(hidden_layer_sizes=[128, 64], batch_size=64, max_iter=100, random_state=0)
    dff.fit(X_train, y_train)
    assert dff.score(X_test, y_test) >= 0.97


@pytest.mark.parametrize("activation", ["tanh", "elu"])
@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_gradient_with_batch_norm_matches_central_differences(activation, task):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 4))
    options = {"hidden_layer_sizes": (6, 5), "activation": activation, "batch_norm": True,
               "max_iter": 3, "dtype": np.float64, "random_state": 0}
    if task == "classifier":
        targets = np.arange(8) % 3
        dff, loss = DFFClassifier(**options).fit(X, targets), softmax_cross_entropy
    else:
        targets = rng.standard_normal((8, 2))
        dff, loss = DFFRegressor(**options).fit(X, targets), mse
    network = dff.network_
    assert dff._loss is loss and sum(isinstance(layer, BatchNorm) for layer in network.layers) == 2
    _, d_output = loss(network.forward(X, training=True), targets)
    network.backward(d_output)
    analytic = [g.copy() for g in network.grads]

    def value():
        return loss(network.forward(X, training=True), targets)[0]

    params = network.params
    errors = [relative_error(g, numerical_gradient(value, p)) for p, g in zip(params, analytic)]
    assert len(errors) == 3 * 2 + 2 and max(errors) < 1e-6


def _activation_variances(init, activation):
    """Variance of each hidden layer's activations at initialisation, 10 x 256 units."""
    X, _, _, _ = _standardized_digits()
    dff = DFFClassifier(hidden_layer_sizes=(256,) * 10, activation=activation, init=init,
                        dtype=np.float64, random_state=0)
    network = dff._build_network(X.shape[1], 10)
    variances, x = [], X
    for layer in network.layers:
        x = layer.forward(x)
        if isinstance(layer, Activation):
            variances.append(x.var())
    return np.array(variances)


@pytest.mark.parametrize("init, activation", [("he", "relu"), ("xavier", "tanh")])
def test_scaled_initialisation_keeps_the_activation_variance(init, activation):
    variances = _activation_variances(init, activation)
    assert len(variances) == 10
    assert np.all(variances / variances[0] < 10) and np.all(variances / variances[0] > 0.1)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_small_fixed_initialisation_collapses_the_activation_variance(activation):
    variances = _activation_variances("normal", activation)
    assert variances[-1] < 1e-3 * variances[0]


def test_dropout_is_on_in_training_and_off_at_inference():
    X_train, y_train, X_test, _ = _standardized_digits()
    dff = DFFClassifier(dropout=0.5, max_iter=3, random_state=0).fit(X_train, y_train)
    assert sum(isinstance(layer, Dropout) for layer in dff.network_.layers) == 2
    assert np.array_equal(dff.predict_proba(X_test), dff.predict_proba(X_test))
    train_a = dff.network_.forward(X_test.astype(np.float32), training=True)
    train_b = dff.network_.forward(X_test.astype(np.float32), training=True)
    assert not np.allclose(train_a, train_b)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_reduces_the_loss(optimizer):
    X, y = _small_problem()
    rates = {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.05}
    learning_rate = rates.get(optimizer, 1e-3)
    dff = DFFClassifier(optimizer=optimizer, learning_rate=learning_rate, max_iter=20,
                        random_state=0).fit(X, y)
    assert dff.n_iter_ == 20 and dff.loss_curve_[-1] < 0.7 * dff.loss_curve_[0]


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_every_schedule_reduces_the_loss(schedule):
    X, y = _small_problem()
    dff = DFFClassifier(schedule=schedule, learning_rate=3e-3, max_iter=20, random_state=0)
    dff.fit(X, y)
    assert dff.loss_curve_[-1] < 0.7 * dff.loss_curve_[0]


def test_per_layer_activations_batch_norm_and_options_train():
    X, y = _small_problem()
    dff = DFFClassifier(hidden_layer_sizes=(16, 16, 8), activation=["relu", "tanh", "elu"],
                        batch_norm=True, dropout=0.1, init="lecun", clip_norm=1.0,
                        learning_rate=1e-2, max_iter=100, random_state=0).fit(X, y)
    layers = dff.network_.layers
    activations = [layer.activation.name for layer in layers if isinstance(layer, Activation)]
    assert activations == ["relu", "tanh", "elu"]
    assert dff.score(X, y) > 0.85


def test_early_stopping_restores_the_best_validation_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    y = X[:, 0] + 0.5 * rng.standard_normal(300)  # noisy: a wide net overfits
    dff = DFFRegressor(hidden_layer_sizes=(128, 128), early_stopping=True, n_iter_no_change=5,
                       tol=0.0, learning_rate=3e-3, max_iter=300, random_state=0).fit(X, y)
    assert dff.n_iter_ < 300 and len(dff.validation_scores_) == dff.n_iter_
    best = int(np.argmax(dff.validation_scores_))
    assert dff.n_iter_ == best + 1 + 5
    # the same seed draws the same validation split as the fit did
    _, _, (X_val, y_val) = _split_validation(X, y[:, None], 0.1, np.random.RandomState(0), None)
    best_score = max(dff.validation_scores_)
    assert r2_score(y_val, dff.predict(X_val)) == pytest.approx(best_score, abs=1e-5)
    assert dff.best_validation_score_ == max(dff.validation_scores_)


def test_early_stopping_of_a_classifier_scores_accuracy():
    X_train, y_train, _, _ = _standardized_digits()
    dff = DFFClassifier(early_stopping=True, max_iter=200, random_state=0).fit(X_train, y_train)
    scores = np.array(dff.validation_scores_)
    n_val = round(0.1 * X_train.shape[0])
    assert dff.n_iter_ < 200 and np.allclose(scores * n_val, np.round(scores * n_val))
    assert dff.best_validation_score_ > 0.95


def test_training_stays_float32():
    X, y = _small_problem()
    dff = DFFClassifier(max_iter=2, random_state=0).fit(X, y)
    arrays = [*dff.network_.params, *dff.network_.grads, *dff.optimizer_.state.values()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


def test_partial_fit_and_regressor_multi_output():
    X, y = _small_problem()
    dff = DFFClassifier(random_state=0)
    for _ in range(5):
        dff.partial_fit(X, y, classes=[0, 1, 2])
    assert dff.n_iter_ == 5 and dff.loss_curve_[-1] < dff.loss_curve_[0]
    targets = np.column_stack([X[:, 0], X[:, 1] - X[:, 2]])
    regressor = DFFRegressor(max_iter=100, random_state=0).fit(X, targets)
    assert regressor.predict(X).shape == (200, 2) and regressor.score(X, targets) > 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate": -1e-3}, "learning_rate"),
        ({"activation": "swish"}, "activation must be one of 'elu', 'identity', 'leaky_relu'"),
        ({"activation": ["relu", "tanh", "relu"]}, "activation has 3 names for 2 hidden layers"),
        ({"optimizer": "adamw"}, "optimizer must be one of 'adagrad', 'adam', 'momentum'"),
        ({"init": "glorot"}, "init must be one of 'he', 'lecun', 'normal', 'xavier'"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
    ],
)
@pytest.mark.parametrize("estimator", [DFFClassifier, DFFRegressor])
def test_invalid_hyperparameters_are_named(estimator, params, match):
    with pytest.raises(ValueError, match=match):
        estimator(**params).fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_bad_input_for_every_public_method():
    X, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    dff = DFFClassifier(max_iter=2)
    with pytest.raises(NotFittedError):
        dff.predict_proba(X)
    with pytest.raises(ValueError, match="NaN"):
        dff.fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="one class"):
        dff.fit(X, np.ones(20))
    with pytest.raises(ValueError, match="classes must be passed"):
        DFFClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="one class"):
        DFFClassifier().partial_fit(X, y, classes=[1])
    dff.fit(X, y)
    for method in (dff.predict, dff.predict_proba):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :2])
        with pytest.raises(ValueError, match="NaN"):
            method(np.where(X > 1, np.nan, X))
    with pytest.raises(ValueError, match="features"):
        dff.partial_fit(X[:, :2], y)
    regressor = DFFRegressor(max_iter=2)
    with pytest.raises(ValueError, match="y is None"):
        regressor.fit(X, None)
    regressor.fit(X, X[:, 0])
    with pytest.raises(ValueError, match="features"):
        regressor.predict(X[:, :2])
    with pytest.raises(ValueError, match="outputs"):
        regressor.partial_fit(X, X[:, :2])


def test_diverging_training_raises_and_keeps_finite_weights():
    X, y = _small_problem()
    dff = DFFClassifier(optimizer="sgd", learning_rate=1e30, random_state=0)
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError, match="loss became"):
        dff.fit(X, y)
    assert all(np.isfinite(p).all() for p in dff.network_.params)
    assert np.isfinite(dff.predict_proba(X)).all()
