import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import zoo
from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.losses import binary_cross_entropy, mse
from zoo.datasets import load
from zoo.models.ae import PenalizedLoss
from zoo.models.vae import SampledTargetLoss, VariationalAutoencoder, VAENetwork, gaussian_kl

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def binary_digits_vae():
    data = load("digits", random_state=0)
    X, X_test = (data.X_train > 8).astype(float), (data.X_test > 8).astype(float)
    vae = VariationalAutoencoder(encoder_layer_sizes=(128,), latent_dim=8, likelihood="bernoulli",
                                 learning_rate=2e-3,
                                 batch_size=64, max_iter=100, random_state=0).fit(X)
    return vae, X, X_test, data.y_train


def test_closed_form_kl_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(3, 4)), rng.normal(scale=0.7, size=(3, 4))
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * rng.standard_normal((400_000, 3, 4))
    log_q = np.sum(-0.5 * ((z - mu) / sigma) ** 2 - 0.5 * logvar, axis=-1)
    log_p = np.sum(-0.5 * z**2, axis=-1)
    monte_carlo = np.mean(log_q - log_p, axis=0)
    np.testing.assert_allclose(gaussian_kl(mu, logvar), monte_carlo, rtol=0.01)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_gradient_check_with_fixed_noise(likelihood):
    rng = np.random.default_rng(0)
    X = rng.random((5, 6))
    network = VAENetwork((4,), "tanh", latent_dim=3, n_samples=2, beta=0.7)
    network.build(6, np.random.RandomState(0), np.float64)
    network.noise = rng.standard_normal((2, 5, 3))
    data_loss = binary_cross_entropy if likelihood == "bernoulli" else mse
    loss = PenalizedLoss(network, SampledTargetLoss(data_loss))
    _, d_output = loss(network.forward(X, training=True), X)
    network.backward(d_output)
    analytic = [g.copy() for g in network.grads]

    def value():
        return loss(network.forward(X, training=True), X)[0]

    params = network.params
    errors = [relative_error(a, numerical_gradient(value, p)) for a, p in zip(analytic, params)]
    assert max(errors) < 1e-6
    assert network.penalty() > 0


def test_kl_annealing_rises_linearly_to_beta():
    network = VAENetwork((), "relu", latent_dim=2, beta=2.0, warmup_steps=4)
    network.build(3, np.random.RandomState(0), np.float64)
    weights = []
    for _ in range(6):
        weights.append(network.kl_weight)
        network.forward(np.ones((2, 3)), training=True)
    assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


@pytest.mark.slow
def test_binary_digits_elbo_gap_and_active_units(binary_digits_vae):
    vae, X, X_test, _ = binary_digits_vae
    p = X.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent_nll = -np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p))
    train_nelbo, test_nelbo = -vae.score(X), -vae.score(X_test)
    assert test_nelbo <= 0.85 * independent_nll
    assert (test_nelbo - train_nelbo) / train_nelbo < 0.10
    assert np.sum(vae.transform(X).var(axis=0) > 0.01) >= 3


def test_iwae_bound_is_never_below_the_elbo(binary_digits_vae):
    vae, _, X_test, _ = binary_digits_vae
    iwae = vae.score_samples(X_test, k=50)
    log_px, log_ratio, _, _ = vae._sampled_terms(X_test, 50)
    assert np.all(iwae >= np.mean(log_px + log_ratio, axis=0))  # Jensen, the same samples
    assert np.all(iwae >= vae.elbo(X_test, n_samples=50))  # closed-form KL
    assert np.mean(iwae) > vae.score(X_test)


def test_prior_samples_cover_the_digit_classes(binary_digits_vae):
    vae, X, _, y = binary_digits_vae
    classifier = LogisticRegression(max_iter=2000).fit(X, y)
    samples = vae.sample(500, random_state=0)
    assert samples.shape == (500, 64) and samples.min() >= 0 and samples.max() <= 1
    shares = np.bincount(classifier.predict(samples > 0.5), minlength=10) / 500
    assert np.sum(shares > 0) >= 8 and shares.max() <= 0.30


def test_transform_decode_and_determinism(binary_digits_vae):
    vae, X, _, _ = binary_digits_vae
    Z = vae.transform(X[:10])
    assert Z.shape == (10, 8) and Z.dtype == np.float64
    np.testing.assert_allclose(vae.inverse_transform(Z), vae.reconstruct(X[:10]))
    np.testing.assert_array_equal(vae.score_samples(X[:10]), vae.score_samples(X[:20])[:10])


def test_several_samples_per_point_and_gaussian_likelihood():
    X = np.random.default_rng(0).standard_normal((60, 5))
    vae = VariationalAutoencoder(likelihood="gaussian", n_samples=3, kl_annealing=2, max_iter=5,
                                 random_state=0).fit(X)
    assert vae.network_.steps == 5 * 2 and vae.network_.kl_weight == 1.0
    assert np.isfinite(vae.score(X)) and vae.transform(X).shape == (60, 2)
    coded = VariationalAutoencoder(likelihood="gaussian", code="sample", max_iter=2,
                                   random_state=0).fit(X)
    assert not np.allclose(coded.transform(X), coded.network_.encode(X)[0])


def test_save_load_round_trip(tmp_path):
    if "vae" not in zoo.list():
        zoo.register({"name": "vae", "cell": "VAE", "title": "Variational Autoencoder",
                      "group": "autoencoder", "estimator": "zoo.models.vae:VariationalAutoencoder",
                      "tasks": ["transformer", "generator"],
                      "references": [{"authors": "Kingma & Welling", "year": 2013,
                                      "title": "Auto-encoding variational Bayes"}]})
    X = np.random.default_rng(0).random((30, 6))
    vae = VariationalAutoencoder(max_iter=3, random_state=0).fit(X)
    zoo.save(vae, tmp_path / "vae.npz")
    loaded = zoo.load(tmp_path / "vae.npz")
    np.testing.assert_array_equal(loaded.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(loaded.sample(3, random_state=1), vae.sample(3, random_state=1))


def test_bad_input():
    X = np.random.default_rng(0).random((20, 4))
    for params, name in [({"latent_dim": 0}, "latent_dim"), ({"beta": -1.0}, "beta"),
                         ({"likelihood": "poisson"}, "likelihood"), ({"code": "mode"}, "code"),
                         ({"n_samples": 0}, "n_samples"), ({"iwae_k": 0}, "iwae_k"),
                         ({"optimizer": "lbfgs"}, "optimizer")]:
        with pytest.raises(ValueError, match=name):
            VariationalAutoencoder(**params).fit(X)
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        VariationalAutoencoder(likelihood="bernoulli").fit(X * 2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VariationalAutoencoder().fit(bad)
    with pytest.raises(NotFittedError):
        VariationalAutoencoder().sample(3)
    vae = VariationalAutoencoder(max_iter=2).fit(X)
    for method in (vae.transform, vae.score_samples, vae.elbo, vae.reconstruct):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        vae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="n_samples"):
        vae.sample(0)
