import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import zoo
from zoo.core.gradcheck import check_network, numerical_gradient, relative_error
from zoo.core.losses import mse
from zoo.datasets import load
from zoo.models.ae import Autoencoder, PenalizedLoss
from zoo.models.dae import Corruption, DenoisingAutoencoder, StackedDAEClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _scaled_digits():
    data = load("digits", random_state=0)
    return data.X_train / 16, data.y_train, data.X_test / 16, data.y_test


def _corrupt(noise, level, X, seed=0):
    layer = Corruption(noise, level, low=0.0, high=1.0)
    layer.build(X.shape[1:], np.random.RandomState(seed), X.dtype)
    return layer.forward(X, training=True)


def test_masked_fraction_and_gaussian_std_match_the_level():
    X = np.random.default_rng(0).random((500, 64)) + 0.1  # no zeros before masking
    for level in (0.1, 0.25, 0.5):
        assert abs(np.mean(_corrupt("masking", level, X) == 0) - level) <= 0.02
        hit = _corrupt("salt_pepper", level, X) != X
        assert abs(hit.mean() - level) <= 0.02
    noise = _corrupt("gaussian", 0.3, X) - X
    assert abs(noise.std() - 0.3) <= 0.01 and abs(noise.mean()) <= 0.01


def test_same_seed_same_noise_and_identity_at_inference():
    X = np.random.default_rng(0).random((20, 8))
    np.testing.assert_array_equal(_corrupt("masking", 0.3, X, 4), _corrupt("masking", 0.3, X, 4))
    assert not np.array_equal(_corrupt("masking", 0.3, X, 4), _corrupt("masking", 0.3, X, 5))
    layer = Corruption("salt_pepper", 0.3)
    layer.build((8,), np.random.RandomState(0), X.dtype)
    assert layer.forward(X, training=False) is X


def test_noise_is_redrawn_for_every_batch():
    layer = Corruption("masking", 0.5)
    layer.build((50,), np.random.RandomState(0), np.float64)
    X = np.ones((4, 50))
    assert not np.array_equal(layer.forward(X, training=True), layer.forward(X, training=True))


def test_corruption_gradient_with_the_noise_held_fixed():
    rng = np.random.default_rng(0)
    X = rng.random((5, 6))
    for noise in ("masking", "salt_pepper", "gaussian"):
        layer = Corruption(noise, 0.4)
        layer.build((6,), np.random.RandomState(0), np.float64)
        corrupted = layer.forward(X, training=True)
        changed = corrupted != X if noise != "gaussian" else np.zeros_like(X, dtype=bool)
        offset = np.where(changed, corrupted, corrupted - X)  # the part that does not depend on X
        projection = rng.standard_normal(X.shape)
        analytic = layer.backward(projection)

        def value():
            return float(np.sum((np.where(changed, 0.0, X) + offset) * projection))

        assert relative_error(analytic, numerical_gradient(value, X)) < 1e-7


def test_zero_noise_equals_the_plain_autoencoder_exactly():
    X = np.random.default_rng(0).random((30, 6))
    options = {"code_size": 3, "max_iter": 5, "random_state": 0}
    dae = DenoisingAutoencoder(noise_level=0.0, **options).fit(X)
    ae = Autoencoder(**options).fit(X)
    np.testing.assert_array_equal(dae.reconstruct(X), ae.reconstruct(X))


def test_gradient_check_of_the_dae_against_the_clean_target():
    X = np.random.default_rng(0).random((6, 5))
    dae = DenoisingAutoencoder(encoder_layer_sizes=(4,), code_size=2, activation="tanh",
                               max_iter=2, dtype=np.float64, random_state=0).fit(X)
    # with the corruption switched off, the forward passes of the check are deterministic
    dae.network_.layers[0].level = 0.0
    assert max(check_network(dae.network_, PenalizedLoss(dae.network_, mse), X, X)) < 1e-6


@pytest.mark.slow
def test_denoises_masked_digits_better_than_a_plain_autoencoder():
    X, _, X_test, _ = _scaled_digits()
    options = {"encoder_layer_sizes": (64,), "code_size": 32, "max_iter": 60,
               "learning_rate": 2e-3, "random_state": 0}
    dae = DenoisingAutoencoder(noise="masking", noise_level=0.25, **options).fit(X)
    ae = Autoencoder(**options).fit(X)
    corrupted = dae.corrupt(X_test, random_state=1)
    assert abs(np.mean(corrupted[X_test != 0] == 0) - 0.25) <= 0.02
    corrupted_mse = np.mean((corrupted - X_test) ** 2)
    dae_mse = np.mean((dae.reconstruct(corrupted) - X_test) ** 2)
    ae_mse = np.mean((ae.reconstruct(corrupted) - X_test) ** 2)
    assert dae_mse <= 0.5 * corrupted_mse
    assert dae_mse <= ae_mse


@pytest.mark.slow
def test_stacked_dae_with_fine_tuning_classifies_digits():
    X, y, X_test, y_test = _scaled_digits()
    model = StackedDAEClassifier(hidden_layer_sizes=(128, 64), pretrain_iter=20, max_iter=50,
                                 random_state=0).fit(X, y)
    assert model.score(X_test, y_test) >= 0.95
    assert model.predict_proba(X_test[:3]).shape == (3, 10)


def test_stacked_dae_without_fine_tuning_keeps_the_pretrained_layers():
    X, y, _, _ = _scaled_digits()
    X, y = X[:300], y[:300]
    frozen = StackedDAEClassifier(hidden_layer_sizes=(16,), pretrain_iter=3, fine_tune=False,
                                  max_iter=3, random_state=0)
    tuned = StackedDAEClassifier(hidden_layer_sizes=(16,), pretrain_iter=3, max_iter=3,
                                 random_state=0)
    frozen.fit(X, y)
    tuned.fit(X, y)
    pretrained = frozen.network_.layers[0].params["W"]
    assert not np.array_equal(pretrained, tuned.network_.layers[0].params["W"])
    refit = StackedDAEClassifier(hidden_layer_sizes=(16,), pretrain_iter=3, fine_tune=False,
                                 max_iter=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(refit.network_.layers[0].params["W"], pretrained)


def test_save_load_round_trip(tmp_path):
    if "dae" not in zoo.list():
        zoo.register({"name": "dae", "cell": "DAE", "title": "Denoising Autoencoder",
                      "group": "autoencoder", "estimator": "zoo.models.dae:DenoisingAutoencoder",
                      "variants": {"classifier": "zoo.models.dae:StackedDAEClassifier"},
                      "tasks": ["transformer", "classifier"],
                      "references": [{"authors": "Vincent et al.", "year": 2008,
                                      "title": "Extracting and composing robust features"}]})
    X = np.random.default_rng(0).random((40, 6))
    y = np.arange(40) % 2
    dae = DenoisingAutoencoder(code_size=2, max_iter=3, random_state=0).fit(X)
    stacked = StackedDAEClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    for model in (dae, stacked):
        zoo.save(model, tmp_path / "model.npz")
        loaded = zoo.load(tmp_path / "model.npz")
        method = "transform" if hasattr(model, "transform") else "predict_proba"
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))


def test_bad_input():
    X = np.random.default_rng(0).random((20, 4))
    bad = X.copy()
    bad[1, 2] = np.inf
    for params, name in [({"noise": "blur"}, "noise"), ({"noise_level": -0.1}, "noise_level"),
                         ({"noise_level": 1.0}, "noise_level")]:
        with pytest.raises(ValueError, match=name):
            DenoisingAutoencoder(**params).fit(X)
    DenoisingAutoencoder(noise="gaussian", noise_level=1.5, max_iter=1).fit(X)
    with pytest.raises(ValueError, match="infinity"):
        DenoisingAutoencoder(max_iter=1).fit(bad)
    with pytest.raises(NotFittedError):
        DenoisingAutoencoder().corrupt(X)
    dae = DenoisingAutoencoder(max_iter=1).fit(X)
    with pytest.raises(ValueError, match="features"):
        dae.corrupt(X[:, :2])
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="one class"):
        StackedDAEClassifier(max_iter=1).fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        StackedDAEClassifier(hidden_layer_sizes=()).fit(X, y)
    with pytest.raises(ValueError, match="infinity"):
        StackedDAEClassifier(max_iter=1).fit(bad, y)
    with pytest.raises(NotFittedError):
        StackedDAEClassifier().predict(X)
    model = StackedDAEClassifier(hidden_layer_sizes=(3,), pretrain_iter=1, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
