import numpy as np
from scipy.integrate import quad
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import NearestNeighbors

from zoo.datasets import load
from zoo.models.hopfield import HopfieldNetwork, corrupt, exact_recall, recall_rate

N_UNITS = 100


def random_patterns(n_patterns, seed, n_units=N_UNITS):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n_patterns, n_units)) < 0.5, -1.0, 1.0)


def mean_recall(rule, n_patterns, n_sets=10, **options):
    """Exact recall from 10% flipped bits, averaged over independent pattern sets."""
    rates = []
    for seed in range(n_sets):
        patterns = random_patterns(n_patterns, seed)
        net = HopfieldNetwork(rule, random_state=seed, **options).fit(patterns)
        rates.append(exact_recall(net, patterns, patterns, fraction=0.1, n_trials=5, seed=seed))
    return np.mean(rates)


def own_energy(states, weights, theta=0.0):
    return -0.5 * np.einsum("ni,ij,nj->n", states, weights, states) + theta * states.sum(axis=1)


def sync_step(states, weights):
    field = states @ weights
    return np.where(field > 0, 1.0, np.where(field < 0, -1.0, states))


# ---------------------------------------------------------------- paper properties


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo_inverse"])
def test_energy_never_increases_under_asynchronous_updates(rule):
    patterns = random_patterns(12, seed=1)
    net = HopfieldNetwork(rule, threshold=0.1, random_state=0).fit(patterns)
    weights = net.weights_
    assert np.allclose(weights, weights.T) and np.all(np.diag(weights) >= 0)
    if rule != "pseudo_inverse":  # Hebb and Storkey: no self-connections
        assert np.all(np.diag(weights) == 0)
    starts = np.vstack([patterns, random_patterns(20, seed=2)])
    states = corrupt(starts, 0.3, np.random.default_rng(3))
    energies = [own_energy(states, weights, 0.1)]

    def record(current):
        energies.append(own_energy(current, weights, 0.1))

    net._asynchronous(states.copy(), np.random.default_rng(0), on_update=record)
    steps = np.diff(np.array(energies), axis=0)
    assert len(energies) > N_UNITS  # every single-unit update was seen
    assert steps.max() <= 1e-12
    assert steps.min() < 0  # the dynamics moved


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo_inverse"])
def test_graded_response_energy_falls_along_the_continuous_dynamics(rule):
    """Hopfield (1984): with V = tanh(gain u), du/dt = -u + W V - theta, the energy
    -1/2 V W V + theta sum V + (1 / gain) sum int_0^V artanh never rises (Euler steps
    of 0.1; tolerance 1e-10, the rounding of energies of order 10)."""
    patterns = random_patterns(12, seed=1)
    net = HopfieldNetwork(rule, update="continuous", threshold=0.1, max_iter=300).fit(patterns)
    states = corrupt(np.vstack([patterns, random_patterns(20, seed=2)]), 0.3, np.random.default_rng(3))
    energies = [net.continuous_energy(states)]
    net._continuous(states.copy(), on_step=lambda V: energies.append(net.continuous_energy(V)))
    steps = np.diff(np.array(energies), axis=0)
    assert len(energies) > 10 and steps.max() <= 1e-10
    assert steps.min() < -1  # the dynamics moved


def test_graded_response_energy_integral_and_high_gain_limit():
    net = HopfieldNetwork(update="continuous", gain=4.0, threshold=0.2).fit(random_patterns(3, seed=0, n_units=5))
    V = np.array([[0.3, -0.9, 0.0, 0.99, -0.5]])
    integral = sum(quad(np.arctanh, 0, v)[0] for v in V[0]) / 4.0
    expected = own_energy(V, net.weights_, 0.2) + integral
    assert net.continuous_energy(V)[0] == pytest.approx(expected[0], rel=1e-10)
    # at the corners the integral term is ln 2 per unit: the binary energy plus N ln 2 / gain
    corners = random_patterns(4, seed=1, n_units=5)
    np.testing.assert_allclose(net.continuous_energy(corners), net.energy(corners) + 5 * np.log(2) / 4.0)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        net.continuous_energy(2 * V)
    with pytest.raises(ValueError, match="features"):
        net.continuous_energy(V[:, :4])


def test_graded_response_network_recalls_like_the_binary_one():
    """At high gain the continuous network's stable states are the binary network's
    (Hopfield 1984): stored patterns stay put, and recall below capacity is as good."""
    patterns = random_patterns(5, seed=6)
    for rule in ("hebbian", "storkey", "pseudo_inverse"):
        net = HopfieldNetwork(rule, update="continuous").fit(patterns)
        assert np.array_equal(net.recall(patterns), patterns)
    assert mean_recall("hebbian", 7, update="continuous") >= 0.98
    assert mean_recall("hebbian", 25, update="continuous") <= 0.30


def test_energy_method_matches_the_definition():
    patterns = random_patterns(5, seed=4)
    net = HopfieldNetwork(threshold=0.3).fit(patterns)
    states = random_patterns(7, seed=5)
    assert np.allclose(net.energy(states), own_energy(states, net.weights_, 0.3), atol=1e-12)


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo_inverse"])
@pytest.mark.parametrize("update", ["async", "sync"])
def test_stored_patterns_are_fixed_points(rule, update):
    patterns = random_patterns(5, seed=6)
    net = HopfieldNetwork(rule, update=update, random_state=0).fit(patterns)
    assert np.array_equal(net.recall(patterns), patterns)


def test_pseudo_inverse_stores_correlated_patterns_hebb_cannot():
    rng = np.random.default_rng(7)
    base = random_patterns(1, seed=8)[0]
    # 30 patterns each agreeing with a common prototype on ~80% of the units
    patterns = np.where(rng.random((30, N_UNITS)) < 0.2, -base, base)
    pinv = HopfieldNetwork("pseudo_inverse").fit(patterns)
    hebb = HopfieldNetwork("hebbian").fit(patterns)
    assert np.array_equal(pinv.recall(patterns), patterns)
    assert np.mean(np.all(hebb.recall(patterns) == patterns, axis=1)) < 0.1


def test_hebbian_recall_below_capacity():
    assert mean_recall("hebbian", 7) >= 0.98


def test_hebbian_recall_breaks_down_above_capacity():
    assert mean_recall("hebbian", 25) <= 0.30


def test_storkey_stores_more_than_hebb():
    assert mean_recall("storkey", 20) >= 0.95
    assert mean_recall("hebbian", 20) <= 0.40


def test_synchronous_dynamics_end_in_fixed_points_or_two_cycles():
    rng = np.random.default_rng(9)
    weights = rng.standard_normal((60, 60))
    weights = (weights + weights.T) / 2  # symmetric, no structure: cycles are common
    np.fill_diagonal(weights, 0.0)
    net = HopfieldNetwork(update="sync", max_iter=1000).fit(random_patterns(2, 0, 60))
    net.weights_ = weights
    starts = random_patterns(200, seed=10, n_units=60)
    states, period = net._synchronous(starts.copy(), np.random.default_rng(0))
    assert set(np.unique(period)) <= {1, 2} and (period == 2).any()
    once, twice = sync_step(states, weights), sync_step(sync_step(states, weights), weights)
    assert np.array_equal(twice, states)
    assert np.array_equal((once == states).all(axis=1), period == 1)
    assert np.array_equal(net.recall(starts), states)


def test_partial_fit_adds_patterns_like_one_fit():
    patterns = random_patterns(9, seed=11)
    for rule in ("hebbian", "storkey", "pseudo_inverse"):
        whole = HopfieldNetwork(rule).fit(patterns)
        parts = HopfieldNetwork(rule).partial_fit(patterns[:4]).partial_fit(patterns[4:])
        assert np.allclose(whole.weights_, parts.weights_, atol=1e-12)
        assert parts.n_patterns_ == 9


def test_binary_coding_is_the_bipolar_network():
    patterns = random_patterns(6, seed=12)
    cues = corrupt(patterns, 0.1, np.random.default_rng(0))
    bipolar = HopfieldNetwork(random_state=0).fit(patterns)
    binary = HopfieldNetwork(coding="binary", random_state=0).fit((patterns + 1) / 2)
    assert np.array_equal(binary.recall((cues + 1) / 2), (bipolar.recall(cues) + 1) / 2)
    assert set(np.unique(binary.predict((cues + 1) / 2))) <= {0.0, 1.0}


def test_glauber_dynamics_at_low_temperature_still_recall():
    patterns = random_patterns(5, seed=13)
    net = HopfieldNetwork(temperature=0.05, max_iter=20, random_state=0).fit(patterns)
    assert exact_recall(net, patterns, patterns, n_trials=4) >= 0.9
    hot = HopfieldNetwork(temperature=50.0, max_iter=5, random_state=0).fit(patterns)
    assert exact_recall(hot, patterns, patterns, n_trials=4) == 0.0


def test_same_seed_same_recall():
    patterns = random_patterns(15, seed=14)
    cues = corrupt(patterns, 0.2, np.random.default_rng(0))
    first = HopfieldNetwork(random_state=3).fit(patterns).recall(cues)
    assert np.array_equal(first, HopfieldNetwork(random_state=3).fit(patterns).recall(cues))


def test_recall_rate_metric_and_nearest_neighbour_baseline():
    data = load("random_patterns", random_state=0)
    net = HopfieldNetwork(random_state=0).fit(data.X_train)
    assert 0.9 <= recall_rate(net, data) <= 1.0
    baseline = NearestNeighbors(n_neighbors=1).fit(data.X_train)
    assert recall_rate(baseline, data) == 1.0


def test_figure_hook_draws():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from zoo.models.hopfield import recall_figure

    data = load("random_patterns", random_state=0)
    figure = Figure()
    recall_figure(HopfieldNetwork(random_state=0).fit(data.X_train), data, figure)
    assert len(figure.axes) == 10


# ---------------------------------------------------------------- bad input


def test_non_binary_input_raises_without_binarize():
    with pytest.raises(ValueError, match="takes only the values -1 and 1"):
        HopfieldNetwork(binarize=False).fit([[1.0, -1.0], [0.5, 1.0]])
    with pytest.raises(ValueError, match="takes only the values 0 and 1"):
        HopfieldNetwork(coding="binary", binarize=False).fit([[1.0, -1.0]])
    net = HopfieldNetwork(binarize=False).fit([[1.0, -1.0, 1.0]])
    with pytest.raises(ValueError, match="binarize=True"):
        net.recall([[0.0, 1.0, 1.0]])


@pytest.mark.parametrize("method", ["recall", "predict", "transform", "energy", "partial_fit"])
def test_methods_reject_nan_and_wrong_width(method):
    net = HopfieldNetwork().fit(random_patterns(3, seed=0, n_units=8))
    with pytest.raises(ValueError, match="NaN"):
        getattr(net, method)(np.full((1, 8), np.nan))
    with pytest.raises(ValueError, match="features"):
        getattr(net, method)(np.ones((1, 5)))


def test_fit_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        HopfieldNetwork().fit([[1.0, np.nan]])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"rule": "oja"}, "rule must be one of"),
        ({"update": "parallel"}, "update must be one of"),
        ({"gain": 0.0}, "gain"),
        ({"step_size": 1.5}, "step_size"),
        ({"max_iter": 0}, "max_iter"),
        ({"temperature": -1.0}, "temperature"),
        ({"coding": "ternary"}, "coding must be one of"),
        ({"zero_diagonal": "yes"}, "zero_diagonal"),
        ({"binarize": "sometimes"}, "binarize"),
    ],
)
def test_invalid_hyperparameters(params, match):
    with pytest.raises(ValueError, match=match):
        HopfieldNetwork(**params).fit(random_patterns(2, seed=0, n_units=4))


def test_unfitted_recall_raises():
    with pytest.raises(NotFittedError):
        HopfieldNetwork().recall(np.ones((1, 4)))
