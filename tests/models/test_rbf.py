import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from zoo.datasets import load
from zoo.models.rbf import RBFClassifier, RBFRegressor

KERNELS = ["gaussian", "multiquadric", "inverse_multiquadric", "thin_plate", "cubic"]


def sine_data(n_train=200, n_test=500, seed=0):
    rng = np.random.RandomState(seed)
    x_train = rng.uniform(-np.pi, np.pi, (n_train, 1))
    x_test = rng.uniform(-np.pi, np.pi, (n_test, 1))
    return x_train, np.sin(x_train[:, 0]), x_test, np.sin(x_test[:, 0])


# ---------------------------------------------------------------- paper properties


def test_every_training_point_as_centre_interpolates_exactly():
    # Broomhead & Lowe: 200 grid points, each a Gaussian centre, no ridge. With
    # gamma * spacing^2 = 0.25 the interpolation matrix (non-singular by Micchelli)
    # has condition number ~1e4, so least squares reproduces the targets exactly.
    x = np.linspace(0.0, 1.0, 200)[:, None]
    y = np.random.RandomState(0).standard_normal(200)
    model = RBFRegressor(center_init="all", kernel="gaussian", gamma=0.25 * 199**2, alpha=0.0)
    model.fit(x, y)
    assert model.centers_.shape == (200, 1)
    rmse = np.sqrt(np.mean((model.predict(x) - y) ** 2))
    assert rmse < 1e-8


def test_xor_with_the_four_points_as_centres():
    xor = load("xor")
    model = RBFClassifier(center_init="all", alpha=0.0).fit(xor.X_train, xor.y_train)
    assert np.array_equal(model.predict(xor.X_test), xor.y_test)


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 1.0])
def test_output_weights_solve_the_ridge_normal_equations(alpha):
    # With an unpenalised intercept w0: Phi^T (Phi w + w0 - Y) + alpha w = 0 and
    # the residuals sum to zero.
    rng = np.random.RandomState(1)
    X, Y = rng.standard_normal((120, 4)), rng.standard_normal((120, 3))
    model = RBFRegressor(n_centers=30, alpha=alpha, random_state=0).fit(X, Y)
    Phi = model.transform(X)
    residual = Phi @ model.coef_ + model.intercept_ - Y
    gradient = Phi.T @ residual + alpha * model.coef_
    assert np.linalg.norm(gradient) < 1e-10 * np.linalg.norm(Phi.T @ Y)
    assert np.abs(residual.sum(axis=0)).max() < 1e-10 * np.abs(Y).sum()


def test_sine_regression_on_held_out_points():
    x_train, y_train, x_test, y_test = sine_data()
    model = RBFRegressor(n_centers=20, random_state=0).fit(x_train, y_train)
    # measured MSE 9.8e-6
    assert np.mean((model.predict(x_test) - y_test) ** 2) < 1e-3


def test_digits_accuracy():
    # Recipe: standardized pixels, 300 k-means centres, Gaussian units with the
    # p-nearest-centre widths (p = 2), alpha = 1e-8. Measured test accuracy 0.969.
    digits = load("digits", random_state=0)
    scaler = StandardScaler().fit(digits.X_train)
    model = RBFClassifier(n_centers=300, random_state=0)
    model.fit(scaler.transform(digits.X_train), digits.y_train)
    assert model.score(scaler.transform(digits.X_test), digits.y_test) >= 0.95


@pytest.mark.parametrize(
    "kernel, normalized",
    [(kernel, False) for kernel in KERNELS]
    + [(kernel, True) for kernel in ("gaussian", "multiquadric", "inverse_multiquadric")],
)
def test_every_kernel_fits_the_sine(kernel, normalized):
    x_train, y_train, x_test, y_test = sine_data()
    model = RBFRegressor(n_centers=20, kernel=kernel, normalized=normalized, random_state=0)
    model.fit(x_train, y_train)
    assert np.mean((model.predict(x_test) - y_test) ** 2) < 1e-3


# ---------------------------------------------------------------- structure


def test_width_rules_on_known_centres():
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    y = np.arange(4.0)
    nearest = RBFRegressor(center_init="all", p_neighbors=2).fit(x, y)
    # squared distances to the two nearest other centres: 0 -> (1, 9), 1 -> (1, 4),
    # 3 -> (4, 9), 7 -> (16, 36)
    expected = np.sqrt([(1 + 9) / 2, (1 + 4) / 2, (4 + 9) / 2, (16 + 36) / 2])
    assert np.allclose(nearest.widths_, expected)
    single = RBFRegressor(center_init="all", width="global").fit(x, y)
    assert np.allclose(single.widths_, 7.0 / np.sqrt(8.0))
    fixed = RBFRegressor(center_init="all", gamma=2.0, width="global").fit(x, y)
    assert np.allclose(fixed.widths_, 0.5)


def test_transform_is_the_gaussian_of_the_distance_to_each_centre():
    rng = np.random.RandomState(2)
    X = rng.standard_normal((60, 3))
    model = RBFRegressor(n_centers=10, random_state=0).fit(X, X[:, 0])
    expected = np.exp(-cdist(X, model.centers_, "sqeuclidean") / (2 * model.widths_**2))
    assert model.transform(X).shape == (60, 10)
    assert np.allclose(model.transform(X), expected, atol=1e-12)


def test_normalized_activations_sum_to_one_even_far_from_every_centre():
    rng = np.random.RandomState(3)
    X = rng.standard_normal((50, 2))
    model = RBFClassifier(n_centers=8, normalized=True, random_state=0).fit(X, X[:, 0] > 0)
    far = np.vstack([X, [[1e3, -1e3]]])
    activations = model.transform(far)
    assert np.all(np.isfinite(activations))
    assert np.allclose(activations.sum(axis=1), 1.0)


@pytest.mark.parametrize("center_init", ["kmeans", "random"])
def test_centres_are_reproducible_and_capped_at_the_distinct_points(center_init):
    rng = np.random.RandomState(4)
    X = np.repeat(rng.standard_normal((12, 2)), 3, axis=0)  # 12 distinct points, each 3 times
    y = X.sum(axis=1)
    first = RBFRegressor(n_centers=50, center_init=center_init, random_state=7).fit(X, y)
    second = RBFRegressor(n_centers=50, center_init=center_init, random_state=7).fit(X, y)
    assert first.centers_.shape == (12, 2)
    assert np.array_equal(first.centers_, second.centers_)
    assert np.array_equal(first.predict(X), second.predict(X))


def test_multi_output_fits_each_output_as_if_alone():
    rng = np.random.RandomState(5)
    X = rng.standard_normal((80, 3))
    Y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    both = RBFRegressor(n_centers=15, alpha=1e-3, random_state=0).fit(X, Y)
    assert both.predict(X).shape == (80, 2)
    for j in range(2):
        alone = RBFRegressor(n_centers=15, alpha=1e-3, random_state=0).fit(X, Y[:, j])
        assert alone.predict(X).shape == (80,)
        assert np.allclose(both.predict(X)[:, j], alone.predict(X), atol=1e-10)


def test_binary_decision_function_is_one_column_consistent_with_predict():
    rng = np.random.RandomState(6)
    X = rng.standard_normal((100, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "opposite")
    model = RBFClassifier(n_centers=20, random_state=0).fit(X, labels)
    scores = model.decision_function(X)
    assert scores.shape == (100,)
    assert np.array_equal(model.predict(X), model.classes_[(scores > 0).astype(int)])
    assert model.score(X, labels) > 0.9


def test_float32():
    x_train, y_train, x_test, _ = sine_data()
    model = RBFRegressor(n_centers=10, dtype=np.float32, random_state=0).fit(x_train, y_train)
    assert model.centers_.dtype == np.float32
    assert model.predict(x_test).dtype == np.float32


# ---------------------------------------------------------------- bad input


def small_classification():
    rng = np.random.RandomState(8)
    X = rng.standard_normal((30, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("Estimator", [RBFClassifier, RBFRegressor])
def test_fit_rejects_bad_data(Estimator):
    X, y = small_classification()
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Estimator().fit(X_nan, y)
    with pytest.raises(ValueError, match="2D array"):
        Estimator().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Estimator().fit(X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        Estimator().fit(X, None)


def test_classifier_fit_rejects_one_class_and_continuous_targets():
    X, _ = small_classification()
    with pytest.raises(ValueError, match="only one class"):
        RBFClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="Unknown label type"):
        RBFClassifier().fit(X, np.linspace(0, 1, 30))


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"kernel": "laplace"},
            "kernel must be one of 'cubic', 'gaussian', 'inverse_multiquadric', "
            "'multiquadric', 'thin_plate'; got 'laplace'",
        ),
        ({"center_init": "ols"}, "center_init must be one of 'all', 'kmeans', 'random'"),
        ({"width": "mean"}, "width must be one of 'global', 'p_nearest'"),
        ({"alpha": -1.0}, "alpha must be a real number in"),
        ({"n_centers": 0}, "n_centers must be an int in"),
        ({"p_neighbors": 0}, "p_neighbors must be an int in"),
        ({"gamma": 0.0}, "gamma must be a real number in"),
        ({"normalized": "yes"}, "normalized must be True or False"),
        ({"normalized": True, "kernel": "thin_plate"}, "needs a positive kernel"),
        ({"dtype": np.int64}, "dtype must be float32 or float64"),
    ],
)
@pytest.mark.parametrize("Estimator", [RBFClassifier, RBFRegressor])
def test_invalid_hyperparameters(Estimator, params, message):
    X, y = small_classification()
    with pytest.raises(ValueError, match=message):
        Estimator(**params).fit(X, y)


@pytest.mark.parametrize("method", ["predict", "decision_function", "transform"])
def test_prediction_methods_reject_bad_data(method):
    X, y = small_classification()
    with pytest.raises(NotFittedError):
        getattr(RBFClassifier(), method)(X)
    model = RBFClassifier(n_centers=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 3 features"):
        getattr(model, method)(X[:, :2])
    X_inf = X.copy()
    X_inf[1, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        getattr(model, method)(X_inf)


@pytest.mark.parametrize("method", ["predict", "transform"])
def test_regressor_methods_reject_bad_data(method):
    X, y = small_classification()
    with pytest.raises(NotFittedError):
        getattr(RBFRegressor(), method)(X)
    model = RBFRegressor(n_centers=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 3 features"):
        getattr(model, method)(X[:, :2])
    X_nan = X.copy()
    X_nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        getattr(model, method)(X_nan)
