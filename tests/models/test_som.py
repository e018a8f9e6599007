import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from zoo.datasets import load
from zoo.models.som import SelfOrganizingMap, decayed, quantization_error, u_matrix_figure


def uniform_square(n_samples, seed):
    return np.random.default_rng(seed).uniform(size=(n_samples, 2))


def standardized_iris():
    return StandardScaler().fit_transform(load_iris().data)


def hex_neighbours(row, col):
    """Grid neighbours of (row, col) on a hexagonal grid whose odd rows are shifted right."""
    shift = row % 2  # the rows above and below reach one column further right on odd rows
    return {(row, col - 1), (row, col + 1), (row - 1, col - 1 + shift), (row - 1, col + shift),
            (row + 1, col - 1 + shift), (row + 1, col + shift)}


def are_neighbours(first, second, n_cols, topology):
    (r1, c1), (r2, c2) = divmod(int(first), n_cols), divmod(int(second), n_cols)
    if topology == "hexagonal":
        return (r2, c2) in hex_neighbours(r1, c1)
    return first != second and max(abs(r1 - r2), abs(c1 - c2)) <= 1


def fitted_map(topology="rectangular", **params):
    X = np.random.default_rng(1).normal(size=(120, 3))
    som = SelfOrganizingMap(4, 5, topology=topology, n_iter=600, random_state=0, **params)
    return som.fit(X), X


# ---------------------------------------------------------------- definitions


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_predict_and_transform_are_the_brute_force_distances(topology):
    som, X = fitted_map(topology)
    X_new = np.random.default_rng(2).normal(size=(50, 3))
    distances = np.array([[np.linalg.norm(x - w) for w in som.weights_] for x in X_new])
    np.testing.assert_allclose(som.transform(X_new), distances, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(som.predict(X_new), distances.argmin(axis=1))
    grid = som.set_params(transform_to="grid").transform(X_new)
    np.testing.assert_array_equal(grid, som.unit_positions_[distances.argmin(axis=1)])
    np.testing.assert_array_equal(som.labels_, som.predict(X))
    assert som.predict(X_new).dtype.kind == "i"


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_quantization_and_topographic_errors_match_their_definitions(topology):
    som, X = fitted_map(topology, init="random")
    errors, misplaced = [], []
    for x in X:
        distances = [np.linalg.norm(x - w) for w in som.weights_]
        first, second = np.argsort(distances)[:2]
        errors.append(distances[first])
        misplaced.append(not are_neighbours(first, second, som.n_cols, topology))
    assert som.quantization_error(X) == pytest.approx(np.mean(errors), rel=1e-12)
    assert som.score(X) == -som.quantization_error(X)
    assert som.topographic_error(X) == pytest.approx(np.mean(misplaced), abs=1e-15)
    assert 0 < np.mean(misplaced) < 1  # both kinds of samples occur, so the test can fail


@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_u_matrix_and_component_planes_match_their_definitions(topology):
    som, _ = fitted_map(topology)
    n_rows, n_cols = som.n_rows, som.n_cols
    expected = np.zeros((n_rows, n_cols))
    for unit in range(n_rows * n_cols):
        gaps = [np.linalg.norm(som.weights_[unit] - som.weights_[other])
                for other in range(n_rows * n_cols)
                if are_neighbours(unit, other, n_cols, topology)]
        expected[divmod(unit, n_cols)] = np.mean(gaps)
    np.testing.assert_allclose(som.u_matrix(), expected, rtol=1e-12)
    planes = som.component_planes()
    assert planes.shape == (3, n_rows, n_cols)
    for unit in range(n_rows * n_cols):
        np.testing.assert_array_equal(planes[:, *divmod(unit, n_cols)], som.weights_[unit])


def test_hexagonal_units_have_six_neighbours_at_distance_one():
    som, _ = fitted_map("hexagonal")
    positions = som.unit_positions_
    for unit in range(len(positions)):
        row, col = divmod(unit, som.n_cols)
        distances = np.linalg.norm(positions - positions[unit], axis=1)
        at_one = {divmod(int(other), som.n_cols)
                  for other in np.flatnonzero(np.isclose(distances, 1))}
        inside = {(r, c) for r, c in hex_neighbours(row, col)
                  if 0 <= r < som.n_rows and 0 <= c < som.n_cols}
        assert at_one == inside
        assert np.all(distances[distances > 1e-9] > 1 - 1e-9)


def gaussian(sq_distance, sigma):
    return np.exp(-sq_distance / (2 * sigma**2))


def bubble(sq_distance, sigma):
    return float(sq_distance <= sigma**2)


@pytest.mark.parametrize("neighborhood,h", [("gaussian", gaussian), ("bubble", bubble)])
@pytest.mark.parametrize("topology", ["rectangular", "hexagonal"])
def test_one_batch_step_is_the_neighbourhood_weighted_mean(neighborhood, h, topology):
    rng = np.random.default_rng(3)
    X, start = rng.normal(size=(40, 3)), rng.normal(size=(12, 3))
    som = SelfOrganizingMap(3, 4, topology=topology, neighborhood=neighborhood, training="batch",
                            n_iter=1, sigma0=1.3, init=start).fit(X)
    positions = som.unit_positions_
    winners = [np.argmin([np.sum((x - w) ** 2) for w in start]) for x in X]
    expected = start.copy()
    for unit in range(12):
        weights = np.array([h(np.sum((positions[c] - positions[unit]) ** 2), 1.3) for c in winners])
        if weights.sum() > 0:  # a unit outside every bubble keeps its weights
            expected[unit] = weights @ X / weights.sum()
    np.testing.assert_allclose(som.weights_, expected, rtol=1e-12, atol=1e-14)
    if neighborhood == "bubble":
        assert not np.allclose(expected, start)


def test_a_bmu_only_neighbourhood_reduces_the_online_rule_to_competitive_learning():
    rng = np.random.default_rng(4)
    X, start = rng.normal(size=(300, 2)), rng.normal(size=(9, 2))
    som = SelfOrganizingMap(3, 3, neighborhood="bubble", sigma0=0.5, sigma_end=0.5,
                            learning_rate0=0.3, learning_rate_end=0.3, init=start).partial_fit(X)
    weights = start.copy()
    for x in X:
        winner = np.argmin(np.sum((x - weights) ** 2, axis=1))
        weights[winner] += 0.3 * (x - weights[winner])
    np.testing.assert_allclose(som.weights_, weights, rtol=1e-12, atol=1e-14)
    assert som.n_iter_ == 300


def test_online_updates_follow_the_rule_and_the_schedule():
    """Kohonen's rule w_i += alpha(t) h_ci(t) (x - w_i) with alpha and sigma decaying
    geometrically over the n_iter updates; partial_fit continues the schedule."""
    rng = np.random.default_rng(5)
    X, start = rng.normal(size=(60, 2)), rng.normal(size=(6, 2))
    params = dict(init=start, n_iter=60, sigma0=2.0, sigma_end=0.5, learning_rate0=0.5,
                  learning_rate_end=0.05)
    positions = np.column_stack(np.divmod(np.arange(6), 3)).astype(float)
    weights = start.copy()
    for t, x in enumerate(X):
        rate, sigma = 0.5 * 0.1 ** (t / 59), 2.0 * 0.25 ** (t / 59)
        winner = np.argmin(np.sum((x - weights) ** 2, axis=1))
        pull = np.exp(-np.sum((positions - positions[winner]) ** 2, axis=1) / (2 * sigma**2))
        weights += rate * pull[:, None] * (x - weights)
    whole = SelfOrganizingMap(2, 3, **params).partial_fit(X)
    parts = SelfOrganizingMap(2, 3, **params).partial_fit(X[:25]).partial_fit(X[25:])
    np.testing.assert_allclose(whole.weights_, weights, rtol=1e-12)
    np.testing.assert_allclose(parts.weights_, weights, rtol=1e-12)


def test_schedules_go_from_their_first_to_their_last_value():
    steps = np.arange(12)
    for kind in ("exponential", "linear", "inverse"):
        values = decayed(2.0, 0.5, steps, 10, kind)
        assert values[0] == pytest.approx(2.0) and values[9] == pytest.approx(0.5)
        assert np.all(values[9:] == values[9]) and np.all(np.diff(values[:10]) < 0)
    t = np.arange(10)
    np.testing.assert_allclose(decayed(2.0, 0.5, t, 10, "linear"), 2.0 - 1.5 * t / 9)
    np.testing.assert_allclose(decayed(2.0, 0.5, t, 10, "inverse"), 6.0 / (3.0 + t))  # A / (B + t)


def test_mexican_hat_pulls_the_near_units_and_pushes_the_far_ones():
    start = np.zeros((9, 1))
    som = SelfOrganizingMap(3, 3, neighborhood="mexican_hat", sigma0=1.0, sigma_end=1.0,
                            learning_rate0=0.5, learning_rate_end=0.5, init=start)
    som.partial_fit(np.ones((1, 1)))  # the BMU is unit 0 (all tie), at the corner
    sq = np.sum(som.unit_positions_**2, axis=1)
    np.testing.assert_allclose(som.weights_[:, 0], 0.5 * (1 - sq) * np.exp(-sq / 2))
    assert som.weights_[0, 0] == 0.5 and som.weights_[8, 0] < 0


def test_mexican_hat_divergence_is_reported():
    X = uniform_square(300, seed=0)
    with pytest.warns(RuntimeWarning, match="diverged"):
        SelfOrganizingMap(6, 6, neighborhood="mexican_hat", n_iter=3000, random_state=0).fit(X)


def test_initialisations():
    X = np.random.default_rng(6).normal(size=(80, 3)) * [3.0, 1.0, 0.2] + [1.0, 2.0, 3.0]
    rng = np.random.default_rng(0)
    som = SelfOrganizingMap(4, 6, init="pca")
    som._initialize(X, rng)
    mean = X.mean(axis=0)
    _, singular, components = np.linalg.svd(X - mean, full_matrices=False)
    axes = components[:2] * singular[:2, None] / np.sqrt(len(X) - 1)
    corners = som.weights_.reshape(4, 6, 3)[[0, 0, -1, -1], [0, -1, 0, -1]]
    expected = [mean - axes[0] - axes[1], mean + axes[0] - axes[1],
                mean - axes[0] + axes[1], mean + axes[0] + axes[1]]  # PC1 along the 6 columns
    np.testing.assert_allclose(corners, expected, rtol=1e-10)
    som.set_params(init="sample")._initialize(X, rng)
    assert all(any(np.array_equal(w, x) for x in X) for w in som.weights_)
    som.set_params(init="random")._initialize(X, rng)
    assert np.all(som.weights_ >= X.min(axis=0)) and np.all(som.weights_ <= X.max(axis=0))
    start = rng.normal(size=(24, 3))
    som.set_params(init=start)._initialize(X, rng)
    np.testing.assert_array_equal(som.weights_, start)


def test_same_seed_same_map_and_fit_predict():
    X = uniform_square(200, seed=7)
    first = SelfOrganizingMap(5, 5, init="random", random_state=3).fit(X)
    second = SelfOrganizingMap(5, 5, init="random", random_state=3)
    np.testing.assert_array_equal(second.fit_predict(X), first.labels_)
    np.testing.assert_array_equal(second.weights_, first.weights_)
    assert first.n_iter_ == first.schedule_length_ == 2000  # default: 10 passes


# ---------------------------------------------------------------- acceptance


def test_a_10x10_map_orders_itself_over_the_unit_square():
    som = SelfOrganizingMap(10, 10, init="random", n_iter=5000, random_state=0)
    som.fit(uniform_square(2000, seed=0))
    X_test = uniform_square(2000, seed=1)
    assert som.topographic_error(X_test) <= 0.02  # 8-neighbourhood
    assert som.quantization_error(X_test) <= 0.05  # an ideal 0.1 x 0.1 tiling gives 0.038


def test_a_7x7_map_on_standardized_iris_preserves_topology():
    X = standardized_iris()
    for seed in range(10):  # the default schedule: 10 passes, 1500 updates
        assert SelfOrganizingMap(7, 7, random_state=seed).fit(X).topographic_error(X) <= 0.06


@pytest.mark.parametrize("data", ["unit_square", "iris"])
def test_batch_quantization_error_is_within_ten_percent_of_online(data):
    if data == "iris":
        X, size, n_updates = standardized_iris(), 7, 5000
    else:
        X, size, n_updates = uniform_square(2000, seed=2), 10, 5000
    online = SelfOrganizingMap(size, size, n_iter=n_updates, random_state=0).fit(X)
    batch = SelfOrganizingMap(size, size, training="batch", n_iter=10, random_state=0).fit(X)
    qe_online, qe_batch = online.quantization_error(X), batch.quantization_error(X)
    assert abs(qe_batch - qe_online) <= 0.1 * qe_online


def test_benchmark_metric_and_figure():
    data = load("iris")
    som = SelfOrganizingMap(5, 5, topology="hexagonal", random_state=0).fit(data.X_train)
    assert quantization_error(som, data) == pytest.approx(som.quantization_error(data.X_test))
    kmeans = KMeans(25, n_init=1, random_state=0).fit(data.X_train)
    nearest = np.min(np.linalg.norm(data.X_test[:, None] - kmeans.cluster_centers_, axis=2), axis=1)
    assert quantization_error(kmeans, data) == pytest.approx(nearest.mean())
    Figure = pytest.importorskip("matplotlib.figure").Figure
    figure = Figure()
    u_matrix_figure(som, data, figure, n_updates=500)
    assert len(figure.subfigs) == 2 and len(figure.subfigs[1].axes) == 4


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("params,error,message", [
    ({"n_rows": 0}, ValueError, "n_rows"),
    ({"n_cols": 2.5}, TypeError, "n_cols"),
    ({"topology": "square"}, ValueError, "topology"),
    ({"neighborhood": "cone"}, ValueError, "neighborhood"),
    ({"sigma0": 0.0}, ValueError, "sigma0"),
    ({"sigma_end": -1.0}, ValueError, "sigma_end"),
    ({"learning_rate0": 1.5}, ValueError, "learning_rate0"),
    ({"learning_rate_end": 0}, ValueError, "learning_rate_end"),
    ({"decay": "cosine"}, ValueError, "decay"),
    ({"n_iter": 0}, ValueError, "n_iter"),
    ({"training": "minibatch"}, ValueError, "training"),
    ({"init": "kmeans"}, ValueError, "init"),
    ({"init": np.zeros(4)}, ValueError, "init"),
    ({"init": np.full((4, 2), np.nan)}, ValueError, "init"),
    ({"init": np.zeros((5, 2))}, ValueError, r"init has shape \(5, 2\).*\(4, 2\)"),
    ({"transform_to": "coordinates"}, ValueError, "transform_to"),
    ({"training": "batch", "neighborhood": "mexican_hat"}, ValueError, "non-negative neighborhood"),
])
def test_bad_hyperparameters_are_named(params, error, message):
    som = SelfOrganizingMap(**{"n_rows": 2, "n_cols": 2, **params})
    X = uniform_square(10, seed=0)
    for method in (som.fit, som.partial_fit):
        with pytest.raises(error, match=message):
            method(X)


def test_bad_input_is_refused_with_a_clear_error():
    som = SelfOrganizingMap(2, 2, random_state=0)
    with pytest.raises(ValueError, match="NaN"):
        som.fit([[0.0, np.nan], [1.0, 1.0]])
    with pytest.raises(ValueError, match="2D array"):
        som.fit([0.0, 1.0, 2.0])
    for method in ("predict", "transform", "quantization_error", "topographic_error"):
        with pytest.raises(NotFittedError):
            getattr(som, method)([[0.0, 1.0]])
    with pytest.raises(NotFittedError):
        som.u_matrix()
    som.fit(uniform_square(20, seed=0))
    for method in (som.predict, som.transform, som.quantization_error, som.topographic_error,
                   som.partial_fit):
        with pytest.raises(ValueError, match="3 features"):
            method(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="infinity"):
        som.predict([[np.inf, 0.0]])
    one_unit = SelfOrganizingMap(1, 1).fit(uniform_square(5, seed=0))
    with pytest.raises(ValueError, match="at least 2 units"):
        one_unit.topographic_error(uniform_square(5, seed=0))
