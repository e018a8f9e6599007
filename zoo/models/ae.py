"""Autoencoder (AE): a network trained to reproduce its input through a bottleneck.

Rumelhart, Hinton & Williams (1986) trained the 8-3-8 encoder by backpropagation;
Bourlard & Kamp (1988) and Baldi & Hornik (1989) showed that a linear autoencoder on
squared error has no spurious minima, every minimum spanning the top principal
subspace; Hinton & Salakhutdinov (2006) made them deep. The code is z = f(x), the
reconstruction x_hat = g(z); the loss is (1/2)||x - x_hat||^2, or the binary
cross-entropy from the logits of a sigmoid output. With tied weights each decoder
layer uses the transposed weights of its mirror encoder layer.

This module also holds the scaffolding the denoising, sparse and variational
autoencoders share: ``TiedDense``, ``AutoencoderNetwork`` (a Sequential that adds the
tied-weight gradients and the penalties of its layers), ``PenalizedLoss`` and the
``reconstruction_mse`` benchmark metric. The L-BFGS fit is ``zoo.core.network.train_lbfgs``.
"""

import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    TRAINING_PARAMETERS_DOC,
    ConvergenceWarning,
    Interval,
    NeuralNetEstimator,
    Options,
    check_sizes,
)
from zoo.bench.figures import image_shape
from zoo.core.initializers import zeros
from zoo.core.layers import Activation, Dense, Layer
from zoo.core.losses import binary_cross_entropy, mse
from zoo.core.network import Sequential, train_lbfgs
from zoo.core.optimizers import OPTIMIZERS

# The output nonlinearity and the loss that matches it (both from the output pre-activation).
OUTPUT_LOSSES = {"identity": mse, "logistic": binary_cross_entropy}
AE_OPTIMIZERS = (*OPTIMIZERS, "lbfgs")


class TiedDense(Layer):
    """y = x W^T + b with W the weight matrix of the Dense layer ``source`` (tied weights).

    Only the bias is this layer's own parameter. ``backward`` leaves the gradient for
    the shared W in ``weight_grad``; ``AutoencoderNetwork.backward`` adds it to the
    source's gradient once the source's own backward pass has written it.
    """

    def __init__(self, source):
        super().__init__()
        self.source = source

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        n_in, n_out = self.source.params["W"].shape
        if input_shape[-1] != n_out:
            raise ValueError(
                f"TiedDense expects {n_out} inputs (its source's outputs), got {input_shape[-1]}"
            )
        self._add_param("b", zeros((n_in,), dtype=dtype))
        self.weight_grad = np.zeros_like(self.source.params["W"])
        return (*input_shape[:-1], n_in)

    def forward(self, x, training=False):
        self._x = x
        return x @ self.source.params["W"].T + self.params["b"]

    def backward(self, dy):
        # y = x W^T  =>  dW = dy^T x, dx = dy W
        np.matmul(dy.T, self._x, out=self.weight_grad)
        np.sum(dy, axis=0, out=self.grads["b"])
        return dy @ self.source.params["W"]


class AutoencoderNetwork(Sequential):
    """Encoder layers then decoder layers; ``n_encoder_layers`` marks the code.

    Layers may carry a ``penalty`` (a float set by their last training forward pass,
    e.g. a sparsity term); ``penalty()`` is their sum, which ``PenalizedLoss`` adds to
    the data loss, the layers themselves adding its gradient in their backward pass.
    """

    def __init__(self, layers, n_encoder_layers):
        super().__init__(layers)
        self.n_encoder_layers = n_encoder_layers

    def backward(self, dy):
        dx = super().backward(dy)
        for layer in self.layers:
            if isinstance(layer, TiedDense):
                layer.source.grads["W"] += layer.weight_grad
        return dx

    def penalty(self):
        return float(sum(getattr(layer, "penalty", 0.0) for layer in self.layers))

    def encode(self, x):
        for layer in self.layers[: self.n_encoder_layers]:
            x = layer.forward(x, training=False)
        return x

    def decode(self, z):
        for layer in self.layers[self.n_encoder_layers :]:
            z = layer.forward(z, training=False)
        return z


class PenalizedLoss:
    """The data loss plus the penalties of the network's layers (from the same forward pass)."""

    def __init__(self, network, loss):
        self.network, self.loss = network, loss

    def __call__(self, output, target):
        value, d_output = self.loss(output, target)
        return value + self.network.penalty(), d_output


def reconstruction_mse(estimator, data):
    """Benchmark metric: mean squared error of inverse_transform(transform(X_test)) per entry."""
    X = np.asarray(data.X_test, dtype=float)
    return float(np.mean((estimator.inverse_transform(estimator.transform(X)) - X) ** 2))


class AutoencoderBase(NeuralNetEstimator):
    """Fit, encode, decode and score of the autoencoder families.

    A subclass gives ``_plan()`` -> (hidden sizes, hidden activation, code size, code
    activation) and may add ``_input_layers(X)`` (corruption) and ``_code_layers()``
    (sparsity) around the encoder.
    """

    _constraints = {
        "optimizer": Options(*AE_OPTIMIZERS),
        "output_activation": Options(*OUTPUT_LOSSES),
    }

    def _plan(self):
        raise NotImplementedError

    def _input_layers(self, X):
        return []

    def _code_layers(self):
        return []

    def _check_input(self, X):
        if self.output_activation == "logistic" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "output_activation='logistic' (binary cross-entropy) needs inputs in [0, 1]; "
                f"got values in [{X.min():.3g}, {X.max():.3g}]. Scale the data or use 'identity'."
            )

    def _build_network(self, X):
        hidden_sizes, activation, code_size, code_activation = self._plan()
        encoder, denses = self._input_layers(X), []
        activations = [activation] * len(hidden_sizes) + [code_activation]
        for units, name in zip([*hidden_sizes, code_size], activations):
            denses.append(Dense(units))
            encoder += [denses[-1], Activation(name)]
        encoder += self._code_layers()
        decoder = []
        output_sizes = [*reversed(hidden_sizes), X.shape[1]]
        for units, source in zip(output_sizes, reversed(denses)):
            decoder.append(TiedDense(source) if self.tied_weights else Dense(units))
            decoder.append(Activation(activation))
        decoder.pop()  # the output pre-activation goes to the loss
        network = AutoencoderNetwork(encoder + decoder, n_encoder_layers=len(encoder))
        network.build((X.shape[1],), self._rng(), self._float_dtype())
        return network

    def _can_continue(self, X):
        network = getattr(self, "network_", None)
        return network is not None and network.output_shape == (X.shape[1],)

    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X; y is ignored. Returns self."""
        self._check_params()
        X = self._validate(X)
        self._check_input(X)
        if not (self.warm_start and self._can_continue(X)):
            # set before training so that a diverged fit keeps its last finite weights
            self.network_ = self._build_network(X)
            vars(self).pop("optimizer_", None)
        self.n_params_ = self.network_.n_params
        objective = PenalizedLoss(self.network_, OUTPUT_LOSSES[self.output_activation])
        if self.optimizer == "lbfgs":
            self._fit_lbfgs(X, objective)
        else:
            self._train(X, X, objective)
        return self

    def _fit_lbfgs(self, X, objective):
        with self._threads(6.0 * X.shape[0] * self.n_params_):
            curve, n_iter, converged = train_lbfgs(
                self.network_, X, X, objective, self.alpha, self.max_iter
            )
        self.loss_curve_, self.n_iter_ = curve, n_iter
        self.validation_scores_, self.best_validation_score_ = [], None
        if not converged:
            warnings.warn(
                f"{type(self).__name__}: L-BFGS reached max_iter={self.max_iter}; raise "
                "max_iter for a converged fit.",
                ConvergenceWarning,
            )

    def _inference_input(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False, dtype=np.float64)

    def transform(self, X):
        """The code of each sample, shape (n_samples, code size)."""
        X = self._inference_input(X)
        with self._threads(2.0 * X.shape[0] * self.n_params_):
            return self.network_.encode(X)

    def inverse_transform(self, X):
        """Decode codes X (n_samples, code size) into the input space."""
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float64)
        code_size = self._plan()[2]
        if Z.shape[1] != code_size:
            raise ValueError(f"X has {Z.shape[1]} features, but the code has {code_size}")
        with self._threads(2.0 * Z.shape[0] * self.n_params_):
            output = self.network_.decode(Z)
        return expit(output) if self.output_activation == "logistic" else output

    def reconstruct(self, X):
        """decode(encode(X)), shape (n_samples, n_features)."""
        return self.inverse_transform(self.transform(X))

    def score(self, X, y=None):
        """Minus the mean squared reconstruction error per entry (higher is better)."""
        X = self._inference_input(X)
        return -float(np.mean((self.reconstruct(X) - X) ** 2))


FIRST_ORDER_DOC = (
    """    optimizer : {"adam", "sgd", "momentum", "nesterov", "adagrad", "rmsprop"}, default="adam"
    learning_rate : float, default=1e-3
"""
    + TRAINING_PARAMETERS_DOC
)
TRAINING_DOC = (
    """    optimizer : {"adam", "lbfgs", "sgd", "momentum", "nesterov", "adagrad", "rmsprop"}
        "lbfgs" is full-batch L-BFGS (scipy) for ``max_iter`` iterations; the others
        train minibatches with the shared loop.
    learning_rate : float, default=1e-3
        Step size of the first-order optimizers.
"""
    + TRAINING_PARAMETERS_DOC
)


class Autoencoder(TransformerMixin, AutoencoderBase):
    __doc__ = (
        """Autoencoder (Rumelhart, Hinton & Williams 1986; Baldi & Hornik 1989;
    Hinton & Salakhutdinov 2006): encoder layers, a code layer and a mirrored decoder
    trained by backpropagation to reconstruct the input.

    ``transform`` gives the code, ``inverse_transform`` decodes, ``reconstruct`` does
    both, ``score`` is minus the mean squared reconstruction error.

    Parameters
    ----------
    encoder_layer_sizes : sequence of int, default=(32,)
        Hidden layers between the input and the code; the decoder mirrors them.
    code_size : int, default=8
    activation : str, default="relu"
        Hidden units: "relu", "tanh", "logistic", "identity", ...
    code_activation : str, default="identity"
    output_activation : {"identity", "logistic"}, default="identity"
        "identity" trains on (1/2) squared error, "logistic" on binary cross-entropy
        from the logits (inputs in [0, 1]).
    tied_weights : bool, default=False
        Decoder layers use the transposed encoder weights.
"""
        + TRAINING_DOC
    )

    _constraints = {
        "encoder_layer_sizes": check_sizes,
        "code_size": Interval(int, 1, None),
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "code_activation": Options(*HIDDEN_ACTIVATIONS),
    }

    def __init__(
        self,
        encoder_layer_sizes=(32,),
        code_size=8,
        activation="relu",
        code_activation="identity",
        output_activation="identity",
        tied_weights=False,
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
        self.encoder_layer_sizes = encoder_layer_sizes
        self.code_size = code_size
        self.activation = activation
        self.code_activation = code_activation
        self.output_activation = output_activation
        self.tied_weights = tied_weights
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

    def _plan(self):
        sizes = tuple(self.encoder_layer_sizes)
        return sizes, self.activation, self.code_size, self.code_activation


def show_images(figure, rows, titles, n_columns):
    """Draw rows of square images (each row a list of flat images) on a grid."""
    shape = image_shape(len(rows[0][0]))
    axes = figure.subplots(len(rows), n_columns, squeeze=False)
    for r, (images, title) in enumerate(zip(rows, titles)):
        for c in range(n_columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                image = images[c]
                ax.imshow(image.reshape(shape), cmap="gray_r")
        axes[r, 0].set_ylabel(title, fontsize=8)


def reconstructions_figure(estimator, data, figure):
    """Figure hook: test images (top) and their reconstructions (bottom)."""
    X = np.asarray(data.X_test[:10], dtype=float)
    show_images(figure, [X, estimator.reconstruct(X)], ["input", "reconstruction"], len(X))
    figure.suptitle(f"{type(estimator).__name__}: reconstructions of test images")
