"""Denoising autoencoder (DAE) and its stacked classifier.

Vincent, Larochelle, Bengio & Manzagol (2008) corrupt each input x into x~ — masking
(a random fraction nu of the entries set to 0), additive Gaussian noise, or salt and
pepper (a fraction set to the minimum or the maximum value) — and train the
autoencoder to reconstruct the clean x from x~. The corruption is a layer active only
in training, like dropout, so every epoch and minibatch draws new noise. Vincent et
al. (2010) stack them: each layer is a DAE trained on the clean codes of the layer
below, and the stack is then fine-tuned with a supervised softmax output.
"""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    TRAINING_PARAMETERS_DOC,
    ConvergenceWarning,
    Interval,
    NeuralNetEstimator,
    Options,
    ZooClassifierMixin,
    check_layer_sizes,
)
from zoo.core.activations import get_activation
from zoo.core.layers import Activation, Dense, Layer
from zoo.core.losses import softmax_cross_entropy
from zoo.core.network import Sequential

from .ae import Autoencoder, show_images

NOISES = ("masking", "gaussian", "salt_pepper")


class Corruption(Layer):
    """Training-time corruption q(x~ | x); identity at inference.

    "masking" sets each entry to 0 with probability ``level``; "gaussian" adds
    N(0, level^2) noise; "salt_pepper" sets each entry with probability ``level`` to
    ``low`` or ``high`` (even odds). The noise comes from the generator given at build.
    """

    def __init__(self, noise="masking", level=0.25, low=0.0, high=1.0):
        super().__init__()
        self.noise, self.level, self.low, self.high = noise, level, low, high

    def build(self, input_shape, rng, dtype):
        self.dtype, self.rng = dtype, rng
        return input_shape

    def forward(self, x, training=False):
        self._keep = None
        if not training or self.level == 0:
            return x
        if self.noise == "gaussian":
            return x + (self.level * self.rng.standard_normal(x.shape)).astype(x.dtype)
        hit = self.rng.random(x.shape) < self.level
        self._keep = ~hit
        if self.noise == "masking":
            return np.where(hit, 0, x).astype(x.dtype, copy=False)
        salt = self.rng.random(x.shape) < 0.5
        return np.where(hit, np.where(salt, self.high, self.low), x).astype(x.dtype, copy=False)

    def backward(self, dy):
        return dy if self._keep is None else dy * self._keep


_DAE_CONSTRAINTS = {
    "noise": Options(*NOISES),
    "noise_level": Interval(float, 0, None),
}


def _check_level(noise, level):
    if noise != "gaussian" and level >= 1:
        raise ValueError(f"noise_level must be in [0, 1) for noise={noise!r}, got {level!r}")


class DenoisingAutoencoder(Autoencoder):
    __doc__ = Autoencoder.__doc__.replace(
        """Autoencoder (Rumelhart, Hinton & Williams 1986; Baldi & Hornik 1989;
    Hinton & Salakhutdinov 2006): encoder layers, a code layer and a mirrored decoder
    trained by backpropagation to reconstruct the input.""",
        """Denoising autoencoder (Vincent, Larochelle, Bengio & Manzagol 2008; Vincent
    et al. 2010): an autoencoder trained to reconstruct the clean input from a
    corrupted copy, the corruption redrawn for every minibatch from ``random_state``.
    ``corrupt(X)`` applies the same corruption.""",
    ).replace(
        "    tied_weights : bool, default=False\n",
        """    tied_weights : bool, default=False
    noise : {"masking", "gaussian", "salt_pepper"}, default="masking"
    noise_level : float, default=0.25
        Masked / salt-and-pepper fraction (in [0, 1)), or the Gaussian noise's std.
""",
    )

    _constraints = _DAE_CONSTRAINTS

    def __init__(
        self,
        encoder_layer_sizes=(32,),
        code_size=8,
        activation="relu",
        code_activation="identity",
        output_activation="identity",
        tied_weights=False,
        noise="masking",
        noise_level=0.25,
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
        super().__init__(
            encoder_layer_sizes=encoder_layer_sizes,
            code_size=code_size,
            activation=activation,
            code_activation=code_activation,
            output_activation=output_activation,
            tied_weights=tied_weights,
            optimizer=optimizer,
            learning_rate=learning_rate,
            schedule=schedule,
            momentum=momentum,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            clip_norm=clip_norm,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            dtype=dtype,
            n_threads=n_threads,
        )
        self.noise = noise
        self.noise_level = noise_level

    def _check_params(self):
        super()._check_params()
        _check_level(self.noise, self.noise_level)

    def _input_layers(self, X):
        return [Corruption(self.noise, self.noise_level, float(X.min()), float(X.max()))]

    def corrupt(self, X, random_state=None):
        """X corrupted as in training (noise from ``random_state``), shape unchanged."""
        X = self._inference_input(X)
        layer = self.network_.layers[0]
        corruption = Corruption(self.noise, self.noise_level, layer.low, layer.high)
        corruption.build(X.shape[1:], check_random_state(random_state), X.dtype)
        return corruption.forward(X, training=True)


def denoising_figure(estimator, data, figure):
    """Figure hook: clean test images, their corrupted copies and the reconstructions."""
    X = np.asarray(data.X_test[:10], dtype=float)
    corrupted = estimator.corrupt(X, random_state=0)
    rows = [X, corrupted, estimator.reconstruct(corrupted)]
    show_images(figure, rows, ["clean", "corrupted", "denoised"], len(X))
    figure.suptitle(f"{type(estimator).__name__}: denoising test images")


class StackedDAEClassifier(ClassifierMixin, ZooClassifierMixin, NeuralNetEstimator):
    __doc__ = (
        """Stacked denoising autoencoders with a softmax output (Vincent et al. 2010).

    Each hidden layer is pre-trained as a one-layer ``DenoisingAutoencoder`` on the
    clean codes of the layer below (``pretrain_iter`` epochs); a softmax layer is then
    trained on top, with every layer fine-tuned when ``fine_tune`` (else only the
    softmax layer, on the frozen codes).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(64,)
    activation : str, default="logistic"
    noise, noise_level : as in DenoisingAutoencoder, default "masking", 0.25
    pretrain_iter : int, default=10
        Epochs of each layer's denoising pre-training.
    fine_tune : bool, default=True
    optimizer : str, default="adam"
    learning_rate : float, default=1e-3
"""
        + TRAINING_PARAMETERS_DOC
        + "    classes_ : ndarray\n"
    )

    _constraints = {
        "hidden_layer_sizes": check_layer_sizes,
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "pretrain_iter": Interval(int, 0, None),
        **_DAE_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation="logistic",
        noise="masking",
        noise_level=0.25,
        pretrain_iter=10,
        fine_tune=True,
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.noise = noise
        self.noise_level = noise_level
        self.pretrain_iter = pretrain_iter
        self.fine_tune = fine_tune
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
        _check_level(self.noise, self.noise_level)

    def _pretrain(self, X, rng):
        """Pre-train one DAE per hidden layer; returns the built Dense/Activation layers."""
        layers, codes = [], X
        for units in self.hidden_layer_sizes:
            dae = DenoisingAutoencoder(
                encoder_layer_sizes=(),
                code_size=units,
                activation=self.activation,
                code_activation=self.activation,
                noise=self.noise,
                noise_level=self.noise_level,
                optimizer=self.optimizer,
                learning_rate=self.learning_rate,
                alpha=self.alpha,
                batch_size=self.batch_size,
                max_iter=max(self.pretrain_iter, 1),
                n_iter_no_change=self.pretrain_iter + 1,
                random_state=rng.randint(2**31),
                dtype=self.dtype,
                n_threads=self.n_threads,
            )
            if self.pretrain_iter > 0:
                dae.fit(codes)
                dense = dae.network_.layers[1]  # after the Corruption layer
            else:
                dense = Dense(units)
                dense.build(codes.shape[1:], rng, self._float_dtype())
            activation = Activation(self.activation)
            layers += [dense, activation]
            codes = activation.forward(dense.forward(codes))
        return layers, codes

    def fit(self, X, y):
        """Pre-train the stack on X, then train the softmax output (and fine-tune) on y."""
        self._check_params()
        X, y = self._validate(X, y, reset=True)
        targets = self._encode_labels(y)
        rng = self._rng()
        with warnings.catch_warnings():
            # the pre-training runs a fixed number of epochs by design
            warnings.simplefilter("ignore", ConvergenceWarning)
            hidden, codes = self._pretrain(X, rng)
        head = Dense(len(self.classes_), init="xavier")
        head.build(codes.shape[1:], rng, self._float_dtype())
        if self.fine_tune:
            self.network_ = Sequential([*hidden, head])
            self._train(X, targets, softmax_cross_entropy, _accuracy, stratify=targets)
        else:
            self.network_ = Sequential([head])
            self._train(codes, targets, softmax_cross_entropy, _accuracy, stratify=targets)
            self.network_ = Sequential([*hidden, head])
        self.network_.output_shape = (len(self.classes_),)
        self.n_params_ = self.network_.n_params
        return self

    def _logits(self, X):
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=np.float64)
        with self._threads(2.0 * X.shape[0] * self.n_params_):
            return self.network_.predict(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        return get_activation("softmax").forward(self._logits(X))

    def predict(self, X):
        """The most probable class of each sample."""
        logits = self._logits(X)
        return self.classes_[logits.argmax(axis=1)]


def _accuracy(codes, logits):
    return np.mean(logits.argmax(axis=1) == codes)

