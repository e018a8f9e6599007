import dataclasses

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import zoo
from zoo.core.gradcheck import check_layer, check_network, numerical_gradient, relative_error
from zoo.core.layers import Dense
from zoo.core.losses import binary_cross_entropy, mse
from zoo.datasets import load
from zoo.models.ae import (
    Autoencoder,
    AutoencoderNetwork,
    TiedDense,
    PenalizedLoss,
    reconstruction_mse,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits():
    return load("digits", random_state=0)


def _mse(a, b):
    return float(np.mean((a - b) ** 2))


@pytest.mark.slow
def test_linear_autoencoder_matches_pca_error_and_subspace():
    data = _digits()
    X = StandardScaler().fit_transform(data.X_train)
    pca = PCA(10).fit(X)
    pca_mse = _mse(pca.inverse_transform(pca.transform(X)), X)
    ae = Autoencoder(encoder_layer_sizes=(), code_size=10, activation="identity",
                     optimizer="lbfgs", alpha=0.0, max_iter=500, dtype=np.float64,
                     random_state=0).fit(X)
    assert _mse(ae.reconstruct(X), X) <= 1.02 * pca_mse
    decoder_rows = ae.network_.layers[-1].params["W"]  # (code, features)
    angles = np.degrees(subspace_angles(decoder_rows.T, pca.components_.T))
    assert angles.max() < 5


def test_tied_linear_autoencoder_matches_pca_subspace():
    X = StandardScaler().fit_transform(_digits().X_train)
    pca = PCA(10).fit(X)
    ae = Autoencoder(encoder_layer_sizes=(), code_size=10, activation="identity",
                     tied_weights=True, optimizer="lbfgs", alpha=0.0, max_iter=500,
                     dtype=np.float64, random_state=0).fit(X)
    assert isinstance(ae.network_.layers[-1], TiedDense)
    encoder_weights = ae.network_.layers[0].params["W"]
    assert np.degrees(subspace_angles(encoder_weights, pca.components_.T)).max() < 5
    assert _mse(ae.reconstruct(X), X) <= 1.02 * _mse(pca.inverse_transform(pca.transform(X)), X)


def test_8_3_8_encoder_reconstructs_every_one_hot_pattern():
    X = np.eye(8)
    ae = Autoencoder(encoder_layer_sizes=(), code_size=3, code_activation="logistic",
                     output_activation="logistic", optimizer="lbfgs", alpha=8e-4,
                     max_iter=2000, dtype=np.float64, random_state=0).fit(X)
    assert np.array_equal(ae.reconstruct(X).argmax(axis=1), np.arange(8))
    assert ae.transform(X).shape == (8, 3)


@pytest.mark.slow
def test_nonlinear_autoencoder_beats_pca_and_the_mean_image():
    data = _digits()
    X, X_test = data.X_train / 16, data.X_test / 16
    pca = PCA(10).fit(X)
    pca_mse = _mse(pca.inverse_transform(pca.transform(X_test)), X_test)
    mean_mse = _mse(X.mean(axis=0), X_test)
    ae = Autoencoder(encoder_layer_sizes=(128,), code_size=10, output_activation="logistic",
                     learning_rate=2e-3, batch_size=64, max_iter=60, random_state=0).fit(X)
    ae_mse = -ae.score(X_test)
    assert ae_mse <= 1.6 * pca_mse
    assert ae_mse <= 0.4 * mean_mse
    assert reconstruction_mse(ae, dataclasses.replace(data, X_test=X_test)) == pytest.approx(ae_mse)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("output", ["identity", "logistic"])
def test_gradient_of_the_whole_autoencoder(tied, output):
    rng = np.random.default_rng(0)
    X = rng.random((7, 5))
    ae = Autoencoder(encoder_layer_sizes=(4,), code_size=3, activation="tanh",
                     code_activation="logistic", output_activation=output, tied_weights=tied,
                     max_iter=2, dtype=np.float64, random_state=0).fit(X)
    loss = mse if output == "identity" else binary_cross_entropy
    assert sum(isinstance(layer, TiedDense) for layer in ae.network_.layers) == (2 if tied else 0)
    assert max(check_network(ae.network_, PenalizedLoss(ae.network_, loss), X, X)) < 1e-6


def test_tied_dense_gradients():
    rng = np.random.default_rng(1)
    source = Dense(3)
    source.build((5,), rng, np.float64)
    tied = TiedDense(source)
    assert tied.build((3,), rng, np.float64) == (5,)
    x = rng.standard_normal((4, 3))
    errors = check_layer(tied, x, rng)
    assert max(errors.values()) < 1e-7
    projection = rng.standard_normal((4, 5))
    tied.forward(x)
    tied.backward(projection)
    numeric = numerical_gradient(lambda: float(np.sum(tied.forward(x) * projection)),
                                 source.params["W"])
    assert relative_error(tied.weight_grad, numeric) < 1e-7


def test_tied_gradient_is_added_to_the_source_after_its_own():
    rng = np.random.default_rng(2)
    encoder = Dense(2)
    network = AutoencoderNetwork([encoder, TiedDense(encoder)], n_encoder_layers=1)
    network.build((4,), rng, np.float64)
    X = rng.standard_normal((6, 4))
    errors = check_network(network, PenalizedLoss(network, mse), X, X)
    assert max(errors) < 1e-7


def test_shapes_dtypes_and_first_order_optimizers():
    X = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    for optimizer in ("adam", "sgd", "lbfgs"):
        ae = Autoencoder(encoder_layer_sizes=(5,), code_size=2, optimizer=optimizer,
                         max_iter=5, random_state=0).fit(X)
        assert ae.network_.params[0].dtype == np.float32
        Z = ae.transform(X)
        assert Z.shape == (40, 2) and Z.dtype == np.float64
        assert ae.inverse_transform(Z).shape == (40, 6)
        assert len(ae.loss_curve_) == ae.n_iter_ or optimizer == "lbfgs"


def test_same_seed_same_fit_and_warm_start_continues():
    X = np.random.default_rng(0).random((30, 4))
    first = Autoencoder(max_iter=5, random_state=3).fit(X).transform(X)
    second = Autoencoder(max_iter=5, random_state=3).fit(X).transform(X)
    np.testing.assert_array_equal(first, second)
    ae = Autoencoder(max_iter=5, warm_start=True, random_state=3).fit(X)
    before = ae.loss_curve_[-1]
    ae.fit(X)
    assert len(ae.loss_curve_) == 10 and ae.loss_curve_[-1] < before


def test_features_in_a_pipeline():
    data = _digits()
    model = make_pipeline(
        StandardScaler(),
        Autoencoder(encoder_layer_sizes=(64,), code_size=16, max_iter=15, random_state=0),
        LogisticRegression(max_iter=1000),
    ).fit(data.X_train, data.y_train)
    assert model.score(data.X_test, data.y_test) >= 0.85


def test_save_load_round_trip(tmp_path):
    if "ae" not in zoo.list():
        zoo.register({"name": "ae", "cell": "AE", "title": "Autoencoder", "group": "autoencoder",
                      "estimator": "zoo.models.ae:Autoencoder", "tasks": ["transformer"],
                      "references": [{"authors": "Rumelhart, Hinton & Williams", "year": 1986,
                                      "title": "Learning internal representations"}]})
    X = np.random.default_rng(0).random((30, 6))
    ae = Autoencoder(code_size=2, tied_weights=True, max_iter=5, random_state=0).fit(X)
    zoo.save(ae, tmp_path / "ae.npz")
    loaded = zoo.load(tmp_path / "ae.npz")
    np.testing.assert_array_equal(loaded.reconstruct(X), ae.reconstruct(X))
    assert loaded.network_.layers[-1].source is loaded.network_.layers[0]


def test_bad_input():
    X = np.random.default_rng(0).random((20, 4))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Autoencoder(max_iter=2).fit(bad)
    with pytest.raises(NotFittedError):
        Autoencoder().transform(X)
    ae = Autoencoder(code_size=2, max_iter=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        ae.transform(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        ae.inverse_transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        ae.score(bad)
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        Autoencoder(output_activation="logistic").fit(X * 3)
    for params, name in [({"learning_rate": -1.0}, "learning_rate"),
                         ({"activation": "swish"}, "activation"),
                         ({"optimizer": "newton"}, "optimizer"),
                         ({"code_size": 0}, "code_size"),
                         ({"encoder_layer_sizes": (4, 0)}, "encoder_layer_sizes"),
                         ({"output_activation": "softmax"}, "output_activation")]:
        with pytest.raises(ValueError, match=name):
            Autoencoder(**params).fit(X)
