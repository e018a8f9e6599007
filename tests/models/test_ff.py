import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.losses import mse, softmax_cross_entropy
from zoo.core.network import TrainingDivergedError
from zoo.datasets import load
from zoo.models.ff import FFClassifier, FFRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _standardized_digits():
    data = load("digits", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def _network_gradient_errors(network, loss, X, targets):
    """Relative error of backprop against central differences for every parameter."""
    _, d_output = loss(network.forward(X, training=True), targets)
    network.backward(d_output)
    analytic = [g.copy() for g in network.grads]

    def value():
        return loss(network.forward(X, training=True), targets)[0]

    params = network.params
    return [relative_error(g, numerical_gradient(value, p)) for p, g in zip(params, analytic)]


def test_learns_xor_with_two_hidden_units():
    xor = load("xor")
    ff = FFClassifier(hidden_layer_size=2, max_iter=2000, n_iter_no_change=2000, random_state=0)
    ff.fit(xor.X_train, xor.y_train)
    assert ff.score(xor.X_train, xor.y_train) == 1.0


def test_fits_a_sine_wave():
    X = np.linspace(-np.pi, np.pi, 200)[:, None]
    y = np.sin(X).ravel()
    ff = FFRegressor(activation="tanh", random_state=0).fit(X, y)
    assert np.mean((ff.predict(X) - y) ** 2) < 0.01


def test_digits_accuracy():
    X_train, y_train, X_test, y_test = _standardized_digits()
    ff = FFClassifier(hidden_layer_size=64, max_iter=200, random_state=0).fit(X_train, y_train)
    assert ff.score(X_test, y_test) >= 0.96
    assert ff.loss_curve_[-1] < 0.1 * ff.loss_curve_[0] and len(ff.loss_curve_) == ff.n_iter_


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_whole_network_gradient_matches_central_differences(activation, task):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    if task == "classifier":
        y = np.array([0, 1, 2, 0, 1, 2])
        ff = FFClassifier(hidden_layer_size=5, activation=activation, max_iter=3, dtype=np.float64,
                          random_state=0).fit(X, y)
        loss, targets = softmax_cross_entropy, y
    else:
        y = rng.standard_normal((6, 2))
        ff = FFRegressor(hidden_layer_size=5, activation=activation, max_iter=3, dtype=np.float64,
                         random_state=0).fit(X, y)
        loss, targets = mse, y
    assert ff._loss is loss
    errors = _network_gradient_errors(ff.network_, loss, X, targets)
    assert len(errors) == 4 and max(errors) < 1e-6


def test_predict_proba_is_a_distribution_over_classes():
    X_train, y_train, X_test, _ = _standardized_digits()
    ff = FFClassifier(max_iter=20, random_state=0).fit(X_train, y_train)
    proba = ff.predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 10)
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-6)
    assert np.array_equal(ff.classes_[proba.argmax(axis=1)], ff.predict(X_test))
    assert ff.n_params_ == ff.network_.n_params == 64 * 32 + 32 + 32 * 10 + 10


def test_partial_fit_continues_the_weights_and_the_optimizer():
    X_train, y_train, X_test, y_test = _standardized_digits()
    ff = FFClassifier(random_state=0)
    ff.partial_fit(X_train, y_train, classes=np.arange(10))
    optimizer, first_accuracy = ff.optimizer_, ff.score(X_test, y_test)
    for _ in range(4):
        ff.partial_fit(X_train, y_train)
    assert ff.optimizer_ is optimizer and optimizer.iterations == 5 * 43
    assert ff.n_iter_ == 5 and len(ff.loss_curve_) == 5
    assert ff.loss_curve_[-1] < ff.loss_curve_[0]
    assert ff.score(X_test, y_test) > first_accuracy


def test_partial_fit_of_a_regressor_lowers_the_loss():
    X = np.linspace(-np.pi, np.pi, 100)[:, None]
    y = np.sin(X).ravel()
    ff = FFRegressor(activation="tanh", random_state=0)
    for _ in range(20):
        ff.partial_fit(X, y)
    assert ff.n_iter_ == 20 and ff.loss_curve_[-1] < 0.5 * ff.loss_curve_[0]


def test_warm_start_continues_from_the_previous_weights():
    X_train, y_train, _, _ = _standardized_digits()
    ff = FFClassifier(max_iter=5, warm_start=True, random_state=0).fit(X_train, y_train)
    network, first_curve = ff.network_, list(ff.loss_curve_)
    ff.fit(X_train, y_train)
    assert ff.network_ is network and len(ff.loss_curve_) == 10
    assert ff.loss_curve_[5] < first_curve[0]
    with pytest.raises(ValueError, match="classes"):
        ff.fit(X_train, np.where(y_train == 9, 10, y_train))


def test_diverging_training_raises_and_keeps_finite_weights():
    X = np.linspace(-3, 3, 64)[:, None]
    y = 100 * X.ravel()
    ff = FFRegressor(activation="relu", optimizer="sgd", learning_rate=1e6, random_state=0)
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError):
        ff.fit(X, y)
    assert all(np.isfinite(p).all() for p in ff.network_.params)
    assert np.isfinite(ff.predict(X)).all()


def test_same_seed_same_model():
    X_train, y_train, X_test, _ = _standardized_digits()
    models = [FFClassifier(max_iter=3, random_state=seed).fit(X_train, y_train) for seed in (0, 0, 1)]
    probas = [model.predict_proba(X_test) for model in models]
    assert np.array_equal(probas[0], probas[1]) and not np.allclose(probas[0], probas[2])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"activation": "softsign"}, "activation must be one of 'logistic', 'relu', 'tanh'"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of 'adagrad', 'adam', 'momentum'"),
        ({"hidden_layer_size": 0}, "hidden_layer_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"schedule": "linear"}, "schedule must be one of"),
        ({"dtype": np.int32}, "dtype"),
    ],
)
@pytest.mark.parametrize("estimator", [FFClassifier, FFRegressor])
def test_invalid_hyperparameters_are_named(estimator, params, match):
    with pytest.raises(ValueError, match=match):
        estimator(**params).fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_bad_input_for_every_public_method():
    X, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    ff = FFClassifier(max_iter=2)
    with pytest.raises(NotFittedError):
        ff.predict(X)
    with pytest.raises(ValueError, match="NaN"):
        ff.fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="one class"):
        ff.fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="y is None"):
        ff.fit(X, None)
    with pytest.raises(ValueError, match="classes must be passed"):
        FFClassifier().partial_fit(X, y)
    ff.fit(X, y)
    for method in (ff.predict, ff.predict_proba):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :2])
        with pytest.raises(ValueError, match="infinity"):
            method(np.where(X > 1, np.inf, X))
    with pytest.raises(ValueError, match="features"):
        ff.partial_fit(X[:, :2], y)
    with pytest.raises(ValueError, match="not among the classes"):
        ff.partial_fit(X, y + 1)
    regressor = FFRegressor(max_iter=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="features"):
        regressor.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        regressor.partial_fit(X, np.where(X[:, 0] > 1, np.nan, X[:, 0]))
