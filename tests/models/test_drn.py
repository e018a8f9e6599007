"""Deep residual networks: the exact identity of zero-initialised pre-activation
stacks, parameter-free identity shortcuts, gradient checks through three blocks, the
gradient that the shortcuts carry to the first layer, and the degradation of plain
nets that residual nets avoid (He et al. 2015, 2016)."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

import zoo
from zoo.core.conv import Conv2D, Residual
from zoo.core.gradcheck import check_network
from zoo.core.layers import BatchNorm, Dense
from zoo.core.losses import mse, softmax_cross_entropy
from zoo.core.network import Sequential
from zoo.datasets import load
from zoo.models.drn import (
    BlockBuilder,
    DRNClassifier,
    DRNRegressor,
    degradation_figure,
    depth,
    weight_layers,
    zero_init_residual_branches,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# plain SGD, no batch norm: the same budget for every net of the degradation experiment
DEGRADATION = {"width": 64, "batch_norm": False, "optimizer": "sgd", "learning_rate": 0.05,
               "max_iter": 20, "tol": 0.0, "n_iter_no_change": 20, "random_state": 0}


def _standardized_digits():
    data = load("digits", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def _network(estimator, X, n_outputs):
    """The estimator's network for X at initialisation (nothing trained) and X as the
    rows it takes."""
    estimator._check_params()
    rows = estimator._validate(X, reset=True)
    return estimator._build_network(rows.shape[1], n_outputs), rows


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("kind, input_shape", [("dense", (6,)), ("conv", (5, 4, 6))])
def test_zero_initialised_preact_stack_is_exactly_the_identity(kind, input_shape, batch_norm):
    rng = np.random.default_rng(0)
    builder = BlockBuilder(kind, "preact", batch_norm=batch_norm, activation="tanh")
    stack = Sequential(builder.blocks(width=6, n_blocks=5))
    stack.build(input_shape, rng, np.float64)
    zero_init_residual_branches(stack.layers)
    x = 3 * rng.standard_normal((7, *input_shape))
    for training in (True, False):
        assert np.max(np.abs(stack.forward(x, training) - x)) == 0
    # with the activation after the sum (basic blocks), for x >= 0
    basic = Sequential(BlockBuilder(kind, "basic", batch_norm=batch_norm).blocks(6, 5))
    basic.build(input_shape, rng, np.float64)
    zero_init_residual_branches(basic.layers)
    assert np.max(np.abs(basic.forward(np.abs(x), True) - np.abs(x))) == 0


def test_zero_init_residual_makes_the_estimator_blocks_start_as_the_identity():
    X = np.random.default_rng(0).standard_normal((9, 16))
    estimator = DRNClassifier(kind="conv", block_type="preact", width=4, n_blocks=3,
                              zero_init_residual=True, dtype=np.float64)
    network, rows = _network(estimator, X, 3)
    reshape_and_stem, blocks = network.layers[:2], network.layers[2:5]
    assert all(isinstance(block, Residual) for block in blocks)
    x = Sequential(reshape_and_stem).forward(rows, training=True)
    assert np.max(np.abs(Sequential(blocks).forward(x, training=True) - x)) == 0


@pytest.mark.parametrize("kind", ["dense", "conv"])
@pytest.mark.parametrize("block_type", ["basic", "bottleneck", "preact"])
def test_identity_shortcuts_add_no_parameters(kind, block_type):
    X = np.random.default_rng(0).standard_normal((4, 16))
    options = {"kind": kind, "block_type": block_type, "width": 8, "n_blocks": 3}
    residual, _ = _network(DRNClassifier(**options), X, 3)
    plain, _ = _network(DRNClassifier(residual=False, **options), X, 3)
    blocks = [layer for layer in residual.layers if isinstance(layer, Residual)]
    assert len(blocks) == 3 and all(block.shortcut is None for block in blocks)
    assert residual.n_params == plain.n_params
    assert len(weight_layers(residual.layers)) == len(weight_layers(plain.layers))
    projected, _ = _network(DRNClassifier(shortcut="projection", **options), X, 3)
    shortcut_sizes = [p.size for block in projected.layers if isinstance(block, Residual)
                      for layer in block.shortcut.layers for p in layer.params.values()]
    assert len(shortcut_sizes) > 0 and projected.n_params == plain.n_params + sum(shortcut_sizes)


@pytest.mark.parametrize("block_type", ["basic", "bottleneck", "preact"])
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_gradient_through_three_blocks_with_a_projection_and_batch_norm(kind, block_type):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 5, 4, 2)) if kind == "conv" else rng.standard_normal((10, 5))
    width = 8 if block_type == "bottleneck" else 2  # bottleneck inner widths 2 and 4
    estimator = DRNRegressor(kind=kind, block_type=block_type, width=width, n_blocks=(1, 2),
                             activation="tanh", dtype=np.float64, random_state=0)
    network, rows = _network(estimator, X, 2)
    blocks = [layer for layer in network.layers if isinstance(layer, Residual)]
    assert len(blocks) == 3 and blocks[1].shortcut is not None  # stage 2 doubles the width
    assert any(isinstance(layer, BatchNorm) for block in blocks for layer in block.branch.layers)
    for param in network.params:  # away from the initial symmetric values of BN
        param += 0.1 * rng.standard_normal(param.shape)
    errors = check_network(network, mse, rows, rng.standard_normal((10, 2)))
    assert max(errors) < 1e-6


@pytest.mark.parametrize("block_type", ["basic", "preact"])
def test_shortcuts_carry_the_gradient_to_the_first_layer_of_a_30_layer_tanh_net(block_type):
    """At the N(0, 0.01^2) start the plain tanh net's first-layer gradient vanishes;
    the identity path keeps it."""
    X, y, _, _ = _standardized_digits()
    norms = {}
    for residual in (True, False):
        estimator = DRNClassifier(n_blocks=14, width=64, block_type=block_type,
                                  residual=residual, activation="tanh", init="normal",
                                  batch_norm=False, dtype=np.float64, random_state=0)
        network, _ = _network(estimator, X, 10)
        assert len(weight_layers(network.layers)) == 30
        _, d_output = softmax_cross_entropy(network.forward(X, training=True), y)
        network.backward(d_output)
        norms[residual] = np.linalg.norm(network.layers[0].grads["W"])
    assert norms[True] >= 10 * norms[False]


def test_degradation_plain_30_trains_worse_than_plain_4_while_residual_30_does_not():
    X_train, y_train, X_test, y_test = _standardized_digits()
    plain_4 = DRNClassifier(n_blocks=1, residual=False, **DEGRADATION).fit(X_train, y_train)
    plain_30 = DRNClassifier(n_blocks=14, residual=False, **DEGRADATION).fit(X_train, y_train)
    residual_30 = DRNClassifier(n_blocks=14, zero_init_residual=True, **DEGRADATION)
    residual_30.fit(X_train, y_train)
    assert [depth(plain_4), depth(plain_30), depth(residual_30)] == [4, 30, 30]
    assert all(model.n_iter_ == 20 for model in (plain_4, plain_30, residual_30))
    assert plain_30.loss_curve_[-1] >= 10 * plain_4.loss_curve_[-1]
    assert residual_30.loss_curve_[-1] <= 0.05
    assert residual_30.score(X_test, y_test) >= 0.95


def test_depth_counts_the_weight_layers_of_the_main_path():
    X = np.random.default_rng(0).standard_normal((10, 4))
    y = np.arange(10) % 2
    cases = [({"n_blocks": 14}, 30), ({"n_blocks": (2, 3)}, 12),
             ({"n_blocks": 2, "block_type": "bottleneck"}, 8),
             ({"n_blocks": (1, 1), "shortcut": "projection"}, 6)]
    for params, expected in cases:
        assert depth(DRNClassifier(width=4, max_iter=1, **params).fit(X, y)) == expected


def test_convolutional_net_learns_digit_images_given_flat_or_4d():
    data = load("digits", random_state=0)
    X_train, X_test = data.X_train / 16, data.X_test / 16
    drn = DRNClassifier(input_shape=(8, 8), width=16, n_blocks=(1, 1), learning_rate=1e-2,
                        max_iter=6, random_state=0).fit(X_train, data.y_train)
    assert drn.kind_ == "conv" and drn.image_shape_ == (8, 8, 1) and drn.n_features_in_ == 64
    assert drn.score(X_test, data.y_test) >= 0.95
    images = X_test.reshape(-1, 8, 8, 1)
    np.testing.assert_array_equal(drn.predict_proba(images), drn.predict_proba(X_test))
    main_path = weight_layers(drn.network_.layers)
    assert all(isinstance(layer, Conv2D) for layer in main_path[:-1])
    assert isinstance(main_path[-1], Dense)
    # a 4-D X needs no input_shape; rows of two channels
    first = DRNClassifier(width=4, n_blocks=1, max_iter=2, random_state=0)
    assert first.fit(images[:50], data.y_test[:50]).kind_ == "conv"
    rows = np.concatenate([images, images], axis=3).reshape(len(images), -1)
    two = DRNRegressor(kind="conv", input_shape=(8, 8, 2), width=4, n_blocks=1, max_iter=2)
    assert two.fit(rows[:50], data.y_test[:50]).network_.layers[1].params["W"].shape == (3, 3, 2, 4)


def test_regressor_fits_a_smooth_multi_output_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 3))
    targets = np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] ** 2, X[:, 1] * X[:, 2]])
    drn = DRNRegressor(width=32, n_blocks=2, block_type="preact", learning_rate=3e-3,
                       max_iter=100, random_state=0).fit(X, targets)
    assert drn.predict(X).shape == (400, 2) and drn.score(X, targets) > 0.9


def test_warm_start_partial_fit_and_save_load_of_a_conv_net(tmp_path):
    data = load("digits", random_state=0)
    X, y = data.X_train[:200] / 16, data.y_train[:200]
    drn = DRNClassifier(input_shape=(8, 8), width=4, n_blocks=(1, 1), max_iter=3,
                        warm_start=True, random_state=0).fit(X, y)
    weights = [w.copy() for w in drn.network_.params]
    drn.fit(X, y)
    assert len(drn.loss_curve_) == 6 and not np.array_equal(weights[0], drn.network_.params[0])
    drn.partial_fit(X, y)
    assert len(drn.loss_curve_) == 7
    zoo.save(drn, tmp_path / "drn.npz")
    loaded = zoo.load(tmp_path / "drn.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), drn.predict_proba(X))
    partial = DRNClassifier(input_shape=(8, 8), width=4, n_blocks=1, random_state=0)
    for _ in range(3):
        partial.partial_fit(X, y, classes=np.arange(10))
    assert partial.loss_curve_[-1] < partial.loss_curve_[0]


def test_degradation_figure_draws_four_curves():
    matplotlib_figure = pytest.importorskip("matplotlib.figure")
    X_train, y_train, X_test, y_test = _standardized_digits()
    data = type("Data", (), {"X_train": X_train[:300], "y_train": y_train[:300]})
    drn = DRNClassifier(n_blocks=3, width=16, max_iter=2, random_state=0)
    figure = matplotlib_figure.Figure()
    degradation_figure(drn.fit(data.X_train, data.y_train), data, figure)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == ["residual-8", "plain-8", "residual-4", "plain-4"]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"width": 0}, "width"),
        ({"n_blocks": 0}, "n_blocks"),
        ({"n_blocks": ()}, "n_blocks"),
        ({"n_blocks": (2, 0)}, "n_blocks"),
        ({"block_type": "wide"}, "block_type must be one of 'basic', 'bottleneck', 'preact'"),
        ({"kind": "recurrent"}, "kind"),
        ({"shortcut": "zero-padding"}, "shortcut"),
        ({"activation": "swish"}, "activation"),
        ({"init": "glorot"}, "init"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"input_shape": (8,)}, "input_shape"),
        ({"input_shape": (8, 0)}, "input_shape"),
        ({"zero_init_residual": True, "residual": False}, "zero_init_residual"),
        ({"kind": "dense", "input_shape": (2, 2)}, "input_shape"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
@pytest.mark.parametrize("estimator", [DRNClassifier, DRNRegressor])
def test_invalid_hyperparameters_are_named(estimator, params, match):
    with pytest.raises(ValueError, match=match):
        estimator(**params).fit(np.zeros((4, 4)), [0, 1, 0, 1])


def test_bad_image_input_names_the_problem():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 64)), np.arange(20) % 2
    with pytest.raises(ValueError, match=r"input_shape \(7, 7\) holds 49 values .* 64 features"):
        DRNClassifier(input_shape=(7, 7)).fit(X, y)
    with pytest.raises(ValueError, match=r"input_shape \(8, 8, 2\) holds 128 values"):
        DRNClassifier(input_shape=(8, 8, 2)).fit(X, y)
    with pytest.raises(ValueError, match=r"input_shape \(8, 8, 1\) does not match"):
        DRNClassifier(input_shape=(8, 8)).fit(X.reshape(20, 4, 16, 1), y)
    with pytest.raises(ValueError, match=r"kernel_size 3 is larger than the input images 1x60"):
        DRNClassifier(kind="conv").fit(X[:, :60], y)  # a strip: not square
    with pytest.raises(ValueError, match=r"kernel_size \(3, 9\) is larger than the input images 8x8"):
        DRNClassifier(input_shape=(8, 8), kernel_size=(3, 9)).fit(X, y)
    with pytest.raises(ValueError, match=r"kernel_size \(9, 2\) is larger"):
        DRNClassifier(kernel_size=(9, 2)).fit(X.reshape(20, 8, 8, 1), y)
    drn = DRNClassifier(input_shape=(8, 8), width=2, n_blocks=1, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        drn.predict(X.reshape(20, 4, 16, 1))
    with pytest.raises(ValueError, match="features"):
        drn.predict(X[:, :63])
    with pytest.raises(ValueError, match="NaN"):
        drn.predict(np.where(X > 1, np.nan, X))


def test_bad_input_for_every_public_method():
    X, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    drn = DRNClassifier(max_iter=2)
    with pytest.raises(NotFittedError):
        drn.predict_proba(X)
    with pytest.raises(ValueError, match="NaN"):
        drn.fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="one class"):
        drn.fit(X, np.ones(20))
    with pytest.raises(ValueError, match="classes must be passed"):
        DRNClassifier().partial_fit(X, y)
    drn.fit(X, y)
    assert drn.kind_ == "dense"
    for method in (drn.predict, drn.predict_proba, drn.score):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :2], *([y] if method == drn.score else []))
    with pytest.raises(ValueError, match="features"):
        drn.predict(X.reshape(20, 1, 1, 3)[:, :, :, :2])
    with pytest.raises(ValueError, match="features"):
        drn.partial_fit(X[:, :2], y)
    regressor = DRNRegressor(max_iter=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="features"):
        regressor.predict(X[:, :2])
    with pytest.raises(ValueError, match="outputs"):
        regressor.partial_fit(X, X[:, :2])
