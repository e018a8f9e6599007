"""Deep residual network (DRN): blocks that learn a residual F(x) added to their input.

He, Zhang, Ren & Sun (2015) let every block compute y = x + F(x; W): the identity
shortcut carries the signal and, since dy/dx = I + dF/dx, the gradient, past any
number of blocks, so depth stops degrading training. A projection W_s x replaces the
identity where a block changes the shape (more channels, a stride). He et al. (2016)
moved batch norm and the activation before the weights ("pre-activation"), which
leaves the path from block to block free of any nonlinearity: with every branch's
last layer zero, the stack is exactly the identity.

The blocks are dense layers for tabular rows or 3x3 convolutions for images (NHWC).
Depth counts weight layers on the main path, as He et al. do: the stem, two per basic
or pre-activation block, three per bottleneck block, and the output layer
(projection shortcuts are not counted): 14 basic blocks make a 30-layer net.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning

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
)
from zoo.core.conv import BatchNorm2D, Conv2D, GlobalAvgPool2D, Reshape, Residual
from zoo.core.layers import Activation, BatchNorm, Dense
from zoo.core.network import Sequential

BLOCK_TYPES = ("basic", "bottleneck", "preact")


def _check_n_blocks(name, value):
    values = [value] if isinstance(value, numbers.Integral) else value
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
        raise ValueError(f"{name} must be a positive int or a sequence of them, got {value!r}")
    for count in values:
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise ValueError(f"{name} must be a positive int or a sequence of them, got {value!r}")


def _check_kernel_size(name, value):
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    if (
        isinstance(pair, (str, bytes))
        or not hasattr(pair, "__len__")
        or len(pair) != 2
        or any(isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1 for k in pair)
    ):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")


def _stages(n_blocks):
    return [int(n_blocks)] if isinstance(n_blocks, numbers.Integral) else [int(n) for n in n_blocks]


class BlockBuilder:
    """Unbuilt layers of a residual (or, with ``residual=False``, the same plain) net.

    ``kind`` 'dense' makes Dense weight layers, 'conv' makes 'same'-padded Conv2D ones
    with ``kernel_size``; the other arguments are the estimator parameters of the same
    names. Weight layers followed by batch norm have no bias (its beta is one); so have,
    in pre-activation nets with batch norm, the layers that write to the residual
    stream, since the final BN removes any constant shift of it.
    """

    def __init__(self, kind="dense", block_type="basic", shortcut="identity", residual=True,
                 batch_norm=True, activation="relu", init="he", kernel_size=3):
        self.kind, self.block_type, self.shortcut = kind, block_type, shortcut
        self.residual, self.batch_norm, self.activation = residual, batch_norm, activation
        self.init, self.kernel_size = init, kernel_size

    def weights(self, units, bias=True, kernel=None, stride=1):
        if self.kind == "dense":
            return Dense(units, init=self.init, use_bias=bias)
        return Conv2D(units, kernel or self.kernel_size, stride=stride, padding="same",
                      use_bias=bias, init=self.init)

    def norm(self):
        if not self.batch_norm:
            return []
        return [BatchNorm() if self.kind == "dense" else BatchNorm2D()]

    def weights_norm_act(self, units, kernel=None, stride=1):
        """W -> [BN] -> activation."""
        layer = self.weights(units, bias=not self.batch_norm, kernel=kernel, stride=stride)
        return [layer, *self.norm(), Activation(self.activation)]

    def branch(self, units, stride):
        """F(x): two (basic, preact) or three (bottleneck) weight layers."""
        bn = self.batch_norm
        if self.block_type == "preact":  # He et al. (2016): BN -> act -> W, twice
            return [*self.norm(), Activation(self.activation),
                    self.weights(units, bias=not bn, stride=stride),
                    *self.norm(), Activation(self.activation), self.weights(units, bias=not bn)]
        if self.block_type == "bottleneck":  # 1x1 reduce, k x k, 1x1 restore
            inner = max(units // 4, 1)
            return [*self.weights_norm_act(inner, kernel=1),
                    *self.weights_norm_act(inner, stride=stride),
                    self.weights(units, bias=not bn, kernel=1), *self.norm()]
        return [*self.weights_norm_act(units, stride=stride),
                self.weights(units, bias=not bn), *self.norm()]

    def projection(self, units, stride):
        """W_s x: a dense map or a strided 1x1 convolution, then BN in post-activation nets."""
        norm = [] if self.block_type == "preact" else self.norm()
        return [self.weights(units, bias=not self.batch_norm, kernel=1, stride=stride), *norm]

    def block(self, units, stride, changes_shape):
        """One block: x + F(x) (a projection where the shape changes or where asked),
        the activation after the sum for post-activation blocks."""
        after = [] if self.block_type == "preact" else [Activation(self.activation)]
        if not self.residual:
            return [*self.branch(units, stride), *after]
        shortcut = None
        if changes_shape or self.shortcut == "projection":
            shortcut = self.projection(units, stride)
        return [Residual(self.branch(units, stride), shortcut), *after]

    def blocks(self, width, n_blocks):
        """Stage k: ``n_blocks[k]`` blocks of ``width * 2**k`` units; the first block of
        each later stage doubles the width (and halves the image with stride 2)."""
        layers = []
        for stage, count in enumerate(_stages(n_blocks)):
            stride = 2 if stage and self.kind == "conv" else 1
            for index in range(count):
                first = index == 0 and stage > 0
                layers += self.block(width * 2**stage, stride if first else 1, first)
        return layers

    def stem(self, width):
        """The first weight layer; post-activation nets normalise and activate it."""
        if self.block_type == "preact":
            return [self.weights(width, bias=not self.batch_norm)]
        return self.weights_norm_act(width)

    def tail(self):
        """After the blocks: pre-activation nets end with BN and the activation (He et
        al. 2016); images are averaged over the pixels (Lin et al. 2014)."""
        layers = [*self.norm(), Activation(self.activation)] if self.block_type == "preact" else []
        return layers + ([GlobalAvgPool2D()] if self.kind == "conv" else [])

    def hidden_layers(self, width, n_blocks):
        return [*self.stem(width), *self.blocks(width, n_blocks), *self.tail()]


def zero_init_residual_branches(layers):
    """Zero the last parametrised layer of every residual branch in ``layers`` (built):
    a batch norm's scale, else the weights (Goyal et al. 2017), so each block starts as
    its shortcut."""
    for layer in layers:
        if isinstance(layer, Residual):
            last = [inner for inner in layer.branch.layers if inner.params][-1]
            last.params["gamma" if isinstance(last, BatchNorm) else "W"][...] = 0


def weight_layers(layers):
    """The Dense and Conv2D layers on the main path (inside residual branches, not in
    shortcuts): what the depth of a residual net counts."""
    found = []
    for layer in layers:
        if isinstance(layer, Residual):
            found += weight_layers(layer.branch.layers)
        elif isinstance(layer, (Dense, Conv2D)):
            found.append(layer)
    return found


_PARAMETERS_DOC = (
    """
    Parameters
    ----------
    n_blocks : int or sequence of int, default=2
        Residual blocks of each stage; stage k has ``width * 2**k`` units (channels),
        and its first block (k > 0) doubles the width, with stride 2 on images. The
        depth is 2 + 2 sum(n_blocks) weight layers (2 + 3 sum(n_blocks) for bottleneck
        blocks): stem, blocks, output layer.
    width : int, default=64
        Units (dense) or channels (conv) of the stem and the first stage.
    block_type : {"basic", "bottleneck", "preact"}, default="basic"
        "basic": W-BN-act-W-BN, then the activation after the sum (He et al. 2015);
        "bottleneck": W1x1(width/4)-BN-act-W(width/4)-BN-act-W1x1(width)-BN, then the
        activation (He et al. 2015); "preact": BN-act-W-BN-act-W with nothing after the
        sum (He et al. 2016), and BN-act before the output.
    kind : {"auto", "dense", "conv"}, default="auto"
        Dense blocks on tabular rows (a 4-D X is flattened), or convolutional blocks on
        images (a stem convolution, the stages, global average pooling, the dense
        output). "auto": conv when ``input_shape`` is given or X is 4-D, else dense.
    input_shape : (height, width) or (height, width, channels), default=None
        The channels-last image each flat row of X holds (conv only; one channel for
        (height, width)). None: a 4-D X (n, height, width, channels) gives its own
        shape, and a row of n features is a square image when n is a perfect square,
        else a strip (1, n).
    kernel_size : int or (int, int), default=3
        Convolution kernel of the blocks and the stem (conv only); no larger than the image.
    shortcut : {"identity", "projection"}, default="identity"
        "identity": x itself wherever a block keeps the shape, a projection W_s x where
        it changes it (option B of He et al. 2015); "projection": W_s x on every block
        (option C).
    residual : bool, default=True
        False builds the plain net of the same layers without any shortcut: the
        baseline of the degradation experiment.
    batch_norm : bool, default=True
        Batch normalisation in the blocks (and the stem and projections).
    zero_init_residual : bool, default=False
        Start the last layer of every branch at zero (its batch-norm scale, else its
        weights; Goyal et al. 2017): every block starts as its shortcut. Needs
        ``residual=True``.
    activation : str, default="relu"
        One of "relu", "leaky_relu", "elu", "tanh", "logistic", "softplus", "identity".
    init : {"he", "xavier", "lecun", "normal"}, default="he"
        Initial weights of the stem, blocks and projections; the linear output layer
        starts Glorot uniform.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, default="adam"
    learning_rate : float, default=1e-3
"""
    + TRAINING_PARAMETERS_DOC
    + """    kind_ : {"dense", "conv"}
        The blocks the fit built.
    image_shape_ : tuple of int
        (height, width, channels) of the images the rows hold (used by conv blocks).
"""
)


class _DRNBase(ImageInputMixin, FeedForwardEstimator):
    _constraints = {
        "n_blocks": _check_n_blocks,
        "width": Interval(int, 1, None),
        "block_type": Options(*BLOCK_TYPES),
        "kind": Options("auto", "dense", "conv"),
        "kernel_size": _check_kernel_size,
        "shortcut": Options("identity", "projection"),
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "init": Options(*HIDDEN_INITS),
    }

    def __init__(
        self,
        n_blocks=2,
        width=64,
        block_type="basic",
        kind="auto",
        input_shape=None,
        kernel_size=3,
        shortcut="identity",
        residual=True,
        batch_norm=True,
        zero_init_residual=False,
        activation="relu",
        init="he",
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
        self.n_blocks = n_blocks
        self.width = width
        self.block_type = block_type
        self.kind = kind
        self.input_shape = input_shape
        self.kernel_size = kernel_size
        self.shortcut = shortcut
        self.residual = residual
        self.batch_norm = batch_norm
        self.zero_init_residual = zero_init_residual
        self.activation = activation
        self.init = init
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

    def _check_params(self):
        super()._check_params()
        if self.zero_init_residual and not self.residual:
            raise ValueError(
                "zero_init_residual=True needs residual=True: a plain net whose blocks "
                "end in zeros passes no signal"
            )
        if self.kind == "dense" and self.input_shape is not None:
            raise ValueError("input_shape describes images: use it with kind='conv' or 'auto'")

    def _validate(self, X, y="no_validation", reset=True, **kwargs):
        """Validated rows (images are flattened); a fit also settles ``kind_``."""
        if reset:
            images = self.input_shape is not None or getattr(X, "ndim", None) == 4
            self.kind_ = self.kind if self.kind != "auto" else ("conv" if images else "dense")
        return super()._validate(X, y, reset=reset, **kwargs)

    def _check_kernel_fits(self):
        kernel = np.broadcast_to(self.kernel_size, 2)
        if np.any(kernel > self.image_shape_[:2]):
            raise ValueError(
                f"kernel_size {self.kernel_size!r} is larger than the input images "
                f"{self.image_shape_[0]}x{self.image_shape_[1]}"
            )

    def _builder(self):
        return BlockBuilder(
            self.kind_, self.block_type, self.shortcut, self.residual, self.batch_norm,
            self.activation, self.init, tuple(int(k) for k in np.broadcast_to(self.kernel_size, 2)),
        )

    def _build_network(self, n_features, n_outputs):
        """Conv nets start by reshaping each row to ``image_shape_``."""
        layers = []
        if self.kind_ == "conv":
            self._check_kernel_fits()
            layers.append(Reshape(self.image_shape_))
        layers += self._builder().hidden_layers(self.width, self.n_blocks)
        network = Sequential([*layers, Dense(n_outputs, init="xavier")])
        network.build((n_features,), self._rng(), self._float_dtype())
        if self.zero_init_residual:
            zero_init_residual_branches(network.layers)
        return network

    def _can_continue(self, n_features, n_outputs):
        network = getattr(self, "network_", None)
        if network is None or network.output_shape != (n_outputs,):
            return False
        first = network.layers[0]
        if self.kind_ == "conv":
            return isinstance(first, Reshape) and (first.input_shape, first.shape) == (
                (n_features,), self.image_shape_)
        return isinstance(first, Dense) and first.params["W"].shape[0] == n_features


class DRNClassifier(ClassifierMixin, FeedForwardClassifierMixin, _DRNBase):
    __doc__ = (
        """Deep residual network classifier (He, Zhang, Ren & Sun 2015, "Deep residual
    learning for image recognition"; He et al. 2016, "Identity mappings in deep
    residual networks"): residual blocks of dense layers or convolutions, softmax
    output on cross-entropy. Also has ``predict_proba`` and
    ``partial_fit(X, y, classes=None)``; fitted ``classes_``.
    """
        + _PARAMETERS_DOC
    )


class DRNRegressor(RegressorMixin, FeedForwardRegressorMixin, _DRNBase):
    __doc__ = (
        """Deep residual network regressor (He, Zhang, Ren & Sun 2015; He et al. 2016):
    residual blocks of dense layers or convolutions, linear output on squared error.
    Also has ``partial_fit(X, y)``.
    """
        + _PARAMETERS_DOC
    )


def depth(estimator):
    """Weight layers on the main path of a fitted DRN (stem, blocks, output)."""
    return len(weight_layers(estimator.network_.layers))


def degradation_figure(estimator, data, figure):
    """Figure hook: training-loss curves of the plain and the residual net at the
    estimator's depth and at one block (4 layers for basic blocks), all trained like
    the estimator on the benchmark's training split."""
    axes = figure.subplots()
    for color, n_blocks in (("C0", estimator.n_blocks), ("C1", 1)):
        for residual in (True, False):
            model = _trained_like(estimator, data, n_blocks, residual)
            label = f"{'residual' if residual else 'plain'}-{depth(model)}"
            axes.plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_, color=color,
                      linestyle="-" if residual else "--", label=label)
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("training loss")
    axes.set_title("Degradation: plain vs residual nets of the same depth")
    axes.legend()


def _trained_like(estimator, data, n_blocks, residual):
    """The fitted estimator itself if it has these settings, else a copy fitted with them."""
    if (n_blocks, residual) == (estimator.n_blocks, estimator.residual):
        return estimator
    model = clone(estimator).set_params(
        n_blocks=n_blocks, residual=residual,
        zero_init_residual=residual and estimator.zero_init_residual,
    )
    with warnings.catch_warnings():  # the curves show how far each run got
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(data.X_train, data.y_train)
