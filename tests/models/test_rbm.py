import numpy as np
import pytest
from scipy.special import expit, logsumexp
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import BernoulliRBM as SklearnRBM

from zoo.datasets import load
from zoo.models.rbm import BernoulliRBM, bit_vectors, pseudo_likelihood


def random_rbm(n_visible, n_hidden, visible="bernoulli", seed=0):
    """An RBM with random N(0, 1) weights and biases (fitted for zero epochs first)."""
    rng = np.random.RandomState(seed)
    rbm = BernoulliRBM(n_hidden, n_iter=0, visible=visible, random_state=seed)
    rbm.fit(rng.uniform(size=(3, n_visible)))
    rbm.components_ = rng.standard_normal((n_hidden, n_visible))
    rbm.intercept_hidden_ = rng.standard_normal(n_hidden)
    rbm.intercept_visible_ = rng.standard_normal(n_visible)
    return rbm


def joint_energy(rbm, V, H):
    """E(v, h) for every pair of rows of V and H, shape (len(V), len(H))."""
    return -(V @ rbm.intercept_visible_)[:, None] - (H @ rbm.intercept_hidden_)[None, :] - V @ rbm.components_.T @ H.T


def patterns(X):
    return {tuple(row) for row in X}


def sample_statistics(samples, valid_patterns):
    drawn = [tuple(row) for row in samples]
    valid = np.mean([row in valid_patterns for row in drawn])
    return valid, len(set(drawn) & valid_patterns)


# ---------------------------------------------------------------- exact properties


@pytest.mark.parametrize("n_visible, n_hidden", [(6, 4), (4, 6)])
def test_log_probability_equals_enumeration_of_the_joint(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden)
    V, H = bit_vectors(n_visible), bit_vectors(n_hidden)
    minus_energy = -joint_energy(rbm, V, H)
    log_z = logsumexp(minus_energy)
    exact = logsumexp(minus_energy, axis=1) - log_z
    assert abs(rbm.log_partition() - log_z) < 1e-10
    np.testing.assert_allclose(rbm.log_likelihood(V), exact, rtol=0, atol=1e-10)
    assert abs(logsumexp(rbm.log_likelihood(V))) < 1e-10


def test_conditionals_match_enumeration():
    rbm = random_rbm(6, 4, seed=1)
    V, H = bit_vectors(6), bit_vectors(4)
    joint = np.exp(-joint_energy(rbm, V, H))
    p_h_given_v = (joint @ H) / joint.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(rbm.transform(V), p_h_given_v, rtol=1e-12)
    p_v_given_h = (joint.T @ V) / joint.sum(axis=0)[:, None]
    np.testing.assert_allclose(rbm._visible_mean(H), p_v_given_h, rtol=1e-12)


def test_free_energy_derivative_is_minus_visible_bias_minus_w_times_p_h():
    rbm = random_rbm(6, 4, seed=2)
    v = np.random.RandomState(0).uniform(size=(5, 6))
    step = 1e-6
    numerical = np.stack(
        [(rbm.free_energy(v + step * e) - rbm.free_energy(v - step * e)) / (2 * step) for e in np.eye(6)],
        axis=1,
    )
    analytic = -rbm.intercept_visible_ - rbm.transform(v) @ rbm.components_
    np.testing.assert_allclose(numerical, analytic, rtol=1e-7, atol=1e-8)


def test_gaussian_free_energy_and_log_partition_match_integration():
    """For unit-variance Gaussian visibles F(v) = -log sum_h exp(-E(v, h)) and Z is the
    sum over h of a Gaussian integral, checked on a 1-visible model by quadrature."""
    rbm = random_rbm(1, 3, visible="gaussian", seed=3)
    H = bit_vectors(3)
    grid = np.linspace(-30, 30, 200001)[:, None]
    energy = (
        0.5 * (grid - rbm.intercept_visible_) ** 2
        - (H @ rbm.intercept_hidden_)[None, :]
        - grid @ rbm.components_.T @ H.T
    )
    minus_free_energy = logsumexp(-energy, axis=1)
    np.testing.assert_allclose(-rbm.free_energy(grid[::1000]), minus_free_energy[::1000], rtol=1e-12)
    log_z = np.log(np.trapezoid(np.exp(minus_free_energy), grid[:, 0]))
    assert abs(rbm.log_partition() - log_z) < 1e-8


def test_pseudo_likelihood_is_scikit_learns_formula():
    rbm = random_rbm(6, 4, seed=4)
    v = (np.random.RandomState(1).uniform(size=(50, 6)) < 0.5).astype(float)
    flip = np.random.RandomState(rbm.random_state).randint(0, 6, 50)
    flipped = v.copy()
    flipped[np.arange(50), flip] = 1 - flipped[np.arange(50), flip]
    expected = 6 * np.log(expit(rbm.free_energy(flipped) - rbm.free_energy(v)))
    np.testing.assert_allclose(rbm.score_samples(v), expected, rtol=1e-12)


# ---------------------------------------------------------------- learning


@pytest.fixture(scope="module")
def bars_and_stripes_4x4_rbm():
    X = load("bars_and_stripes", n=4).X_train
    rbm = BernoulliRBM(
        32, method="cd", k=10, learning_rate=0.2, momentum=0.9, schedule="cosine",
        batch_size=30, n_iter=2000, random_state=0,
    )
    return rbm.fit(X), X


def test_bars_and_stripes_3x3_cd1():
    X = load("bars_and_stripes", n=3).X_train
    rbm = BernoulliRBM(
        16, method="cd", k=1, learning_rate=0.2, momentum=0.7, schedule="cosine",
        batch_size=14, n_iter=4000, random_state=0,
    ).fit(X)
    valid, seen = sample_statistics(rbm.sample(2000, n_steps=200, random_state=0), patterns(X))
    assert seen == 14
    assert valid >= 0.95
    assert rbm.log_likelihood(X).mean() >= -3.5  # optimum log(1/14) = -2.64
    assert rbm.loss_curve_[-1] < 0.2 * rbm.loss_curve_[0]


@pytest.mark.slow
def test_bars_and_stripes_4x4_cd10(bars_and_stripes_4x4_rbm):
    rbm, X = bars_and_stripes_4x4_rbm
    valid, seen = sample_statistics(rbm.sample(3000, n_steps=100, random_state=0), patterns(X))
    assert seen == 30
    assert valid >= 0.95


@pytest.mark.slow
def test_ais_log_partition_is_within_a_tenth_of_a_nat(bars_and_stripes_4x4_rbm):
    rbm, X = bars_and_stripes_4x4_rbm
    exact = rbm.log_partition()  # 2**16 visible states
    estimate = rbm.log_partition(method="ais", n_runs=500, n_betas=2000, X=X, random_state=0)
    assert abs(estimate - exact) < 0.1


def test_partial_fit_continues_like_fit():
    X = load("bars_and_stripes", n=3).X_train
    rbm = BernoulliRBM(16, method="cd", batch_size=5, n_iter=20, random_state=0).fit(X)
    online = BernoulliRBM(16, method="cd", batch_size=5, random_state=0)
    for _ in range(20):
        online.partial_fit(X)
    assert online.n_iter_ == 20
    np.testing.assert_allclose(online.components_, rbm.components_)


def test_options_train_and_same_seed_gives_same_model():
    X = load("bars_and_stripes", n=3).X_train
    params = dict(
        method="pcd", n_chains=20, k=2, momentum=0.5, weight_decay=1e-4, schedule="exponential",
        sparsity_target=0.1, sparsity_cost=0.1, n_iter=20, random_state=0,
    )
    first, second = BernoulliRBM(8, **params).fit(X), BernoulliRBM(8, **params).fit(X)
    np.testing.assert_array_equal(first.components_, second.components_)
    assert first.chains_.shape == (20, 8)
    assert np.all(np.isfinite(first.transform(X)))


def test_momentum_switches_from_initial_to_final_after_the_set_epochs():
    X = load("bars_and_stripes", n=3).X_train
    params = dict(method="cd", batch_size=5, learning_rate=0.1, random_state=0)
    ramped = BernoulliRBM(8, initial_momentum=0.5, momentum=0.9, momentum_switch=3, n_iter=3, **params)
    constant = BernoulliRBM(8, momentum=0.5, n_iter=3, **params)
    np.testing.assert_array_equal(ramped.fit(X).components_, constant.fit(X).components_)
    assert ramped.optimizer_.momentum == 0.5
    ramped.partial_fit(X)
    constant.partial_fit(X)
    assert ramped.optimizer_.momentum == 0.9 and constant.optimizer_.momentum == 0.5
    assert not np.allclose(ramped.components_, constant.components_)


def test_gibbs_step_samples_the_exact_two_stage_conditional():
    """p(v' | v) = sum_h p(h | v) p(v' | h), by enumeration on a 3x2 RBM, against the
    frequencies of 40000 Gibbs steps from the same v (total variation < 0.01)."""
    rbm = random_rbm(3, 2, seed=4)
    v = np.array([1.0, 0.0, 1.0])
    H, V = bit_vectors(2), bit_vectors(3)
    on_h = expit(rbm.intercept_hidden_ + rbm.components_ @ v)
    p_h = np.prod(np.where(H == 1, on_h, 1 - on_h), axis=1)  # (4,)
    on_v = expit(rbm.intercept_visible_ + H @ rbm.components_)[:, None]  # (4, 1, 3)
    p_v = np.prod(np.where(V[None] == 1, on_v, 1 - on_v), axis=2)  # (4, 8)
    exact = p_h @ p_v
    drawn = rbm.gibbs(np.tile(v, (40000, 1)))
    codes = drawn @ np.array([4, 2, 1])
    empirical = np.bincount(codes.astype(int), minlength=8) / len(codes)
    assert exact.sum() == pytest.approx(1.0)
    assert 0.5 * np.abs(empirical - exact).sum() < 0.01


def test_figure_hook_draws_filters_and_samples():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from zoo.models.rbm import filters_and_samples

    data = load("bars_and_stripes", n=3)
    figure = Figure()
    filters_and_samples(BernoulliRBM(8, n_iter=2, random_state=0).fit(data.X_train), data, figure, n_shown=8)
    images = [ax.get_images()[0].get_array().shape for ax in figure.axes if ax.get_images()]
    assert images == [(3, 3)] * 16  # 8 filters and 8 samples


def test_gaussian_visibles_learn_standardized_data():
    rng = np.random.RandomState(0)
    centres = 3 * rng.standard_normal((2, 5))
    X = centres[rng.randint(2, size=400)] + 0.3 * rng.standard_normal((400, 5))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    rbm = BernoulliRBM(4, visible="gaussian", method="cd", learning_rate=0.01, n_iter=30, random_state=0)
    rbm.fit(X)
    assert rbm.loss_curve_[-1] < 0.5 * rbm.loss_curve_[0]
    assert rbm.log_likelihood(X).mean() > rbm.log_likelihood(rng.standard_normal((400, 5))).mean()


@pytest.mark.slow
def test_pseudo_likelihood_on_digits_at_least_scikit_learns():
    """Same settings (scikit-learn's defaults), each model scored by the pseudo-likelihood
    summed over every flipped bit (no random flip), on held-out digits."""
    data = load("digits", random_state=0)
    X_train, X_test = data.X_train / 16, data.X_test / 16

    def full_pseudo_likelihood(W, c, b):
        def free_energy(v):
            return -(v @ b) - np.logaddexp(0, v @ W.T + c).sum(axis=1)

        base = free_energy(X_test)
        total = 0.0
        for j in range(X_test.shape[1]):
            flipped = X_test.copy()
            flipped[:, j] = 1 - flipped[:, j]
            total = total - np.logaddexp(0, base - free_energy(flipped))
        return total.mean()

    for seed in (0, 1):
        ours = BernoulliRBM(random_state=seed).fit(X_train)
        theirs = SklearnRBM(random_state=seed).fit(X_train)
        assert full_pseudo_likelihood(ours.components_, ours.intercept_hidden_, ours.intercept_visible_) >= (
            full_pseudo_likelihood(theirs.components_, theirs.intercept_hidden_, theirs.intercept_visible_)
        )


def test_pseudo_likelihood_metric():
    data = load("bars_and_stripes", n=3)
    rbm = BernoulliRBM(8, n_iter=5, random_state=0).fit(data.X_train)
    assert pseudo_likelihood(rbm, data) == pytest.approx(rbm.score_samples(data.X_test).mean())


# ---------------------------------------------------------------- bad input


def test_bad_input():
    X = np.random.RandomState(0).uniform(size=(20, 6))
    with pytest.raises(NotFittedError):
        BernoulliRBM(4).transform(X)
    with pytest.raises(ValueError, match="learning_rate"):
        BernoulliRBM(learning_rate=-1.0).fit(X)
    with pytest.raises(ValueError, match="method"):
        BernoulliRBM(method="wake-sleep").fit(X)
    with pytest.raises(ValueError, match="visible"):
        BernoulliRBM(visible="poisson").fit(X)
    with pytest.raises(ValueError, match="initial_momentum"):
        BernoulliRBM(initial_momentum=1.0).fit(X)
    with pytest.raises(ValueError, match="momentum_switch"):
        BernoulliRBM(momentum_switch=-1).fit(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BernoulliRBM(4, n_iter=1).fit(bad)
    rbm = BernoulliRBM(4, n_iter=1, random_state=0).fit(X)
    for method in (rbm.transform, rbm.score_samples, rbm.free_energy, rbm.gibbs, rbm.partial_fit):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :5])
        with pytest.raises(ValueError, match="NaN"):
            method(bad)
    with pytest.raises(ValueError, match="method"):
        rbm.log_partition(method="bridge")
    with pytest.raises(ValueError, match="ais"):
        BernoulliRBM(30, n_iter=0).fit(np.zeros((2, 40))).log_partition()
    with pytest.raises(ValueError, match="log_likelihood"):
        BernoulliRBM(4, n_iter=1, visible="gaussian").fit(X).score_samples(X)
