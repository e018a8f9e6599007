"""Restricted Boltzmann machine: a bipartite energy model trained by contrastive divergence.

E(v, h) = -b.v - c.h - v W h for binary v (Smolensky 1986's harmonium), or
E(v, h) = |v - b|^2 / 2 - c.h - v W h for Gaussian visibles of unit variance.
p(h_j = 1 | v) = sigmoid(c_j + v W_:j); p(v_i = 1 | h) = sigmoid(b_i + W_i: h) (or
N(b_i + W_i: h, 1)); the free energy F(v) = -log sum_h exp(-E(v, h)) and p(v) = exp(-F(v)) / Z.
The log-likelihood gradient <v h>_data - <v h>_model is estimated by CD-k (Hinton 2002:
chains start at the data) or persistent CD (Tieleman 2008: chains carried across
updates). log Z comes from enumerating the smaller layer, or from annealed importance
sampling (Salakhutdinov & Murray 2008).
"""

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state

from zoo.base import Interval, Options, ZooEstimator, check_is_fitted
from zoo.bench.figures import image_shape
from zoo.core.optimizers import get_optimizer
from zoo.core.schedules import SCHEDULES, get_schedule

__all__ = ["BernoulliRBM", "pseudo_likelihood", "filters_and_samples"]

# Exact log Z enumerates 2**n states of the smaller layer; beyond this it is too slow.
MAX_ENUMERATED_UNITS = 24
ENUMERATION_CHUNK = 2**15


def softplus(x):
    return np.logaddexp(0.0, x)


def bit_vectors(n_bits, start=0, stop=None):
    """Rows start..stop-1 of the 2**n_bits binary vectors, as floats (first bit most significant)."""
    stop = 2**n_bits if stop is None else stop
    codes = np.arange(start, stop, dtype=np.int64)
    shifts = np.arange(n_bits - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts) & 1).astype(np.float64)


def logsumexp_over_states(n_bits, log_weight):
    """log sum over all binary vectors s of length n_bits of exp(log_weight(s)), in chunks."""
    total = -np.inf
    for start in range(0, 2**n_bits, ENUMERATION_CHUNK):
        states = bit_vectors(n_bits, start, min(start + ENUMERATION_CHUNK, 2**n_bits))
        total = np.logaddexp(total, logsumexp(log_weight(states)))
    return float(total)


def bernoulli_sample(probabilities, rng):
    return (rng.uniform(size=probabilities.shape) < probabilities).astype(probabilities.dtype)


class BernoulliRBM(TransformerMixin, ZooEstimator):
    """Restricted Boltzmann machine with binary hidden units (Smolensky 1986; Hinton
    2002; Tieleman 2008; Hinton 2010, "A practical guide to training RBMs").

    Binary (or, with ``visible="gaussian"``, unit-variance Gaussian) visible units.
    Bernoulli visibles accept values in [0, 1] read as probabilities, like
    scikit-learn's ``BernoulliRBM``, whose parameter names and defaults this class
    shares where they overlap.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size on the mean minibatch gradient.
    batch_size : int, default=10
    n_iter : int, default=10
        Passes over the data.
    method : {"pcd", "cd"}, default="pcd"
        Persistent contrastive divergence (Tieleman 2008, as scikit-learn's) or CD-k.
    k : int, default=1
        Gibbs steps per update.
    n_chains : int or None, default=None
        Persistent chains for PCD (None: ``batch_size``).
    momentum : float in [0, 1), default=0.0
    initial_momentum : float in [0, 1) or None, default=None
        Momentum of the first ``momentum_switch`` epochs, ``momentum`` after them
        (Hinton 2010 sec. 9.1: 0.5 while the reconstruction error falls fast, then
        0.9); None: ``momentum`` throughout.
    momentum_switch : int, default=5
        Epochs run with ``initial_momentum`` (counted over ``fit`` and ``partial_fit``).
    weight_decay : float, default=0.0
        L2 penalty on W (not on the biases).
    schedule : {"constant", "exponential", "step", "invscaling", "cosine"}, default="constant"
        Learning-rate schedule over the updates of one ``fit``.
    sparsity_target, sparsity_cost : float or None, float, default=None, 0.0
        Hinton (2010) sec. 11: push the running mean activity q_j of each hidden unit
        towards the target with the cross-entropy gradient cost * (target - q_j).
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
        Gaussian visibles have unit variance: standardize the data.
    verbose : int, default=0
    random_state : int, RandomState or None, default=None
    dtype : numpy float type, default=np.float64
    n_threads : int or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        W transposed, as in scikit-learn.
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    chains_ : ndarray of shape (n_chains, n_components)
        Hidden states of the persistent chains (PCD).
    loss_curve_ : list of float
        Mean squared reconstruction error (v - E[v | h = p(h | v)])^2 of the data after
        each epoch.
    n_iter_ : int
    random_state_ : RandomState
    n_features_in_ : int
    """

    _constraints = {
        "n_components": Interval(int, 1, None),
        "learning_rate": Interval(float, 0, None, closed="neither"),
        "batch_size": Interval(int, 1, None),
        "n_iter": Interval(int, 0, None),
        "method": Options("cd", "pcd"),
        "k": Interval(int, 1, None),
        "n_chains": Interval(int, 1, None, none_ok=True),
        "momentum": Interval(float, 0, 1, closed="left"),
        "initial_momentum": Interval(float, 0, 1, closed="left", none_ok=True),
        "momentum_switch": Interval(int, 0, None),
        "weight_decay": Interval(float, 0, None),
        "schedule": Options(*SCHEDULES),
        "sparsity_target": Interval(float, 0, 1, closed="neither", none_ok=True),
        "sparsity_cost": Interval(float, 0, None),
        "visible": Options("bernoulli", "gaussian"),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_components=256,
        *,
        learning_rate=0.1,
        batch_size=10,
        n_iter=10,
        method="pcd",
        k=1,
        n_chains=None,
        momentum=0.0,
        initial_momentum=None,
        momentum_switch=5,
        weight_decay=0.0,
        schedule="constant",
        sparsity_target=None,
        sparsity_cost=0.0,
        visible="bernoulli",
        verbose=0,
        random_state=None,
        dtype=np.float64,
        n_threads=None,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.k = k
        self.n_chains = n_chains
        self.momentum = momentum
        self.initial_momentum = initial_momentum
        self.momentum_switch = momentum_switch
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.visible = visible
        self.verbose = verbose
        self.random_state = random_state
        self.dtype = dtype
        self.n_threads = n_threads

    @classmethod
    def _expected_failed_checks(cls):
        reason = (
            "score_samples flips one random unit per row, drawn in row order (scikit-learn's "
            "BernoulliRBM lists the same expected failure)"
        )
        return {
            "check_methods_sample_order_invariance": reason,
            "check_methods_subset_invariance": reason,
        }

    # ------------------------------------------------------------------ conditionals

    def _hidden_probabilities(self, v):
        activation = v @ self.components_.T
        activation += self.intercept_hidden_
        return expit(activation, out=activation)

    def _visible_mean(self, h):
        activation = h @ self.components_
        activation += self.intercept_visible_
        return activation if self.visible == "gaussian" else expit(activation, out=activation)

    def _sample_visible(self, h, rng):
        return self._draw_visible(self._visible_mean(h), rng)

    def _draw_visible(self, mean, rng):
        if self.visible == "gaussian":
            return mean + rng.standard_normal(mean.shape).astype(mean.dtype)
        return bernoulli_sample(mean, rng)

    def _gibbs_step(self, v, rng):
        return self._sample_visible(bernoulli_sample(self._hidden_probabilities(v), rng), rng)

    # ------------------------------------------------------------------ training

    def fit(self, X, y=None):
        """Train on X for ``n_iter`` passes; returns self."""
        self._check_params()
        X = self._validate(X, reset=True)
        self.random_state_ = self._rng()
        self._initialize(X, self.random_state_)
        self.optimizer_ = self._make_optimizer(X.shape[0])
        for _ in range(self.n_iter):
            self._epoch(X)
        return self

    def partial_fit(self, X, y=None):
        """One pass over X in minibatches, continuing from the current state; returns self."""
        first_call = not hasattr(self, "components_")
        if first_call:
            self._check_params()
        X = self._validate(X, reset=first_call)
        if first_call:
            self.random_state_ = self._rng()
            self._initialize(X, self.random_state_)
            self.optimizer_ = self._make_optimizer(X.shape[0])
        self._epoch(X)
        return self

    def _initialize(self, X, rng):
        """W ~ N(0, 0.01^2) and zero biases (Hinton 2010); PCD chains start with all
        hidden units off."""
        n_features, dtype = X.shape[1], X.dtype
        self.components_ = (0.01 * rng.standard_normal((self.n_components, n_features))).astype(dtype)
        self.intercept_hidden_ = np.zeros(self.n_components, dtype=dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype=dtype)
        self.chains_ = np.zeros((self.n_chains or self.batch_size, self.n_components), dtype=dtype)
        self.hidden_activity_ = np.full(self.n_components, self.sparsity_target or 0.0, dtype=dtype)
        self.loss_curve_, self.n_iter_ = [], 0

    def _make_optimizer(self, n_samples):
        steps = -(-n_samples // self.batch_size) * max(self.n_iter, 1)
        options = {
            "constant": {},
            "invscaling": {},
            "exponential": {"decay": 0.1, "every": steps},
            "step": {"factor": 0.1, "every": max(steps // 3, 1)},
            "cosine": {"total_steps": steps},
        }[self.schedule]
        schedule = get_schedule(self.schedule, self.learning_rate, **options)
        if self.momentum == 0 and not self.initial_momentum:
            return get_optimizer("sgd", learning_rate=schedule, weight_decay=self.weight_decay)
        return get_optimizer(
            "momentum", learning_rate=schedule, momentum=self._momentum(), weight_decay=self.weight_decay
        )

    def _momentum(self):
        """The momentum of the coming epoch."""
        ramping = self.initial_momentum is not None and self.n_iter_ < self.momentum_switch
        return self.initial_momentum if ramping else self.momentum

    def _epoch(self, X):
        rng = self.random_state_
        n = X.shape[0]
        order = rng.permutation(n)
        if hasattr(self.optimizer_, "momentum"):
            self.optimizer_.momentum = self._momentum()
        with self._threads(6.0 * self.batch_size * self.components_.size):
            for start in range(0, n, self.batch_size):
                self._update(X[order[start : start + self.batch_size]], rng)
            reconstruction = self._visible_mean(self._hidden_probabilities(X))
        self.loss_curve_.append(float(np.mean((X - reconstruction) ** 2)))
        self.n_iter_ += 1
        if self.verbose:
            print(f"[{type(self).__name__}] epoch {self.n_iter_}, reconstruction error {self.loss_curve_[-1]:.5f}")

    def _update(self, v_data, rng):
        """One CD-k / PCD update from a minibatch."""
        h_data = self._hidden_probabilities(v_data)
        h_start = self.chains_ if self.method == "pcd" else bernoulli_sample(h_data, rng)
        v_model = self._sample_visible(h_start, rng)
        for _ in range(self.k - 1):
            v_model = self._gibbs_step(v_model, rng)
        h_model = self._hidden_probabilities(v_model)
        if self.method == "pcd":
            self.chains_ = bernoulli_sample(h_model, rng)
        gradients = self._negative_gradients(v_data, h_data, v_model, h_model)
        self.optimizer_.step([self.components_, self.intercept_hidden_, self.intercept_visible_], gradients)

    def _negative_gradients(self, v_data, h_data, v_model, h_model):
        """Minus the CD estimate of d log-likelihood / d (W^T, c, b), batch means."""
        data_weight, model_weight = 1.0 / v_data.shape[0], 1.0 / v_model.shape[0]
        d_weights = (h_model.T * model_weight) @ v_model - (h_data.T * data_weight) @ v_data
        d_hidden = h_model.sum(axis=0) * model_weight - h_data.sum(axis=0) * data_weight
        d_visible = v_model.sum(axis=0) * model_weight - v_data.sum(axis=0) * data_weight
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            self.hidden_activity_ = 0.9 * self.hidden_activity_ + 0.1 * h_data.mean(axis=0)
            pull = self.sparsity_cost * (self.hidden_activity_ - self.sparsity_target)
            d_hidden += pull
            d_weights += np.outer(pull, v_data.mean(axis=0))
        return [d_weights, d_hidden, d_visible]

    # ------------------------------------------------------------------ inference

    def _checked(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def transform(self, X):
        """Hidden probabilities p(h = 1 | v), shape (n_samples, n_components)."""
        return self._hidden_probabilities(self._checked(X))

    def reconstruct(self, X):
        """E[v | h] with h = p(h | v): the mean-field reconstruction of X."""
        return self._visible_mean(self.transform(X))

    def gibbs(self, v):
        """One Gibbs step v -> h -> v' with sampled units; returns v'."""
        return self._gibbs_step(self._checked(v), self.random_state_)

    def sample(self, n_samples=1, n_steps=1000, random_state=None):
        """Visible states after ``n_steps`` Gibbs steps of ``n_samples`` chains started
        from random visibles (uniform bits, or N(0, 1) for Gaussian visibles)."""
        check_is_fitted(self)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        shape = (n_samples, self.n_features_in_)
        if self.visible == "gaussian":
            v = rng.standard_normal(shape)
        else:
            v = (rng.uniform(size=shape) < 0.5).astype(float)
        v = v.astype(self.components_.dtype)
        for _ in range(n_steps):
            v = self._gibbs_step(v, rng)
        return v

    def free_energy(self, X):
        """F(v) = -log sum_h exp(-E(v, h)), shape (n_samples,)."""
        return self._free_energy(self._checked(X))

    def _free_energy(self, v):
        hidden_term = softplus(v @ self.components_.T + self.intercept_hidden_).sum(axis=1)
        if self.visible == "gaussian":
            return 0.5 * np.sum((v - self.intercept_visible_) ** 2, axis=1) - hidden_term
        return -(v @ self.intercept_visible_) - hidden_term

    def score_samples(self, X):
        """Pseudo-log-likelihood as scikit-learn's BernoulliRBM defines it: n_features
        times log sigmoid(F(v~) - F(v)), v~ being v with one random unit flipped."""
        v = self._checked(X)
        if self.visible == "gaussian":
            raise ValueError("the pseudo-likelihood flips binary units; with Gaussian visibles use log_likelihood")
        rng = self._rng()
        flipped = v.copy()
        rows = np.arange(v.shape[0])
        columns = rng.randint(0, v.shape[1], v.shape[0])
        flipped[rows, columns] = 1 - flipped[rows, columns]
        return -v.shape[1] * softplus(self._free_energy(v) - self._free_energy(flipped))

    # ------------------------------------------------------------------ partition function

    def log_partition(self, method="exact", n_runs=1000, n_betas=2000, X=None, random_state=None):
        """log Z: exact (``method="exact"``) by enumerating the smaller layer, or the
        annealed-importance-sampling estimate (``method="ais"``, Salakhutdinov & Murray
        2008) with ``n_runs`` runs over ``n_betas`` temperatures. AIS starts from a
        model without weights whose visible biases match the marginals of ``X``
        (default: the model's own visible biases)."""
        check_is_fitted(self)
        Options("exact", "ais").check("method", method)
        if method == "ais":
            base_bias = None if X is None else self._base_bias(self._checked(X))
            return self._ais_log_partition(n_runs, n_betas, base_bias, check_random_state(random_state))
        W, b, c = (np.asarray(a, dtype=np.float64) for a in
                   (self.components_, self.intercept_visible_, self.intercept_hidden_))
        n_hidden, n_visible = W.shape
        enumerate_hidden = self.visible == "gaussian" or n_hidden <= n_visible
        n_bits = n_hidden if enumerate_hidden else n_visible
        if n_bits > MAX_ENUMERATED_UNITS:
            raise ValueError(
                f"exact log Z enumerates 2**{n_bits} states; at most {MAX_ENUMERATED_UNITS} "
                "units are supported, use method='ais'"
            )
        if not enumerate_hidden:
            return logsumexp_over_states(n_visible, lambda v: -self._free_energy(v))
        if self.visible == "gaussian":
            # the integral over v of exp(-|v - b|^2/2 + v.Wh) is (2 pi)^(d/2) exp(b.Wh + |Wh|^2/2)
            def log_weight(h):
                field = h @ W
                return h @ c + field @ b + 0.5 * np.sum(field**2, axis=1)

            return logsumexp_over_states(n_hidden, log_weight) + 0.5 * n_visible * np.log(2 * np.pi)
        return logsumexp_over_states(n_hidden, lambda h: h @ c + softplus(h @ W + b).sum(axis=1))

    def _base_bias(self, X):
        mean = X.mean(axis=0).astype(np.float64)
        if self.visible == "gaussian":
            return mean
        mean = np.clip(mean, 1e-3, 1 - 1e-3)
        return np.log(mean) - np.log1p(-mean)

    def _ais_log_partition(self, n_runs, n_betas, base_bias, rng):
        """AIS through p_beta(v, h) ∝ exp(-(1 - beta) E_base(v, h) - beta E(v, h)), the
        base model having no weights, visible biases ``base_bias`` and zero hidden biases;
        each temperature is reached by one Gibbs step at that temperature."""
        W = np.asarray(self.components_, dtype=np.float64).T
        b = np.asarray(self.intercept_visible_, dtype=np.float64)
        c = np.asarray(self.intercept_hidden_, dtype=np.float64)
        base = b if base_bias is None else base_bias
        n_visible, n_hidden = W.shape
        gaussian = self.visible == "gaussian"

        def visible_log_weight(v):  # minus the visible energy of the model and of the base
            if gaussian:
                return -0.5 * np.sum((v - b) ** 2, axis=1), -0.5 * np.sum((v - base) ** 2, axis=1)
            return v @ b, v @ base

        if gaussian:
            v = base + rng.standard_normal((n_runs, n_visible))
            log_z_base = n_hidden * np.log(2) + 0.5 * n_visible * np.log(2 * np.pi)
        else:
            v = bernoulli_sample(np.broadcast_to(expit(base), (n_runs, n_visible)), rng)
            log_z_base = n_hidden * np.log(2) + softplus(base).sum()
        betas = np.linspace(0.0, 1.0, n_betas)
        log_weights = np.zeros(n_runs)
        with self._threads(0):
            for previous, beta in zip(betas[:-1], betas[1:]):
                field = v @ W + c
                model_term, base_term = visible_log_weight(v)
                log_weights += (beta - previous) * (model_term - base_term)
                log_weights += softplus(beta * field).sum(axis=1) - softplus(previous * field).sum(axis=1)
                h = bernoulli_sample(expit(beta * field), rng)
                mean = (1 - beta) * base + beta * (b + h @ W.T)
                v = mean + rng.standard_normal(v.shape) if gaussian else bernoulli_sample(expit(mean), rng)
        return float(logsumexp(log_weights) - np.log(n_runs) + log_z_base)

    def log_likelihood(self, X, log_z=None):
        """log p(v) = -F(v) - log Z per sample (log Z exact unless given)."""
        v = self._checked(X)
        log_z = self.log_partition() if log_z is None else log_z
        return -self._free_energy(v) - log_z


def pseudo_likelihood(estimator, data):
    """Benchmark metric: mean pseudo-log-likelihood (``score_samples``) on the test split."""
    return float(np.mean(estimator.score_samples(data.X_test)))


def filters_and_samples(estimator, data, figure, n_shown=16):
    """Figure hook: the first filters (rows of W, top two rows) and Gibbs samples (bottom two)."""
    figure.set_size_inches(8, 4.4)
    shape = image_shape(estimator.n_features_in_)
    filters = estimator.components_[:n_shown]
    samples = estimator.sample(n_shown, n_steps=1000, random_state=0)
    columns = -(-n_shown // 2)
    axes = figure.subplots(4, columns, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for index, weights in enumerate(filters):
        axes[index // columns, index % columns].imshow(weights.reshape(shape), cmap="RdBu_r")
    for index, sample in enumerate(samples):
        axes[2 + index // columns, index % columns].imshow(sample.reshape(shape), cmap="gray_r")
    figure.suptitle(f"{type(estimator).__name__}: filters (top), Gibbs samples (bottom)")
