import warnings

import numpy as np
import pytest
from scipy.special import expit, logit, logsumexp
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from zoo.datasets import load
from zoo.models.bm import BoltzmannMachine
from zoo.models.rbm import bit_vectors


def random_machine(n_visible, n_hidden, seed):
    """A machine with random symmetric N(0, 1/2) weights and N(0, 1/4) biases."""
    rng = np.random.RandomState(seed)
    machine = BoltzmannMachine(n_hidden, n_iter=0, random_state=seed).fit(rng.uniform(size=(3, n_visible)))
    n_units = n_visible + n_hidden
    weights = rng.standard_normal((n_units, n_units))
    machine.weights_ = np.triu(weights, 1) + np.triu(weights, 1).T
    machine.bias_ = 0.5 * rng.standard_normal(n_units)
    return machine


def exact_distribution(machine):
    states = bit_vectors(machine.bias_.shape[0])
    log_p = -machine.energy(states)
    return states, np.exp(log_p - logsumexp(log_p))


def state_codes(states):
    return (states @ 2 ** np.arange(states.shape[1] - 1, -1, -1)).astype(int)


def test_enumerated_probabilities_sum_to_one():
    machine = random_machine(4, 3, seed=0)
    assert abs(logsumexp(machine.log_prob(bit_vectors(4)))) < 1e-12
    states, p = exact_distribution(machine)
    assert abs(machine.log_partition() - logsumexp(-machine.energy(states))) < 1e-12


def test_energy_is_the_quadratic_form():
    machine = random_machine(3, 2, seed=1)
    s = np.array([[1.0, 0, 1, 1, 0]])
    W, b = machine.weights_, machine.bias_
    expected = -sum(W[i, j] for i in range(5) for j in range(i + 1, 5) if s[0, i] and s[0, j]) - b @ s[0]
    assert machine.energy(s)[0] == pytest.approx(expected, abs=1e-12)


def test_gibbs_sampling_of_an_8_unit_machine_converges_in_total_variation():
    machine = random_machine(5, 3, seed=2)
    _, exact = exact_distribution(machine)
    rng = np.random.RandomState(0)
    states = machine.sample(4000, n_sweeps=20, random_state=0, return_hidden=True)
    counts = np.zeros(exact.size)
    units = np.arange(8)
    for _ in range(100):
        machine._sweep(states, units, 1.0, rng)
        counts += np.bincount(state_codes(states), minlength=exact.size)
    assert 0.5 * np.abs(counts / counts.sum() - exact).sum() < 0.02


def test_fully_visible_machine_fitted_with_the_exact_gradient_matches_pairwise_moments():
    teacher = random_machine(5, 0, seed=3)
    states, p = exact_distribution(teacher)
    X = states[np.random.RandomState(0).choice(32, size=2000, p=p)]
    student = BoltzmannMachine(method="exact", learning_rate=1.0, n_iter=2000, random_state=0).fit(X)
    _, q = exact_distribution(student)
    model_moments = (states * q[:, None]).T @ states
    assert np.abs(model_moments - X.T @ X / len(X)).max() < 0.01


def test_sampled_learning_approaches_the_exact_fit():
    """The clamped-minus-free rule with sampled statistics (persistent chains) ends near
    the maximum-likelihood fit of a fully visible machine."""
    teacher = random_machine(4, 0, seed=4)
    states, p = exact_distribution(teacher)
    X = states[np.random.RandomState(1).choice(16, size=2000, p=p)]
    sampled = BoltzmannMachine(
        learning_rate=0.2, n_iter=300, persistent=True, n_chains=200, random_state=0
    ).fit(X)
    exact = BoltzmannMachine(method="exact", learning_rate=1.0, n_iter=1000, random_state=0).fit(X)
    assert np.abs(sampled.log_prob(X).mean() - exact.log_prob(X).mean()) < 0.02


def test_sparsity_target_lowers_the_hidden_activity_towards_it():
    """Exact learning of bars-and-stripes 3x3 with 4 hidden units: the mean posterior
    activity of the hidden units on the data is pulled from 0.49 to 0.10 (target 0.1)."""
    X = load("bars_and_stripes", n=3).X_train
    settings = dict(method="exact", learning_rate=0.5, n_iter=150, random_state=0)
    dense = BoltzmannMachine(4, **settings).fit(X)
    sparse = BoltzmannMachine(4, sparsity_target=0.1, sparsity_cost=1.0, **settings).fit(X)

    def hidden_activity(machine):
        (_, mean), _ = machine._exact_statistics(X)  # clamped-phase means, by enumeration
        return mean[X.shape[1]:].mean()

    assert hidden_activity(sparse) < 0.2 < 0.35 < hidden_activity(dense)


def test_connectivity_mask_is_respected_and_predict_completes():
    mask = np.ones((4, 4), dtype=bool)
    mask[0, 3] = mask[3, 0] = False
    X = np.array([[1.0, 1, 0, 0], [0, 0, 1, 1]] * 20)
    machine = BoltzmannMachine(connectivity=mask, method="exact", learning_rate=1.0, n_iter=300, random_state=0)
    machine.fit(X)
    assert machine.weights_[0, 3] == 0 and np.all(np.diag(machine.weights_) == 0)
    np.testing.assert_array_equal(machine.weights_, machine.weights_.T)
    clamped = np.array([True, False, False, False])
    queries = np.array([[1.0, 0, 0, 0], [0.0, 0, 0, 0]])
    np.testing.assert_array_equal(machine.predict(queries, clamped=clamped), [[1, 1, 0, 0], [0, 0, 1, 1]])


def encoder_connectivity():
    """4-2-4 encoder (Ackley et al. 1985): V1 and V2 each fully connected inside, both
    connected to the two hidden units, no V1-V2 connections."""
    group = np.array([0] * 4 + [1] * 4 + [2] * 2)
    return (group[:, None] == group[None, :]) | (group[:, None] == 2) | (group[None, :] == 2)


def test_a_hand_made_4_2_4_solution_is_completed_by_annealing():
    """The completion procedure itself: pattern k drives the hidden units to code c_k
    (weights +-A) and code c_k turns on output unit k only (bias -A (|c_k| - 1/2) gives
    it field A/2, every other output at most -A/2)."""
    strength = 20.0
    codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    patterns = np.hstack([np.eye(4), np.eye(4)])
    machine = BoltzmannMachine(2, connectivity=encoder_connectivity(), n_iter=0, random_state=0).fit(patterns)
    weights, bias = np.zeros((10, 10)), np.zeros(10)
    for k, code in enumerate(codes):
        for unit in (k, 4 + k):
            # the input group pulls the hidden units twice as hard as the output group
            pull = 2 * strength if unit < 4 else strength
            weights[unit, 8:] = weights[8:, unit] = pull * (2 * code - 1)
            bias[unit] = -strength * (code.sum() - 0.5)
    machine.weights_, machine.bias_ = weights, bias
    clamped = np.r_[np.ones(4, dtype=bool), np.zeros(4, dtype=bool)]
    completions = machine.complete(np.repeat(patterns, 50, axis=0), clamped, random_state=0)
    assert np.mean(np.all(completions == np.repeat(patterns, 50, axis=0), axis=1)) > 0.99


def solve_4_2_4_encoder(seed):
    """The paper's sampled learning procedure alone (Ackley et al. 1985), at its own
    temperatures: each cycle anneals 2 sweeps at T = 20, 2 at 15, 2 at 12 and 4 at 10,
    then collects co-occurrences for 10 sweeps at T = 10, from 40 noisily clamped runs
    (0.15, 0.05; each pattern 10 times) and 40 free chains; every weight steps by 2
    along the sign of the difference. A small weight decay (inside the sign) keeps the
    hidden-hidden weight from drifting upward once a code is found, which otherwise
    undoes the solution within a few thousand cycles.
    """
    patterns = np.hstack([np.eye(4), np.eye(4)])
    return BoltzmannMachine(
        2, connectivity=encoder_connectivity(), update="sign", clamp_noise=(0.15, 0.05),
        learning_rate=2.0, weight_decay=2e-4, init_scale=1.0, n_iter=2000, n_chains=40,
        annealing_schedule=((20.0, 2), (15.0, 2), (12.0, 2), (10.0, 4)), random_state=seed,
    ).fit(np.repeat(patterns, 10, axis=0))


@pytest.mark.slow
def test_4_2_4_encoder_is_solved_in_4_of_5_seeds():
    """Solved: for each of the 4 inputs, >= 90% of 100 annealed completions of V2 (V1
    clamped) are exactly the pattern's output. The completions anneal from the learning
    temperature T = 10 down to T = 1, slowly around T = 4 where the hidden code freezes:
    at T = 10 itself a machine fitted to noisily clamped patterns completes a clean one
    correctly only about 0.85 x 0.95^3 ~ 73% of the time."""
    patterns = np.hstack([np.eye(4), np.eye(4)])
    clamped = np.r_[np.ones(4, dtype=bool), np.zeros(4, dtype=bool)]
    readout = ((20.0, 10), (15.0, 10), (12.0, 10), (10.0, 20), (8.0, 20), (6.0, 50), (5.0, 100),
               (4.5, 200), (4.0, 400), (3.5, 400), (3.0, 400), (2.0, 10))
    solved = 0
    for seed in range(5):
        machine = solve_4_2_4_encoder(seed).set_params(annealing_schedule=readout)
        completions = machine.complete(np.repeat(patterns, 100, axis=0), clamped, random_state=0)
        correct = np.all(completions == np.repeat(patterns, 100, axis=0), axis=1).reshape(4, 100).mean(axis=1)
        solved += bool(np.all(correct >= 0.9))
    assert solved >= 4


def test_noisy_clamping_flips_clamped_units_at_the_given_rates():
    machine = BoltzmannMachine(clamp_noise=(0.15, 0.05), n_iter=0, random_state=0).fit(np.eye(4))
    X = np.tile([1.0, 0.0], (50000, 1))
    noisy = machine._noisy_clamp(X)
    assert abs((1 - noisy[:, 0]).mean() - 0.15) < 0.01 and abs(noisy[:, 1].mean() - 0.05) < 0.01
    assert set(np.unique(noisy)) <= {0.0, 1.0}


def test_sign_update_moves_every_connected_weight_by_the_step_size():
    X = np.array([[1.0, 1, 0], [0, 1, 1]])
    machine = BoltzmannMachine(method="exact", n_iter=0, init_scale=0.3, random_state=0).fit(X)
    before_w, before_b = machine.weights_.copy(), machine.bias_.copy()
    machine.set_params(update="sign", learning_rate=0.25, n_iter=1, warm_start=True).fit(X)
    off_diagonal = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(np.abs(machine.weights_ - before_w)[off_diagonal], 0.25)
    np.testing.assert_allclose(np.abs(machine.bias_ - before_b), 0.25)
    assert machine.n_iter_ == 1


def test_warm_start_continues_and_a_cold_start_does_not():
    X = np.array([[1.0, 1, 0], [0, 1, 1]] * 5)
    machine = BoltzmannMachine(1, method="exact", learning_rate=0.5, n_iter=20, warm_start=True, random_state=0)
    once = machine.fit(X).weights_.copy()
    twice = machine.fit(X).weights_.copy()
    long_run = BoltzmannMachine(1, method="exact", learning_rate=0.5, n_iter=40, random_state=0).fit(X)
    np.testing.assert_allclose(twice, long_run.weights_, atol=1e-12)
    assert machine.n_iter_ == 40 and not np.allclose(once, twice)
    cold = BoltzmannMachine(1, method="exact", learning_rate=0.5, n_iter=20, random_state=0)
    np.testing.assert_allclose(cold.fit(X).fit(X).weights_, once, atol=1e-12)


def test_mean_field_values_are_self_consistent_and_keep_the_clamped_units():
    machine = random_machine(5, 3, seed=5).set_params(mean_field_tol=1e-12, mean_field_max_sweeps=1000)
    X = np.random.RandomState(0).uniform(size=(6, 5))
    clamped = np.array([True, False, True, False, True])
    values = machine.mean_field(X, clamped)
    assert values.shape == (6, 8)
    np.testing.assert_array_equal(values[:, :5][:, clamped], X[:, clamped])
    free = np.r_[~clamped, np.ones(3, dtype=bool)]
    residual = expit(values @ machine.weights_ + machine.bias_) - values
    assert np.abs(residual[:, free]).max() < 1e-8


def test_mean_field_error_is_second_order_in_the_couplings():
    """Naive mean field is exact to first order in W: halving weak couplings divides the
    error of the free means (against enumeration) by about 4."""
    errors = []
    for scale in (0.2, 0.1):
        machine = random_machine(8, 0, seed=0).set_params(mean_field_tol=1e-12, mean_field_max_sweeps=1000)
        machine.weights_ *= scale
        states, p = exact_distribution(machine)
        free_means = machine.mean_field(np.zeros((1, 8)), clamped=np.zeros(8, dtype=bool))[0]
        errors.append(np.abs(free_means - p @ states).max())
    assert errors[0] < 0.01
    assert errors[0] / errors[1] > 3


def test_mean_field_learning_reaches_its_stationary_point_on_a_fully_visible_machine():
    """With weight decay d and one free fixed point m, the rule's stationary point is
    m = data means and W = cov(data) / d off the diagonal; those couplings fit the data
    better than the best independent-units model."""
    teacher = random_machine(5, 0, seed=3)
    states, p = exact_distribution(teacher)
    X = states[np.random.RandomState(0).choice(32, size=2000, p=p)]
    mean = X.mean(axis=0)
    covariance = X.T @ X / len(X) - np.outer(mean, mean)
    decay = 0.25
    machine = BoltzmannMachine(
        method="mean_field", weight_decay=decay, learning_rate=0.5, n_iter=300, n_chains=10, random_state=0
    )
    initial_log_likelihood = machine.set_params(n_iter=0).fit(X).log_prob(X).mean()
    machine.set_params(n_iter=300).fit(X)
    off_diagonal = ~np.eye(5, dtype=bool)
    free_means = machine.mean_field(X[:1], clamped=np.zeros(5, dtype=bool))[0]
    assert np.abs(free_means - mean).max() < 1e-3
    assert np.abs(machine.weights_ - covariance / decay)[off_diagonal].max() < 1e-3
    learned = machine.log_prob(X).mean()
    machine.weights_[:], machine.bias_ = 0.0, logit(mean)
    best_independent = machine.log_prob(X).mean()
    assert learned - initial_log_likelihood > 0.25
    assert learned - best_independent > 0.05


def test_persistent_mean_field_chains_reach_the_same_fixed_point():
    X = np.array([[1.0, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]] * 3)
    settings = dict(method="mean_field", weight_decay=0.5, learning_rate=0.5, n_iter=200, n_chains=4, random_state=0)
    fresh = BoltzmannMachine(**settings).fit(X)
    persistent = BoltzmannMachine(persistent=True, **settings).fit(X)
    np.testing.assert_allclose(persistent.weights_, fresh.weights_, atol=1e-6)
    np.testing.assert_allclose(persistent.chains_, fresh.chains_, atol=1e-6)


def test_mean_field_warns_when_the_sweeps_do_not_converge():
    machine = random_machine(5, 3, seed=5).set_params(mean_field_tol=1e-12, mean_field_max_sweeps=1)
    with pytest.warns(ConvergenceWarning, match="mean_field_max_sweeps"):
        machine.mean_field(np.zeros((2, 5)))


def test_bad_input():
    X = np.random.RandomState(0).uniform(size=(10, 4))
    with pytest.raises(NotFittedError):
        BoltzmannMachine().predict(X)
    with pytest.raises(ValueError, match="learning_rate"):
        BoltzmannMachine(learning_rate=0.0).fit(X)
    with pytest.raises(ValueError, match="method"):
        BoltzmannMachine(method="mean-field").fit(X)
    with pytest.raises(ValueError, match="sparsity_target"):
        BoltzmannMachine(2, sparsity_target=1.0).fit(X)
    with pytest.raises(ValueError, match="clamp_noise"):
        BoltzmannMachine(clamp_noise=(0.1, 1.0)).fit(X)
    with pytest.raises(ValueError, match="clamp_noise"):
        BoltzmannMachine(clamp_noise=0.1).fit(X)
    with pytest.raises(ValueError, match="update"):
        BoltzmannMachine(update="newton").fit(X)
    with pytest.raises(ValueError, match="annealing_schedule"):
        BoltzmannMachine(annealing_schedule=[(0.0, 1)]).fit(X)
    with pytest.raises(ValueError, match="connectivity"):
        BoltzmannMachine(connectivity=np.ones((3, 3), dtype=bool)).fit(X)
    with pytest.raises(ValueError, match="exact"):
        BoltzmannMachine(30, method="exact").fit(X)
    with pytest.raises(ValueError, match="mean_field_tol"):
        BoltzmannMachine(method="mean_field", mean_field_tol=0.0).fit(X)
    with pytest.raises(ValueError, match="mean_field_max_sweeps"):
        BoltzmannMachine(method="mean_field", mean_field_max_sweeps=0).fit(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BoltzmannMachine().fit(bad)
    machine = BoltzmannMachine(1, n_iter=1, random_state=0).fit(X)
    for method in (machine.predict, machine.log_prob):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :3])
        with pytest.raises(ValueError, match="NaN"):
            method(bad)
    with pytest.raises(ValueError, match="clamped"):
        machine.complete(X, clamped=[True, False])
    with pytest.raises(ValueError, match="clamped"):
        machine.mean_field(X, clamped=[True, False])
    with pytest.raises(ValueError, match="features"):
        machine.mean_field(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        machine.mean_field(bad)
    with pytest.raises(NotFittedError):
        BoltzmannMachine().mean_field(X)
    with pytest.raises(ValueError, match="units"):
        machine.energy(X)
