"""Hopfield networks: a content-addressable memory of binary patterns.

Patterns xi^mu in {-1, +1}^N are stored in symmetric weights W; a corrupted pattern is
completed by letting the units settle: s_i <- sign(sum_j W_ij s_j - theta), which never
raises the energy E(s) = -1/2 s^T W s + theta sum_i s_i when W is symmetric with a
non-negative diagonal (Hopfield 1982). Storage rules: Hebb, W = (1/N) sum_mu xi xi^T;
Storkey (1997), an incremental rule with a larger capacity; the pseudo-inverse, or
projection, rule W = Xi^T (Xi Xi^T)^+ Xi (Personnaz, Guyon & Dreyfus 1985), which
stores any set of linearly independent patterns.

The graded-response network of Hopfield (1984) replaces the binary units by
V_i = tanh(gain u_i) with du/dt = -u + W V - theta; its energy
E(V) = -1/2 V^T W V + theta sum_i V_i + (1 / gain) sum_i int_0^{V_i} artanh(x) dx
falls along every trajectory, and as the gain grows its stable states approach the
binary network's.
"""

import numpy as np
from scipy.linalg import pinvh
from scipy.special import expit, xlogy
from sklearn.base import TransformerMixin

from zoo.base import Interval, Options, ZooEstimator, check_is_fitted
from zoo.bench.figures import image_shape

__all__ = ["HopfieldNetwork", "corrupt", "exact_recall", "recall_rate", "recall_figure"]

RULES = ("hebbian", "storkey", "pseudo_inverse")
CODINGS = {"bipolar": ((-1.0, 1.0), 0.0), "binary": ((0.0, 1.0), 0.5)}


class HopfieldNetwork(TransformerMixin, ZooEstimator):
    """Hopfield network (Hopfield 1982) with Hebbian, Storkey (1997) or
    pseudo-inverse (Personnaz, Guyon & Dreyfus 1985) storage.

    ``fit(X)`` stores the rows of X as memories, ``partial_fit(X)`` adds more,
    ``recall(X)`` (also ``predict`` and ``transform``) lets each row of X settle into
    an attractor, ``energy(X)`` is the energy of each row as a state. Internally the
    states are +-1; with ``coding="binary"`` input and output are 0/1 (a 0/1 pattern v
    is the +-1 pattern 2v - 1).

    Parameters
    ----------
    rule : {"hebbian", "storkey", "pseudo_inverse"}, default="hebbian"
        Storage rule.
    update : {"async", "sync", "continuous"}, default="async"
        "async": one unit at a time, in a new random order every sweep (the
        energy never rises); "sync": all units at once (ends in a fixed point or a
        2-cycle); "continuous": the graded-response dynamics of Hopfield (1984),
        du/dt = -u + W tanh(gain u) - theta from u = s / gain, integrated by Euler
        steps of ``step_size`` until no |du/dt| exceeds 1e-8; the recalled pattern is
        the sign of the final V = tanh(gain u).
    max_iter : int, default=100
        Maximum number of sweeps (async), steps (sync) or Euler steps (continuous).
    gain : float, default=10.0
        Slope of the graded units' tanh (continuous updates only).
    step_size : float, default=0.1
        Euler step of the continuous dynamics, in units of the time constant.
    threshold : float, default=0.0
        theta, the threshold of every unit (in the +-1 form).
    temperature : float, default=0.0
        0: deterministic updates, stopping at a fixed point. > 0: Glauber dynamics,
        P(s_i = +1) = 1 / (1 + exp(-2 (h_i - theta) / T)), for all ``max_iter`` sweeps.
    coding : {"bipolar", "binary"}, default="bipolar"
        Values of the patterns: -1/+1 or 0/1.
    binarize : bool, default=True
        True: real-valued input is thresholded into the coding (bipolar: x >= 0 is
        +1, else -1; binary: x >= 0.5 is 1, else 0). False: input with any other value
        than the coding's two raises ValueError.
    zero_diagonal : bool or "auto", default="auto"
        Remove self-connections. "auto": zero for hebbian and storkey, kept for
        pseudo_inverse (with it every stored pattern is a fixed point).
    random_state : int, RandomState or None, default=None
        Seeds the order of asynchronous updates and the Glauber noise; recall uses a
        new ``numpy.random.Generator`` from it on every call.
    n_threads : int or None, default=None
        BLAS threads (None: one for small problems).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_, n_features_in_)
        Symmetric weights W.
    patterns_ : ndarray of shape (n_patterns, n_features_in_)
        The stored patterns, +-1.
    n_patterns_ : int
    n_features_in_ : int
    """

    _constraints = {
        "rule": Options(*RULES),
        "update": Options("async", "sync", "continuous"),
        "max_iter": Interval(int, 1, None),
        "gain": Interval(float, 0, None, closed="neither"),
        "step_size": Interval(float, 0, 1, closed="right"),
        "threshold": Interval(float),
        "temperature": Interval(float, 0, None),
        "coding": Options(*CODINGS),
        "binarize": Options(also=(True, False)),
        "zero_diagonal": Options("auto", also=(True, False)),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        rule="hebbian",
        *,
        update="async",
        max_iter=100,
        gain=10.0,
        step_size=0.1,
        threshold=0.0,
        temperature=0.0,
        coding="bipolar",
        binarize=True,
        zero_diagonal="auto",
        random_state=None,
        n_threads=None,
    ):
        self.rule = rule
        self.update = update
        self.max_iter = max_iter
        self.gain = gain
        self.step_size = step_size
        self.threshold = threshold
        self.temperature = temperature
        self.coding = coding
        self.binarize = binarize
        self.zero_diagonal = zero_diagonal
        self.random_state = random_state
        self.n_threads = n_threads

    @classmethod
    def _expected_failed_checks(cls):
        return {
            "check_transformer_n_iter": (
                "max_iter bounds the recall dynamics, not fit: storing patterns is one "
                "closed-form pass, so fit has no iteration count n_iter_"
            ),
        }

    # ------------------------------------------------------------ storage

    def fit(self, X, y=None):
        """Store the rows of X (and only them) as memories."""
        self._check_params()
        vars(self).pop("weights_", None)
        return self.partial_fit(X)

    def partial_fit(self, X, y=None):
        """Add the rows of X to the stored memories."""
        first_call = not hasattr(self, "weights_")
        if first_call:
            self._check_params()
        patterns = self._states(self._validate(X, reset=first_call))
        n_units = patterns.shape[1]
        if first_call:
            self.weights_ = np.zeros((n_units, n_units))
            self.patterns_ = np.empty((0, n_units))
        self.patterns_ = np.vstack([self.patterns_, patterns])
        self.n_patterns_ = self.patterns_.shape[0]
        with self._threads(2.0 * n_units**2 * self.n_patterns_):
            self.weights_ = self._learn(patterns)
        if self._zero_diagonal():
            np.fill_diagonal(self.weights_, 0.0)
        return self

    def _learn(self, new_patterns):
        n_units = new_patterns.shape[1]
        if self.rule == "hebbian":
            return self.weights_ + new_patterns.T @ new_patterns / n_units
        if self.rule == "storkey":
            return _storkey(self.weights_, new_patterns, self._zero_diagonal())
        patterns = self.patterns_
        return patterns.T @ pinvh(patterns @ patterns.T) @ patterns

    def _zero_diagonal(self):
        if self.zero_diagonal == "auto":
            return self.rule != "pseudo_inverse"
        return bool(self.zero_diagonal)

    # ------------------------------------------------------------ recall

    def recall(self, X):
        """Let each row of X settle: the attractor (or the state after ``max_iter``)."""
        check_is_fitted(self)
        states = self._states(self._validate(X, reset=False))
        rng = np.random.default_rng(self._rng().randint(2**31))
        with self._threads(2.0 * states.shape[0] * self.n_features_in_**2):
            if self.update == "sync":
                states, _ = self._synchronous(states, rng)
            elif self.update == "continuous":
                states = np.where(self._continuous(states) >= 0, 1.0, -1.0)
            else:
                states = self._asynchronous(states, rng)
        return self._output(states)

    def predict(self, X):
        """Completed patterns: the same as ``recall``."""
        return self.recall(X)

    def transform(self, X):
        """Completed patterns: the same as ``recall``."""
        return self.recall(X)

    def energy(self, X):
        """E(s) = -1/2 s^T W s + theta sum_i s_i of each row of X (as a +-1 state)."""
        check_is_fitted(self)
        states = self._states(self._validate(X, reset=False))
        return _energy(states, self.weights_, self.threshold)

    def _asynchronous(self, states, rng, on_update=None):
        """Sweeps of single-unit updates, in a random order per sweep, applied to unit i
        of every sample at once (each sample follows its own exact asynchronous path).
        ``on_update(states)`` is called after every single-unit update."""
        weights, theta, temperature = self.weights_, self.threshold, self.temperature
        for _ in range(self.max_iter):
            changed = False
            for unit in rng.permutation(states.shape[1]):
                field = states @ weights[:, unit] - theta
                if temperature > 0:
                    up = rng.random(states.shape[0]) < expit(2.0 * field / temperature)
                    new = np.where(up, 1.0, -1.0)
                else:
                    new = _sign(field, states[:, unit])
                if not changed and np.any(new != states[:, unit]):
                    changed = True
                states[:, unit] = new
                if on_update is not None:
                    on_update(states)
            if not changed and temperature == 0:
                break
        return states

    def _synchronous(self, states, rng):
        """All units at once until every sample is at a fixed point or in a 2-cycle.

        Returns the states and the period reached by each sample (1, 2, or 0 when
        ``max_iter`` ran out first). A sample in a 2-cycle is returned in the state it
        held when the cycle was detected (the one two steps back)."""
        period = np.zeros(states.shape[0], dtype=int)
        previous = np.full_like(states, np.nan)
        for _ in range(self.max_iter):
            active = period == 0
            if not active.any():
                break
            current = states[active]
            field = current @ self.weights_ - self.threshold
            if self.temperature > 0:
                up = rng.random(field.shape) < expit(2.0 * field / self.temperature)
                new = np.where(up, 1.0, -1.0)
            else:
                new = _sign(field, current)
            fixed = (new == current).all(axis=1)
            cycle = (new == previous[active]).all(axis=1) & ~fixed
            if self.temperature == 0:
                period[np.flatnonzero(active)[fixed]] = 1
                period[np.flatnonzero(active)[cycle]] = 2
            previous[active] = current
            states[active] = new
        return states, period

    def _continuous(self, states, on_step=None):
        """Euler integration of du/dt = -u + W tanh(gain u) - theta from u = states / gain
        (Hopfield 1984, with unit time constant and resistance); returns the graded
        outputs V = tanh(gain u). ``on_step(V)`` is called after every step."""
        u = states / self.gain
        for _ in range(self.max_iter):
            velocity = np.tanh(self.gain * u) @ self.weights_ - self.threshold - u
            u += self.step_size * velocity
            if on_step is not None:
                on_step(np.tanh(self.gain * u))
            if np.abs(velocity).max() < 1e-8:
                break
        return np.tanh(self.gain * u)

    def continuous_energy(self, V):
        """Energy of graded states V in [-1, 1] (the +-1 form, whatever the coding)
        under the continuous dynamics (Hopfield 1984):
        -1/2 V^T W V + theta sum V + (1 / gain) sum_i int_0^{V_i} artanh(x) dx, where
        int_0^v artanh = ((1 + v) log(1 + v) + (1 - v) log(1 - v)) / 2."""
        check_is_fitted(self)
        V = self._validate(V, reset=False)
        if np.any(np.abs(V) > 1):
            raise ValueError("graded states V must lie in [-1, 1]")
        integral = 0.5 * (xlogy(1 + V, 1 + V) + xlogy(1 - V, 1 - V))
        return _energy(V, self.weights_, self.threshold) + integral.sum(axis=1) / self.gain

    # ------------------------------------------------------------ coding

    def _states(self, X):
        """+-1 states from validated X in the coding (thresholded if ``binarize``)."""
        (low, high), cut = CODINGS[self.coding]
        if not self.binarize:
            bad = (X != low) & (X != high)
            if bad.any():
                raise ValueError(
                    f"HopfieldNetwork with coding={self.coding!r} takes only the values "
                    f"{low:g} and {high:g}; got {X[bad][0]!r}. Pass binarize=True to "
                    f"threshold real values at {cut:g}."
                )
        return np.where(X >= cut, 1.0, -1.0)

    def _output(self, states):
        return states if self.coding == "bipolar" else (states + 1.0) / 2.0


def _sign(field, current):
    """sign(field), keeping the current state where the field is exactly zero."""
    return np.where(field > 0, 1.0, np.where(field < 0, -1.0, current))


def _energy(states, weights, theta):
    return -0.5 * np.einsum("ni,ij,nj->n", states, weights, states) + theta * states.sum(axis=1)


def _storkey(weights, patterns, zero_diagonal):
    """Storkey's rule, one pattern at a time: W_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N
    with the local field h_ij = sum_{k != i, j} W_ik xi_k."""
    weights = weights.copy()
    n_units = patterns.shape[1]
    for xi in patterns:
        field = weights @ xi
        # h[i, j] = field_i - W_ii xi_i - W_ij xi_j
        h = (field - np.diag(weights) * xi)[:, None] - weights * xi[None, :]
        weights += (np.outer(xi, xi) - xi[:, None] * h.T - h * xi[None, :]) / n_units
        if zero_diagonal:
            np.fill_diagonal(weights, 0.0)
    return weights


# ------------------------------------------------------------ benchmark metric and figure


def corrupt(patterns, fraction, rng):
    """Copies of the patterns with round(fraction * N) distinct units flipped in each
    (+-1 patterns change sign, 0/1 patterns become 1 - x)."""
    patterns = np.asarray(patterns, dtype=float)
    n_samples, n_units = patterns.shape
    n_flip = int(round(fraction * n_units))
    flips = np.argsort(rng.random((n_samples, n_units)), axis=1)[:, :n_flip]
    corrupted = patterns.copy()
    rows = np.arange(n_samples)[:, None]
    binary = np.isin(patterns, (0.0, 1.0)).all()
    corrupted[rows, flips] = 1.0 - patterns[rows, flips] if binary else -patterns[rows, flips]
    return corrupted


def recalled_patterns(estimator, stored, corrupted):
    """What the estimator completes ``corrupted`` into: its ``predict``, or for a
    nearest-neighbour index (sklearn's NearestNeighbors fitted on ``stored``) the
    nearest stored pattern."""
    if hasattr(estimator, "kneighbors") and not hasattr(estimator, "predict"):
        nearest = estimator.kneighbors(corrupted, 1, return_distance=False)[:, 0]
        return np.asarray(stored)[nearest]
    return estimator.predict(corrupted)


def exact_recall(estimator, stored, patterns, fraction=0.1, n_trials=10, seed=0):
    """Fraction of ``patterns`` recalled exactly from versions with ``fraction`` of their
    units flipped, over ``n_trials`` corruptions of each (fixed seed)."""
    originals = np.repeat(np.asarray(patterns, dtype=float), n_trials, axis=0)
    corrupted = corrupt(originals, fraction, np.random.default_rng(seed))
    recalled = recalled_patterns(estimator, stored, corrupted)
    return float(np.mean(np.all(recalled == originals, axis=1)))


def recall_rate(estimator, data):
    """Benchmark metric "recall_rate": the fraction of the test patterns recalled exactly
    from 10% corrupted versions (10 corruptions of each, seed 0)."""
    return exact_recall(estimator, data.X_train, data.X_test)


def recall_figure(estimator, data, figure):
    """Figure hook: recall rate against the load P/N for the three rules (left), and
    three stored patterns as images, original / 10% corrupted / recalled (right)."""
    patterns = np.asarray(data.X_train, dtype=float)
    n_units = patterns.shape[1]
    left, right = figure.subfigures(1, 2, width_ratios=[1.2, 1])
    axes = left.subplots()
    loads = np.unique(np.linspace(1, 0.4 * n_units, 12).astype(int))
    rng = np.random.default_rng(0)
    for rule in RULES:
        rates = []
        for n_patterns in loads:
            memories = np.where(rng.random((n_patterns, n_units)) < 0.5, -1.0, 1.0)
            params = {**estimator.get_params(), "rule": rule, "coding": "bipolar"}
            net = type(estimator)(**params)
            rates.append(exact_recall(net.fit(memories), memories, memories, n_trials=2))
        axes.plot(loads / n_units, rates, marker="o", label=rule)
    axes.axvline(0.138, color="grey", linestyle=":", label="0.138 N")
    axes.set_xlabel("load P / N")
    axes.set_ylabel("exact recall, 10% flipped")
    axes.set_title(f"N = {n_units}")
    axes.legend(fontsize=7)
    shape = image_shape(n_units)
    shown = patterns[:3]
    corrupted = corrupt(shown, 0.1, np.random.default_rng(1))
    rows = (shown, corrupted, estimator.predict(corrupted))
    grid = right.subplots(len(shown), 3, squeeze=False)
    for column, (title, images) in enumerate(zip(("stored", "corrupted", "recalled"), rows)):
        for row, image in enumerate(images):
            grid[row, column].imshow(
                image.reshape(shape), cmap="gray", vmin=images.min(), vmax=images.max()
            )
            grid[row, column].set_xticks([])
            grid[row, column].set_yticks([])
        grid[0, column].set_title(title, fontsize=8)
