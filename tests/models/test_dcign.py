import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.exceptions import NotFittedError

import zoo
from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.losses import binary_cross_entropy
from zoo.core.network import TrainingDivergedError
from zoo.datasets import GLYPH_FACTORS, INTRINSIC, glyph_factor_batches, load
from zoo.models.ae import PenalizedLoss
from zoo.models.dcign import DCIGN, DCIGNNetwork, edit_sweeps_figure
from zoo.models.vae import SampledTargetLoss, gaussian_kl

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FACTORS = {name: 1 for name in GLYPH_FACTORS}
TRAINING = dict(factor_groups=FACTORS, intrinsic_dim=4, conv_filters=(16, 32),
                encoder_layer_sizes=(64,), likelihood="bernoulli", batch_size=16, beta=1.0,
                clamp_weight=30.0, learning_rate=1e-3, max_iter=100, n_iter_no_change=1000,
                random_state=0)


@pytest.fixture(scope="module")
def glyph_dcign():
    data = load("glyphs", random_state=0, n_batches=300)
    model = DCIGN(**TRAINING).fit(data.X_train, factors=data.info["batch_factor"])
    return model, data


def test_every_factor_batch_varies_exactly_one_factor():
    X, shapes, factors, labels = glyph_factor_batches(40, 8, random_state=0)
    assert X.shape == (320, 256) and 0 <= X.min() and X.max() <= 1
    kinds = [*GLYPH_FACTORS, INTRINSIC]
    for batch in range(40):
        rows = slice(8 * batch, 8 * batch + 8)
        label = labels[rows][0]
        assert np.all(labels[rows] == label)
        varying = [name for j, name in enumerate(GLYPH_FACTORS) if np.ptp(factors[rows, j]) > 0]
        if len(np.unique(shapes[rows])) > 1:
            varying.append(INTRINSIC)
        assert varying == [label]
        assert len(np.unique(X[rows].round(6), axis=0)) > 1
    batch_labels = labels[::8]
    for start in range(0, 40, 5):  # interleaved: each round holds every kind once
        assert sorted(batch_labels[start : start + 5]) == sorted(kinds)


def _network(clamp_weight=1.0):
    network = DCIGNNetwork((6, 5, 1), (2,), 3, (3,), "tanh", latent_dim=3, n_samples=2,
                           beta=0.7, clamp_weight=clamp_weight)
    network.build(30, np.random.RandomState(0), np.float64)
    return network


def test_clamped_latents_equal_their_batch_mean_and_get_their_deviation():
    rng = np.random.default_rng(0)
    network = _network()
    network.clamped = np.array([True, False, True])
    z = rng.standard_normal((7, 3))
    codes = network._codes(z)
    z_bar = z[:, [0, 2]].mean(axis=0)
    np.testing.assert_array_equal(codes[:, [0, 2]], np.tile(z_bar, (7, 1)))
    np.testing.assert_array_equal(codes[:, 1], z[:, 1])
    dz = rng.standard_normal((7, 3))
    grad = network._code_gradient(dz)
    # the batch objective is a mean over rows: each row's gradient is its deviation
    np.testing.assert_allclose(7 * grad[:, [0, 2]], z[:, [0, 2]] - z_bar, rtol=1e-12)
    np.testing.assert_array_equal(grad[:, 1], dz[:, 1])
    # in a training pass the decoder sees the clamped codes
    seen = []
    decoder_forward = network.decoder.forward
    network.decoder.forward = lambda x, training: seen.append(x) or decoder_forward(x, training)
    network.forward(rng.random((4, 30)), training=True)
    assert np.ptp(seen[0][:, [0, 2]], axis=0).max() == 0 and np.ptp(seen[0][:, 1]) > 0


@pytest.mark.parametrize("clamped", [None, [True, False, True]])
def test_gradient_check_with_fixed_noise_and_clamping(clamped):
    rng = np.random.default_rng(1)
    X = rng.random((5, 30))
    network = _network(clamp_weight=1.5)
    network.noise = rng.standard_normal((2, 5, 3))
    loss = PenalizedLoss(network, SampledTargetLoss(binary_cross_entropy))
    if clamped is not None:
        network.clamped = np.array(clamped)
        network.forward(X, training=True)
        network.clamp_values = network._z_bar.copy()  # held fixed like the noise
    _, d_output = loss(network.forward(X, training=True), X)
    network.backward(d_output)
    analytic = [g.copy() for g in network.grads]

    def value():
        return loss(network.forward(X, training=True), X)[0]

    errors = [relative_error(a, numerical_gradient(value, p)) for a, p in zip(analytic, network.params)]
    assert max(errors) < 1e-6
    assert (network.invariance > 0) == (clamped is not None)


# measured with these settings (seed 0, one BLAS thread): |rho| of each designated unit
# with its own factor: rotation 0.92, shift_x 0.95, shift_y 0.93, brightness 0.93; at
# most 0.10 with any other factor
@pytest.mark.slow
@pytest.mark.parametrize("factor", GLYPH_FACTORS)
def test_designated_latent_follows_its_factor_only(glyph_dcign, factor):
    model, data = glyph_dcign
    codes = model.encode(data.X_test)
    unit, j = model.factor_units_[factor][0], GLYPH_FACTORS.index(factor)
    rhos = [abs(spearmanr(codes[:, unit], data.y_test[:, k])[0]) for k in range(4)]
    assert rhos[j] >= 0.9, rhos
    assert max(rhos[:j] + rhos[j + 1 :]) <= 0.3, rhos


def test_closed_form_kl_matches_monte_carlo_on_the_posterior(glyph_dcign):
    model, data = glyph_dcign
    mu, logvar, _ = model.network_.encode(data.X_test[:3])
    mu, logvar = mu.astype(float), logvar.astype(float)
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * np.random.default_rng(0).standard_normal((200_000, *mu.shape))
    log_q = np.sum(-0.5 * ((z - mu) / sigma) ** 2 - 0.5 * logvar, axis=-1)
    monte_carlo = np.mean(log_q + 0.5 * np.sum(z**2, axis=-1), axis=0)
    np.testing.assert_allclose(gaussian_kl(mu, logvar), monte_carlo, rtol=0.02)


def test_iwae_bound_is_never_below_the_elbo(glyph_dcign):
    model, data = glyph_dcign
    X = data.X_test[:100]
    iwae = model.score_samples(X, k=20)
    log_px, log_ratio, _, _ = model._sampled_terms(X, 20)
    assert np.all(iwae >= np.mean(log_px + log_ratio, axis=0))
    assert np.mean(iwae) > model.score(X)


def test_encode_render_edit_sample_and_figure(glyph_dcign):
    model, data = glyph_dcign
    X = data.X_test[:6]
    codes = model.encode(X)
    assert codes.shape == (6, 8)
    np.testing.assert_allclose(model.render(codes), model.reconstruct(X))
    np.testing.assert_allclose(model.decode(codes), model.render(codes))
    unit = model.factor_units_["brightness"][0]
    np.testing.assert_allclose(model.edit(X, "brightness", codes[:, unit]), model.render(codes))
    low, high = np.percentile(model.encode(data.X_test)[:, unit], [5, 95])
    ink = [model.edit(X, "brightness", value).sum(axis=1) for value in (low, high)]
    assert np.all(np.abs(ink[1] - ink[0]) > 0) and model.sample(4, random_state=0).shape == (4, 256)
    Figure = pytest.importorskip("matplotlib.figure").Figure
    figure = Figure()
    edit_sweeps_figure(model, data, figure)
    assert len(figure.axes) == (4 + 4) * 8  # one row per factor and per intrinsic unit


def test_plain_fit_on_images_of_any_size():
    rng = np.random.default_rng(0)
    for shape in [(16, 16, 1), (5, 7, 2), (1, 9, 1)]:
        X = rng.random((12, *shape))
        model = DCIGN(max_iter=2, batch_size=4, random_state=0).fit(X)
        assert model.image_shape_ == shape
        assert model.reconstruct(X).shape == (12, int(np.prod(shape)))
        assert model.transform(X.reshape(12, -1)).shape == (12, 2)


def test_save_load_round_trip(tmp_path):
    if "dcign" not in zoo.list():
        zoo.register({"name": "dcign", "cell": "DCIGN", "title": "Deep Convolutional Inverse Graphics Network",
                      "group": "generative", "estimator": "zoo.models.dcign:DCIGN",
                      "tasks": ["transformer", "generator"],
                      "references": [{"authors": "Kulkarni et al.", "year": 2015,
                                      "title": "Deep convolutional inverse graphics network"}]})
    X, _, _, labels = glyph_factor_batches(10, 4, random_state=0)
    model = DCIGN(factor_groups={"rotation": 1, "brightness": 2}, batch_size=4, max_iter=2,
                  random_state=0).fit(X, factors=np.where(np.isin(labels, ["shift_x", "shift_y"]),
                                                          INTRINSIC, labels))
    zoo.save(model, tmp_path / "dcign.npz")
    loaded = zoo.load(tmp_path / "dcign.npz")
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))
    np.testing.assert_array_equal(loaded.edit(X, "brightness", 1.0), model.edit(X, "brightness", 1.0))
    assert loaded.factor_units_ == {"rotation": [0], "brightness": [1, 2], INTRINSIC: [3, 4]}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow on the way to inf
def test_diverging_training_stops_and_keeps_finite_weights():
    X = np.random.default_rng(0).standard_normal((32, 16)) * 1e3
    model = DCIGN(learning_rate=1e6, max_iter=50, batch_size=8, random_state=0)
    with pytest.raises(TrainingDivergedError, match="last finite"):
        model.fit(X)
    assert all(np.isfinite(p).all() for p in model.network_.params)


def test_bad_input():
    X, _, _, labels = glyph_factor_batches(5, 4, random_state=0)
    groups = {name: 1 for name in GLYPH_FACTORS}
    for params, name in [({"factor_groups": ["rotation"]}, "factor_groups"),
                         ({"factor_groups": {"rotation": 0}}, "factor_groups"),
                         ({"factor_groups": {INTRINSIC: 1}}, "factor_groups"),
                         ({"intrinsic_dim": -1}, "intrinsic_dim"),
                         ({"intrinsic_dim": 0}, "latent_dim"),
                         ({"kernel_size": 4}, "kernel_size"), ({"conv_filters": ()}, "conv_filters"),
                         ({"clamp_weight": -1.0}, "clamp_weight"), ({"beta": -1.0}, "beta")]:
        with pytest.raises(ValueError, match=name):
            DCIGN(**params).fit(X)
    model = DCIGN(factor_groups=groups, batch_size=4, max_iter=1)
    with pytest.raises(ValueError, match="unknown factor 'shape'"):
        model.fit(X, factors=np.where(labels == INTRINSIC, "shape", labels))
    with pytest.raises(ValueError, match="different factors"):
        model.fit(X, factors=np.roll(labels, 1))
    with pytest.raises(ValueError, match="whole batches"):
        model.fit(X[:18], factors=labels[:18])
    with pytest.raises(ValueError, match="one label per row"):
        model.fit(X, factors=labels[:4])
    with pytest.raises(ValueError, match="early_stopping"):
        DCIGN(factor_groups=groups, batch_size=4, early_stopping=True).fit(X, factors=labels)
    with pytest.raises(NotFittedError):
        DCIGN().edit(X, "rotation", 0.0)
    model.fit(X, factors=labels)
    with pytest.raises(ValueError, match="unknown factor 'colour'"):
        model.edit(X, "colour", 0.0)
    with pytest.raises(ValueError, match="value must be"):
        model.edit(X, "rotation", np.zeros(3))
    with pytest.raises(ValueError, match="features"):
        model.encode(X[:, :100])
    with pytest.raises(ValueError, match="shape"):
        model.encode(X.reshape(-1, 8, 32, 1))
    with pytest.raises(ValueError, match="features"):
        model.render(np.zeros((2, 3)))
