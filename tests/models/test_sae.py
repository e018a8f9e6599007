import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import zoo
from zoo.core.gradcheck import check_layer, check_network, numerical_gradient, relative_error
from zoo.core.losses import binary_cross_entropy
from zoo.datasets import load
from zoo.models.ae import Autoencoder, PenalizedLoss
from zoo.models.sae import KLSparsity, KSparse, L1Sparsity, SparseAutoencoder

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _scaled_digits():
    data = load("digits", random_state=0)
    return data.X_train / 16, data.X_test / 16


def _kl_total(rho, rho_hat):
    return np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))


def test_kl_penalty_value_and_gradient():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.05, 0.9, size=(9, 4))
    layer = KLSparsity(target=0.1, weight=2.5)
    layer.forward(x, training=True)
    assert layer.penalty == pytest.approx(2.5 * _kl_total(0.1, x.mean(axis=0)))
    dy = np.zeros_like(x)
    layer.forward(x, training=True)
    analytic = layer.backward(dy)

    def penalty():
        layer.forward(x, training=True)
        return layer.penalty

    assert relative_error(analytic, numerical_gradient(penalty, x)) < 1e-8
    assert layer.forward(x, training=False) is x and layer.penalty == 0.0


@pytest.mark.parametrize("sparsity", ["kl", "l1", "k_sparse"])
@pytest.mark.parametrize("tied", [False, True])
def test_gradient_check_of_the_objective_including_the_sparsity_term(sparsity, tied):
    X = np.random.default_rng(0).random((8, 6))
    sae = SparseAutoencoder(n_hidden=5, sparsity=sparsity, sparsity_target=0.1,
                            sparsity_weight=3.0, k=2, tied_weights=tied,
                            output_activation="logistic", max_iter=3, dtype=np.float64,
                            random_state=0).fit(X)
    errors = check_network(sae.network_, PenalizedLoss(sae.network_, binary_cross_entropy), X, X)
    assert max(errors) < 1e-6
    if sparsity == "kl":
        assert sae.network_.penalty() > 0


def test_l1_and_k_sparse_layers():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5))
    l1 = L1Sparsity(weight=0.7)
    l1.forward(x, training=True)
    assert l1.penalty == pytest.approx(0.7 * np.abs(x).sum() / 6)
    k_sparse = KSparse(2)
    out = k_sparse.forward(x)
    assert np.all((out != 0).sum(axis=1) == 2)
    assert np.all(out.max(axis=1) == x.max(axis=1))
    assert check_layer(k_sparse, x, rng)["x"] < 1e-7


def test_zero_sparsity_weight_gives_the_plain_autoencoder_objective():
    X = np.random.default_rng(0).random((25, 6))
    options = {"optimizer": "lbfgs", "alpha": 1e-3, "max_iter": 15, "random_state": 0,
               "dtype": np.float64}
    sae = SparseAutoencoder(n_hidden=4, sparsity_weight=0.0, **options).fit(X)
    ae = Autoencoder(encoder_layer_sizes=(), code_size=4, activation="logistic",
                     code_activation="logistic", **options).fit(X)
    np.testing.assert_allclose(sae.reconstruct(X), ae.reconstruct(X), rtol=1e-10)


@pytest.mark.slow
def test_kl_penalty_makes_digit_codes_sparse_at_a_small_cost():
    X, X_test = _scaled_digits()
    options = {"n_hidden": 64, "sparsity_target": 0.05, "output_activation": "logistic",
               "alpha": 0.0, "max_iter": 800, "random_state": 0}
    sparse = SparseAutoencoder(sparsity_weight=3.0, **options).fit(X)
    dense = SparseAutoencoder(sparsity_weight=0.0, **options).fit(X)
    activations = sparse.transform(X)
    assert 0.025 <= activations.mean() <= 0.075
    assert np.median(activations.mean(axis=0)) < 2 * 0.05
    assert dense.transform(X).mean() > 4 * 0.05
    assert -sparse.score(X_test) <= 2 * -dense.score(X_test)


def test_first_order_optimizer_and_filters():
    X, _ = _scaled_digits()
    sae = SparseAutoencoder(n_hidden=16, optimizer="adam", learning_rate=1e-2, max_iter=30,
                            random_state=0).fit(X[:400])
    assert len(sae.loss_curve_) == sae.n_iter_ == 30
    assert sae.loss_curve_[-1] < sae.loss_curve_[0]
    assert sae.components_.shape == (16, 64)


def test_save_load_round_trip(tmp_path):
    if "sae" not in zoo.list():
        zoo.register({"name": "sae", "cell": "SAE", "title": "Sparse Autoencoder",
                      "group": "autoencoder", "estimator": "zoo.models.sae:SparseAutoencoder",
                      "tasks": ["transformer"],
                      "references": [{"authors": "Ng", "year": 2011,
                                      "title": "Sparse autoencoder"}]})
    X = np.random.default_rng(0).random((30, 6))
    sae = SparseAutoencoder(n_hidden=4, max_iter=5, random_state=0).fit(X)
    zoo.save(sae, tmp_path / "sae.npz")
    np.testing.assert_array_equal(zoo.load(tmp_path / "sae.npz").transform(X), sae.transform(X))


def test_bad_input():
    X = np.random.default_rng(0).random((20, 4))
    for params, name in [({"sparsity_target": 1.0}, "sparsity_target"),
                         ({"sparsity_weight": -1.0}, "sparsity_weight"),
                         ({"sparsity": "entropy"}, "sparsity"),
                         ({"n_hidden": 0}, "n_hidden"),
                         ({"k": 0}, "k"),
                         ({"activation": "relu"}, "activation"),
                         ({"optimizer": "bfgs"}, "optimizer")]:
        with pytest.raises(ValueError, match=name):
            SparseAutoencoder(**params).fit(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SparseAutoencoder().fit(bad)
    with pytest.raises(NotFittedError):
        SparseAutoencoder().transform(X)
    sae = SparseAutoencoder(max_iter=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        sae.transform(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        sae.inverse_transform(np.zeros((2, 3)))
