"""The image layers: correlation against scipy, output sizes, the adjoint identity of
the transposed convolution, the fast paths against a naive loop, and float64
central-difference gradient checks of every layer."""

import itertools

import numpy as np
import pytest
from scipy.signal import correlate2d

from zoo.core import conv
from zoo.core.gradcheck import check_layer, relative_error
from zoo.core.layers import Activation, BatchNorm, Dense
from zoo.core.network import Sequential

TOLERANCE = 1e-6
STRIDES = [1, 2, 3]
PADDINGS = ["valid", "same", 0, 1, 2]
DILATIONS = [1, 2]


def _built(layer, input_shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    layer.build(input_shape, rng, dtype)
    for param in layer.params.values():
        param[...] = rng.standard_normal(param.shape)
    return layer


def _naive_correlation(x, K, stride, pads, dilation):
    """y[n, i, j, o] = sum_{u, v, c} xp[n, s i + d u, s j + d v, c] K[u, v, c, o], by loops."""
    (top, bottom), (left, right) = pads
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, F = K.shape
    Ho = (xp.shape[1] - dilation * (kh - 1) - 1) // stride + 1
    Wo = (xp.shape[2] - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((x.shape[0], Ho, Wo, F))
    for i, j, u, v in itertools.product(range(Ho), range(Wo), range(kh), range(kw)):
        y[:, i, j] += xp[:, stride * i + dilation * u, stride * j + dilation * v] @ K[u, v]
    return y


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_forward_equals_scipy_correlate2d_summed_over_channels(channels):
    rng = np.random.default_rng(channels)
    layer = _built(conv.Conv2D(3, (3, 4), use_bias=False), (9, 8, channels))
    x = rng.standard_normal((2, 9, 8, channels))
    y = layer.forward(x)
    K = layer.params["W"]
    for n, o in itertools.product(range(2), range(3)):
        expected = sum(correlate2d(x[n, :, :, c], K[:, :, c, o], mode="valid") for c in range(channels))
        np.testing.assert_allclose(y[n, :, :, o], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation", list(itertools.product(STRIDES, PADDINGS, DILATIONS)))
def test_conv_shapes_follow_the_formula_and_match_the_naive_loop(stride, padding, dilation):
    rng = np.random.default_rng(stride * 10 + dilation)
    H, W, k = 11, 10, 3
    layer = _built(conv.Conv2D(4, k, stride=stride, padding=padding, dilation=dilation), (H, W, 3))
    x = rng.standard_normal((2, H, W, 3))
    y = layer.forward(x)
    if padding == "same":
        assert y.shape == (2, -(-H // stride), -(-W // stride), 4)
    else:
        p = 0 if padding == "valid" else padding
        assert y.shape[1:3] == tuple((n + 2 * p - dilation * (k - 1) - 1) // stride + 1 for n in (H, W))
    expected = _naive_correlation(x, layer.params["W"], stride, layer.pads, dilation)
    np.testing.assert_allclose(y, expected + layer.params["b"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation", list(itertools.product(STRIDES, PADDINGS, DILATIONS)))
def test_transposed_convolution_is_the_adjoint_of_the_convolution(stride, padding, dilation):
    """<conv(x), y> = <conv_transpose(y), x> with the same kernel, for every geometry."""
    rng = np.random.default_rng(stride + 7 * dilation)
    H, W, C, F = 12, 12, 3, 4  # divisible by every stride, so 'same' pads alike both ways
    forward = _built(conv.Conv2D(F, 3, stride, padding, dilation, use_bias=False), (H, W, C))
    Ho, Wo, _ = forward.forward(np.zeros((1, H, W, C))).shape[1:]
    span = dilation * 2 + 1
    out_pad = tuple((n + sum(p) - span) % stride for n, p in zip((H, W), forward.pads))
    adjoint = conv.ConvTranspose2D(C, 3, stride, padding, output_padding=out_pad,
                                   dilation=dilation, use_bias=False)
    assert adjoint.build((Ho, Wo, F), np.random.default_rng(0), np.float64) == (H, W, C)
    assert adjoint.pads == forward.pads
    adjoint.params["W"][...] = forward.params["W"]
    x = rng.standard_normal((2, H, W, C))
    y = rng.standard_normal((2, Ho, Wo, F))
    left = np.vdot(forward.forward(x), y)
    right = np.vdot(adjoint.forward(y), x)
    assert abs(left - right) <= 1e-10 * max(1.0, abs(left))


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
def test_transposed_output_size(stride, kernel):
    for padding, output_padding in [(0, 0), (1, 0), (0, stride - 1)]:
        layer = conv.ConvTranspose2D(2, kernel, stride, padding, output_padding=output_padding)
        H = 5
        shape = layer.build((H, H, 3), np.random.default_rng(0), np.float64)
        expected = (H - 1) * stride - 2 * padding + kernel + output_padding
        if expected < 1:
            continue
        assert shape == (expected, expected, 2)
    same = conv.ConvTranspose2D(2, kernel, stride, "same")
    assert same.build((5, 6, 3), np.random.default_rng(0), np.float64) == (5 * stride, 6 * stride, 2)


def _layer_cases():
    return {
        "conv": (lambda: conv.Conv2D(3, 3), (6, 5, 2)),
        "conv-same-stride2": (lambda: conv.Conv2D(3, 3, stride=2, padding="same"), (7, 6, 2)),
        "conv-dilated": (lambda: conv.Conv2D(2, (2, 3), padding=1, dilation=2), (6, 7, 2)),
        "conv-no-bias": (lambda: conv.Conv2D(2, 2, use_bias=False), (4, 4, 3)),
        "conv-transpose": (lambda: conv.ConvTranspose2D(3, 3), (4, 3, 2)),
        "conv-transpose-stride2": (lambda: conv.ConvTranspose2D(2, 4, 2, 1), (3, 4, 3)),
        "conv-transpose-same": (lambda: conv.ConvTranspose2D(2, 3, 2, "same"), (3, 3, 2)),
        "conv-transpose-output-padding": (
            lambda: conv.ConvTranspose2D(2, 3, stride=2, padding=1, output_padding=1), (3, 3, 2)),
        "avgpool": (lambda: conv.AvgPool2D(2), (4, 6, 3)),
        "avgpool-same-overlap": (lambda: conv.AvgPool2D(3, stride=2, padding="same"), (5, 6, 2)),
        "global-avgpool": (lambda: conv.GlobalAvgPool2D(), (3, 4, 2)),
        "batchnorm2d": (lambda: conv.BatchNorm2D(), (3, 4, 2)),
        "flatten": (lambda: conv.Flatten(), (3, 4, 2)),
        "reshape": (lambda: conv.Reshape((4, 6)), (3, 4, 2)),
    }


@pytest.mark.parametrize("name", list(_layer_cases()))
@pytest.mark.parametrize("training", [True, False])
def test_layer_gradient(name, training):
    make, shape = _layer_cases()[name]
    rng = np.random.default_rng(3)
    layer = _built(make(), shape)
    if isinstance(layer, conv.BatchNorm2D):
        layer.running_mean[...] = rng.standard_normal(shape[-1])
        layer.running_var[...] = rng.uniform(0.5, 2, shape[-1])
    errors = check_layer(layer, rng.standard_normal((3, *shape)), rng, training=training)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("size,stride,padding", [(2, None, "valid"), (3, 2, "same"), (2, 1, "valid")])
def test_max_pooling_gradient_away_from_ties(size, stride, padding):
    rng = np.random.default_rng(4)
    layer = _built(conv.MaxPool2D(size, stride, padding), (5, 6, 2))
    x = rng.permutation(5 * 6 * 2 * 3).reshape(3, 5, 6, 2) * 0.1  # distinct values: no ties
    errors = check_layer(layer, x, rng)
    assert errors["x"] < TOLERANCE, errors


def test_max_pooling_routes_a_tie_to_one_input_only():
    layer = _built(conv.MaxPool2D(2), (2, 2, 1))
    layer.forward(np.ones((1, 2, 2, 1)))
    dx = layer.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1 and dx.max() == 1


def test_max_and_average_pooling_values():
    x = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    max_pool, avg_pool = _built(conv.MaxPool2D(2), (4, 4, 1)), _built(conv.AvgPool2D(2), (4, 4, 1))
    np.testing.assert_array_equal(max_pool.forward(x)[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(avg_pool.forward(x)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    same = _built(conv.AvgPool2D(2, padding="same"), (3, 3, 1))
    # 'same' averages only the cells inside the image
    np.testing.assert_allclose(same.forward(np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0],
                               [[2, 3.5], [6.5, 8]])


def test_batchnorm2d_normalises_each_channel_over_batch_and_pixels():
    rng = np.random.default_rng(5)
    layer = conv.BatchNorm2D()
    layer.build((4, 5, 3), rng, np.float64)
    x = rng.standard_normal((6, 4, 5, 3)) * [1, 5, 10] + [0, -3, 7]
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1, atol=1e-3)
    reference = BatchNorm()
    reference.build((3,), rng, np.float64)
    np.testing.assert_allclose(y.reshape(-1, 3), reference.forward(x.reshape(-1, 3), training=True))


def test_residual_block_with_projection_shortcut_gradient():
    rng = np.random.default_rng(6)
    block = conv.Residual(
        [conv.Conv2D(4, 3, stride=2, padding="same", use_bias=False), conv.BatchNorm2D(),
         Activation("tanh"),
         conv.Conv2D(4, 3, padding="same")],
        shortcut=[conv.Conv2D(4, 1, stride=2, use_bias=False), conv.BatchNorm2D()],
    )
    shape = block.build((5, 5, 2), rng, np.float64)
    assert shape == (3, 3, 4)
    for param in block.params.values():
        param[...] = rng.standard_normal(param.shape)
    errors = check_layer(block, rng.standard_normal((3, 5, 5, 2)), rng, training=True)
    assert len(errors) == 1 + 1 + 2 + 2 + 1 + 2  # x; conv W, bn, conv W b; projection W, bn
    assert max(errors.values()) < TOLERANCE, errors


def test_identity_residual_adds_no_parameters_and_sums():
    rng = np.random.default_rng(7)
    dense = [Dense(5), Activation("tanh"), Dense(5)]
    block = conv.Residual(dense)
    block.build((5,), rng, np.float64)
    plain = Sequential(dense)
    assert len(block.params) == 4 and Sequential([block]).n_params == plain.n_params
    x = rng.standard_normal((4, 5))
    np.testing.assert_array_equal(block.forward(x), plain.forward(x) + x)


def test_residual_rejects_a_shape_changing_branch_without_projection():
    with pytest.raises(ValueError, match="projection"):
        conv.Residual([Dense(3)]).build((5,), np.random.default_rng(0), np.float64)


def test_network_gradient_through_conv_pool_and_dense():
    from zoo.core.gradcheck import check_network
    from zoo.core.losses import softmax_cross_entropy

    rng = np.random.default_rng(8)
    network = Sequential([
        conv.Conv2D(3, 3, padding="same"), Activation("tanh"), conv.AvgPool2D(2),
        conv.Conv2D(4, 2), Activation("tanh"), conv.Flatten(), Dense(3),
    ])
    network.build((6, 6, 2), rng, np.float64)
    errors = check_network(network, softmax_cross_entropy, rng.standard_normal((4, 6, 6, 2)),
                           np.array([0, 2, 1, 2]))
    assert max(errors) < TOLERANCE, errors


def test_float32_stays_float32():
    rng = np.random.default_rng(9)
    network = Sequential([conv.Conv2D(4, 3, padding="same"), conv.BatchNorm2D(),
                          conv.MaxPool2D(2), conv.ConvTranspose2D(2, 2, 2), conv.GlobalAvgPool2D()])
    network.build((8, 8, 3), rng, np.float32)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    y = network.forward(x, training=True)
    dx = network.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in network.grads)


@pytest.mark.parametrize("make,message", [
    (lambda: conv.Conv2D(0, 3), "filters"),
    (lambda: conv.Conv2D(2, (3, 0)), "kernel"),
    (lambda: conv.Conv2D(2, 3, stride=0), "stride"),
    (lambda: conv.Conv2D(2, 3, padding="full"), "padding"),
    (lambda: conv.Conv2D(2, 3, padding=-1), "padding"),
    (lambda: conv.MaxPool2D(2, padding=1), "padding"),
    (lambda: conv.ConvTranspose2D(2, 3, output_padding=-1), "output_padding"),
])
def test_bad_layer_options_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("layer,shape,message", [
    (conv.Conv2D(2, (5, 2)), (4, 8, 1), "kernel"),
    (conv.MaxPool2D(3), (2, 8, 1), "pooling size"),
    (conv.Conv2D(2, 3), (16,), "height, width, channels"),
    (conv.ConvTranspose2D(2, 3, stride=2, output_padding=2), (3, 3, 1), "output_padding"),
])
def test_bad_geometry_is_named_at_build(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer.build(shape, np.random.default_rng(0), np.float64)


def test_relative_error_of_a_wrong_kernel_gradient_is_caught():
    """The check can fail: a conv whose kernel gradient is off by 1% is flagged."""
    rng = np.random.default_rng(10)
    layer = _built(conv.Conv2D(2, 3), (5, 5, 2))
    x = rng.standard_normal((2, 5, 5, 2))
    projection = rng.standard_normal(layer.forward(x).shape)
    layer.backward(projection)
    from zoo.core.gradcheck import numerical_gradient

    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x) * projection)), layer.params["W"])
    assert relative_error(layer.grads["W"], numeric) < TOLERANCE
    assert relative_error(layer.grads["W"] * 1.01, numeric) > 1e-3
