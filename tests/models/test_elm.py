import numpy as np
import pytest
from scipy.special import expit
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from zoo.base import one_hot
from zoo.datasets import load
from zoo.models.elm import ELMClassifier, ELMRegressor

ACTIVATIONS = ["sigmoid", "tanh", "relu", "sin", "rbf", "hardlim"]


@pytest.fixture(scope="module")
def digits():
    """Standardized digits (75/25 stratified split, random_state 0)."""
    data = load("digits", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def sinc(x):
    return np.sinc(x / np.pi)  # sin(x) / x


# ---------------------------------------------------------------- paper properties


@pytest.mark.parametrize("solver", ["primal", "dual", "auto"])
@pytest.mark.parametrize("n_hidden", [100, 500])
def test_output_weights_solve_the_normal_equations(digits, solver, n_hidden):
    X, y = digits[0][:300], digits[1][:300]
    alpha = 1e-3
    model = ELMClassifier(n_hidden, alpha=alpha, solver=solver, weight_scale=0.3, random_state=0)
    model.fit(X, y)
    H, T, beta = model.transform(X), one_hot(y, 10, np.float64), model.coef_
    assert np.linalg.norm(H.T @ (H @ beta - T) + alpha * beta) < 1e-8 * np.linalg.norm(H.T @ T)


@pytest.mark.parametrize("n_hidden", [100, 500])
def test_primal_and_dual_ridge_agree(digits, n_hidden):
    X, y = digits[0][:300], digits[1][:300]
    primal, dual = (
        ELMClassifier(n_hidden, alpha=1e-2, solver=solver, weight_scale=0.3, random_state=0)
        .fit(X, y)
        .coef_
        for solver in ("primal", "dual")
    )
    # measured relative difference 1e-11 (L = 100) and 7e-11 (L = 500)
    assert np.linalg.norm(primal - dual) < 1e-8 * np.linalg.norm(primal)


def test_as_many_hidden_units_as_samples_fit_the_training_set_exactly(digits):
    X, y = digits[0][:300], digits[1][:300]
    model = ELMClassifier(300, alpha=0.0, solver="pinv", random_state=0).fit(X, y)
    assert model.score(X, y) == 1.0
    assert np.allclose(model.decision_function(X), one_hot(y, 10, np.float64), atol=1e-6)


def test_fitting_never_changes_the_hidden_layer():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((80, 5))
    model = ELMRegressor(40, random_state=3).fit(X, X[:, 0])
    weights, bias = model.hidden_weights_.copy(), model.hidden_bias_.copy()
    model.fit(X, np.cos(X[:, 1]) + 5.0)
    assert np.array_equal(model.hidden_weights_, weights)
    assert np.array_equal(model.hidden_bias_, bias)
    twin = ELMClassifier(40, random_state=3).fit(X, X[:, 2] > 0)
    assert np.array_equal(twin.hidden_weights_, weights)
    assert np.array_equal(twin.hidden_bias_, bias)
    other = ELMRegressor(40, random_state=4).fit(X, X[:, 0])
    assert not np.array_equal(other.hidden_weights_, weights)


@pytest.mark.parametrize("n_hidden", [100, 500])
def test_partial_fit_on_chunks_equals_fit_on_all(digits, n_hidden):
    X, y = digits[0][:400], digits[1][:400]
    whole = ELMClassifier(n_hidden, alpha=1e-2, solver="primal", weight_scale=0.3, random_state=0)
    whole.fit(X, y)
    chunked = ELMClassifier(n_hidden, alpha=1e-2, weight_scale=0.3, random_state=0)
    for chunk in np.array_split(np.arange(400), [50, 170, 175]):
        chunked.partial_fit(X[chunk], y[chunk], classes=np.arange(10))
    assert np.array_equal(chunked.hidden_weights_, whole.hidden_weights_)
    assert np.linalg.norm(chunked.coef_ - whole.coef_) < 1e-8 * np.linalg.norm(whole.coef_)


def test_regressor_partial_fit_equals_fit_for_multi_output():
    rng = np.random.RandomState(1)
    X = rng.standard_normal((150, 4))
    Y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    whole = ELMRegressor(60, alpha=1e-3, solver="primal", random_state=0).fit(X, Y)
    chunked = ELMRegressor(60, alpha=1e-3, random_state=0)
    for chunk in np.array_split(np.arange(150), 3):
        chunked.partial_fit(X[chunk], Y[chunk])
    assert chunked.coef_.shape == (60, 2)
    assert np.linalg.norm(chunked.coef_ - whole.coef_) < 1e-8 * np.linalg.norm(whole.coef_)


def test_digits_accuracy(digits):
    # Recipe: standardized pixels, 1000 sigmoid units, W and b uniform in
    # [-0.3, 0.3] x [-1, 1] (0.3 ~ 2.4 / sqrt(64 inputs) keeps the sigmoids out of
    # saturation), ridge alpha = 1 (C = 1). Measured test accuracy 0.976 (seeds 0-4:
    # 0.976-0.984); weight_scale = 1 gives 0.953 with the same alpha.
    X_train, y_train, X_test, y_test = digits
    model = ELMClassifier(1000, weight_scale=0.3, alpha=1.0, random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.97


def test_sinc_regression_rmse_is_far_below_the_noise():
    # Huang, Zhu & Siew (2006): 5000 noisy training points of sin(x)/x on [-10, 10],
    # noise uniform in [-0.2, 0.2] (std 0.115), clean test targets, 20 sigmoid units,
    # beta = H^+ T. The paper reports test RMSE 0.0097; measured 0.0084.
    rng = np.random.RandomState(0)
    x_train, x_test = rng.uniform(-10, 10, (5000, 1)), rng.uniform(-10, 10, (5000, 1))
    y_train = sinc(x_train[:, 0]) + rng.uniform(-0.2, 0.2, 5000)
    model = ELMRegressor(20, alpha=0.0, solver="pinv", random_state=0).fit(x_train, y_train)
    rmse = np.sqrt(np.mean((model.predict(x_test) - sinc(x_test[:, 0])) ** 2))
    assert rmse < 0.02


# ---------------------------------------------------------------- structure


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("weight_dist", ["uniform", "normal"])
def test_every_activation_and_weight_distribution_fits_sinc(activation, weight_dist):
    rng = np.random.RandomState(2)
    x = rng.uniform(-10, 10, (400, 1))
    x_test = rng.uniform(-10, 10, (400, 1))
    model = ELMRegressor(
        100, activation=activation, weight_dist=weight_dist, alpha=1e-6, random_state=0
    ).fit(x, sinc(x[:, 0]))
    # the targets have std 0.35; measured RMSE from 3e-7 (sin) to 0.052 (hardlim)
    assert np.sqrt(np.mean((model.predict(x_test) - sinc(x_test[:, 0])) ** 2)) < 0.1


def test_transform_is_the_random_feature_map():
    rng = np.random.RandomState(3)
    X = rng.standard_normal((40, 6))
    model = ELMRegressor(25, weight_scale=2.0, bias_scale=0.5, random_state=0).fit(X, X[:, 0])
    assert np.all(np.abs(model.hidden_weights_) <= 2.0)
    assert np.all(np.abs(model.hidden_bias_) <= 0.5)
    expected = expit(X @ model.hidden_weights_ + model.hidden_bias_)
    assert model.transform(X).shape == (40, 25)
    assert np.allclose(model.transform(X), expected, atol=1e-14)
    assert np.allclose(model.predict(X), expected @ model.coef_, atol=1e-12)


def test_binary_decision_function_is_one_column_consistent_with_predict():
    rng = np.random.RandomState(4)
    X = rng.standard_normal((120, 2))
    labels = np.where(X[:, 0] ** 2 + X[:, 1] ** 2 > 1.4, "out", "in")
    model = ELMClassifier(50, random_state=0).fit(X, labels)
    scores = model.decision_function(X)
    assert scores.shape == (120,)
    assert np.array_equal(model.predict(X), model.classes_[(scores > 0).astype(int)])
    assert model.score(X, labels) > 0.9


def test_float32():
    rng = np.random.RandomState(5)
    X = rng.standard_normal((50, 3))
    model = ELMRegressor(20, dtype=np.float32, random_state=0).fit(X, X[:, 0])
    assert model.hidden_weights_.dtype == np.float32
    assert model.predict(X).dtype == np.float32


# ---------------------------------------------------------------- bad input


def small_classification():
    rng = np.random.RandomState(8)
    X = rng.standard_normal((30, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("Estimator", [ELMClassifier, ELMRegressor])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fitting_rejects_bad_data(Estimator, method):
    X, y = small_classification()
    extra = {"classes": [0, 1]} if Estimator is ELMClassifier and method == "partial_fit" else {}
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        getattr(Estimator(), method)(X_nan, y, **extra)
    with pytest.raises(ValueError, match="2D array"):
        getattr(Estimator(), method)(X[:, 0], y, **extra)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        getattr(Estimator(), method)(X, y[:-1], **extra)
    with pytest.raises(ValueError, match="requires y"):
        getattr(Estimator(), method)(X, None, **extra)
    started = getattr(Estimator(), method)(X, y, **extra)
    if method == "partial_fit":
        with pytest.raises(ValueError, match="expecting 3 features"):
            started.partial_fit(X[:, :2], y)


def test_classifier_rejects_one_class_and_continuous_targets():
    X, _ = small_classification()
    with pytest.raises(ValueError, match="only one class"):
        ELMClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="only one class"):
        ELMClassifier().partial_fit(X, np.zeros(30), classes=[0])
    with pytest.raises(ValueError, match="Unknown label type"):
        ELMClassifier().fit(X, np.linspace(0, 1, 30))


def test_classifier_partial_fit_needs_the_classes_and_rejects_new_labels():
    X, y = small_classification()
    with pytest.raises(ValueError, match="classes must be passed"):
        ELMClassifier().partial_fit(X, y)
    model = ELMClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[2\] are not among the classes \[0, 1\]"):
        model.partial_fit(X, np.where(y == 1, 2, 0))


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"activation": "softsign"},
            "activation must be one of 'hardlim', 'rbf', 'relu', 'sigmoid', 'sin', 'tanh'",
        ),
        ({"solver": "cholesky"}, "solver must be one of 'auto', 'dual', 'pinv', 'primal'"),
        ({"weight_dist": "cauchy"}, "weight_dist must be one of 'normal', 'uniform'"),
        ({"alpha": -1e-3}, "alpha must be a real number in"),
        ({"n_hidden": 0}, "n_hidden must be an int in"),
        ({"weight_scale": 0.0}, "weight_scale must be a real number in"),
        ({"bias_scale": -1.0}, "bias_scale must be a real number in"),
        ({"solver": "pinv", "alpha": 1e-3}, "solver='pinv' is unregularised least squares"),
        ({"n_threads": 0}, "n_threads must be an int in"),
        ({"dtype": np.int32}, "dtype must be float32 or float64"),
    ],
)
@pytest.mark.parametrize("Estimator", [ELMClassifier, ELMRegressor])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_hyperparameters(Estimator, method, params, message):
    X, y = small_classification()
    extra = {"classes": [0, 1]} if Estimator is ELMClassifier and method == "partial_fit" else {}
    with pytest.raises(ValueError, match=message):
        getattr(Estimator(**params), method)(X, y, **extra)


@pytest.mark.parametrize(
    "Estimator, method",
    [
        (ELMClassifier, "predict"),
        (ELMClassifier, "decision_function"),
        (ELMClassifier, "transform"),
        (ELMRegressor, "predict"),
        (ELMRegressor, "transform"),
    ],
)
def test_prediction_methods_reject_bad_data(Estimator, method):
    X, y = small_classification()
    with pytest.raises(NotFittedError):
        getattr(Estimator(), method)(X)
    model = Estimator(10, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 3 features"):
        getattr(model, method)(X[:, :2])
    X_inf = X.copy()
    X_inf[1, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        getattr(model, method)(X_inf)
