"""Deep convolutional network (DCN): convolution, nonlinearity and pooling stages
followed by a dense head, trained end to end by backpropagation.

Fukushima (1980) built the alternating feature-extracting and pooling layers of the
Neocognitron; LeCun et al. (1989, 1998) trained them by gradient descent with shared
weights: y[i, j, o] = sum_{u, v, c} K[u, v, c, o] x[s i + u - p, s j + v - p, c] + b[o],
dL/dK correlates the input with dL/dy, dL/dx is the transposed convolution of dL/dy,
and max pooling routes each gradient to its window's arg-max. Krizhevsky, Sutskever &
Hinton (2012) added ReLU units, dropout and depth.
"""

import numbers

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    HIDDEN_INITS,
    TRAINING_PARAMETERS_DOC,
    FeedForwardClassifierMixin,
    FeedForwardEstimator,
    FeedForwardRegressorMixin,
    ImageInputMixin,
    Interval,
    Options,
    check_is_fitted,
    check_sizes,
)
from zoo.core.conv import AvgPool2D, BatchNorm2D, Conv2D, Flatten, MaxPool2D, Reshape
from zoo.core.layers import Activation, Dense, dense_stack
from zoo.core.network import Sequential

POOL = "pool"


def _conv_spec(item):
    """(filters, kernel, stride, padding or None) of one ``conv_layers`` item, or POOL."""
    if isinstance(item, str) and item == POOL:
        return POOL
    spec = (item, 3) if isinstance(item, numbers.Integral) else tuple(item)
    if not 2 <= len(spec) <= 4:
        raise ValueError(
            f"conv_layers items are 'pool' or (filters, kernel[, stride[, padding]]), got {item!r}"
        )
    return spec + (None, None, 1, None)[len(spec):]


def _check_padding(name, value):
    Conv2D(1, 1, padding=value)  # raises naming padding


def _check_conv_layers(name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(f"{name} must be a sequence of conv specs and 'pool', got {value!r}")
    specs = [_conv_spec(item) for item in value]
    if not any(spec != POOL for spec in specs):
        raise ValueError(f"{name} needs at least one convolution, got {value!r}")
    for spec in specs:
        if spec != POOL:  # the layer checks its own filters, kernel, stride and padding
            Conv2D(*spec[:3], padding=spec[3] or "valid")


_PARAMETERS_DOC = (
    """
    Parameters
    ----------
    conv_layers : sequence, default=((8, 3), "pool", (16, 3))
        The convolutional stages in order. Each item is a convolution
        ``(filters, kernel)``, ``(filters, kernel, stride)`` or ``(filters, kernel,
        stride, padding)`` (kernel an int or (kh, kw); a bare int is ``(filters, 3)``),
        followed by the activation (and batch norm), or the string "pool" for a pooling
        layer. Feature maps are named "conv1", "conv2", ... and "pool1", ... in order.
    padding : {"same", "valid"} or int, default="same"
        Padding of the convolutions that do not give their own.
    pooling : {"max", "avg"}, default="max"
    pool_size : int, default=2
        Window and stride of the pooling layers. Pooling pads like 'same': an odd
        border row is pooled on its own, so any image size works.
    hidden_layer_sizes : sequence of int, default=(64,)
        Dense layers between the last feature maps and the output.
    activation : str, default="relu"
        Nonlinearity after every convolution and hidden dense layer: "relu",
        "leaky_relu", "elu", "tanh", "logistic", "softplus" or "identity".
    init : {"he", "xavier", "lecun", "normal"}, default="he"
        Initial convolution and hidden weights (fan-in of a kernel: kh kw C_in).
    dropout : float in [0, 1), default=0.0
        Inverted dropout after every hidden dense layer (training only).
    batch_norm : bool, default=False
        BatchNorm2D after every convolution, BatchNorm after every hidden dense layer.
    input_shape : (height, width) or (height, width, channels), default=None
        How a row of X reshapes to a channels-last image. None: a 4-D X gives its own
        shape, otherwise a square one-channel image when the number of features is a
        perfect square, else a strip (1, n_features).
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, default="adam"
    learning_rate : float, default=1e-3
"""
    + TRAINING_PARAMETERS_DOC
    + """    image_shape_ : tuple
        (height, width, channels) of the images the network takes.
    layer_names_ : list of str
        Names of the stages that ``transform`` can stop at, in order.
"""
)


class _DCNBase(TransformerMixin, ImageInputMixin, FeedForwardEstimator):
    _constraints = {
        "conv_layers": _check_conv_layers,
        "padding": _check_padding,
        "pooling": Options("max", "avg"),
        "pool_size": Interval(int, 1, None),
        "hidden_layer_sizes": check_sizes,
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "init": Options(*HIDDEN_INITS),
        "dropout": Interval(float, 0, 1, closed="left"),
    }

    def __init__(
        self,
        conv_layers=((8, 3), POOL, (16, 3)),
        padding="same",
        pooling="max",
        pool_size=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        init="he",
        dropout=0.0,
        batch_norm=False,
        input_shape=None,
        optimizer="adam",
        learning_rate=1e-3,
        schedule="constant",
        momentum=0.9,
        alpha=1e-4,
        batch_size=32,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        clip_norm=None,
        warm_start=False,
        random_state=None,
        verbose=False,
        dtype=np.float32,
        n_threads=None,
    ):
        self.conv_layers = conv_layers
        self.padding = padding
        self.pooling = pooling
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.input_shape = input_shape
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.momentum = momentum
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.clip_norm = clip_norm
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_threads = n_threads

    def _stages(self):
        """[(name, layers)] of the feature extractor, in order."""
        stages, counts = [], {"conv": 0, "pool": 0}
        Pool = MaxPool2D if self.pooling == "max" else AvgPool2D
        for spec in map(_conv_spec, self.conv_layers):
            kind = "pool" if spec == POOL else "conv"
            counts[kind] += 1
            if kind == "pool":
                layers = [Pool(self.pool_size, padding="same")]
            else:
                filters, kernel, stride, padding = spec
                layers = [Conv2D(filters, kernel, stride, padding or self.padding,
                                 use_bias=not self.batch_norm, init=self.init)]
                layers += [BatchNorm2D()] if self.batch_norm else []
                layers.append(Activation(self.activation))
            stages.append((f"{kind}{counts[kind]}", layers))
        stages.append(("flatten", [Flatten()]))
        for index, units in enumerate(self.hidden_layer_sizes, start=1):
            layers = dense_stack([units], [self.activation], self.init, self.batch_norm, self.dropout)
            stages.append((f"dense{index}", layers))
        return stages

    def _build_network(self, n_features, n_outputs):
        layers, ends = [Reshape(self.image_shape_)], {}
        for name, stage in self._stages():
            layers += stage
            ends[name] = len(layers)
        layers.append(Dense(n_outputs, init="xavier"))
        network = Sequential(layers)
        try:
            network.build((n_features,), self._rng(), self._float_dtype())
        except ValueError as exc:
            raise ValueError(
                f"conv_layers do not fit images of shape {self.image_shape_}: {exc}"
            ) from None
        self.layer_names_ = list(ends)
        self._stage_ends_ = ends
        return network

    def _can_continue(self, n_features, n_outputs):
        network = getattr(self, "network_", None)
        return (
            network is not None
            and network.layers[0].input_shape == (n_features,)
            and network.layers[0].shape == self.image_shape_
            and network.output_shape == (n_outputs,)
        )

    def transform(self, X, layer=None):
        """The activations of stage ``layer`` (a name in ``layer_names_``; default the
        last one), one flattened row per sample. Use ``feature_maps`` for images."""
        maps = self.feature_maps(X, layer)
        return maps.reshape(maps.shape[0], -1)

    def feature_maps(self, X, layer="conv1"):
        """The activations of stage ``layer`` in inference mode: (n, H, W, filters)
        for a convolution or pooling stage, (n, units) for a dense one."""
        check_is_fitted(self)
        layer = self.layer_names_[-1] if layer is None else layer
        if layer not in self._stage_ends_:
            raise ValueError(f"layer must be one of {self.layer_names_}, got {layer!r}")
        X = self._validate(X, reset=False, dtype=np.float64)
        head = Sequential(self.network_.layers[: self._stage_ends_[layer]])
        with self._threads(X.shape[0] * head.flops):
            return head.predict(X)

    @classmethod
    def _expected_failed_checks(cls):
        return {}


class DCNClassifier(ClassifierMixin, FeedForwardClassifierMixin, _DCNBase):
    __doc__ = (
        """Deep convolutional network classifier (Fukushima 1980; LeCun et al. 1989,
    1998; Krizhevsky, Sutskever & Hinton 2012): convolution-activation-pooling stages,
    a dense head and a softmax output trained on cross-entropy. Also has
    ``predict_proba``, ``partial_fit(X, y, classes=None)``, ``transform(X, layer)`` and
    ``feature_maps(X, layer)``; fitted ``classes_``.
    """
        + _PARAMETERS_DOC
    )


class DCNRegressor(RegressorMixin, FeedForwardRegressorMixin, _DCNBase):
    __doc__ = (
        """Deep convolutional network regressor (LeCun et al. 1989, 1998):
    convolution-activation-pooling stages, a dense head and a linear output trained on
    squared error. Also has ``partial_fit(X, y)``, ``transform(X, layer)`` and
    ``feature_maps(X, layer)``.
    """
        + _PARAMETERS_DOC
    )


def filters_and_maps(estimator, data, figure):
    """Figure hook: the first layer's kernels (top row) and the feature maps of the
    first convolution for one test digit (bottom row, the digit on the left)."""
    kernels = estimator.network_.layers[1].params["W"]  # (kh, kw, C_in, filters)
    n_filters = kernels.shape[-1]
    image = data.X_test[:1]
    maps = estimator.feature_maps(image, "conv1")[0]
    figure.set_size_inches(1.1 * (n_filters + 1), 2.6)
    axes = figure.subplots(2, n_filters + 1, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    axes[1, 0].imshow(image.reshape(estimator.image_shape_)[..., 0], cmap="gray_r")
    for index in range(n_filters):
        axes[0, index + 1].imshow(kernels[..., 0, index], cmap="RdBu_r")
        axes[1, index + 1].imshow(maps[..., index], cmap="viridis")
    figure.suptitle(f"{type(estimator).__name__}: conv1 kernels (top) and feature maps of a test digit")
