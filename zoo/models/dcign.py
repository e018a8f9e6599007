"""Deep convolutional inverse graphics network (DCIGN).

Kulkarni, Whitney, Kohli & Tenenbaum (2015): a variational autoencoder (Kingma &
Welling 2013) whose encoder is a stack of strided convolutions and whose decoder is a
stack of transposed convolutions, trained by SGVB. The code is split into groups of
units named after scene factors (pose, light, ...) plus free intrinsic units. Each
training batch varies one factor only; in it every unit outside that factor's group
is clamped: the forward pass replaces its sampled codes by their batch mean z_bar,
and the backward pass gives each row the deviation z - z_bar as its gradient (times
``clamp_weight``, 1 in the paper; in the batch's mean objective it is divided by the
number of rows like every per-row term), so the change in the batch can only be
carried by the designated units. Batches of different factors are interleaved. A
batch in which only the intrinsic properties vary (label "intrinsic") clamps every
factor unit and leaves the intrinsic ones free.

The gradient rule is the exact gradient of the objective

    data loss(decoder(clamped z)) + beta KL + (w / 2m) sum_rows sum_clamped (z - z_bar)^2

with the clamped value held constant (m rows of codes, w = clamp_weight), which is
how the gradient check verifies it.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from zoo.base import ImageInputMixin, Interval, check_layer_sizes
from zoo.core.callbacks import Callback, EarlyStopping, ProgressLogger
from zoo.core.conv import Conv2D, ConvTranspose2D, Flatten, Reshape
from zoo.core.layers import Activation, dense_stack
from zoo.core.network import Sequential, train

from .ae import FIRST_ORDER_DOC, show_images
from .vae import VAENetwork, VariationalAutoencoder

INTRINSIC = "intrinsic"


def _check_factor_groups(name, value):
    factor_units(value)


def _check_kernel_size(name, value):
    Interval(int, 1, None).check(name, value)
    if value % 2 == 0:
        raise ValueError(
            f"{name} must be odd (the decoder mirrors the encoder exactly), got {value}")


def factor_units(factor_groups, intrinsic_dim=0):
    """{factor name: list of code units}, the factors first in order, then
    ``"intrinsic"``: the last ``intrinsic_dim`` units. Raises ValueError naming
    ``factor_groups`` when it is not a mapping of names to positive ints."""
    groups = {} if factor_groups is None else factor_groups
    if not hasattr(groups, "items"):
        raise ValueError(
            f"factor_groups must be None or a dict name -> units, got {factor_groups!r}")
    units, start = {}, 0
    for name, size in groups.items():
        if not isinstance(name, str) or name == INTRINSIC:
            raise ValueError(
                f"factor_groups names must be strings other than {INTRINSIC!r}, got {name!r}")
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"factor_groups[{name!r}] must be a positive int, got {size!r}")
        units[name] = list(range(start, start + int(size)))
        start += int(size)
    units[INTRINSIC] = list(range(start, start + intrinsic_dim))
    return units


def _map_sizes(height, width, n_convolutions):
    """(height, width) after each stride-2 'same' convolution, the image first."""
    sizes = [(height, width)]
    for _ in range(n_convolutions):
        sizes.append(tuple(-(-side // 2) for side in sizes[-1]))
    return sizes


class DCIGNNetwork(VAENetwork):
    """The VAE graph with a convolutional encoder, a transposed-convolution decoder
    and the clamping rule of Kulkarni et al. (2015).

    Encoder: reshape to ``image_shape``, one stride-2 'same' Conv2D + activation per
    entry of ``conv_filters``, flatten, dense ``hidden_sizes``. Decoder: the dense
    layers mirrored, a dense layer to the last feature maps, then stride-2
    ConvTranspose2D layers (padding (k - 1) / 2, output padding chosen so each one
    gives back the encoder's map size exactly), the last one linear to the image
    channels. ``clamped`` (a boolean mask over the code units, or None) selects the
    units clamped to their batch mean in training, whose per-row gradient is
    ``clamp_weight`` times the deviation from it; ``clamp_values`` (or None) fixes
    the value they are clamped to, for gradient checks, as ``noise`` fixes the draws.
    """

    def __init__(self, image_shape, conv_filters, kernel_size, hidden_sizes, activation,
                 latent_dim, n_samples=1, beta=1.0, warmup_steps=0, clamp_weight=1.0):
        super().__init__(hidden_sizes, activation, latent_dim, n_samples, beta, warmup_steps)
        self.clamp_weight = clamp_weight
        self.image_shape, self.conv_filters = tuple(image_shape), tuple(conv_filters)
        self.kernel_size = kernel_size
        self.clamped = self.clamp_values = None
        self.invariance = 0.0

    def _encoder_and_decoder(self, n_features):
        height, width, channels = self.image_shape
        sizes = _map_sizes(height, width, len(self.conv_filters))
        k, activations = self.kernel_size, [self.activation] * len(self.hidden_sizes)
        encoder = [Reshape(self.image_shape)]
        for filters in self.conv_filters:
            encoder += [Conv2D(filters, k, 2, "same"), Activation(self.activation)]
        encoder += [Flatten(), *dense_stack(self.hidden_sizes, activations, "glorot_uniform")]
        last_maps = (*sizes[-1], self.conv_filters[-1])
        decoder = [*dense_stack(self.hidden_sizes[::-1], activations, "glorot_uniform"),
                   *dense_stack([int(np.prod(last_maps))], [self.activation], "he"),
                   Reshape(last_maps)]
        outputs = [*self.conv_filters[-2::-1], channels]
        for level, filters in enumerate(outputs):
            (h_in, w_in), (h_out, w_out) = sizes[-1 - level], sizes[-2 - level]
            # (in - 1) 2 - (k - 1) + k + extra = out: extra = out - 2 in + 1, 0 or 1
            extra = (h_out - 2 * h_in + 1, w_out - 2 * w_in + 1)
            decoder.append(ConvTranspose2D(filters, k, 2, (k - 1) // 2, extra))
            if level < len(outputs) - 1:
                decoder.append(Activation(self.activation))
        return Sequential(encoder), Sequential([*decoder, Flatten()])

    def forward(self, x, training=False):
        self.invariance = 0.0
        return super().forward(x, training)

    def _codes(self, z):
        if self.clamped is None or not self.clamped.any():
            return z
        units = self.clamped
        self._z, self._z_bar = z, z[:, units].mean(axis=0)
        deviation = z[:, units] - self._z_bar
        squares = float(np.vdot(deviation, deviation))
        self.invariance = 0.5 * self.clamp_weight * squares / z.shape[0]
        codes = z.copy()
        codes[:, units] = self._z_bar if self.clamp_values is None else self.clamp_values
        return codes

    def _code_gradient(self, dz):
        if self.clamped is None or not self.clamped.any():
            return dz
        units, dz = self.clamped, dz.copy()
        dz[:, units] = self.clamp_weight * (self._z[:, units] - self._z_bar) / dz.shape[0]
        return dz

    def penalty(self):
        return super().penalty() + self.invariance


class FactorBatches(Callback):
    """Serves the factor batches to the shared training loop: before each epoch it puts
    the batches (consecutive blocks of ``batch_size`` rows of ``X``, permuted in place)
    in a new random order, interleaving the factors, and before each step it tells the
    network which units to clamp."""

    def __init__(self, X, clamps, rng):
        self.X, self.clamps, self.rng = X, clamps, rng

    def on_epoch_begin(self, state):
        order = self.rng.permutation(len(self.clamps))
        blocks = self.X.reshape(len(self.clamps), -1)
        blocks[...] = blocks[order]
        self.clamps = self.clamps[order]

    def on_batch_begin(self, state):
        state["network"].clamped = self.clamps[state["batch"]]


class DCIGN(ImageInputMixin, VariationalAutoencoder):
    __doc__ = (
        """Deep convolutional inverse graphics network (Kulkarni, Whitney, Kohli &
    Tenenbaum 2015): a convolutional variational autoencoder (Kingma & Welling 2013)
    whose code units are grouped by scene factor and trained on batches that vary one
    factor at a time.

    ``fit(X)`` trains a plain convolutional VAE. ``fit(X, factors=labels)`` trains on
    factor batches: X holds consecutive batches of ``batch_size`` rows, and
    ``labels`` (one per row) names, for each row, the factor that varies in its
    batch, a key of ``factor_groups`` or "intrinsic" (only the intrinsic properties,
    such as the shape, vary). In a batch of factor f every unit outside f's group is
    clamped to its batch mean and receives its deviation from it as gradient; in an
    "intrinsic" batch every factor unit is clamped. The batches are visited in a new
    random order each epoch. ``encode`` gives posterior means, ``render(z)`` (also
    ``decode`` and ``inverse_transform``) the decoder means of codes, ``edit(X,
    factor, value)`` re-renders X with one factor's units set to ``value``,
    ``sample(n)`` decodes prior draws; ``elbo``, ``score`` (mean ELBO) and
    ``score_samples`` (the importance-weighted bound) come from the VAE.

    Parameters
    ----------
    factor_groups : dict str -> int or None, default=None
        Code units of each named factor, in order (e.g. {"rotation": 1, "light": 1}).
    intrinsic_dim : int, default=2
        Free units after the factor units (shape, texture, ...).
    clamp_weight : float, default=1.0
        Scale of the clamped units' gradient: each row gets clamp_weight times its
        deviation from the batch mean (1: the rule of the paper). Larger values
        enforce the invariance of the units outside the varying factor's group
        harder against the reconstruction and KL terms.
    conv_filters : sequence of int, default=(8, 16)
        Channels of the stride-2 convolutions of the encoder; the decoder's transposed
        convolutions mirror them.
    kernel_size : int, default=3
        Odd side of every (transposed) convolution kernel.
    encoder_layer_sizes : sequence of int, default=(32,)
        Dense layers between the last feature maps and the code; mirrored.
    activation : str, default="relu"
    likelihood : {"bernoulli", "gaussian"}, default="gaussian"
        Bernoulli from logits (pixels in [0, 1]) or Gaussian with unit variance.
    beta : float, default=1.0
    kl_annealing : int, default=0
        Epochs over which the KL weight rises from 0 to beta.
    n_samples : int, default=1
    iwae_k : int, default=50
    code : {"mean", "sample"}, default="mean"
        What ``transform`` returns.
    input_shape : (height, width) or (height, width, channels), default=None
        How a row of X reshapes to an image (None: 4-D X gives its own shape, else a
        square one-channel image, else a strip).
"""
        + FIRST_ORDER_DOC
        + """    network_ : DCIGNNetwork
    image_shape_ : tuple
    factor_units_ : dict str -> list of int
        The code units of each factor and of "intrinsic".
"""
    )

    _constraints = {
        "factor_groups": _check_factor_groups,
        "intrinsic_dim": Interval(int, 0, None),
        "clamp_weight": Interval(float, 0, None),
        "conv_filters": check_layer_sizes,
        "kernel_size": _check_kernel_size,
        "latent_dim": Interval(int, 1, None),
    }

    def __init__(
        self,
        factor_groups=None,
        intrinsic_dim=2,
        clamp_weight=1.0,
        conv_filters=(8, 16),
        kernel_size=3,
        encoder_layer_sizes=(32,),
        activation="relu",
        likelihood="gaussian",
        beta=1.0,
        kl_annealing=0,
        n_samples=1,
        iwae_k=50,
        code="mean",
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
        self.factor_groups = factor_groups
        self.intrinsic_dim = intrinsic_dim
        self.clamp_weight = clamp_weight
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.encoder_layer_sizes = encoder_layer_sizes
        self.activation = activation
        self.likelihood = likelihood
        self.beta = beta
        self.kl_annealing = kl_annealing
        self.n_samples = n_samples
        self.iwae_k = iwae_k
        self.code = code
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

    @property
    def latent_dim(self):
        """Code size: the factor units plus ``intrinsic_dim``."""
        Interval(int, 0, None).check("intrinsic_dim", self.intrinsic_dim)
        return sum(map(len, factor_units(self.factor_groups, self.intrinsic_dim).values()))

    def fit(self, X, y=None, factors=None):
        """Maximise the ELBO of X (y is ignored); with ``factors``, one label per row,
        train on the factor batches of X (see the class docstring). Returns self."""
        self._check_params()
        X = self._validate(X)
        self._check_input(X)
        self.factor_units_ = factor_units(self.factor_groups, self.intrinsic_dim)
        clamps = None if factors is None else self._batch_clamps(factors, X.shape[0])
        objective = self._prepare_network(X)
        if clamps is None:
            self._train(X, X, objective)
        else:
            self._train_factor_batches(X, clamps, objective)
        return self

    def _new_network(self, warmup_steps):
        return DCIGNNetwork(self.image_shape_, self.conv_filters, self.kernel_size,
                            self.encoder_layer_sizes, self.activation, self.latent_dim,
                            warmup_steps=warmup_steps, clamp_weight=self.clamp_weight)

    def _batch_clamps(self, factors, n_rows):
        """(n_batches, latent_dim) masks of the units clamped in each factor batch."""
        if self.early_stopping:
            raise ValueError("early_stopping holds out random rows and would break the factor "
                             "batches; train on factors without it")
        labels = np.asarray(factors)
        batch = self.batch_size
        if labels.shape != (n_rows,):
            raise ValueError(
                f"factors must hold one label per row of X ({n_rows}), got shape {labels.shape}")
        if batch is None or n_rows % batch:
            raise ValueError(f"factor batches need X to hold whole batches of batch_size={batch} "
                             f"rows; got {n_rows} rows")
        blocks = labels.reshape(-1, batch)
        mixed = np.flatnonzero((blocks != blocks[:, :1]).any(axis=1))
        if mixed.size:
            start = mixed[0] * batch
            raise ValueError(f"rows {start}..{start + batch - 1} form one factor batch but carry "
                             f"different factors: {sorted(set(blocks[mixed[0]].tolist()))}")
        clamps = np.ones((len(blocks), self.latent_dim), dtype=bool)
        for index, label in enumerate(blocks[:, 0].tolist()):
            clamps[index, self._units(label)] = False
        return clamps

    def _units(self, factor):
        units = getattr(self, "factor_units_", None)
        units = units or factor_units(self.factor_groups, self.intrinsic_dim)
        if not isinstance(factor, str) or factor not in units:
            raise ValueError(f"unknown factor {factor!r}; the factors are {list(units)}")
        return units[factor]

    def _train_factor_batches(self, X, clamps, objective):
        """The shared training loop over the factor batches, clamping as it goes."""
        rng = self._rng()
        stopper = EarlyStopping(self.n_iter_no_change, self.tol)
        batches = FactorBatches(X.copy(), clamps, rng)
        callbacks = [stopper, batches, ProgressLogger()] if self.verbose else [stopper, batches]
        warm = self.warm_start and hasattr(self, "optimizer_")
        if not warm:
            self.optimizer_ = self._make_optimizer(X.shape[0])
        try:
            with self._threads(self._update_flops(X)):
                history = train(self.network_, batches.X, batches.X, objective, self.optimizer_,
                                epochs=self.max_iter, batch_size=self.batch_size, shuffle=False,
                                rng=rng, callbacks=callbacks)
        finally:  # a diverged fit too leaves a network that clamps nothing
            self.network_.clamped = None
        previous = getattr(self, "loss_curve_", []) if warm else []
        self.loss_curve_ = list(previous) + history.loss_curve
        self.validation_scores_, self.best_validation_score_ = [], None
        self.n_iter_ = history.n_epochs

    def encode(self, X):
        """Posterior means of the codes, shape (n_samples, latent_dim)."""
        X = self._inference_input(X)
        with self._threads(2.0 * X.shape[0] * self.n_params_):
            return self.network_.encode(X)[0]

    def render(self, Z):
        """Decoder means of the codes Z, one flattened image per row."""
        return self.inverse_transform(Z)

    decode = render

    def edit(self, X, factor, value):
        """Re-render the images X with the units of ``factor`` set to ``value`` (a
        scalar, one value per row, or one per row and unit); the other units keep
        their posterior means."""
        check_is_fitted(self)
        units = self._units(factor)
        codes = self.encode(X)
        value = np.asarray(value, dtype=float)
        if value.ndim == 1 and value.shape[0] == codes.shape[0]:  # one value per row
            value = value[:, None]
        try:
            codes[:, units] = value
        except ValueError:
            raise ValueError(
                f"value must be a scalar, one value per row or one per row and unit of "
                f"{factor!r} ({codes.shape[0]} x {len(units)}), got shape {value.shape}"
            ) from None
        return self.render(codes)

    @classmethod
    def _expected_failed_checks(cls):
        return {}


def edit_sweeps_figure(estimator, data, figure, n_columns=8):
    """Figure hook: a test image re-rendered with one code unit swept over the 2nd to
    98th percentiles of its test codes, one row per factor (its first unit) and one
    per intrinsic unit."""
    X = np.asarray(data.X_test, dtype=float)
    codes = estimator.encode(X)
    rows, titles = [], []
    for name, units in estimator.factor_units_.items():
        swept = units if name == INTRINSIC else units[:1]
        for unit in swept:
            values = codes[:1, units].repeat(n_columns, axis=0)
            low, high = np.percentile(codes[:, unit], [2, 98])
            values[:, units.index(unit)] = np.linspace(low, high, n_columns)
            rows.append(estimator.edit(X[:1].repeat(n_columns, axis=0), name, values))
            titles.append(f"{name} {unit - units[0] + 1}" if name == INTRINSIC else name)
    figure.set_size_inches(1.0 * n_columns, 0.9 * len(rows) + 0.5)
    show_images(figure, rows, titles, n_columns)
    figure.suptitle(f"{type(estimator).__name__}: edit sweeps of one test image (row: code unit)",
                    fontsize=9)
