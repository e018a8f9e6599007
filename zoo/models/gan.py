"""Generative adversarial network (GAN).

Goodfellow et al. (2014): a generator G maps latent noise z ~ p(z) to samples, a
discriminator D maps a sample to the probability that it came from the data, and the
two play the minimax game

    min_G max_D V(D, G) = E_data[log D(x)] + E_z[log(1 - D(G(z)))].

For a fixed G the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)), where
V(D*, G) = -log 4 + 2 JSD(p_data || p_g), minimal exactly when p_g = p_data. Training
alternates ``n_critic`` steps of D with one step of G. In practice G minimises
-log D(G(z)) instead of log(1 - D(G(z))) (the non-saturating loss, same fixed point,
strong gradients while D rejects the samples). The discriminator works on logits l,
D = sigmoid(l), so every loss is written with softplus(t) = log(1 + e^t):

    D loss          softplus(-l_real) + softplus(l_fake)     (real target 1 - smoothing)
    G minimax       -softplus(l_fake)                        (= E log(1 - D(G(z))))
    G non-saturating softplus(-l_fake)                       (= -E log D(G(z)))
    Wasserstein     D: E l_fake - E l_real, G: -E l_fake, D weights clipped to [-c, c]
                    (Arjovsky, Chintala & Bottou 2017)
    hinge           D: E relu(1 - l_real) + E relu(1 + l_fake), G: -E l_fake
                    (Lim & Ye 2017; Miyato et al. 2018)

One-sided label smoothing (Salimans et al. 2016) trains D towards 1 - smoothing on
real samples. PacGAN (Lin, Khetan, Fanti & Oh 2018) shows D ``pack`` samples at once,
concatenated (along the channels for images), all real or all generated, which
penalises a generator that drops modes. The optimizer is Adam with beta1 = 0.5 and
the convolutional networks follow DCGAN (Radford, Metz & Chintala 2015): transposed
convolutions of stride 2 upsample the generator, strided convolutions with leaky
ReLUs (slope 0.2) downsample the discriminator.
"""

import inspect
import math
import warnings

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import expit
from sklearn.base import TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    ConvergenceWarning,
    ImageInputMixin,
    Interval,
    Options,
    ZooEstimator,
    check_bool,
    check_layer_sizes,
    check_sizes,
)
from zoo.core.activations import LeakyReLU
from zoo.core.conv import BatchNorm2D, Conv2D, ConvTranspose2D, Flatten, Reshape
from zoo.core.layers import Activation, BatchNorm, Dense, Layer
from zoo.core.network import Sequential, TrainingDivergedError
from zoo.core.optimizers import get_optimizer

LOSSES = ("minimax", "non_saturating", "wasserstein", "hinge")
PROBABILITY_LOSSES = ("minimax", "non_saturating")
# Radford et al. (2015): leaky ReLUs of slope 0.2 in the discriminator
LEAKY_SLOPE = 0.2
# D counts as collapsed when it separates real from generated samples with a
# probability gap above COLLAPSE_GAP for COLLAPSE_STEPS steps in a row
COLLAPSE_GAP, COLLAPSE_STEPS = 0.99, 200
SNAPSHOT_EVERY = 50
SCORE_SEED = 0


def softplus(t):
    return np.logaddexp(0, t)


def discriminator_loss(kind, real_logits, fake_logits, smoothing=0.0):
    """(value, d real_logits, d fake_logits) of the discriminator's loss, means over
    each batch."""
    n_real, n_fake = real_logits.shape[0], fake_logits.shape[0]
    if kind in PROBABILITY_LOSSES:
        # binary cross-entropy with targets 1 - smoothing (real) and 0 (generated)
        target = 1.0 - smoothing
        value = np.mean(softplus(real_logits) - target * real_logits) + np.mean(softplus(fake_logits))
        return float(value), (expit(real_logits) - target) / n_real, expit(fake_logits) / n_fake
    if kind == "wasserstein":
        value = np.mean(fake_logits) - np.mean(real_logits)
        return float(value), np.full_like(real_logits, -1 / n_real), np.full_like(fake_logits, 1 / n_fake)
    real_margin, fake_margin = 1 - real_logits, 1 + fake_logits
    value = np.mean(np.maximum(real_margin, 0)) + np.mean(np.maximum(fake_margin, 0))
    d_real = -(real_margin > 0).astype(real_logits.dtype) / n_real
    d_fake = (fake_margin > 0).astype(fake_logits.dtype) / n_fake
    return float(value), d_real, d_fake


def generator_loss(kind, fake_logits):
    """(value, d fake_logits) of the generator's loss, a mean over the batch."""
    n = fake_logits.shape[0]
    if kind == "minimax":  # E log(1 - D(G(z))) = -E softplus(l)
        return -float(np.mean(softplus(fake_logits))), -expit(fake_logits) / n
    if kind == "non_saturating":  # -E log D(G(z)) = E softplus(-l)
        return float(np.mean(softplus(-fake_logits))), (expit(fake_logits) - 1) / n
    return -float(np.mean(fake_logits)), np.full_like(fake_logits, -1 / n)


class Pack(Layer):
    """PacGAN packing (Lin et al. 2018): ``size`` consecutive rows become one row, the
    samples side by side; for images (H, W, C) they are stacked along the channels,
    so the packed row is an (H, W, size C) image."""

    def __init__(self, size, image_shape):
        super().__init__()
        self.size, self.image_shape = size, tuple(image_shape)

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        return (input_shape[0] * self.size,)

    def forward(self, x, training=False):
        if x.shape[0] % self.size:
            raise ValueError(
                f"the discriminator takes packs of {self.size} samples; got {x.shape[0]} rows, "
                f"not a multiple of pack={self.size}"
            )
        images = x.reshape(-1, self.size, *self.image_shape)
        return images.transpose(0, 2, 3, 1, 4).reshape(images.shape[0], -1)

    def backward(self, dy):
        H, W, C = self.image_shape
        grid = dy.reshape(-1, H, W, self.size, C).transpose(0, 3, 1, 2, 4)
        return grid.reshape(-1, H * W * C)


def _hidden_activation(name):
    return Activation(LeakyReLU(LEAKY_SLOPE) if name == "leaky_relu" else name)


def _check_standardize(name, value):
    if value is not None:
        check_bool(name, value)


class GAN(TransformerMixin, ImageInputMixin, ZooEstimator):
    """Generative adversarial network (Goodfellow et al. 2014), dense or DCGAN-style
    convolutional (Radford, Metz & Chintala 2015), with the minimax, non-saturating,
    Wasserstein (weight clipping; Arjovsky et al. 2017) and hinge losses, one-sided
    label smoothing (Salimans et al. 2016) and PacGAN packing (Lin et al. 2018).

    ``fit(X)`` plays the adversarial game on the rows of X (y is ignored);
    ``sample(n)`` draws from the generator; ``discriminator_score(X)`` is D's
    probability that samples are real (the critic's value for the Wasserstein and
    hinge losses); ``transform(X)`` gives D's last hidden features (the feature
    extractor of Radford et al., Sec. 5.1); ``score(X)`` is minus the energy distance
    between X and as many generated samples (higher is better).

    Parameters
    ----------
    generator_layer_sizes : sequence of int, default=(32, 32)
        Hidden layers of the dense generator (dense architecture).
    discriminator_layer_sizes : sequence of int, default=(32, 32)
        Hidden layers of the dense discriminator; with the conv architecture, dense
        layers after the convolutions (may be empty).
    generator_activation : str, default="relu"
    discriminator_activation : str, default="leaky_relu"
        Hidden nonlinearities; "leaky_relu" has slope 0.2 here, as in DCGAN.
    output_activation : {"identity", "tanh", "logistic"}, default="identity"
        Generator output: "logistic" for data in [0, 1], "tanh" for [-1, 1].
    latent_dim : int, default=2
    latent_distribution : {"normal", "uniform"}, default="normal"
        N(0, I) or U(-1, 1)^latent_dim.
    architecture : {"dense", "conv"}, default="dense"
        "conv": the generator maps z through a dense layer to (H / 2^k, W / 2^k,
        conv_filters[0]) feature maps, then k = len(conv_filters) transposed
        convolutions of stride 2 (filters conv_filters[1:], then the image channels);
        the discriminator mirrors it with strided convolutions. H and W must be
        divisible by 2^k.
    conv_filters : sequence of int, default=(32, 16)
    kernel_size : int, default=4
    standardize : bool or None, default=None
        Train on each feature minus its mean, divided by its standard deviation, and
        map samples back (a GAN trains far more reliably on standardized data). None:
        True with the identity output, False with a bounded one, whose range fixes
        the data's scale.
    batch_norm : bool, default=False
        Batch normalisation after the generator's hidden layers (DCGAN).
    input_shape : (height, width) or (height, width, channels), default=None
        How a row reshapes to an image for the conv architecture (see DCN).
    loss : {"non_saturating", "minimax", "wasserstein", "hinge"}, default="non_saturating"
    n_critic : int, default=1
        Discriminator steps per generator step.
    label_smoothing : float in [0, 1), default=0.0
        One-sided: D's target on real samples is 1 - label_smoothing.
    pack : int, default=1
        Samples the discriminator sees at once (PacGAN; 1 is the plain GAN).
    clip_value : float, default=0.01
        Weight clipping of the Wasserstein critic.
    learning_rate : float, default=2e-4
    beta1, beta2 : float, default=0.5, 0.999
        Adam's moment decays (both players).
    batch_size : int, default=64
        Samples (packs with pack > 1) per step, real and generated alike; the real
        ones are drawn with replacement.
    n_steps : int, default=500
        Generator steps.
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        Print both losses every 10% of the steps.
    dtype : numpy float type, default=np.float32
    n_threads : int or None, default=None

    Attributes
    ----------
    generator_, discriminator_ : zoo.core.network.Sequential
        The discriminator outputs a logit per pack.
    generator_losses_, discriminator_losses_ : ndarray of shape (n_steps_,)
        Each player's loss at every generator step (the discriminator's averaged over
        its n_critic steps).
    n_steps_ : int
        Generator steps run (fewer than n_steps when the discriminator collapsed).
    n_params_ : int
    shift_, scale_ : ndarray of shape (n_features,)
        The standardization (zeros and ones when off).
    image_shape_ : tuple
        (height, width, channels) each row reshapes to.
    n_features_in_ : int
    """

    _constraints = {
        "generator_layer_sizes": check_sizes,
        "discriminator_layer_sizes": check_sizes,
        "generator_activation": Options(*HIDDEN_ACTIVATIONS),
        "discriminator_activation": Options(*HIDDEN_ACTIVATIONS),
        "output_activation": Options("identity", "tanh", "logistic"),
        "latent_dim": Interval(int, 1, None),
        "latent_distribution": Options("normal", "uniform"),
        "architecture": Options("dense", "conv"),
        "conv_filters": check_layer_sizes,
        "kernel_size": Interval(int, 1, None),
        "standardize": _check_standardize,
        "batch_norm": check_bool,
        "loss": Options(*LOSSES),
        "n_critic": Interval(int, 1, None),
        "label_smoothing": Interval(float, 0, 1, closed="left"),
        "pack": Interval(int, 1, None),
        "clip_value": Interval(float, 0, None, closed="neither"),
        "learning_rate": Interval(float, 0, None, closed="neither"),
        "beta1": Interval(float, 0, 1, closed="left"),
        "beta2": Interval(float, 0, 1, closed="left"),
        "batch_size": Interval(int, 1, None),
        "n_steps": Interval(int, 1, None),
        "verbose": check_bool,
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        generator_layer_sizes=(32, 32),
        discriminator_layer_sizes=(32, 32),
        generator_activation="relu",
        discriminator_activation="leaky_relu",
        output_activation="identity",
        latent_dim=2,
        latent_distribution="normal",
        architecture="dense",
        conv_filters=(32, 16),
        kernel_size=4,
        standardize=None,
        batch_norm=False,
        input_shape=None,
        loss="non_saturating",
        n_critic=1,
        label_smoothing=0.0,
        pack=1,
        clip_value=0.01,
        learning_rate=2e-4,
        beta1=0.5,
        beta2=0.999,
        batch_size=64,
        n_steps=500,
        random_state=None,
        verbose=False,
        dtype=np.float32,
        n_threads=None,
    ):
        self.generator_layer_sizes = generator_layer_sizes
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.generator_activation = generator_activation
        self.discriminator_activation = discriminator_activation
        self.output_activation = output_activation
        self.latent_dim = latent_dim
        self.latent_distribution = latent_distribution
        self.architecture = architecture
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.standardize = standardize
        self.batch_norm = batch_norm
        self.input_shape = input_shape
        self.loss = loss
        self.n_critic = n_critic
        self.label_smoothing = label_smoothing
        self.pack = pack
        self.clip_value = clip_value
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.batch_size = batch_size
        self.n_steps = n_steps
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_threads = n_threads

    # ------------------------------------------------------------ networks

    def _generator_layers(self, n_features):
        if self.architecture == "dense":
            layers = []
            for units in self.generator_layer_sizes:
                layers.append(Dense(units, init="he", use_bias=not self.batch_norm))
                layers += [BatchNorm()] if self.batch_norm else []
                layers.append(_hidden_activation(self.generator_activation))
            return [*layers, Dense(n_features, init="xavier")]
        H, W, C = self.image_shape_
        scale = 2 ** len(self.conv_filters)
        if H % scale or W % scale:
            raise ValueError(
                f"architecture='conv' with {len(self.conv_filters)} conv_filters upsamples by "
                f"{scale}, which must divide the image height and width; got images {H} x {W}"
            )
        start = (H // scale, W // scale, self.conv_filters[0])
        layers = [Dense(math.prod(start), init="he", use_bias=not self.batch_norm)]
        layers += [BatchNorm()] if self.batch_norm else []
        layers += [_hidden_activation(self.generator_activation), Reshape(start)]
        for filters in self.conv_filters[1:]:
            layers.append(ConvTranspose2D(filters, self.kernel_size, 2, "same",
                                          use_bias=not self.batch_norm))
            layers += [BatchNorm2D()] if self.batch_norm else []
            layers.append(_hidden_activation(self.generator_activation))
        return [*layers, ConvTranspose2D(C, self.kernel_size, 2, "same", init="xavier"), Flatten()]

    def _discriminator_layers(self):
        H, W, C = self.image_shape_
        layers = [Pack(self.pack, self.image_shape_)] if self.pack > 1 else []
        if self.architecture == "conv":
            layers.append(Reshape((H, W, C * self.pack)))
            for filters in self.conv_filters[::-1]:
                layers += [Conv2D(filters, self.kernel_size, 2, "same"),
                           _hidden_activation(self.discriminator_activation)]
            layers.append(Flatten())
        for units in self.discriminator_layer_sizes:
            layers += [Dense(units, init="he"), _hidden_activation(self.discriminator_activation)]
        return [*layers, Dense(1, init="xavier")]

    def _build(self, n_features, rng):
        dtype = self._float_dtype()
        output = [] if self.output_activation == "identity" else [Activation(self.output_activation)]
        self.generator_ = Sequential([*self._generator_layers(n_features), *output])
        self.generator_.build((self.latent_dim,), rng, dtype)
        self.discriminator_ = Sequential(self._discriminator_layers())
        self.discriminator_.build((n_features,), rng, dtype)
        self.n_params_ = self.generator_.n_params + self.discriminator_.n_params

    # ------------------------------------------------------------ training

    def _latent(self, n, rng, dtype=np.float64):
        shape = (n, self.latent_dim)
        z = rng.standard_normal(shape) if self.latent_distribution == "normal" else rng.uniform(-1, 1, shape)
        return z.astype(dtype, copy=False)

    def discriminator_objective(self, real, z):
        """D's loss on the real rows and G(z) (packed as D takes them); fills D's
        gradients and returns (value, probability gap of D between real and generated
        packs)."""
        fake = self.generator_.forward(z, training=True)
        logits = self.discriminator_.forward(np.concatenate([real, fake]), training=True)
        n_real = real.shape[0] // self.pack
        value, d_real, d_fake = discriminator_loss(
            self.loss, logits[:n_real], logits[n_real:], self.label_smoothing
        )
        self.discriminator_.backward(np.concatenate([d_real, d_fake]))
        gap = float(np.mean(expit(logits[:n_real])) - np.mean(expit(logits[n_real:])))
        return value, gap

    def generator_objective(self, z):
        """G's loss for the latent rows z, backpropagated through D into G; fills G's
        gradients (D's are overwritten too and left unused) and returns the value."""
        fake = self.generator_.forward(z, training=True)
        logits = self.discriminator_.forward(fake, training=True)
        value, d_logits = generator_loss(self.loss, logits)
        self.generator_.backward(self.discriminator_.backward(d_logits))
        return value

    def discriminator_step(self, X, rng, optimizer):
        """One update of D on a batch of X (standardized rows) and as many generated
        samples; G's weights are not touched. Returns (loss, probability gap)."""
        D, rows = self.discriminator_, self.batch_size * self.pack
        real = X[rng.randint(X.shape[0], size=rows)]
        value, gap = self.discriminator_objective(real, self._latent(rows, rng, X.dtype))
        optimizer.step(D.params, D.grads)
        if self.loss == "wasserstein":
            for param in D.params:
                np.clip(param, -self.clip_value, self.clip_value, out=param)
        return value, gap

    def generator_step(self, rng, optimizer, dtype):
        """One update of G through D; D's weights are not touched. Returns the loss,
        or a non-finite loss without updating."""
        value = self.generator_objective(self._latent(self.batch_size * self.pack, rng, dtype))
        if math.isfinite(value):
            optimizer.step(self.generator_.params, self.generator_.grads)
        return value

    def _optimizer(self):
        return get_optimizer("adam", learning_rate=self.learning_rate, beta1=self.beta1, beta2=self.beta2)

    def _play(self, X, rng):
        """Alternate n_critic discriminator steps and one generator step, n_steps times."""
        G, D = self.generator_, self.discriminator_
        g_optimizer, d_optimizer = self._optimizer(), self._optimizer()
        g_losses, d_losses = [], []
        snapshot, collapsed_for = G.get_weights() + D.get_weights(), 0
        for step in range(self.n_steps):
            d_value = 0.0
            for _ in range(self.n_critic):
                value, gap = self.discriminator_step(X, rng, d_optimizer)
                d_value += value / self.n_critic
            g_value = self.generator_step(rng, g_optimizer, X.dtype)
            if not (math.isfinite(d_value) and math.isfinite(g_value)):
                self._restore(snapshot, g_losses, d_losses)
                raise TrainingDivergedError(
                    f"the adversarial losses became non-finite at step {step + 1} (discriminator "
                    f"{d_value}, generator {g_value}); the weights of step {self.n_steps_} were "
                    "kept. Lower the learning rate or standardize the input."
                )
            g_losses.append(g_value)
            d_losses.append(d_value)
            if (step + 1) % SNAPSHOT_EVERY == 0 and all(np.isfinite(p).all() for p in G.params + D.params):
                snapshot = G.get_weights() + D.get_weights()
            collapsed_for = collapsed_for + 1 if gap > COLLAPSE_GAP else 0
            if self.loss in PROBABILITY_LOSSES and collapsed_for >= COLLAPSE_STEPS:
                warnings.warn(
                    f"{type(self).__name__}: the discriminator collapsed (it told real from "
                    f"generated samples with a probability gap above {COLLAPSE_GAP} for "
                    f"{COLLAPSE_STEPS} steps, so the generator gets no useful gradient); "
                    f"training stopped at step {step + 1}. Try loss='non_saturating', "
                    "label_smoothing, a smaller discriminator or a lower learning rate.",
                    ConvergenceWarning,
                )
                break
            if self.verbose and (step + 1) % max(self.n_steps // 10, 1) == 0:
                print(f"step {step + 1}: discriminator {d_value:.4f}, generator {g_value:.4f}")
        self._record(g_losses, d_losses)

    def _record(self, g_losses, d_losses):
        self.generator_losses_ = np.array(g_losses)
        self.discriminator_losses_ = np.array(d_losses)
        self.n_steps_ = len(g_losses)

    def _restore(self, snapshot, g_losses, d_losses):
        n_g = len(self.generator_.params)
        self.generator_.set_weights(snapshot[:n_g])
        self.discriminator_.set_weights(snapshot[n_g:])
        kept = SNAPSHOT_EVERY * (len(g_losses) // SNAPSHOT_EVERY)
        self._record(g_losses[:kept], d_losses[:kept])

    def fit(self, X, y=None):
        """Train the generator and the discriminator on the rows of X; returns self."""
        self._check_params()
        X = self._validate(X)
        standardize = self.output_activation == "identity" if self.standardize is None else self.standardize
        self.shift_ = X.mean(axis=0) if standardize else np.zeros(X.shape[1], X.dtype)
        std = X.std(axis=0) if standardize else np.ones(X.shape[1], X.dtype)
        self.scale_ = np.where(std > 0, std, 1).astype(X.dtype)
        X = (X - self.shift_) / self.scale_
        rng = self._rng()
        self._build(X.shape[1], rng)
        flops = 3.0 * self.batch_size * self.pack * (self.generator_.flops + 2 * self.discriminator_.flops)
        with self._threads(flops * self.n_critic):
            self._play(X, rng)
        return self

    # ------------------------------------------------------------ use

    def sample(self, n_samples=1, random_state=None):
        """``n_samples`` rows generated from fresh latent draws, shape (n_samples, n_features)."""
        check_is_fitted(self)
        Interval(int, 1, None).check("n_samples", n_samples)
        z = self._latent(n_samples, check_random_state(random_state))
        with self._threads(n_samples * self.generator_.flops):
            return self.generator_.predict(z) * self.scale_ + self.shift_

    def _inference_input(self, X):
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=np.float64)
        return (X - self.shift_) / self.scale_

    def discriminator_score(self, X):
        """D's probability that the rows of X are real data (for the Wasserstein and
        hinge losses, the critic's unbounded value). With pack > 1, consecutive rows
        form the packs D judges, so X needs a multiple of ``pack`` rows and the result
        has one score per pack."""
        X = self._inference_input(X)
        with self._threads(X.shape[0] * self.discriminator_.flops):
            logits = self.discriminator_.predict(X)[:, 0]
        return expit(logits) if self.loss in PROBABILITY_LOSSES else logits

    def transform(self, X):
        """The discriminator's last hidden features of each row (with pack > 1 each row
        is shown to D as a pack of ``pack`` copies of itself)."""
        X = self._inference_input(X)
        features = Sequential(self.discriminator_.layers[:-1])
        with self._threads(X.shape[0] * self.pack * self.discriminator_.flops):
            return features.predict(np.repeat(X, self.pack, axis=0))

    def score(self, X, y=None):
        """Minus the energy distance between the rows of X and as many generated
        samples (drawn with a fixed seed, so the score is deterministic); higher is
        better, 0 for identical distributions."""
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=np.float64)
        return -energy_distance(X, self.sample(X.shape[0], random_state=SCORE_SEED))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def energy_distance(A, B):
    """Szekely & Rizzo's energy distance between two samples (rows):
    2 E|a - b| - E|a - a'| - E|b - b'|, the means over all pairs (V-statistics);
    zero exactly when the empirical distributions coincide."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    cross = cdist(A, B).mean()
    return float(2 * cross - cdist(A, A).mean() - cdist(B, B).mean())


def generated_samples(estimator, n_samples):
    """``n_samples`` rows from any generator: ``sample(n, random_state=0)`` where the
    method takes a seed, else ``sample(n)`` (sklearn's mixtures return (X, labels))."""
    if "random_state" in inspect.signature(estimator.sample).parameters:
        samples = estimator.sample(n_samples, random_state=SCORE_SEED)
    else:
        samples = estimator.sample(n_samples)
    return np.asarray(samples[0] if isinstance(samples, tuple) else samples, dtype=np.float64)


def sample_energy_distance(estimator, data):
    """Benchmark metric: energy distance between the test split and as many samples
    of the fitted generator (lower is better)."""
    X_test = np.asarray(data.X_test, dtype=np.float64)
    return energy_distance(X_test, generated_samples(estimator, X_test.shape[0]))


def modes_captured(samples, centers, sigma, min_count=20):
    """(modes captured, share of high-quality samples) of samples from a mixture of
    isotropic Gaussians: a sample is high quality within 3 sigma of its nearest
    centre; a mode is captured when at least ``min_count`` high-quality samples fall
    on it."""
    distances = cdist(samples, centers)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(centers))
    return int(np.sum(counts >= min_count)), float(good.mean())


def samples_figure(estimator, data, figure):
    """Figure hook. Points in the plane: generated samples over the test data after
    1/8, 1/4, 1/2 and all of the training (a run is deterministic, so refitting with
    fewer steps replays its start), with the modes captured where the data name their
    centres. Images: a grid of 40 samples."""
    if estimator.n_features_in_ != 2:
        _image_grid(estimator, figure)
        return
    X_test = np.asarray(data.X_test, dtype=float)
    steps = [max(estimator.n_steps_ * k // 8, 1) for k in (1, 2, 4)]
    runs = [clone(estimator).set_params(n_steps=n).fit(data.X_train) for n in steps] + [estimator]
    figure.set_size_inches(3.0 * len(runs), 3.3)
    center = X_test.mean(axis=0)
    reach = 1.5 * np.abs(X_test - center).max()  # one view for all panels, far-off samples cut
    for ax, run in zip(figure.subplots(1, len(runs)), runs):
        samples = run.sample(1000, random_state=0)
        ax.scatter(X_test[:, 0], X_test[:, 1], s=3, c="0.6", label="test data")
        ax.scatter(samples[:, 0], samples[:, 1], s=3, c="tab:red", alpha=0.5, label="generated")
        title = f"step {run.n_steps_}"
        if "centers" in data.info:
            modes, quality = modes_captured(samples, data.info["centers"], data.info["sigma"], 8)
            title += f": {modes} modes, {quality:.0%} HQ"
        ax.set_title(title, fontsize=9)
        ax.set(xlim=center[0] + [-reach, reach], ylim=center[1] + [-reach, reach], aspect="equal")
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle(f"{type(estimator).__name__}: samples (red) over the test data during training")


def _image_grid(estimator, figure, n_rows=4, n_columns=10):
    """Generated images on a grid (the first channel of each)."""
    shape = estimator.image_shape_
    images = estimator.sample(n_rows * n_columns, random_state=0).reshape(-1, *shape)[..., 0]
    figure.set_size_inches(0.8 * n_columns, 0.8 * n_rows + 0.4)
    for ax, image in zip(figure.subplots(n_rows, n_columns).flat, images):
        ax.imshow(image, cmap="gray_r")
        ax.set_axis_off()
    figure.suptitle(f"{type(estimator).__name__}: generated samples")
