"""Variational autoencoder (VAE).

Kingma & Welling (2013), Rezende, Mohamed & Wierstra (2014): an encoder gives the mean
mu and the log-variance log sigma^2 of a Gaussian q(z|x); z = mu + sigma * eps with
eps ~ N(0, I) (the reparameterisation) feeds a decoder p(x|z), Bernoulli from logits
or Gaussian with unit variance. Training maximises the evidence lower bound

    ELBO = E_q[log p(x|z)] - beta KL(q(z|x) || N(0, I)),
    KL = (1/2) sum (mu^2 + sigma^2 - 1 - log sigma^2)            (closed form),

beta = 1 for the VAE, beta != 1 for the beta-VAE of Higgins et al. (2017), with beta
optionally warmed up from 0 (KL annealing, Bowman et al. 2016). Burda, Grosse &
Salakhutdinov (2015) tighten the bound with k importance samples,
L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)] >= ELBO, which ``score_samples`` reports.

The two-headed encoder does not fit a Sequential, so ``VAENetwork`` writes the graph
(encoder -> mean and log-variance heads -> sampling -> decoder) with the same
forward/backward/params/grads protocol and trains in the shared loop.
"""

import math

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from zoo.base import HIDDEN_ACTIVATIONS, Interval, NeuralNetEstimator, Options, check_sizes
from zoo.core.layers import Dense, dense_stack
from zoo.core.losses import binary_cross_entropy, mse
from zoo.core.network import Sequential

from .ae import FIRST_ORDER_DOC, PenalizedLoss, show_images

LIKELIHOODS = ("bernoulli", "gaussian")
LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) of each row, in closed form."""
    return 0.5 * np.sum(mu * mu + np.exp(logvar) - 1 - logvar, axis=-1)


class VAENetwork:
    """Encoder -> (mu, log sigma^2) heads -> z = mu + sigma eps -> decoder.

    ``forward(x, training=True)`` draws ``n_samples`` codes per row (from ``noise``
    when it is set, an array (n_samples, n_rows, latent_dim) held fixed for gradient
    checks) and returns the decoder outputs of all of them, shape
    (n_samples * n_rows, n_features), sample-major. At inference z = mu. ``penalty``
    is the KL weight times the mean KL of the last forward pass; ``backward`` adds its
    gradient to the heads'. The KL weight rises from 0 to ``beta`` over the first
    ``warmup_steps`` training steps (KL annealing).
    """

    def __init__(self, hidden_sizes, activation, latent_dim, n_samples=1, beta=1.0, warmup_steps=0):
        self.hidden_sizes, self.activation = tuple(hidden_sizes), activation
        self.latent_dim, self.n_samples = latent_dim, n_samples
        self.beta, self.warmup_steps, self.steps = beta, warmup_steps, 0
        self.noise = None

    @property
    def kl_weight(self):
        """beta, reached linearly over the first ``warmup_steps`` training steps."""
        if self.steps >= self.warmup_steps:
            return self.beta
        return self.beta * self.steps / self.warmup_steps

    def _encoder_and_decoder(self, n_features):
        """The two unbuilt Sequentials: rows -> hidden features, codes -> outputs."""
        activations = [self.activation] * len(self.hidden_sizes)
        encoder = Sequential(dense_stack(self.hidden_sizes, activations, "glorot_uniform"))
        decoder_sizes = self.hidden_sizes[::-1]
        decoder = Sequential(
            [*dense_stack(decoder_sizes, activations, "glorot_uniform"), Dense(n_features)]
        )
        return encoder, decoder

    def _codes(self, z):
        """The codes the decoder sees in training, from the sampled z (rows of codes)."""
        return z

    def _code_gradient(self, dz):
        """The gradient passed back to the sampled z from the decoder's gradient."""
        return dz

    def build(self, n_features, rng, dtype):
        self.encoder, self.decoder = self._encoder_and_decoder(n_features)
        self.mean_head, self.logvar_head = Dense(self.latent_dim), Dense(self.latent_dim)
        hidden_shape = self.encoder.build((n_features,), rng, dtype)
        self.mean_head.build(hidden_shape, rng, dtype)
        self.logvar_head.build(hidden_shape, rng, dtype)
        self.output_shape = self.decoder.build((self.latent_dim,), rng, dtype)
        self.rng, self.kl = rng, 0.0
        return self.output_shape

    @property
    def parts(self):
        heads = Sequential([self.mean_head, self.logvar_head])  # a container, never run
        return [self.encoder, heads, self.decoder]

    def encode(self, x, training=False):
        h = self.encoder.forward(x, training)
        return self.mean_head.forward(h, training), self.logvar_head.forward(h, training), h

    def forward(self, x, training=False):
        mu, logvar, _ = self.encode(x, training)
        self._mu, self._logvar, self._weight = mu, logvar, self.kl_weight
        self.kl = float(np.mean(gaussian_kl(mu, logvar)))
        if not training:
            self._eps = None
            return self.decoder.forward(mu, training)
        shape = (self.n_samples, *mu.shape)
        eps = self.noise if self.noise is not None else self.rng.standard_normal(shape)
        self._eps = eps.astype(mu.dtype, copy=False)
        self._sigma = np.exp(0.5 * logvar)
        self.steps += 1
        z = mu + self._sigma * self._eps
        return self.decoder.forward(self._codes(z.reshape(-1, self.latent_dim)), training)

    def penalty(self):
        return self._weight * self.kl

    def backward(self, d_output):
        mu, logvar, n = self._mu, self._logvar, self._mu.shape[0]
        dz = self.decoder.backward(d_output)
        if self._eps is None:
            d_mu, d_logvar = dz, np.zeros_like(logvar)
        else:
            dz = self._code_gradient(dz).reshape(self._eps.shape)
            d_mu = dz.sum(axis=0)
            d_logvar = 0.5 * self._sigma * np.sum(dz * self._eps, axis=0)
        # gradient of kl_weight * mean KL
        scale = self._weight / n
        d_mu = d_mu + scale * mu
        d_logvar = d_logvar + 0.5 * scale * (np.exp(logvar) - 1)
        dh = self.mean_head.backward(d_mu) + self.logvar_head.backward(d_logvar)
        return self.encoder.backward(dh)

    def predict(self, x):
        return self.forward(x, training=False)

    @property
    def params(self):
        return [p for part in self.parts for p in part.params]

    @property
    def grads(self):
        return [g for part in self.parts for g in part.grads]

    @property
    def n_params(self):
        return int(sum(p.size for p in self.params))

    @property
    def flops(self):
        """Operations of one row's forward pass with one code (``Sequential.flops``)."""
        return sum(part.flops for part in self.parts)

    def get_weights(self):
        return [p.copy() for p in self.params]

    def set_weights(self, weights):
        for param, value in zip(self.params, weights):
            param[...] = value


class SampledTargetLoss:
    """A per-row loss against the target repeated for each of the samples drawn per row."""

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, output, target):
        repeats = output.shape[0] // target.shape[0]
        return self.loss(output, np.tile(target, (repeats, 1)) if repeats > 1 else target)


class VariationalAutoencoder(TransformerMixin, NeuralNetEstimator):
    __doc__ = (
        """Variational autoencoder (Kingma & Welling 2013; Rezende et al. 2014), with the
    beta-VAE weight (Higgins et al. 2017), KL annealing (Bowman et al. 2016) and the
    importance-weighted bound (Burda et al. 2015).

    ``transform`` gives the posterior mean (or a sampled code), ``inverse_transform``
    decodes codes into the mean of p(x|z), ``reconstruct`` does both, ``sample(n)``
    decodes prior draws, ``elbo(X)`` is the per-sample ELBO, ``score_samples`` the
    IWAE bound with ``iwae_k`` samples and ``score`` the mean ELBO (nats). The Monte
    Carlo estimates use the same ``iwae_k`` noise draws for every row (common random
    numbers, fixed at fit), so they are deterministic and independent of the batch.

    Parameters
    ----------
    encoder_layer_sizes : sequence of int, default=(64,)
        Hidden layers of the encoder; the decoder mirrors them.
    latent_dim : int, default=2
    activation : str, default="relu"
    likelihood : {"bernoulli", "gaussian"}, default="gaussian"
        Bernoulli from logits (inputs in [0, 1], read as Bernoulli means) or Gaussian
        with unit variance.
    beta : float, default=1.0
        Weight of the KL term.
    kl_annealing : int, default=0
        Epochs over which the KL weight rises linearly from 0 to beta (0: none).
        Early stopping watches the loss with the current weight, so keep
        ``n_iter_no_change`` above the warm-up when annealing.
    n_samples : int, default=1
        Codes drawn per sample in each training step.
    iwae_k : int, default=50
        Importance samples of ``score_samples``.
    code : {"mean", "sample"}, default="mean"
        What ``transform`` returns.
"""
        + FIRST_ORDER_DOC
        + "    network_ : VAENetwork\n"
    )

    _constraints = {
        "encoder_layer_sizes": check_sizes,
        "latent_dim": Interval(int, 1, None),
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "likelihood": Options(*LIKELIHOODS),
        "beta": Interval(float, 0, None),
        "kl_annealing": Interval(int, 0, None),
        "n_samples": Interval(int, 1, None),
        "iwae_k": Interval(int, 1, None),
        "code": Options("mean", "sample"),
    }

    def __init__(
        self,
        encoder_layer_sizes=(64,),
        latent_dim=2,
        activation="relu",
        likelihood="gaussian",
        beta=1.0,
        kl_annealing=0,
        n_samples=1,
        iwae_k=50,
        code="mean",
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
        self.latent_dim = latent_dim
        self.activation = activation
        self.likelihood = likelihood
        self.beta = beta
        self.kl_annealing = kl_annealing
        self.n_samples = n_samples
        self.iwae_k = iwae_k
        self.code = code
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

    def _check_input(self, X):
        if self.likelihood == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "likelihood='bernoulli' reads the inputs as probabilities and needs them in "
                f"[0, 1]; got values in [{X.min():.3g}, {X.max():.3g}]. Scale the data or "
                "use likelihood='gaussian'."
            )

    def _reconstruction_loss(self):
        return binary_cross_entropy if self.likelihood == "bernoulli" else mse

    def fit(self, X, y=None):
        """Maximise the ELBO of X (y is ignored); returns self."""
        self._check_params()
        X = self._validate(X)
        self._check_input(X)
        self._train(X, X, self._prepare_network(X))
        return self

    def _new_network(self, warmup_steps):
        return VAENetwork(self.encoder_layer_sizes, self.activation, self.latent_dim,
                          warmup_steps=warmup_steps)

    def _prepare_network(self, X):
        """Build ``network_`` (or keep it under warm_start); returns the training objective."""
        rng = self._rng()
        if not (self.warm_start and getattr(self, "network_", None) is not None
                and self.network_.output_shape == (X.shape[1],)):
            steps_per_epoch = -(-X.shape[0] // (self.batch_size or X.shape[0]))
            self.network_ = self._new_network(self.kl_annealing * steps_per_epoch)
            self.network_.build(X.shape[1], rng, self._float_dtype())
            vars(self).pop("optimizer_", None)
            self.score_seed_ = int(rng.randint(2**31))
        self.network_.n_samples, self.network_.beta = self.n_samples, self.beta
        self.n_params_ = self.network_.n_params
        return PenalizedLoss(self.network_, SampledTargetLoss(self._reconstruction_loss()))

    def _inference_input(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False, dtype=np.float64)

    def _decode_mean(self, z):
        logits = self.network_.decoder.forward(z, training=False)
        return expit(logits) if self.likelihood == "bernoulli" else logits

    def transform(self, X):
        """Posterior means (code="mean") or one sampled code per row (code="sample")."""
        X = self._inference_input(X)
        with self._threads(2.0 * X.shape[0] * self.n_params_):
            mu, logvar, _ = self.network_.encode(X)
        if self.code == "mean":
            return mu
        return mu + np.exp(0.5 * logvar) * self._rng().standard_normal(mu.shape)

    def inverse_transform(self, X):
        """The mean of p(x|z) for codes X (n_samples, latent_dim)."""
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float64)
        if Z.shape[1] != self.latent_dim:
            raise ValueError(f"X has {Z.shape[1]} features, but the code has {self.latent_dim}")
        return self._decode_mean(Z)

    def reconstruct(self, X):
        """The decoder mean at the posterior mean of each row."""
        X = self._inference_input(X)
        return self._decode_mean(self.network_.encode(X)[0])

    def sample(self, n_samples=1, random_state=None):
        """Decoder means of ``n_samples`` codes drawn from the prior N(0, I)."""
        check_is_fitted(self)
        Interval(int, 1, None).check("n_samples", n_samples)
        z = check_random_state(random_state).standard_normal((n_samples, self.latent_dim))
        return self._decode_mean(z)

    def _log_likelihood(self, X, output):
        if self.likelihood == "bernoulli":
            return -np.sum(np.logaddexp(0, output) - X * output, axis=-1)
        return -0.5 * np.sum((X - output) ** 2, axis=-1) - 0.5 * X.shape[-1] * LOG_2PI

    def _sampled_terms(self, X, k):
        """log p(x|z_i) and log p(z_i) - log q(z_i|x) for k common noise draws, each (k, n)."""
        mu, logvar, _ = self.network_.encode(X)
        eps = np.random.default_rng(self.score_seed_).standard_normal((k, 1, self.latent_dim))
        z = mu + np.exp(0.5 * logvar) * eps
        output = self.network_.decoder.forward(z.reshape(-1, self.latent_dim))
        log_px = self._log_likelihood(X, output.reshape(k, *X.shape))
        log_ratio = np.sum(0.5 * (eps * eps - z * z + logvar), axis=-1)
        return log_px, log_ratio, mu, logvar

    def elbo(self, X, n_samples=None):
        """ELBO of each row (nats): E_q log p(x|z) from ``n_samples`` (default iwae_k)
        draws minus the closed-form KL."""
        X = self._inference_input(X)
        with self._threads(2.0 * X.shape[0] * self.n_params_ * (n_samples or self.iwae_k)):
            log_px, _, mu, logvar = self._sampled_terms(X, n_samples or self.iwae_k)
        return log_px.mean(axis=0) - gaussian_kl(mu, logvar)

    def score_samples(self, X, k=None):
        """The importance-weighted bound L_k (Burda et al. 2015) of each row, k = iwae_k."""
        X = self._inference_input(X)
        k = k or self.iwae_k
        with self._threads(2.0 * X.shape[0] * self.n_params_ * k):
            log_px, log_ratio, _, _ = self._sampled_terms(X, k)
        return logsumexp(log_px + log_ratio, axis=0) - math.log(k)

    def score(self, X, y=None):
        """Mean ELBO of the rows of X (higher is better)."""
        return float(np.mean(self.elbo(X)))


def samples_figure(estimator, data, figure):
    """Figure hook: decoded prior samples and the 2-D map of the test posterior means."""
    samples = estimator.sample(32, random_state=0)
    left, right = figure.subfigures(1, 2)
    show_images(left, [samples[i : i + 8] for i in range(0, 32, 8)], [""] * 4, 8)
    left.suptitle("samples from the prior", fontsize=9)
    axes = right.subplots()
    codes = estimator.transform(np.asarray(data.X_test, dtype=float))
    if codes.shape[1] > 2:  # the two directions of largest variance of the means
        codes = codes - codes.mean(axis=0)
        codes = codes @ np.linalg.svd(codes, full_matrices=False)[2][:2].T
    y = data.y_test if data.y_test is not None else np.zeros(len(codes))
    points = axes.scatter(codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=6)
    right.colorbar(points, ax=axes)
    axes.set_title("test posterior means (2-D)", fontsize=9)
