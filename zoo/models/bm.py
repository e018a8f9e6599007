"""Boltzmann machine: symmetric stochastic binary units learning from co-occurrences.

Ackley, Hinton & Sejnowski (1985). Units s in {0, 1}^N (visible first, then hidden),
symmetric weights W with zero diagonal (and an optional connectivity mask), biases b:
E(s) = -s W s / 2 - b.s and P(s) ∝ exp(-E(s) / T). A unit turns on with probability
sigmoid((W_i. s + b_i) / T); a sweep updates the units one after the other (vectorised
over chains), and an annealing schedule lowers T (Kirkpatrick et al. 1983) to the
learning temperature, its last temperature (T = 1 by default). The log-likelihood
gradient is dW_ij ∝ <s_i s_j>_clamped - <s_i s_j>_free, co-occurrences at the learning
temperature: the positive phase clamps the visible units to data, the negative phase
runs free. Tiny models are solved exactly (at T = 1) by enumerating the 2^N states.

The paper's own learning procedure is available too: noisy clamping (a clamped unit
is flipped with a small probability each learning step, which keeps the weights
finite) and fixed-size weight steps in the direction of the sign of the statistic
difference (``clamp_noise``, ``update="sign"``). For the 4-2-4 encoder the paper
annealed 2 sweeps at T = 20, 2 at 15, 2 at 12 and 4 at 10, collected statistics for 10
sweeps at T = 10 and stepped every weight by 2: weights of the order of tens, learned
at T = 10. Sampling, completion and prediction always end at T = 1, so such a machine
is read out ten times colder than it learned, which sharpens its completions: a
machine that matched the noisily clamped patterns exactly would, at its learning
temperature, complete a clean pattern correctly only about 0.85 x 0.95^3 ~ 0.73 of the
time.

Mean-field learning (Peterson & Anderson 1987, the "deterministic Boltzmann machine")
replaces each stochastic unit by its mean m_i in [0, 1], a solution of
m_i = sigmoid((W_i. m + b_i) / T) found by the same annealing with deterministic
sweeps, then iterated at the learning temperature to a fixed point; the co-occurrences
are taken as <s_i s_j> ~ m_i m_j (``method="mean_field"``, ``mean_field``).
"""

import numbers
import warnings

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from zoo.base import ConvergenceWarning, Interval, Options, ZooEstimator, check_is_fitted
from zoo.bench.figures import image_shape
from zoo.models.rbm import MAX_ENUMERATED_UNITS, bit_vectors

__all__ = ["BoltzmannMachine", "log_likelihood", "pattern_probabilities_figure"]


def _check_clamp_noise(name, value):
    if value is None:
        return
    message = f"{name} must be None or a pair (p_on_to_off, p_off_to_on) of probabilities in [0, 1), got {value!r}"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(message)
    if not all(isinstance(p, numbers.Real) and 0 <= p < 1 for p in value):
        raise ValueError(message)


def _check_schedule(name, value):
    message = f"{name} must be a non-empty sequence of (temperature > 0, sweeps >= 1) pairs, got {value!r}"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
        raise ValueError(message)
    for step in value:
        if not hasattr(step, "__len__") or len(step) != 2:
            raise ValueError(message)
        temperature, sweeps = step
        if not isinstance(temperature, numbers.Real) or not temperature > 0:
            raise ValueError(message)
        if isinstance(sweeps, bool) or not isinstance(sweeps, numbers.Integral) or sweeps < 1:
            raise ValueError(message)


class BoltzmannMachine(ZooEstimator):
    """General Boltzmann machine with visible and hidden binary units (Ackley, Hinton &
    Sejnowski 1985; Hinton & Sejnowski 1986), with mean-field learning (Peterson &
    Anderson 1987).

    Parameters
    ----------
    n_hidden : int, default=0
    connectivity : array-like of bool, shape (n_units, n_units), or None, default=None
        Which pairs of units (visible first, then hidden) are connected; symmetric,
        the diagonal is ignored. None connects every pair.
    method : {"sampling", "exact", "mean_field"}, default="sampling"
        Statistics from annealed Gibbs sampling, exact expectations by enumerating
        the 2^n_units states (at most 24 units), or mean-field values (Peterson &
        Anderson 1987): <s_i> ~ m_i and <s_i s_j> ~ m_i m_j, with m solved by
        annealed mean-field sweeps (one start per data row in the clamped phase,
        ``n_chains`` uniform random starts averaged in the free phase).
    learning_rate : float, default=0.1
        Step size: multiplies the statistic difference (``update="gradient"``) or
        is the fixed size of every weight change (``update="sign"``).
    update : {"gradient", "sign"}, default="gradient"
        "gradient": dW = learning_rate (<s_i s_j>_clamped - <s_i s_j>_free), the
        log-likelihood gradient. "sign": dW = learning_rate sign(...), the fixed
        weight steps of Ackley et al. (1985).
    clamp_noise : (float, float) or None, default=None
        Noisy clamping (Ackley et al. 1985): at every learning step each clamped
        visible unit that should be on is off with probability ``clamp_noise[0]``
        and each that should be off is on with probability ``clamp_noise[1]``
        (a value x in [0, 1] is on with probability x (1 - p0) + (1 - x) p1). The
        paper used (0.15, 0.05). It keeps the weights finite and helps learning
        leave local optima.
    n_iter : int, default=5
        Full-batch learning steps.
    init_scale : float, default=0.1
        Standard deviation of the initial weights (zero biases).
    weight_decay : float, default=0.0
        d: the weight direction is (<s_i s_j>_clamped - <s_i s_j>_free) - d W, before
        the sign with ``update="sign"``. Noisy clamping alone let the paper's 4-2-4
        runs drift (the hidden-hidden weight grows until a found code is lost); a
        decay of 2e-4 at the paper's scale keeps them solved (tests/models/test_bm.py).
    sparsity_target, sparsity_cost : float or None, float, default=None, 0.0
        Sparse hidden codes (as in Hinton 2010, sec. 11, for RBMs): the hidden biases'
        direction gets cost * (target - q_j), q_j the mean activity of hidden unit j in
        the clamped phase of the step.
    annealing_schedule : sequence of (temperature, sweeps), default=((4.0, 2), (2.0, 2), (1.0, 2))
        Run before statistics are collected; its last temperature is the learning
        temperature, at which the statistics are collected (the paper's 4-2-4
        encoder: ((20, 2), (15, 2), (12, 2), (10, 4))). ``sample``, ``complete`` and
        ``predict`` anneal through it and then run their final sweeps at T = 1.
    n_stat_sweeps : int, default=10
        Sweeps at the learning temperature over which co-occurrences are averaged
        (sampling).
    mean_field_tol : float, default=1e-6
        Mean-field sweeps at the learning temperature stop when no value changes by
        more than this.
    mean_field_max_sweeps : int, default=200
        At most this many sweeps at the learning temperature per mean-field solve; a
        ConvergenceWarning says when they did not reach ``mean_field_tol``.
    n_chains : int, default=50
        Free-running chains (mean-field starts) of the negative phase.
    persistent : bool, default=False
        Keep the negative chains between learning steps (Tieleman 2008) and skip
        their annealing after the first step; with mean field, the free-phase
        fixed points are kept and re-converged at the learning temperature from there.
    random_state : int, RandomState or None, default=None
    warm_start : bool, default=False
        Continue from the fitted weights (same number of units) instead of a new
        random start, e.g. to sharpen a noisily clamped solution without noise.
    dtype : numpy float type, default=np.float64
    n_threads : int or None, default=None

    Attributes
    ----------
    weights_ : ndarray of shape (n_units, n_units)
        Symmetric, zero diagonal, zero outside the connectivity.
    bias_ : ndarray of shape (n_units,)
    mask_ : ndarray of shape (n_units, n_units)
    chains_ : ndarray of shape (n_chains, n_units)
        Last states (mean-field values) of the negative-phase chains.
    n_iter_ : int
        Learning steps taken, counted over warm-started fits.
    random_state_ : RandomState
    n_features_in_ : int
        Number of visible units.
    """

    _constraints = {
        "n_hidden": Interval(int, 0, None),
        "method": Options("sampling", "exact", "mean_field"),
        "learning_rate": Interval(float, 0, None, closed="neither"),
        "update": Options("gradient", "sign"),
        "clamp_noise": _check_clamp_noise,
        "n_iter": Interval(int, 0, None),
        "init_scale": Interval(float, 0, None),
        "weight_decay": Interval(float, 0, None),
        "sparsity_target": Interval(float, 0, 1, closed="neither", none_ok=True),
        "sparsity_cost": Interval(float, 0, None),
        "annealing_schedule": _check_schedule,
        "n_stat_sweeps": Interval(int, 1, None),
        "mean_field_tol": Interval(float, 0, None, closed="neither"),
        "mean_field_max_sweeps": Interval(int, 1, None),
        "n_chains": Interval(int, 1, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_hidden=0,
        *,
        connectivity=None,
        method="sampling",
        learning_rate=0.1,
        update="gradient",
        clamp_noise=None,
        n_iter=5,
        init_scale=0.1,
        weight_decay=0.0,
        sparsity_target=None,
        sparsity_cost=0.0,
        annealing_schedule=((4.0, 2), (2.0, 2), (1.0, 2)),
        n_stat_sweeps=10,
        mean_field_tol=1e-6,
        mean_field_max_sweeps=200,
        n_chains=50,
        persistent=False,
        warm_start=False,
        random_state=None,
        dtype=np.float64,
        n_threads=None,
    ):
        self.n_hidden = n_hidden
        self.connectivity = connectivity
        self.method = method
        self.learning_rate = learning_rate
        self.update = update
        self.clamp_noise = clamp_noise
        self.n_iter = n_iter
        self.init_scale = init_scale
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.annealing_schedule = annealing_schedule
        self.n_stat_sweeps = n_stat_sweeps
        self.mean_field_tol = mean_field_tol
        self.mean_field_max_sweeps = mean_field_max_sweeps
        self.n_chains = n_chains
        self.persistent = persistent
        self.warm_start = warm_start
        self.random_state = random_state
        self.dtype = dtype
        self.n_threads = n_threads

    # ------------------------------------------------------------------ training

    def fit(self, X, y=None):
        """Learn from the rows of X (visible values, read as probabilities of 1); returns self."""
        self._check_params()
        X = self._validate(X, reset=True)
        n_units = X.shape[1] + self.n_hidden
        self.mask_ = self._connectivity(n_units)
        if self.method == "exact" and n_units > MAX_ENUMERATED_UNITS:
            raise ValueError(f"method='exact' enumerates 2**{n_units} states; use at most {MAX_ENUMERATED_UNITS} units")
        if not (self.warm_start and getattr(self, "bias_", np.empty(0)).shape == (n_units,)):
            self._initialise(n_units, X.dtype)
        self.weights_ = np.where(self.mask_, self.weights_, 0.0).astype(X.dtype)
        self.bias_ = self.bias_.astype(X.dtype)
        if self.chains_.shape[0] != self.n_chains:
            self.chains_ = self._random_states(self.n_chains, n_units, self.random_state_)
        with self._threads(0):
            for _ in range(self.n_iter):
                self._learning_step(X)
        return self

    def _initialise(self, n_units, dtype):
        self.random_state_ = self._rng()
        # small random symmetric weights break the symmetry between hidden units
        noise = self.random_state_.normal(0.0, self.init_scale, size=(n_units, n_units))
        self.weights_ = (np.triu(noise, 1) + np.triu(noise, 1).T).astype(dtype)
        self.bias_ = np.zeros(n_units, dtype=dtype)
        self.chains_ = self._random_states(self.n_chains, n_units, self.random_state_)
        self.n_iter_ = 0

    def _connectivity(self, n_units):
        if self.connectivity is None:
            mask = np.ones((n_units, n_units), dtype=bool)
        else:
            mask = np.asarray(self.connectivity, dtype=bool)
            if mask.shape != (n_units, n_units) or not np.array_equal(mask, mask.T):
                raise ValueError(
                    f"connectivity must be a symmetric boolean matrix of shape ({n_units}, {n_units}) "
                    f"(visible then hidden units), got shape {mask.shape}"
                )
        mask = mask.copy()
        np.fill_diagonal(mask, False)
        return mask

    def _random_states(self, n, n_units, rng):
        return (rng.uniform(size=(n, n_units)) < 0.5).astype(self.bias_.dtype)

    def _learning_step(self, X):
        if self.clamp_noise is not None:
            X = self._noisy_clamp(X)
        if self.method == "exact":
            clamped, free = self._exact_statistics(X)
        elif self.method == "mean_field":
            clamped, free = self._mean_field_statistics(X)
        else:
            clamped, free = self._sampled_statistics(X)
        (pair_plus, mean_plus), (pair_minus, mean_minus) = clamped, free
        weight_direction = (pair_plus - pair_minus) - self.weight_decay * self.weights_
        bias_direction = mean_plus - mean_minus
        if self.sparsity_target is not None:
            hidden = slice(X.shape[1], None)
            bias_direction[hidden] += self.sparsity_cost * (self.sparsity_target - mean_plus[hidden])
        if self.update == "sign":
            weight_direction, bias_direction = np.sign(weight_direction), np.sign(bias_direction)
        self.weights_ += np.where(self.mask_, self.learning_rate * weight_direction, 0.0)
        self.bias_ += self.learning_rate * bias_direction
        self.n_iter_ += 1

    def _noisy_clamp(self, X):
        """Binary rows drawn around X: on with probability x (1 - p_off) + (1 - x) p_on."""
        turn_off, turn_on = self.clamp_noise
        p_on = X * (1.0 - turn_off) + (1.0 - X) * turn_on
        return (self.random_state_.uniform(size=X.shape) < p_on).astype(X.dtype)

    @staticmethod
    def _moments(states, weights=None):
        """(E[s s^T], E[s]) over rows of ``states`` with optional probability weights."""
        if weights is None:
            weights = np.full(states.shape[0], 1.0 / states.shape[0])
        return (states * weights[:, None]).T @ states, weights @ states

    def _sampled_statistics(self, X):
        rng = self.random_state_
        n_visible = X.shape[1]
        if self.n_hidden == 0:
            clamped = self._moments(X)
        else:
            states = np.hstack([X, self._random_states(X.shape[0], self.n_hidden, rng)])
            free_units = np.arange(n_visible, states.shape[1])
            clamped = self._collect(states, free_units, rng, anneal=True)
        units = np.arange(self.bias_.shape[0])
        anneal = not (self.persistent and self.n_iter_ > 0)
        if not self.persistent:
            self.chains_ = self._random_states(self.n_chains, units.size, rng)
        free = self._collect(self.chains_, units, rng, anneal=anneal)
        return clamped, free

    def _collect(self, states, free_units, rng, anneal):
        """Anneal (optionally), then average the moments over ``n_stat_sweeps`` sweeps at
        the learning temperature."""
        if anneal:
            self._anneal(states, free_units, self.annealing_schedule, rng)
        pair, mean = 0.0, 0.0
        for _ in range(self.n_stat_sweeps):
            self._sweep(states, free_units, self._learning_temperature(), rng)
            sweep_pair, sweep_mean = self._moments(states)
            pair, mean = pair + sweep_pair, mean + sweep_mean
        return pair / self.n_stat_sweeps, mean / self.n_stat_sweeps

    def _mean_field_statistics(self, X):
        """Moments of the clamped (visible = data rows) and free mean-field solutions."""
        rng = self.random_state_
        n_visible = X.shape[1]
        values = np.hstack([X, rng.uniform(size=(X.shape[0], self.n_hidden))]).astype(X.dtype)
        self._solve_mean_field(values, np.arange(n_visible, values.shape[1]), anneal=True)
        units = np.arange(self.bias_.shape[0])
        if not self.persistent:
            self.chains_ = rng.uniform(size=(self.n_chains, units.size)).astype(X.dtype)
        anneal = not (self.persistent and self.n_iter_ > 0)
        self._solve_mean_field(self.chains_, units, anneal=anneal)
        # m_i m_j for i != j; the diagonal is never used (no self-connections)
        return self._moments(values), self._moments(self.chains_)

    def _exact_statistics(self, X):
        """Exact clamped and free moments by enumeration (data rows weighted equally)."""
        states = bit_vectors(self.bias_.shape[0])
        log_weights = -self._energy(states)
        free = self._moments(states, np.exp(log_weights - logsumexp(log_weights)))
        if self.n_hidden == 0:
            return self._moments(X), free
        joint = self._with_every_hidden_state(X)
        log_h = -self._energy(joint).reshape(X.shape[0], -1)
        # each row weighs 1/n, spread over its hidden states by p(h | v)
        posterior = np.exp(log_h - logsumexp(log_h, axis=1, keepdims=True)) / X.shape[0]
        return self._moments(joint, posterior.ravel()), free

    def _with_every_hidden_state(self, X):
        """Rows [v, h] for every row v of X and every hidden state h (h varying fastest)."""
        hidden = bit_vectors(self.n_hidden)
        return np.concatenate(
            [np.repeat(X, hidden.shape[0], axis=0), np.tile(hidden, (X.shape[0], 1))], axis=1
        )

    # ------------------------------------------------------------------ sampling

    def _update_in_turn(self, states, free_units, temperature, new_value):
        """Set the units of ``free_units`` one after the other, for every row, to
        ``new_value(p_on, position)`` with p_on = sigmoid(field / T)."""
        for position, unit in enumerate(free_units):
            field = states @ self.weights_[:, unit] + self.bias_[unit]
            states[:, unit] = new_value(expit(field / temperature), position)

    def _sweep(self, states, free_units, temperature, rng):
        """One sequential Gibbs sweep over ``free_units``, in place, for every chain."""
        uniform = rng.uniform(size=(states.shape[0], free_units.size))
        self._update_in_turn(states, free_units, temperature, lambda p_on, position: uniform[:, position] < p_on)

    def _mean_field_sweep(self, values, free_units, temperature):
        """One asynchronous mean-field sweep (m_i = p_on), in place; the largest change."""
        before = values[:, free_units].copy()
        self._update_in_turn(values, free_units, temperature, lambda p_on, position: p_on)
        return np.abs(values[:, free_units] - before).max(initial=0.0)

    def _anneal(self, states, free_units, schedule, rng):
        """Run ``schedule`` with Gibbs sweeps, or mean-field sweeps when ``rng`` is None."""
        for temperature, sweeps in schedule:
            for _ in range(sweeps):
                if rng is None:
                    self._mean_field_sweep(states, free_units, temperature)
                else:
                    self._sweep(states, free_units, temperature, rng)

    def _solve_mean_field(self, values, free_units, anneal):
        """Mean-field fixed point in place: anneal (optionally), then sweep at the learning
        temperature until no value changes by more than ``mean_field_tol``."""
        if anneal:
            self._anneal(values, free_units, self.annealing_schedule, rng=None)
        for _ in range(self.mean_field_max_sweeps):
            if self._mean_field_sweep(values, free_units, self._learning_temperature()) <= self.mean_field_tol:
                return
        warnings.warn(
            f"mean-field sweeps did not converge to mean_field_tol={self.mean_field_tol} within "
            f"mean_field_max_sweeps={self.mean_field_max_sweeps}; raise mean_field_max_sweeps",
            ConvergenceWarning,
        )

    def _learning_temperature(self):
        """The last temperature of ``annealing_schedule``: statistics are collected there."""
        return float(self.annealing_schedule[-1][0])

    def _energy(self, states):
        return -0.5 * np.einsum("ni,ij,nj->n", states, self.weights_, states) - states @ self.bias_

    def energy(self, S):
        """E(s) = -s W s / 2 - b.s of full states (visible then hidden), shape (n_samples,)."""
        check_is_fitted(self)
        S = check_array(S, dtype=np.float64)
        if S.shape[1] != self.bias_.shape[0]:
            raise ValueError(f"S has {S.shape[1]} columns; states of this machine have {self.bias_.shape[0]} units")
        return self._energy(S)

    def sample(self, n_samples=1, n_sweeps=100, random_state=None, return_hidden=False):
        """States of ``n_samples`` chains started at random, annealed by
        ``annealing_schedule``, then run ``n_sweeps`` sweeps at T = 1; the visible units
        (all units with ``return_hidden``)."""
        check_is_fitted(self)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        units = np.arange(self.bias_.shape[0])
        states = self._random_states(n_samples, units.size, rng)
        self._anneal(states, units, [*self.annealing_schedule, (1.0, n_sweeps)], rng)
        return states if return_hidden else states[:, : self.n_features_in_]

    def complete(self, X, clamped, n_sweeps=10, random_state=None):
        """One stochastic completion per row of X: the units where ``clamped`` (a boolean
        mask over the visible units) is True stay at X's values; the others and the
        hidden units are annealed, then run ``n_sweeps`` sweeps at T = 1. Returns
        visible states."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        rng = self.random_state_ if random_state is None else check_random_state(random_state)
        clamped = self._visible_mask(clamped)
        states = np.hstack([X, self._random_states(X.shape[0], self.n_hidden, rng)])
        free_units = np.flatnonzero(np.concatenate([~clamped, np.ones(self.n_hidden, dtype=bool)]))
        self._anneal(states, free_units, [*self.annealing_schedule, (1.0, n_sweeps)], rng)
        return states[:, : self.n_features_in_]

    def predict(self, X, clamped=None):
        """Completion of the unclamped visible units (``clamped``: boolean mask over the
        visible units, default all): each set to 1 where it is on in more than half of
        ``n_stat_sweeps`` sweeps at T = 1 after annealing; clamped units keep X's values."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        clamped = self._visible_mask(clamped)
        rng = check_random_state(self.random_state)
        states = np.hstack([X, self._random_states(X.shape[0], self.n_hidden, rng)])
        free_units = np.flatnonzero(np.concatenate([~clamped, np.ones(self.n_hidden, dtype=bool)]))
        mean = np.zeros_like(states)
        self._anneal(states, free_units, self.annealing_schedule, rng)
        for _ in range(self.n_stat_sweeps):
            self._sweep(states, free_units, 1.0, rng)
            mean += states
        completed = (mean[:, : self.n_features_in_] / self.n_stat_sweeps > 0.5).astype(X.dtype)
        return np.where(clamped, X, completed)

    def mean_field(self, X, clamped=None):
        """Converged mean-field values of all units (visible then hidden), shape
        (n_samples, n_units). The visible units where ``clamped`` (a boolean mask over
        the visible units, default all) is True keep X's values; the other visible
        units and the hidden units start uniformly at random (seeded by
        ``random_state``), are annealed through ``annealing_schedule`` with mean-field
        sweeps, then swept at the learning temperature T (the schedule's last, 1 by
        default) until they solve m_i = sigmoid((W_i. m + b_i) / T) to
        ``mean_field_tol`` (Peterson & Anderson 1987)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        clamped = self._visible_mask(clamped)
        rng = check_random_state(self.random_state)
        values = np.hstack([X, rng.uniform(size=(X.shape[0], self.n_hidden))]).astype(X.dtype)
        values[:, : self.n_features_in_] = np.where(clamped, X, rng.uniform(size=X.shape))
        free_units = np.flatnonzero(np.concatenate([~clamped, np.ones(self.n_hidden, dtype=bool)]))
        self._solve_mean_field(values, free_units, anneal=True)
        return values

    def _visible_mask(self, clamped):
        clamped = np.ones(self.n_features_in_, dtype=bool) if clamped is None else np.asarray(clamped, dtype=bool)
        if clamped.shape != (self.n_features_in_,):
            raise ValueError(f"clamped must be a boolean mask of the {self.n_features_in_} visible units")
        return clamped

    # ------------------------------------------------------------------ exact mode

    def log_partition(self):
        """log Z by enumerating every state (at most 24 units)."""
        check_is_fitted(self)
        n_units = self.bias_.shape[0]
        if n_units > MAX_ENUMERATED_UNITS:
            raise ValueError(f"exact log Z enumerates 2**{n_units} states; at most {MAX_ENUMERATED_UNITS} units")
        return float(logsumexp(-self._energy(bit_vectors(n_units))))

    def log_prob(self, X):
        """Exact log p(v) of binary visible rows, summing out the hidden units."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        log_z = self.log_partition()
        minus_energy = -self._energy(self._with_every_hidden_state(X)).reshape(X.shape[0], -1)
        return logsumexp(minus_energy, axis=1) - log_z


def log_likelihood(estimator, data):
    """Benchmark metric: exact mean log p(v) of the test split (a Boltzmann machine's
    ``log_prob`` or an RBM's ``log_likelihood``)."""
    score = getattr(estimator, "log_prob", None) or estimator.log_likelihood
    return float(np.mean(score(data.X_test)))


def pattern_probabilities_figure(estimator, data, figure):
    """Figure hook: the machine's exact probability of each distinct training pattern
    (bars) beside the data's frequency (dots) and its total mass on patterns outside
    the training set (left), and 16 samples as images (right)."""
    patterns, counts = np.unique(np.asarray(data.X_train, dtype=float), axis=0, return_counts=True)
    model = np.exp(estimator.log_prob(patterns))
    left, right = figure.subfigures(1, 2, width_ratios=[1.6, 1])
    axes = left.subplots()
    positions = np.arange(len(patterns))
    frequencies = counts / counts.sum()
    axes.bar(positions, model, color="tab:blue", label="machine, exact")
    axes.plot(positions, frequencies, "o", color="black", label="data")
    axes.set_ylim(0, 1.35 * max(model.max(), frequencies.max()))
    axes.set_xlabel("training pattern")
    axes.set_ylabel("probability")
    axes.set_title(f"mass outside the training patterns: {1 - model.sum():.3f}", fontsize=9)
    axes.legend(fontsize=7, loc="upper right")
    shape = image_shape(estimator.n_features_in_)
    grid = right.subplots(4, 4)
    for ax, sample in zip(grid.flat, estimator.sample(16, random_state=0)):
        ax.imshow(sample.reshape(shape), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    right.suptitle("samples", fontsize=9)
