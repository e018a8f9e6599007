"""Support vector machines: maximal-margin classifiers and epsilon-insensitive regression.

The soft-margin machine (Boser, Guyon & Vapnik 1992; Cortes & Vapnik 1995) solves

    min_w,b,xi  1/2 ||w||^2 + sum_i C_i xi_i   s.t.  y_i (w.phi(x_i) + b) >= 1 - xi_i, xi >= 0

through its dual, written here in the general form that covers both tasks,

    min_alpha  1/2 alpha^T Q alpha + p^T alpha   s.t.  s^T alpha = 0,  0 <= alpha_t <= C_t,

with Q_tu = s_t s_u K(x_t, x_u) and signs s_t = +-1. The classifier has one variable
per sample, s = y and p = -1; the regressor (Vapnik 1995; Smola & Schoelkopf 2004) has
two, alpha and alpha*, with s = (+1, -1) and p = (epsilon - z, epsilon + z).

The dual is solved by sequential minimal optimization (Platt 1998): each step moves the
two variables of a working set analytically and clips them to the box. The working set
is chosen as libsvm does (Fan, Chen & Lin 2005): i has the largest KKT violation,
j the largest second-order decrease of the objective. Variables stuck at a bound are
shrunk out of the problem (Joachims 1999) and the gradient rebuilt before the final
optimality check. The primal, linear-kernel alternative is Pegasos (Shalev-Shwartz,
Singer & Srebro 2007): stochastic sub-gradient steps of size 1 / (lambda t).
"""

import functools
import warnings
from collections import OrderedDict
from itertools import combinations

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if

from zoo.base import (
    check_bool,
    ConvergenceWarning,
    Interval,
    Options,
    ZooClassifierMixin,
    ZooEstimator,
    check_is_fitted,
)
from zoo.core.losses import hinge

__all__ = ["SVMClassifier", "SVMRegressor", "smo", "platt_sigmoid", "decision_regions_figure"]

KERNEL_NAMES = ("linear", "poly", "rbf", "sigmoid", "precomputed")
# Smallest curvature of a working pair, libsvm's tau: a pair with K_ii + K_jj - 2 K_ij <= 0
# (a non-PSD kernel, or two variables of one sample in regression) still moves, to the box.
TAU = 1e-12
# libsvm's guard when max_iter is None: max(10^7, 100 * number of variables).
MIN_ITER_GUARD = 10_000_000
# Pegasos epochs when max_iter is None.
PEGASOS_EPOCHS = 50
# Rows of the kernel computed at once when the matrix is built piece by piece.
CHUNK_ROWS = 256


# ------------------------------------------------------------------ kernels


def kernel_matrix(kind, A, B, gamma, degree, coef0):
    """K(a, b) for every row a of A and b of B: 'linear' a.b; 'poly' (gamma a.b + coef0)^degree;
    'rbf' exp(-gamma ||a - b||^2); 'sigmoid' tanh(gamma a.b + coef0). Built in place on
    the product A B^T (fresh temporaries cost more than the arithmetic here)."""
    K = A @ B.T
    if kind == "linear":
        return K
    if kind == "rbf":  # -gamma ||a - b||^2 = 2 gamma a.b - gamma ||a||^2 - gamma ||b||^2
        K *= 2.0 * gamma
        K -= gamma * np.einsum("ij,ij->i", A, A)[:, None]
        K -= gamma * np.einsum("ij,ij->i", B, B)
        np.minimum(K, 0.0, out=K)
        return np.exp(K, out=K)
    K *= gamma
    K += coef0
    if kind == "sigmoid":
        return np.tanh(K, out=K)
    return np.power(K, degree, out=K)


class _KernelRows:
    """Rows of a subproblem's kernel matrix K over its ``n_samples`` samples, as the
    solver reads them: ``row(s)`` gives K[s, columns], the columns being the samples
    of the active variables (all samples until ``restrict`` says otherwise)."""

    columns = None

    def restrict(self, columns):
        """Let ``row`` return only ``columns`` (None: every sample)."""
        self.columns = columns

    def _selected(self, values):
        return values if self.columns is None else values.take(self.columns)


class _FullKernel(_KernelRows):
    """The whole kernel matrix of a subproblem, held in memory."""

    def __init__(self, matrix):
        self.matrix, self.n_samples = matrix, matrix.shape[0]

    def diagonal(self):
        return self.matrix.diagonal().copy()

    def row(self, sample):
        return self._selected(self.matrix[sample])

    def product(self, coef):
        """K @ coef, using only the nonzero entries of coef."""
        nonzero = np.flatnonzero(coef)
        return self.matrix[:, nonzero] @ coef[nonzero]


class _CachedKernel(_KernelRows):
    """Kernel rows computed on demand; the ``capacity`` most recently used are kept (LRU)."""

    def __init__(self, kernel, X, capacity):
        self.kernel, self.X, self.capacity = kernel, X, max(int(capacity), 2)
        self.rows, self.n_samples = OrderedDict(), X.shape[0]

    def diagonal(self):
        parts = [self.kernel(self.X[a : a + CHUNK_ROWS], self.X[a : a + CHUNK_ROWS]).diagonal()
                 for a in range(0, self.n_samples, CHUNK_ROWS)]
        return np.concatenate(parts)

    def row(self, sample):
        values = self.rows.get(sample)
        if values is None:
            values = self.rows[sample] = self.kernel(self.X[sample : sample + 1], self.X)[0]
            if len(self.rows) > self.capacity:
                self.rows.popitem(last=False)
        else:
            self.rows.move_to_end(sample)
        return self._selected(values)

    def product(self, coef):
        nonzero = np.flatnonzero(coef)
        support, weights = self.X[nonzero], coef[nonzero]
        return np.concatenate([self.kernel(self.X[a : a + CHUNK_ROWS], support) @ weights
                               for a in range(0, self.n_samples, CHUNK_ROWS)])


class _TrainingKernel:
    """Kernel values among the training samples, for the subproblems (class pairs, folds).

    The rule of the cache: when the n x n matrix of all training samples takes at most
    ``cache_bytes`` it is computed once and every subproblem slices it; otherwise a
    subproblem whose own matrix fits computes that, and a larger one computes rows on
    demand and keeps the most recent ones up to ``cache_bytes`` (an LRU of rows).
    A precomputed kernel is always the whole matrix.
    """

    def __init__(self, kernel, X, cache_bytes, precomputed):
        self.kernel, self.X, self.cache_bytes = kernel, X, cache_bytes
        n = X.shape[0]
        if precomputed:
            self.matrix = X
        elif 8.0 * n * n <= cache_bytes:
            self.matrix = kernel(X, X)
        else:
            self.matrix = None

    def block(self, rows, columns):
        if self.matrix is not None:
            return self.matrix.take(rows, axis=0).take(columns, axis=1)
        return self.kernel(self.X[rows], self.X[columns])

    def subproblem(self, samples=None):
        """The kernel of ``samples`` (None: all) as a _FullKernel or a _CachedKernel."""
        if samples is None and self.matrix is not None:
            return _FullKernel(self.matrix)
        samples = np.arange(self.X.shape[0]) if samples is None else samples
        if self.matrix is not None or 8.0 * len(samples) ** 2 <= self.cache_bytes:
            return _FullKernel(self.block(samples, samples))
        capacity = self.cache_bytes // (8.0 * len(samples))
        return _CachedKernel(self.kernel, self.X[samples], capacity)


# ------------------------------------------------------------------ SMO


class _SMO:
    """State of one dual problem. F = -s * grad(objective) is kept for every variable:
    the optimality gap is max F over I_up minus min F over I_low, where I_up holds the
    variables that may grow along s (alpha < C with s = +1, alpha > 0 with s = -1) and
    I_low those that may shrink along it."""

    def __init__(self, kernel, signs, linear, upper, sample_of, tol):
        self.kernel, self.signs, self.linear, self.upper = kernel, signs, linear, upper
        self.sample_of, self.tol = sample_of, tol
        self.alpha = np.zeros(signs.shape[0])
        self.F = -signs * linear
        self.diag = kernel.diagonal()[sample_of]
        self.active = None  # None: every variable is active
        self.unshrunk = False
        # kernel rows over all variables: the samples themselves, or (regression) each twice
        identity = np.array_equal(sample_of, np.arange(kernel.n_samples))
        self.all_columns = None if identity else sample_of
        kernel.restrict(self.all_columns)

    def _active(self, values):
        return values if self.active is None else values[self.active]

    def _active_sets(self):
        return _sets(self._active(self.alpha), self._active(self.signs), self._active(self.upper))

    def run(self, n_steps):
        """Up to ``n_steps`` SMO steps on the active variables: (steps taken, optimal)."""
        F, diag = self._active(self.F), self._active(self.diag)
        up, low = self._active_sets()
        # F kept twice, masked by the sets: -inf outside I_up, +inf outside I_low
        F_up, F_low = np.where(up, F, -np.inf), np.where(low, F, np.inf)
        # per-variable scalars as Python lists: a step reads and writes a few of them
        alpha, signs, upper = (
            self._active(values).tolist() for values in (self.alpha, self.signs, self.upper)
        )
        samples, diagonal = self._active(self.sample_of).tolist(), diag.tolist()
        row, tol = self.kernel.row, self.tol
        steps, optimal = 0, False
        while steps < n_steps:
            i = int(F_up.argmax())
            F_i = float(F_up[i])
            if F_i - F_low[F_low.argmin()] < tol:
                optimal = True
                break
            K_i = row(samples[i])
            # second-order selection: j in I_low maximising b^2 / a, b = F_i - F_j > 0 and
            # a = K_ii + K_jj - 2 K_ij the curvature along the pair
            curvature = K_i * -2.0
            curvature += diag
            curvature += diagonal[i]
            np.maximum(curvature, TAU, out=curvature)
            gain = F_i - F_low
            np.maximum(gain, 0.0, out=gain)
            gain *= gain
            gain /= curvature
            j = int(gain.argmax())
            K_j = row(samples[j])
            # alpha_i += s_i t, alpha_j -= s_j t keeps s^T alpha; the objective falls
            # by b t - a t^2 / 2, least at t = b / a, clipped to the box
            room_i = upper[i] - alpha[i] if signs[i] > 0 else alpha[i]
            room_j = alpha[j] if signs[j] > 0 else upper[j] - alpha[j]
            t = min((F_i - float(F_low[j])) / float(curvature[j]), room_i, room_j)
            alpha[i] = _moved(alpha[i], signs[i] * t, t == room_i, upper[i])
            alpha[j] = _moved(alpha[j], -signs[j] * t, t == room_j, upper[j])
            difference = K_i - K_j
            difference *= t
            F_up -= difference
            F_low -= difference
            for k in (i, j):
                value = F_up[k] if F_up[k] > -np.inf else F_low[k]
                in_up, in_low = _membership(alpha[k], signs[k], upper[k])
                F_up[k], F_low[k] = (value if in_up else -np.inf), (value if in_low else np.inf)
            steps += 1
        self._store(np.where(F_up > -np.inf, F_up, F_low), np.array(alpha))
        return steps, optimal

    def _store(self, F, alpha):
        if self.active is None:
            self.F, self.alpha = F, alpha
        else:
            self.F[self.active], self.alpha[self.active] = F, alpha

    def gap(self):
        """(max F over I_up, min F over I_low) of the active variables."""
        F = self._active(self.F)
        up, low = self._active_sets()
        return np.max(F, where=up, initial=-np.inf), np.min(F, where=low, initial=np.inf)

    def reconstruct(self):
        """Recompute F of every variable from alpha and make them all active again."""
        coef = np.bincount(self.sample_of, weights=self.signs * self.alpha,
                           minlength=self.kernel.n_samples)
        self.F = -self.kernel.product(coef)[self.sample_of] - self.signs * self.linear
        self.active = None
        self.kernel.restrict(self.all_columns)

    def shrink(self):
        """Drop bounded variables that cannot be picked soon (libsvm's rule): one only in
        I_up with F below min_{I_low} F, one only in I_low with F above max_{I_up} F."""
        F_max, F_min = self.gap()
        if not self.unshrunk and F_max - F_min <= 10 * self.tol:
            self.unshrunk = True  # close to the end: start again from all variables, once
            self.reconstruct()
            F_max, F_min = self.gap()
        index = np.arange(self.signs.shape[0]) if self.active is None else self.active
        F = self.F[index]
        up, low = _sets(self.alpha[index], self.signs[index], self.upper[index])
        stuck = (up & ~low & (F < F_min)) | (low & ~up & (F > F_max)) | ~(up | low)
        self.active = index[~stuck]
        self.kernel.restrict(self.sample_of[self.active])

    def intercept(self):
        """b: the mean F of the free variables, else the middle of the optimal interval."""
        free = (self.alpha > 0) & (self.alpha < self.upper)
        if free.any():
            return float(self.F[free].mean())
        F_max, F_min = self.gap()
        ends = [value for value in (F_max, F_min) if np.isfinite(value)]
        return float(np.mean(ends)) if ends else 0.0


def _sets(alpha, signs, upper):
    """Masks of I_up and I_low."""
    below, above = alpha < upper, alpha > 0
    positive = signs > 0
    return np.where(positive, below, above), np.where(positive, above, below)


def _membership(alpha, sign, upper):
    """(in I_up, in I_low) of one variable."""
    below, above = alpha < upper, alpha > 0
    return (below, above) if sign > 0 else (above, below)


def _moved(value, change, to_bound, upper):
    """alpha + change, put exactly on the bound it reached and kept inside [0, upper]."""
    if to_bound:
        return upper if change > 0 else 0.0
    return min(max(value + change, 0.0), upper)


def smo(kernel, signs, linear, upper, sample_of=None, tol=1e-3, max_iter=None, shrinking=True):
    """Solve min 1/2 a^T Q a + linear^T a, s^T a = 0, 0 <= a <= upper, Q_tu = s_t s_u K_tu.

    ``kernel`` is a _FullKernel or _CachedKernel over the samples; ``sample_of[t]`` is
    the sample of variable t (default: variable t is sample t). Stops when the largest
    KKT violation, max_{I_up} F - min_{I_low} F, is below ``tol`` on all variables.
    Returns (alpha, intercept b, number of steps, converged).
    """
    n_variables = signs.shape[0]
    sample_of = np.arange(n_variables) if sample_of is None else sample_of
    limit = max(MIN_ITER_GUARD, 100 * n_variables) if max_iter is None else max_iter
    problem = _SMO(kernel, signs, linear, upper, sample_of, tol)
    period = min(n_variables, 1000)
    n_iter, converged = 0, False
    while n_iter < limit:
        steps, optimal = problem.run(min(period, limit - n_iter))
        n_iter += steps
        if optimal and problem.active is None:
            converged = True
            break
        if optimal:  # optimal on the active set: check again on all variables
            problem.reconstruct()
            F_max, F_min = problem.gap()
            if F_max - F_min < tol:
                converged = True
                break
        if shrinking:
            problem.shrink()
    if problem.active is not None:
        problem.reconstruct()
    return problem.alpha, problem.intercept(), n_iter, converged


# ------------------------------------------------------------------ Platt scaling


def _sigmoid_terms(A, B, decision, targets):
    """Cross-entropy of P(positive | f) = 1 / (1 + exp(A f + B)) against the soft
    targets, with its gradient and Hessian in (A, B) (Lin, Lin & Weng 2007)."""
    z = A * decision + B
    value = np.sum(np.logaddexp(0.0, z) - (1.0 - targets) * z)
    p = expit(-z)
    residual, weight = targets - p, p * (1.0 - p)
    gradient = np.array([decision @ residual, residual.sum()])
    fw = decision * weight
    hessian = np.array([[decision @ fw, fw.sum()], [fw.sum(), weight.sum()]])
    return value, gradient, hessian


def platt_sigmoid(decision, positive, max_iter=100):
    """(A, B) of Platt's (1999) sigmoid P(positive | f) = 1 / (1 + exp(A f + B)).

    Fitted by Newton's method with backtracking (Lin, Lin & Weng 2007) to the smoothed
    targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2), with log(1 + e^z) evaluated stably.
    """
    n_pos = int(np.count_nonzero(positive))
    n_neg = positive.shape[0] - n_pos
    targets = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    params = np.array([0.0, np.log((n_neg + 1.0) / (n_pos + 1.0))])
    value, gradient, hessian = _sigmoid_terms(*params, decision, targets)
    for _ in range(max_iter):
        if np.abs(gradient).max() < 1e-5:
            break
        direction = -np.linalg.solve(hessian + 1e-12 * np.eye(2), gradient)
        slope, step = gradient @ direction, 1.0
        while step >= 1e-10:
            trial = params + step * direction
            new_value, new_gradient, new_hessian = _sigmoid_terms(*trial, decision, targets)
            if new_value < value + 1e-4 * step * slope:
                break
            step /= 2.0
        if step < 1e-10:
            break
        params, value, gradient, hessian = trial, new_value, new_gradient, new_hessian
    return float(params[0]), float(params[1])


def couple_pairwise(pairwise, n_classes):
    """Class probabilities from pairwise ones, Wu, Lin & Weng's (2004) second method:
    p minimises sum_t sum_{u != t} (r_ut p_t - r_tu p_u)^2 with sum p = 1, i.e. Q p = mu 1.

    ``pairwise[:, k]`` is P(first class | first or second) for the k-th pair of
    ``combinations(range(n_classes), 2)``.
    """
    n = pairwise.shape[0]
    r = np.zeros((n, n_classes, n_classes))  # r[:, t, u] = P(t | t or u)
    for k, (a, b) in enumerate(combinations(range(n_classes), 2)):
        r[:, a, b], r[:, b, a] = pairwise[:, k], 1.0 - pairwise[:, k]
    # the KKT system [[Q, 1], [1^T, 0]] [p; -mu] = [0; 1]: Q is singular when the r agree
    system = np.ones((n, n_classes + 1, n_classes + 1))
    system[:, -1, -1] = 0.0
    Q = system[:, :-1, :-1]
    Q[...] = -r * r.transpose(0, 2, 1)
    Q[:, np.arange(n_classes), np.arange(n_classes)] = np.einsum("nut,nut->nt", r, r)
    right = np.zeros((n, n_classes + 1, 1))
    right[:, -1] = 1.0
    p = np.maximum(np.linalg.solve(system, right)[:, :-1, 0], 0.0)
    return p / p.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ Pegasos


def epsilon_insensitive(output, target, epsilon):
    """Mean epsilon-insensitive loss max(0, |y - t| - epsilon) and its gradient in y."""
    n = output.shape[0]
    residual = output - target
    excess = np.abs(residual) - epsilon
    active = excess > 0
    return float(np.sum(excess[active]) / n), np.where(active, np.sign(residual), 0.0) / n


def pegasos_epoch(W, X, targets, loss, lam, t, batch_size, rng, weights=None, radius=None):
    """One pass of Pegasos over (X, targets) in random minibatches, updating W in place.

    Step t: W <- (1 - 1/t) W - (1 / (lam t)) X_b^T dL/dY_b, then (with a ``radius``)
    the projection onto the ball ||w|| <= radius of each column. Returns the new t.
    """
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        batch = order[start : start + batch_size]
        t += 1
        rows = X[batch]
        _, d_output = loss(rows @ W, targets[batch])
        if weights is not None:
            d_output *= weights[batch, None]
        W *= 1.0 - 1.0 / t
        W -= (rows.T @ d_output) / (lam * t)
        if radius is not None:
            W *= np.minimum(1.0, radius / np.maximum(np.linalg.norm(W, axis=0), 1e-300))
    return t


# ------------------------------------------------------------------ estimators


def _check_kernel(name, value):
    if not callable(value):
        Options(*KERNEL_NAMES).check(name, value)


def _check_class_weight(name, value):
    if not isinstance(value, dict):
        Options("balanced", also=(None,)).check(name, value)


def _check_gamma(name, value):
    if isinstance(value, str):
        Options("scale", "auto").check(name, value)
    else:
        Interval(float, 0, None, closed="neither").check(name, value)


class _SVMBase(ZooEstimator):
    """Kernels, parameter checks and the dual machinery shared by both tasks."""

    _constraints = {
        "C": Interval(float, 0, None, closed="neither"),
        "kernel": _check_kernel,
        "degree": Interval(int, 0, None),
        "gamma": _check_gamma,
        "coef0": Interval(float),
        "solver": Options("smo", "pegasos"),
        "shrinking": check_bool,
        "tol": Interval(float, 0, None, closed="neither"),
        "max_iter": Interval(int, 1, None, none_ok=True),
        "cache_size": Interval(float, 0, None, closed="neither"),
        "alpha": Interval(float, 0, None, closed="neither", none_ok=True),
        "batch_size": Interval(int, 1, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = _is_precomputed(self.kernel)
        return tags

    def _check_all_params(self):
        self._check_params()
        if self.solver == "pegasos" and self.kernel != "linear":
            raise ValueError(
                f"solver='pegasos' is a primal solver for the linear kernel; got "
                f"kernel={self.kernel!r} (use solver='smo' for other kernels)"
            )

    def _uses_pegasos(self):
        if self.solver != "pegasos":
            raise AttributeError("partial_fit is only available with solver='pegasos'")
        return True

    def _start_fit(self):
        """Forget the state of an earlier fit (another solver leaves other attributes)."""
        for name in [key for key in vars(self) if key.endswith("_") and not key.startswith("_")]:
            delattr(self, name)

    def _read(self, X, y="no_validation", reset=False, **kwargs):
        """Validated X (and y); a precomputed kernel must be square at fit."""
        validated = self._validate(X, y, reset=reset, **kwargs)
        X = validated[0] if isinstance(validated, tuple) else validated
        if reset and _is_precomputed(self.kernel) and X.shape[0] != X.shape[1]:
            raise ValueError(
                f"kernel='precomputed' needs the square matrix K(X_train, X_train) at fit; "
                f"got shape {X.shape}"
            )
        return validated

    def _gamma_value(self, X):
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        if self.gamma == "scale":
            variance = X.var()
            return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        return float(self.gamma)

    def _kernel(self, A, B):
        """K(A, B) with the fitted gamma; a callable kernel's output is checked."""
        if not callable(self.kernel):
            return kernel_matrix(self.kernel, A, B, self.gamma_, self.degree, self.coef0)
        K = np.asarray(self.kernel(A, B), dtype=np.float64)
        if K.shape != (A.shape[0], B.shape[0]) or not np.all(np.isfinite(K)):
            raise ValueError(
                f"the kernel callable must return a finite array of shape "
                f"({A.shape[0]}, {B.shape[0]}) for inputs of {A.shape[0]} and {B.shape[0]} "
                f"rows; got shape {K.shape}"
            )
        return K

    def _training_kernel(self, X):
        self.gamma_ = self._gamma_value(X)
        precomputed = _is_precomputed(self.kernel)
        return _TrainingKernel(self._kernel, X, self.cache_size * 2**20, precomputed)

    def _kernel_to_support(self, X):
        """K(X, support vectors), shape (n_samples, n_SV)."""
        if _is_precomputed(self.kernel):
            return X[:, self.support_]
        return self._kernel(X, self.support_vectors_)

    def _solve(self, kernel, signs, linear, upper, sample_of=None):
        alpha, intercept, n_iter, converged = smo(
            kernel, signs, linear, upper, sample_of, self.tol, self.max_iter, self.shrinking
        )
        if not converged:
            warnings.warn(
                f"{type(self).__name__}: SMO stopped after max_iter={self.max_iter} steps "
                f"with a KKT violation above tol={self.tol}; raise max_iter",
                ConvergenceWarning,
            )
        return alpha, intercept, n_iter

    def _keep_support_vectors(self, X, support):
        self.support_ = support
        precomputed = _is_precomputed(self.kernel)
        self.support_vectors_ = np.empty((0, 0)) if precomputed else X[support]

    def _flops(self, X):
        return 2.0 * X.shape[0] ** 2 * X.shape[1]

    def _pegasos_lambda(self, n_samples):
        return float(self.alpha) if self.alpha is not None else 1.0 / (self.C * n_samples)

    def _pegasos_pass(self, X, targets, loss, weights=None, radius=None, n_epochs=1):
        """``n_epochs`` Pegasos passes on (X, targets), continuing coef_, intercept_ and t_."""
        W = np.vstack([self.coef_.T, self.intercept_[None, :]])
        X1 = np.hstack([X, np.ones((X.shape[0], 1))])  # the bias is the weight of a 1 feature
        with self._threads(2.0 * X1.size * W.shape[1]):
            for _ in range(n_epochs):
                self.t_ = pegasos_epoch(W, X1, targets, loss, self.lambda_, self.t_,
                                        self.batch_size, self._pegasos_rng, weights, radius)
        self.coef_, self.intercept_ = W[:-1].T.copy(), W[-1].copy()
        self.n_iter_ = getattr(self, "n_iter_", 0) + n_epochs

    def _start_pegasos(self, n_features, n_outputs, n_samples):
        self.lambda_ = self._pegasos_lambda(n_samples)
        self.coef_ = np.zeros((n_outputs, n_features))
        self.intercept_ = np.zeros(n_outputs)
        self.t_ = 0
        self._pegasos_rng = np.random.default_rng(self._rng().randint(2**31))

    def _pegasos_epochs(self):
        return PEGASOS_EPOCHS if self.max_iter is None else self.max_iter


def _is_precomputed(kernel):
    return isinstance(kernel, str) and kernel == "precomputed"


_KERNEL_DOC = """    C : float > 0, default=1.0
        Penalty on the slacks; the bound of every dual variable (times the class
        weight for the classifier).
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, default='rbf'
        K(a, b): a.b; (gamma a.b + coef0)^degree; exp(-gamma ||a - b||^2);
        tanh(gamma a.b + coef0); 'precomputed' takes X = K(X, X_train) itself (square
        at fit); a callable f(A, B) returns the matrix K(A, B).
    degree : int >= 0, default=3
    gamma : {'scale', 'auto'} or float > 0, default='scale'
        'scale': 1 / (n_features Var(X)) (1 when X is constant); 'auto': 1 / n_features.
    coef0 : float, default=0.0
    solver : {'smo', 'pegasos'}, default='smo'
        'smo': the dual solved by SMO (any kernel). 'pegasos': the primal solved by
        Pegasos, linear kernel only, with ``partial_fit``; its bias is the weight of a
        constant feature 1 and so is regularised (as in LinearSVC), the objective being
        lambda / 2 (||w||^2 + b^2) + mean loss.
    shrinking : bool, default=True
        Shrink bounded variables out of the SMO working problem.
    tol : float > 0, default=1e-3
        SMO stops when the largest KKT violation, max_{I_up} -s_t grad_t -
        min_{I_low} -s_t grad_t, is below tol.
    max_iter : int >= 1 or None, default=None
        SMO: the most pair updates per binary problem (None: max(10^7, 100 n) as
        libsvm). Pegasos: passes over the data (None: 50); it needs of the order of
        1 / (lambda epsilon) steps to come within epsilon of the optimum, so small
        lambda (large C n) asks for more passes and larger batches.
    cache_size : float > 0, default=200
        Kernel memory in MB. The whole training kernel matrix is computed once when it
        fits; otherwise each binary problem computes its own matrix if that fits, else
        rows on demand with the most recently used kept (an LRU cache).
    alpha : float > 0 or None, default=None
        Pegasos's regularisation constant lambda; None derives it from C, lambda =
        1 / (C n), n the samples of ``fit`` (of the first ``partial_fit`` call).
    batch_size : int >= 1, default=1
        Pegasos minibatch (1: the paper's single-sample steps).
    random_state : int, RandomState or None, default=None
        Pegasos's sample order; the Platt cross-validation folds.
    n_threads : int or None, default=None
        BLAS threads (None: one for small problems).
"""

_DUAL_ATTRIBUTES_DOC = """    support_ : ndarray of shape (n_SV,)
        Indices of the training samples with a nonzero dual variable (SMO).
    support_vectors_ : ndarray of shape (n_SV, n_features)
        Those samples (an empty array with kernel='precomputed').
    gamma_ : float
        The gamma used.
    coef_ : ndarray
        With the linear kernel, the primal weights (Pegasos fits only these).
    lambda_, t_ : float, int
        Pegasos: its lambda and the number of steps taken so far.
    n_iter_ : int or ndarray
        SMO pair updates (per binary problem); Pegasos passes.
    n_features_in_ : int
"""


class SVMClassifier(ClassifierMixin, ZooClassifierMixin, _SVMBase):
    __doc__ = (
        """Support vector classifier (Boser, Guyon & Vapnik 1992; Cortes & Vapnik 1995).

    The dual is solved by SMO (Platt 1998) with libsvm's second-order working-set
    selection (Fan, Chen & Lin 2005), a kernel cache and shrinking. More than two
    classes are handled one-vs-one (Knerr, Personnaz & Dreyfus 1990): one machine per
    pair of classes; the prediction is the class with the most pairwise votes, ties
    broken by the summed pairwise decision values. ``probability=True`` fits Platt's
    (1999) sigmoid to 5-fold cross-validated decision values of every pair (Lin, Lin &
    Weng 2007) and couples the pairwise probabilities (Wu, Lin & Weng 2004).
    ``solver='pegasos'`` fits a linear machine in the primal (Shalev-Shwartz, Singer &
    Srebro 2007), one-vs-rest for more than two classes, and offers ``partial_fit``.

    Parameters
    ----------
"""
        + _KERNEL_DOC
        + """    class_weight : dict, 'balanced' or None, default=None
        Multiplies C for the samples of each class ('balanced': n / (n_classes n_c));
        with Pegasos, the loss of each sample.
    probability : bool, default=False
        Fit Platt scaling, which gives ``predict_proba`` (SMO only; five more fits).
    decision_function_shape : {'ovr', 'ovo'}, default='ovr'
        Multiclass ``decision_function``: 'ovo', one column per pair (a, b), a < b,
        positive for a; 'ovr', per class its number of votes plus
        arctan(its summed pairwise decision values) / pi, a term in (-1/2, 1/2)
        that only breaks ties.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
    n_support_ : ndarray of shape (n_classes,)
        Support vectors per class; ``support_`` lists them class by class.
    dual_coef_ : ndarray of shape (n_classes - 1, n_SV)
        y_i alpha_i in libsvm's layout: the coefficient of a support vector of class a
        in the machine of the pair (a, b) is in row b - 1 if b > a, else in row b. For
        two classes, decision(x) = dual_coef_ @ K(SV, x) + intercept_, positive for
        classes_[1].
    intercept_ : ndarray of shape (n_classes (n_classes - 1) / 2,)
        One bias per pair (SMO); one per output (Pegasos, one-vs-rest).
    probA_, probB_ : ndarray of shape (n_pairs,)
        Platt's sigmoid 1 / (1 + exp(A f + B)) of each pair, f positive for its first
        class (with probability=True).
"""
        + _DUAL_ATTRIBUTES_DOC
    )

    _constraints = {
        "class_weight": _check_class_weight,
        "probability": check_bool,
        "decision_function_shape": Options("ovr", "ovo"),
    }

    def __init__(
        self,
        C=1.0,
        *,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        solver="smo",
        shrinking=True,
        tol=1e-3,
        max_iter=None,
        cache_size=200.0,
        class_weight=None,
        probability=False,
        decision_function_shape="ovr",
        alpha=None,
        batch_size=1,
        random_state=None,
        n_threads=None,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.solver = solver
        self.shrinking = shrinking
        self.tol = tol
        self.max_iter = max_iter
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.probability = probability
        self.decision_function_shape = decision_function_shape
        self.alpha = alpha
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_all_params(self):
        super()._check_all_params()
        if self.solver == "pegasos" and (self.probability or self.decision_function_shape == "ovo"):
            raise ValueError(
                "probability=True and decision_function_shape='ovo' need solver='smo'; "
                "Pegasos fits one linear machine per class (one-vs-rest)"
            )

    def fit(self, X, y):
        """Fit the machine(s) to (X, y); returns self."""
        self._check_all_params()
        self._start_fit()
        X, y = self._read(X, y, reset=True)
        codes = self._encode_labels(y)
        self.class_weight_ = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        if self.solver == "pegasos":
            self._start_pegasos(X.shape[1], self._n_outputs(), X.shape[0])
            self._pegasos_fit_codes(X, codes, self._pegasos_epochs())
            return self
        with self._threads(self._flops(X)):
            self._fit_one_vs_one(X, codes)
        return self

    @available_if(_SVMBase._uses_pegasos)
    def partial_fit(self, X, y, classes=None):
        """One Pegasos pass over (X, y); ``classes`` (every label) on the first call."""
        first = not hasattr(self, "t_")
        if first:
            self._check_all_params()
            if self.class_weight == "balanced":
                raise ValueError("class_weight='balanced' needs all labels at once; use fit "
                                 "or give class_weight as a dict")
            self._start_fit()
        self._partial_fit_classes(classes, first)
        X, y = self._read(X, y, reset=first)
        codes = self._codes(y)
        if first:
            self.class_weight_ = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            self._start_pegasos(X.shape[1], self._n_outputs(), X.shape[0])
        self._pegasos_fit_codes(X, codes, 1)
        return self

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _pegasos_fit_codes(self, X, codes, n_epochs):
        if len(self.classes_) == 2:
            targets = np.where(codes == 1, 1.0, -1.0)[:, None]
        else:  # one-vs-rest: +1 for the sample's class, -1 for the others
            targets = np.where(codes[:, None] == np.arange(len(self.classes_)), 1.0, -1.0)
        weights = self.class_weight_[codes]
        weights = None if np.all(weights == 1) else weights
        radius = 1.0 / np.sqrt(self.lambda_)  # the optimum lies in this ball (Pegasos, Lemma 1)
        self._pegasos_pass(X, targets, hinge, weights, radius, n_epochs)

    # ------------------------------------------------------------- SMO, one-vs-one

    def _pairs(self):
        return list(combinations(range(len(self.classes_)), 2))

    def _pair_problem(self, codes, samples, first):
        """Signs (+1 for class ``first``) and box bounds of a binary problem."""
        signs = np.where(codes[samples] == first, 1.0, -1.0)
        upper = self.C * self.class_weight_[codes[samples]]
        return signs, upper

    def _fit_pair(self, source, codes, samples, first):
        """SMO on ``samples`` (two classes): (coefficients s alpha, intercept, steps)."""
        signs, upper = self._pair_problem(codes, samples, first)
        kernel = source.subproblem(None if len(samples) == len(codes) else samples)
        alpha, intercept, n_iter = self._solve(kernel, signs, -np.ones_like(signs), upper)
        return signs * alpha, intercept, n_iter

    def _fit_one_vs_one(self, X, codes):
        source = self._training_kernel(X)
        pairs = self._pairs()
        solutions, n_iters, samples_of_pair = [], [], []
        for a, b in pairs:
            samples = np.flatnonzero((codes == a) | (codes == b))
            coef, intercept, n_iter = self._fit_pair(source, codes, samples, a)
            solutions.append((coef, intercept))
            n_iters.append(n_iter)
            samples_of_pair.append(samples)
        self._store_dual(X, codes, pairs, solutions, samples_of_pair)
        self.n_iter_ = np.array(n_iters)
        if self.probability:
            self._fit_platt(source, codes, pairs, samples_of_pair)
        if self.kernel == "linear":
            self.coef_ = self._linear_weights()

    def _store_dual(self, X, codes, pairs, solutions, samples_of_pair):
        """support_, n_support_, dual_coef_ and intercept_ in libsvm's layout."""
        n_classes = len(self.classes_)
        is_support = np.zeros(X.shape[0], dtype=bool)
        for (coef, _), samples in zip(solutions, samples_of_pair):
            is_support[samples[coef != 0]] = True
        support = np.concatenate(
            [np.flatnonzero(is_support & (codes == c)) for c in range(n_classes)]
        )
        self._keep_support_vectors(X, support)
        self.n_support_ = np.bincount(codes[support], minlength=n_classes).astype(np.int32)
        position = np.full(X.shape[0], -1)
        position[support] = np.arange(support.shape[0])
        dual = np.zeros((n_classes - 1, support.shape[0]))
        intercepts = np.empty(len(pairs))
        for k, (a, b) in enumerate(pairs):
            (coef, intercept), samples = solutions[k], samples_of_pair[k]
            kept = coef != 0
            in_a = codes[samples] == a
            dual[b - 1, position[samples[kept & in_a]]] = coef[kept & in_a]
            dual[a, position[samples[kept & ~in_a]]] = coef[kept & ~in_a]
            intercepts[k] = intercept
        if n_classes == 2:  # positive decision values for classes_[1], as sklearn's SVC
            dual, intercepts = -dual, -intercepts
        self.dual_coef_, self.intercept_ = dual, intercepts

    def _pair_coefficients(self, a, b):
        """(columns of support_, their coefficients) of the machine of pair (a, b)."""
        ends = np.concatenate([[0], np.cumsum(self.n_support_)])
        in_a, in_b = slice(ends[a], ends[a + 1]), slice(ends[b], ends[b + 1])
        columns = np.r_[in_a, in_b]
        coef = np.concatenate([self.dual_coef_[b - 1, in_a], self.dual_coef_[a, in_b]])
        return columns, coef

    def _linear_weights(self):
        if len(self.classes_) == 2:
            return self.dual_coef_ @ self.support_vectors_
        rows = []
        for a, b in self._pairs():
            columns, coef = self._pair_coefficients(a, b)
            rows.append(coef @ self.support_vectors_[columns])
        return np.array(rows)

    def _pair_decisions(self, X):
        """Decision values of every pair (a, b), positive for a, shape (n, n_pairs)."""
        K = self._kernel_to_support(X)
        if len(self.classes_) == 2:
            return -(K @ self.dual_coef_[0] + self.intercept_[0])[:, None]
        columns_of = [self._pair_coefficients(a, b) for a, b in self._pairs()]
        decisions = [K[:, columns] @ coef for columns, coef in columns_of]
        return np.column_stack(decisions) + self.intercept_

    def _votes(self, decisions):
        """Per class: pairwise votes + arctan(summed pairwise decision values) / pi."""
        n_classes = len(self.classes_)
        votes = np.zeros((decisions.shape[0], n_classes))
        confidence = np.zeros_like(votes)
        for k, (a, b) in enumerate(self._pairs()):
            wins = decisions[:, k] > 0
            votes[:, a] += wins
            votes[:, b] += ~wins
            confidence[:, a] += decisions[:, k]
            confidence[:, b] -= decisions[:, k]
        return votes + np.arctan(confidence) / np.pi

    def _scores(self, X):
        check_is_fitted(self)
        X = self._read(X)
        if not hasattr(self, "support_"):  # Pegasos
            scores = X @ self.coef_.T + self.intercept_
            return scores[:, 0] if scores.shape[1] == 1 else scores
        with self._threads(2.0 * X.shape[0] * X.shape[1] * self.support_.shape[0]):
            decisions = self._pair_decisions(X)
        if len(self.classes_) == 2:
            return -decisions[:, 0]
        return decisions if self.decision_function_shape == "ovo" else self._votes(decisions)

    def decision_function(self, X):
        """Decision values: shape (n_samples,) for two classes (positive for
        classes_[1]); else per ``decision_function_shape`` ('ovr' for Pegasos)."""
        return self._scores(X)

    def predict(self, X):
        """The class with the most pairwise votes (ties: the larger summed decision value);
        with Pegasos, the largest one-vs-rest score."""
        scores = self._scores(X)
        if scores.ndim == 2 and self.decision_function_shape == "ovo" and hasattr(self, "support_"):
            scores = self._votes(scores)
        return self._labels_from_scores(scores)

    # ------------------------------------------------------------- Platt scaling

    def _fit_platt(self, source, codes, pairs, samples_of_pair):
        rng = self._rng()
        sigmoids = [self._pair_sigmoid(source, codes, samples, a, rng)
                    for (a, _), samples in zip(pairs, samples_of_pair)]
        self.probA_, self.probB_ = (np.array(values) for values in zip(*sigmoids))

    def _pair_sigmoid(self, source, codes, samples, first, rng):
        """Platt's sigmoid of one pair, fitted to cross-validated decision values (in-sample
        values when a class has fewer than 2 samples)."""
        positive = codes[samples] == first
        n_folds = min(5, int(np.count_nonzero(positive)), int(np.count_nonzero(~positive)))
        decision = np.empty(samples.shape[0])
        if n_folds < 2:
            folds = [(np.arange(samples.shape[0]),) * 2]
        else:
            splitter = StratifiedKFold(n_folds, shuffle=True, random_state=rng)
            folds = splitter.split(samples, positive)
        for train, test in folds:
            coef, intercept, _ = self._fit_pair(source, codes, samples[train], first)
            kept = coef != 0
            K = source.block(samples[test], samples[train][kept])
            decision[test] = K @ coef[kept] + intercept
        return platt_sigmoid(decision, positive)

    def _has_probabilities(self):
        if not self.probability:
            raise AttributeError("predict_proba is only available with probability=True")
        return True

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Class probabilities from Platt scaling, shape (n_samples, n_classes)."""
        check_is_fitted(self, "probA_")
        X = self._read(X)
        pairwise = expit(-(self._pair_decisions(X) * self.probA_ + self.probB_))
        pairwise = np.clip(pairwise, 1e-7, 1 - 1e-7)
        if len(self.classes_) == 2:
            return np.column_stack([pairwise[:, 0], 1.0 - pairwise[:, 0]])
        return couple_pairwise(pairwise, len(self.classes_))

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """Log of ``predict_proba``."""
        return np.log(self.predict_proba(X))


class SVMRegressor(RegressorMixin, _SVMBase):
    __doc__ = (
        """Support vector regression, epsilon-insensitive (Vapnik 1995; Drucker et al. 1997).

    min 1/2 ||w||^2 + C sum_i max(0, |y_i - f(x_i)| - epsilon), solved in the dual
    (variables alpha, alpha*, f(x) = sum_i (alpha_i - alpha*_i) K(x_i, x) + b) by the
    same SMO as the classifier, or in the primal by Pegasos-style sub-gradient steps
    with the linear kernel (no projection: the hinge bound of the radius does not hold).

    Parameters
    ----------
"""
        + _KERNEL_DOC
        + """    epsilon : float >= 0, default=0.1
        Half-width of the tube inside which errors cost nothing.

    Attributes
    ----------
    dual_coef_ : ndarray of shape (1, n_SV)
        alpha_i - alpha*_i of the support vectors.
    intercept_ : ndarray of shape (1,)
"""
        + _DUAL_ATTRIBUTES_DOC
    )

    _constraints = {"epsilon": Interval(float, 0, None)}

    def __init__(
        self,
        C=1.0,
        *,
        epsilon=0.1,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        solver="smo",
        shrinking=True,
        tol=1e-3,
        max_iter=None,
        cache_size=200.0,
        alpha=None,
        batch_size=1,
        random_state=None,
        n_threads=None,
    ):
        self.C = C
        self.epsilon = epsilon
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.solver = solver
        self.shrinking = shrinking
        self.tol = tol
        self.max_iter = max_iter
        self.cache_size = cache_size
        self.alpha = alpha
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X, y):
        """Fit to (X, y); returns self."""
        self._check_all_params()
        self._start_fit()
        X, y = self._read(X, y, reset=True, y_numeric=True)
        if self.solver == "pegasos":
            self._start_pegasos(X.shape[1], 1, X.shape[0])
            self._pegasos_fit_targets(X, y, self._pegasos_epochs())
            return self
        with self._threads(self._flops(X)):
            self._fit_dual(X, y)
        return self

    @available_if(_SVMBase._uses_pegasos)
    def partial_fit(self, X, y):
        """One Pegasos pass over (X, y), continuing from the current weights."""
        first = not hasattr(self, "t_")
        if first:
            self._check_all_params()
            self._start_fit()
        X, y = self._read(X, y, reset=first, y_numeric=True)
        if first:
            self._start_pegasos(X.shape[1], 1, X.shape[0])
        self._pegasos_fit_targets(X, y, 1)
        return self

    def _pegasos_fit_targets(self, X, y, n_epochs):
        loss = functools.partial(epsilon_insensitive, epsilon=self.epsilon)
        self._pegasos_pass(X, y.astype(np.float64)[:, None], loss, n_epochs=n_epochs)

    def _fit_dual(self, X, y):
        n = X.shape[0]
        source = self._training_kernel(X)
        signs = np.concatenate([np.ones(n), -np.ones(n)])
        linear = np.concatenate([self.epsilon - y, self.epsilon + y])
        upper = np.full(2 * n, float(self.C))
        sample_of = np.concatenate([np.arange(n), np.arange(n)])
        alpha, intercept, self.n_iter_ = self._solve(
            source.subproblem(), signs, linear, upper, sample_of
        )
        coef = alpha[:n] - alpha[n:]
        support = np.flatnonzero((alpha[:n] > 0) | (alpha[n:] > 0))
        self._keep_support_vectors(X, support)
        self.dual_coef_ = coef[support][None, :]
        self.intercept_ = np.array([intercept])
        if self.kernel == "linear":
            self.coef_ = self.dual_coef_ @ self.support_vectors_

    def predict(self, X):
        """f(x) for every row of X."""
        check_is_fitted(self)
        X = self._read(X)
        if not hasattr(self, "support_"):
            return X @ self.coef_[0] + self.intercept_[0]
        return self._kernel_to_support(X) @ self.dual_coef_[0] + self.intercept_[0]


# ------------------------------------------------------------------ benchmark figure


def decision_regions_figure(estimator, data, figure):
    """Figure hook: left, a copy of the benchmarked classifier (same settings) fitted to
    two moons, with its decision regions, margins (f = -1, 0, +1) and support vectors
    circled; right, the support vectors per class of the benchmark fit."""
    from sklearn.datasets import make_moons

    figure.set_size_inches(9.6, 4.2)
    figure.set_layout_engine("constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1.3, 1])
    X, y = make_moons(200, noise=0.2, random_state=0)
    params = {"probability": False, "decision_function_shape": "ovr"}
    model = clone(estimator).set_params(**params).fit(X, y)
    grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.2, 1.7, 160))
    f = model.decision_function(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    f = f.reshape(grid_x.shape)
    limit = np.abs(f).max()
    left.contourf(grid_x, grid_y, f, levels=20, cmap="RdBu", vmin=-limit, vmax=limit, alpha=0.6)
    left.contour(grid_x, grid_y, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"])
    left.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", s=12, edgecolors="k", linewidths=0.3)
    if hasattr(model, "support_vectors_") and model.support_vectors_.size:
        sv = model.support_vectors_
        left.scatter(sv[:, 0], sv[:, 1], s=60, facecolors="none", edgecolors="k", linewidths=0.8)
    n_support = len(getattr(model, "support_", []))
    left.set_title(f"two moons: f = 0 (solid), f = +-1 (dashed), {n_support} SVs circled",
                   fontsize=9)
    left.set_xticks([])
    left.set_yticks([])
    if hasattr(estimator, "n_support_"):
        labels = [str(label) for label in estimator.classes_]
        right.bar(labels, estimator.n_support_, color="tab:gray")
        right.set_title(f"{data.name}: {estimator.support_.size} of {len(data.X_train)} "
                        "training samples are SVs", fontsize=9)
        right.set_xlabel("class")
        right.set_ylabel("support vectors")
    figure.suptitle(f"{type(estimator).__name__} ({estimator.kernel} kernel, C={estimator.C})")
