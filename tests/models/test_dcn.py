"""DCN: digits accuracy, robustness to one-pixel shifts against a DFF of the same size,
feature maps, image input handling, gradients of the whole network, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import zoo
from zoo.core.gradcheck import check_network
from zoo.core.losses import softmax_cross_entropy
from zoo.datasets import load
from zoo.models.dcn import DCNClassifier, DCNRegressor
from zoo.models.dff import DFFClassifier

SHIFTS = [(1, 0), (-1, 0), (0, 1), (0, -1)]


@pytest.fixture(scope="module")
def digits():
    data = load("digits", random_state=0)
    return data.X_train / 16, data.y_train, data.X_test / 16, data.y_test


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _shifted(X, dy, dx, side=8):
    """Each image moved by (dy, dx) pixels, the uncovered border filled with zeros."""
    images, out = X.reshape(-1, side, side), np.zeros((X.shape[0], side, side))
    rows = slice(max(0, -dy), side - max(0, dy)), slice(max(0, dy), side - max(0, -dy))
    cols = slice(max(0, -dx), side - max(0, dx)), slice(max(0, dx), side - max(0, -dx))
    out[:, rows[1], cols[1]] = images[:, rows[0], cols[0]]
    return out.reshape(X.shape[0], -1)


def _shift_loss(estimator, X, y):
    """Accuracy lost on the one-pixel shifts (mean over up, down, left, right)."""
    shifted = np.mean([estimator.score(_shifted(X, *shift), y) for shift in SHIFTS])
    return estimator.score(X, y) - shifted


def test_shift_helper_moves_pixels():
    image = np.arange(64.0).reshape(1, 64)
    moved = _shifted(image, 1, 0).reshape(8, 8)
    np.testing.assert_array_equal(moved[1:], image.reshape(8, 8)[:-1])
    assert not moved[0].any()


@pytest.mark.slow
def test_digits_accuracy_of_the_lenet_style_net(digits):
    """conv(8, 3x3)-ReLU-pool-conv(16, 3x3)-ReLU-dense on 8x8 digits: test accuracy >= 0.97."""
    X, y, X_test, y_test = digits
    model = _fit(DCNClassifier(conv_layers=((8, 3), "pool", (16, 3)), hidden_layer_sizes=(64,),
                               max_iter=30, random_state=0), X, y)
    assert model.score(X_test, y_test) >= 0.97
    assert [type(layer).__name__ for layer in model.network_.layers] == [
        "Reshape", "Conv2D", "Activation", "MaxPool2D", "Conv2D", "Activation", "Flatten",
        "Dense", "Activation", "Dense",
    ]


@pytest.mark.slow
def test_a_shift_costs_the_cnn_at_most_half_what_it_costs_a_dff_of_its_size(digits):
    """Shared weights and pooling (Fukushima 1980): on test digits moved by one pixel the
    CNN loses at most half the accuracy that a DFF with as many parameters loses.
    Measured: CNN loses 0.40-0.44 of the DFF's loss on seeds 0-3 (0.44 on seed 0)."""
    X, y, X_test, y_test = digits
    cnn = _fit(DCNClassifier(conv_layers=((32, 3), "pool", (64, 3), "pool", "pool"), alpha=1e-2,
                             max_iter=40, random_state=0), X, y)
    units = round((cnn.n_params_ - 10) / (X.shape[1] + 1 + 10))
    dff = _fit(DFFClassifier(hidden_layer_sizes=(units,), max_iter=40, random_state=0), X, y)
    assert abs(dff.n_params_ - cnn.n_params_) < 0.01 * cnn.n_params_
    assert cnn.score(X_test, y_test) >= 0.97 and dff.score(X_test, y_test) >= 0.97
    cnn_loss, dff_loss = _shift_loss(cnn, X_test, y_test), _shift_loss(dff, X_test, y_test)
    assert dff_loss > 0.3  # the shift is a real perturbation
    assert cnn_loss <= 0.5 * dff_loss, (cnn_loss, dff_loss)


def test_feature_maps_transform_and_layer_names(digits):
    X, y, X_test, _ = digits
    model = _fit(DCNClassifier(max_iter=2, random_state=0), X[:200], y[:200])
    assert model.layer_names_ == ["conv1", "pool1", "conv2", "flatten", "dense1"]
    assert model.image_shape_ == (8, 8, 1)
    maps = model.feature_maps(X_test[:3], "conv1")
    assert maps.shape == (3, 8, 8, 8) and (maps >= 0).all()  # after ReLU
    assert model.feature_maps(X_test[:3], "pool1").shape == (3, 4, 4, 8)
    assert model.transform(X_test[:3]).shape == (3, 64)
    np.testing.assert_array_equal(model.transform(X_test[:3], "conv2"),
                                  model.feature_maps(X_test[:3], "conv2").reshape(3, -1))
    with pytest.raises(ValueError, match="layer must be one of"):
        model.feature_maps(X_test[:3], "conv9")


def test_probabilities_partial_fit_and_warm_start(digits):
    X, y, X_test, _ = digits
    model = _fit(DCNClassifier(max_iter=3, random_state=0), X[:300], y[:300])
    proba = model.predict_proba(X_test[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X_test[:5]))
    online = DCNClassifier(random_state=0)
    for _ in range(3):
        online.partial_fit(X[:300], y[:300], classes=np.arange(10))
    assert online.n_iter_ == 3 and len(online.loss_curve_) == 3
    assert online.loss_curve_[-1] < online.loss_curve_[0]
    warm = _fit(DCNClassifier(max_iter=2, warm_start=True, random_state=0), X[:300], y[:300])
    first = warm.network_
    _fit(warm, X[:300], y[:300])
    assert warm.network_ is first and len(warm.loss_curve_) == 4


def test_four_d_images_equal_flat_rows_with_input_shape(digits):
    X, y, X_test, _ = digits
    flat = _fit(DCNClassifier(max_iter=2, input_shape=(8, 8), random_state=0), X[:200], y[:200])
    images = _fit(DCNClassifier(max_iter=2, random_state=0), X[:200].reshape(-1, 8, 8, 1), y[:200])
    np.testing.assert_array_equal(flat.predict_proba(X_test[:20]),
                                  images.predict_proba(X_test[:20].reshape(-1, 8, 8, 1)))
    with pytest.raises(ValueError, match="fitted on images of shape"):
        images.predict(X_test[:5].reshape(-1, 4, 16, 1))


def test_multichannel_regression():
    """Two-channel 6x6 images; the target is 10 x (mean of channel 0 - mean of channel 1)."""
    rng = np.random.default_rng(0)
    X = rng.random((400, 6, 6, 2))
    y = 10 * (X[..., 0].mean(axis=(1, 2)) - X[..., 1].mean(axis=(1, 2)))
    model = _fit(DCNRegressor(conv_layers=((4, 3),), hidden_layer_sizes=(16,), max_iter=60,
                              learning_rate=3e-3, random_state=0), X[:300], y[:300])
    assert model.image_shape_ == (6, 6, 2)
    assert model.score(X[300:], y[300:]) > 0.9


@pytest.mark.parametrize("batch_norm", [False, True])
def test_network_gradient_in_float64(batch_norm):
    rng = np.random.default_rng(1)
    model = DCNClassifier(conv_layers=((3, 3), "pool", (4, (2, 3), 1, "valid")), hidden_layer_sizes=(5,),
                          activation="tanh", batch_norm=batch_norm, pooling="avg", dtype=np.float64,
                          random_state=0)
    model.image_shape_ = (6, 6, 2)
    network = model._build_network(72, 3)
    errors = check_network(network, softmax_cross_entropy, rng.standard_normal((5, 72)),
                           np.array([0, 1, 2, 1, 0]))
    assert max(errors) < 1e-6, errors


def test_default_dtype_is_float32(digits):
    X, y, _, _ = digits
    model = _fit(DCNClassifier(max_iter=1, random_state=0), X[:100], y[:100])
    assert all(p.dtype == np.float32 for p in model.network_.params)


@pytest.mark.parametrize("params,X_shape,message", [
    ({"input_shape": (8, 9)}, (20, 64), "input_shape"),
    ({"input_shape": (8, 8, 0)}, (20, 64), "input_shape"),
    ({"conv_layers": ((8, (9, 3), 1, "valid"),)}, (20, 64), "kernel"),
    ({"conv_layers": ((0, 3),)}, (20, 64), "filters"),
    ({"conv_layers": ((4, 3, 0),)}, (20, 64), "stride"),
    ({"conv_layers": ("pool",)}, (20, 64), "at least one convolution"),
    ({"conv_layers": ((4,),)}, (20, 64), "conv_layers"),
    ({"padding": "full"}, (20, 64), "padding"),
    ({"pooling": "median"}, (20, 64), "pooling"),
    ({"pool_size": 0}, (20, 64), "pool_size"),
])
def test_bad_settings_are_named(params, X_shape, message):
    rng = np.random.default_rng(0)
    X, y = rng.random(X_shape), np.arange(X_shape[0]) % 2
    with pytest.raises(ValueError, match=message):
        DCNClassifier(max_iter=1, **params).fit(X, y)


def test_wrong_image_size_at_predict_is_named(digits):
    X, y, _, _ = digits
    model = _fit(DCNClassifier(max_iter=1, random_state=0), X[:50], y[:50])
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 63)))


def test_registered_with_both_tasks():
    info = zoo.info("dcn")
    assert info.cell == "DCN" and set(info.tasks) == {"classifier", "regressor"}
    assert isinstance(zoo.get("cnn"), DCNClassifier)
