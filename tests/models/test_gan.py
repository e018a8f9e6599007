"""GAN: the optimal-discriminator identity, gradient checks of both players, the
separation of their updates, and what the trained generators reach: a 1-D Gaussian,
the modes of the 8-Gaussian ring (with and without PacGAN packing) and digits."""

import numpy as np
import pytest
import scipy.stats
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from zoo.base import ConvergenceWarning
from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.network import TrainingDivergedError
from zoo.datasets import load
from zoo.models.gan import (
    GAN,
    LOSSES,
    discriminator_loss,
    energy_distance,
    generator_loss,
    modes_captured,
)

SEEDS = range(5)


# ------------------------------------------------------------ exact properties


def test_value_at_the_optimal_discriminator_is_minus_log4_plus_twice_the_jsd():
    grid = np.linspace(-8, 8, 4001)
    dx = grid[1] - grid[0]
    p = scipy.stats.norm.pdf(grid, 0, 1)
    q = 0.3 * scipy.stats.norm.pdf(grid, 2, 0.5) + 0.7 * scipy.stats.laplace.pdf(grid, -1, 1.5)
    p, q = p / (p.sum() * dx), q / (q.sum() * dx)  # densities on the grid (the tails cut off)
    d_star = p / (p + q)
    value = np.sum(p * np.log(d_star) + q * np.log(1 - d_star)) * dx
    m = (p + q) / 2
    jsd = 0.5 * np.sum(p * np.log(p / m)) * dx + 0.5 * np.sum(q * np.log(q / m)) * dx
    assert abs(value - (-np.log(4) + 2 * jsd)) < 1e-10
    assert 0 < jsd < np.log(2)
    # D* is optimal: any other discriminator gives a lower value
    for other in (np.clip(d_star + 0.05, 0, 0.999), np.full_like(d_star, 0.5)):
        assert np.sum(p * np.log(other) + q * np.log(1 - other)) * dx < value


def test_the_losses_are_the_papers_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(7, 1)), rng.normal(size=(5, 1))
    D_real, D_fake = expit(real), expit(fake)
    value = discriminator_loss("minimax", real, fake)[0]
    assert value == pytest.approx(-np.mean(np.log(D_real)) - np.mean(np.log(1 - D_fake)), rel=1e-12)
    smoothed = discriminator_loss("non_saturating", real, fake, smoothing=0.1)[0]
    bce_real = -np.mean(0.9 * np.log(D_real) + 0.1 * np.log(1 - D_real))
    assert smoothed == pytest.approx(bce_real - np.mean(np.log(1 - D_fake)), rel=1e-12)
    assert generator_loss("minimax", fake)[0] == pytest.approx(np.mean(np.log(1 - D_fake)), rel=1e-12)
    assert generator_loss("non_saturating", fake)[0] == pytest.approx(-np.mean(np.log(D_fake)), rel=1e-12)
    assert discriminator_loss("wasserstein", real, fake)[0] == pytest.approx(fake.mean() - real.mean())
    hinge = np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake))
    assert discriminator_loss("hinge", real, fake)[0] == pytest.approx(hinge)


def _tiny(**params):
    """A float64 GAN after one step, smooth activations, for gradient checks."""
    settings = dict(generator_layer_sizes=(5,), discriminator_layer_sizes=(4,), latent_dim=3,
                    generator_activation="tanh", discriminator_activation="softplus",
                    batch_size=3, n_steps=1, dtype=np.float64, random_state=0)
    settings.update(params)
    X = np.random.default_rng(1).normal(size=(12, 16))
    return GAN(**settings).fit(X), X


def _check_both_players(gan, X):
    rng = np.random.RandomState(2)
    rows = gan.batch_size * gan.pack
    real = (X[:rows] - gan.shift_) / gan.scale_
    z_d, z_g = rng.standard_normal((rows, gan.latent_dim)), rng.standard_normal((rows, gan.latent_dim))
    players = [
        (gan.discriminator_, lambda: gan.discriminator_objective(real, z_d)[0]),
        (gan.generator_, lambda: gan.generator_objective(z_g)),
    ]
    errors = []
    for network, objective in players:  # one relative error over all of a player's weights
        objective()
        analytic = np.concatenate([g.ravel() for g in network.grads])
        numeric = np.concatenate([numerical_gradient(objective, p).ravel() for p in network.params])
        errors.append(relative_error(analytic, numeric))
    return max(errors)


@pytest.mark.parametrize("loss", LOSSES)
def test_gradients_of_both_losses_match_central_differences(loss):
    gan, X = _tiny(loss=loss, label_smoothing=0.1 if loss in ("minimax", "non_saturating") else 0.0)
    assert _check_both_players(gan, X) < 1e-6


def test_gradients_through_packing_and_the_conv_networks_match_central_differences():
    gan, X = _tiny(architecture="conv", conv_filters=(3, 2), kernel_size=3, pack=2,
                   batch_norm=True, input_shape=(4, 4))
    assert _check_both_players(gan, X) < 1e-6


def test_a_discriminator_step_leaves_the_generator_unchanged_and_vice_versa():
    gan, X = _tiny()
    rng = np.random.RandomState(0)
    G, D = gan.generator_, gan.discriminator_
    before_g, before_d = G.get_weights(), D.get_weights()
    gan.discriminator_step(X, rng, gan._optimizer())
    assert all(np.array_equal(a, b) for a, b in zip(G.get_weights(), before_g))
    assert any(not np.array_equal(a, b) for a, b in zip(D.get_weights(), before_d))
    before_d = D.get_weights()
    gan.generator_step(rng, gan._optimizer(), X.dtype)
    assert all(np.array_equal(a, b) for a, b in zip(D.get_weights(), before_d))
    assert any(not np.array_equal(a, b) for a, b in zip(G.get_weights(), before_g))


def test_energy_distance_is_twice_the_squared_cdf_distance_in_1d():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(0.5, 2, size=70)
    expected = scipy.stats.energy_distance(a, b) ** 2  # sqrt(2 int (F - G)^2)
    assert energy_distance(a[:, None], b[:, None]) == pytest.approx(expected, rel=1e-10)
    assert energy_distance(a[:, None], a[:, None]) == pytest.approx(0, abs=1e-12)


def test_modes_captured_counts_high_quality_samples_per_mode():
    centers = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    samples = np.r_[np.zeros((20, 2)), np.full((19, 2), [1.0, 0.1]), np.full((11, 2), [0.5, 0.5])]
    modes, quality = modes_captured(samples, centers, sigma=0.05)
    assert (modes, quality) == (1, 39 / 50)


# ------------------------------------------------------------ estimator behaviour


def test_same_seed_same_samples_and_histories():
    X = np.random.default_rng(0).normal(size=(40, 2))
    first = GAN(n_steps=30, random_state=3).fit(X)
    second = GAN(n_steps=30, random_state=3).fit(X)
    assert np.array_equal(first.sample(5, random_state=1), second.sample(5, random_state=1))
    assert first.generator_losses_.shape == first.discriminator_losses_.shape == (30,)
    assert np.array_equal(first.generator_losses_, second.generator_losses_)
    assert first.discriminator_score(X).shape == (40,)
    assert first.transform(X).shape == (40, 32)
    assert first.score(X) == -energy_distance(X, first.sample(40, random_state=0))


def test_pack_scores_consecutive_rows_together():
    X = np.random.default_rng(0).normal(size=(40, 2))
    gan = GAN(n_steps=5, pack=4, random_state=0).fit(X)
    assert gan.discriminator_score(X).shape == (10,)
    assert gan.transform(X).shape == (40, 32)
    with pytest.raises(ValueError, match="pack=4"):
        gan.discriminator_score(X[:6])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "least_squares"}, "loss"),
        ({"pack": 0}, "pack"),
        ({"label_smoothing": 1.0}, "label_smoothing"),
        ({"n_critic": 0}, "n_critic"),
        ({"latent_distribution": "cauchy"}, "latent_distribution"),
        ({"generator_layer_sizes": (4, -1)}, "generator_layer_sizes"),
        ({"architecture": "conv", "input_shape": (3, 4)}, "divide the image"),
    ],
)
def test_bad_parameters_raise_a_value_error_naming_them(params, match):
    with pytest.raises(ValueError, match=match):
        GAN(n_steps=2, **params).fit(np.zeros((8, 12)))


def test_bad_input_is_rejected_by_every_entry_point():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="NaN"):
        GAN(n_steps=2).fit(np.where(X > 1, np.nan, X))
    gan = GAN(n_steps=2, random_state=0).fit(X)
    for method in (gan.discriminator_score, gan.transform, gan.score):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :2])
    with pytest.raises(ValueError, match="n_samples"):
        gan.sample(0)
    with pytest.raises(TypeError, match="n_samples"):
        gan.sample(2.5)


def test_divergence_stops_with_an_error_and_keeps_finite_weights():
    X = np.random.default_rng(0).normal(size=(50, 2))
    gan = GAN(learning_rate=1e30, n_steps=300, random_state=0)
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError, match="non-finite"):
        gan.fit(X)
    assert all(np.isfinite(p).all() for p in gan.generator_.params + gan.discriminator_.params)
    assert gan.n_steps_ % 50 == 0 and np.isfinite(gan.sample(10)).all()


def test_a_collapsed_discriminator_stops_training_with_a_warning():
    # a tanh generator cannot reach data near 40, so D wins for good
    X = np.random.default_rng(0).normal(40, 1, size=(200, 1))
    gan = GAN(output_activation="tanh", learning_rate=1e-2, n_steps=2000, random_state=0)
    with pytest.warns(ConvergenceWarning, match="discriminator collapsed"):
        gan.fit(X)
    assert gan.n_steps_ < 2000 and len(gan.generator_losses_) == gan.n_steps_


# ------------------------------------------------------------ acceptance

DENSE = dict(batch_size=128, learning_rate=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("loss, n_critic", [("non_saturating", 1), ("minimax", 1), ("wasserstein", 5)])
def test_learns_a_1d_gaussian_on_every_seed(loss, n_critic):
    """N(4, 0.5^2): mean within 0.2 on every seed, robust std in [0.35, 0.70] on >= 3 of 5;
    the trained generator scores higher than after one step."""
    means, spreads = [], []
    for seed in SEEDS:
        X = np.random.default_rng(100 + seed).normal(4, 0.5, size=(2000, 1))
        gan = GAN(n_steps=1000, loss=loss, n_critic=n_critic, random_state=seed, **DENSE).fit(X)
        samples = gan.sample(5000, random_state=seed)[:, 0]
        q25, q75 = np.percentile(samples, [25, 75])
        means.append(samples.mean())
        spreads.append((q75 - q25) / 1.349)  # the IQR of a normal is 1.349 sigma
    assert all(abs(m - 4) < 0.2 for m in means), means
    assert sum(0.35 <= s <= 0.70 for s in spreads) >= 3, spreads
    X_test = np.random.default_rng(0).normal(4, 0.5, size=(500, 1))
    assert gan.score(X_test) > gan.set_params(n_steps=1).fit(X).score(X_test)


def _ring_modes(**params):
    results = []
    for seed in SEEDS:
        data = load("gaussian_ring", random_state=seed)
        gan = GAN(generator_layer_sizes=(64, 64), discriminator_layer_sizes=(64, 64),
                  n_steps=2000, random_state=seed, **DENSE, **params).fit(data.X_train)
        results.append(modes_captured(gan.sample(2500, random_state=seed),
                                      data.info["centers"], data.info["sigma"]))
    return np.array(results)


@pytest.mark.slow
def test_captures_the_modes_of_the_gaussian_ring_and_packing_keeps_them():
    """8 Gaussians, sigma 0.05: >= 5 modes on every seed, median >= 6 modes and
    >= 40% samples within 3 sigma of a mode; pack=2 captures no fewer modes in all."""
    plain = _ring_modes()
    modes, quality = plain[:, 0], plain[:, 1]
    assert modes.min() >= 5 and np.median(modes) >= 6 and np.median(quality) >= 0.4, plain
    packed = _ring_modes(pack=2)
    assert packed[:, 0].min() >= 5 and packed[:, 0].sum() >= modes.sum(), packed


@pytest.mark.slow
def test_conv_gan_digits_are_recognised_confidently():
    """DCGAN-style on 8x8 digits: the share of samples that a logistic regression
    trained on real digits labels with probability >= 0.9 is at least half the share
    of real test digits it labels that confidently, and every class is generated."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, random_state=0)
    classifier = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    real_share = np.mean(classifier.predict_proba(X_test).max(axis=1) >= 0.9)
    gan = GAN(architecture="conv", output_activation="logistic", latent_dim=16, batch_norm=True,
              label_smoothing=0.1, discriminator_layer_sizes=(), n_steps=3000, learning_rate=1e-3,
              random_state=0)
    probabilities = classifier.predict_proba(gan.fit(X_train).sample(500, random_state=0))
    share = np.mean(probabilities.max(axis=1) >= 0.9)
    assert share >= 0.5 * real_share, (share, real_share)
    assert len(np.unique(probabilities.argmax(axis=1))) == 10
