"""Linear output layers: ridge regression solved exactly, and logistic regression.

``RidgeReadout`` keeps the sufficient statistics (H^T H, H^T Y, the sums and the
count) so that fitting on data in several pieces (``partial_fit``) gives exactly
the solution of fitting on all of it at once. It serves every closed-form output
layer: ELM, RBF, ESN, LSM and the DBN heads.

``solve_ridge`` is the one-shot solver with the primal form (H^T H + a I)^-1 H^T Y,
the dual form H^T (H H^T + a I)^-1 Y (cheaper when there are more features than
samples) and the Moore-Penrose pseudo-inverse for a = 0.

``LogisticReadout`` is the probabilistic alternative for class labels: multinomial
logistic regression fitted by L-BFGS (the LSM and ESN classifiers with
``readout="logistic"``).
"""

import warnings

import numpy as np
from scipy import linalg
from scipy.optimize import minimize
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning

from .losses import softmax_cross_entropy


def solve_ridge(H, Y, alpha=0.0, method="auto"):
    """Weights B minimising ||H B - Y||^2 + alpha ||B||^2, in H's dtype.

    ``method``: 'primal', 'dual', 'pinv' (minimum-norm least squares, alpha must be 0)
    or 'auto' (pinv when alpha == 0, else the smaller of primal and dual). The solve
    runs in double precision whatever the input dtype.
    """
    return _solve_ridge64(
        H.astype(np.float64, copy=False), Y.astype(np.float64, copy=False), alpha, method
    ).astype(H.dtype, copy=False)


def solve_ridge_with_intercept(H, Y, alpha=0.0, method="auto"):
    """(B, b) minimising ||H B + b - Y||^2 + alpha ||B||^2: the intercept b is not
    penalised, so the problem is solved on centred columns."""
    h_mean, y_mean = H.mean(axis=0), Y.mean(axis=0)
    coef = solve_ridge(H - h_mean, Y - y_mean, alpha, method)
    return coef, (y_mean - h_mean @ coef).astype(H.dtype, copy=False)


def _solve_ridge64(H, Y, alpha, method):
    n, d = H.shape
    if method == "auto":
        method = "pinv" if alpha == 0 else ("dual" if d > n else "primal")
    if method == "pinv":
        if alpha != 0:
            raise ValueError("method='pinv' solves unregularised least squares; set alpha=0")
        return linalg.lstsq(H, Y, lapack_driver="gelsd")[0]
    if method == "primal":
        gram = H.T @ H
        gram.flat[:: d + 1] += alpha
        return _solve_spd(gram, H.T @ Y)
    if method == "dual":
        gram = H @ H.T
        gram.flat[:: n + 1] += alpha
        return H.T @ _solve_spd(gram, Y)
    raise ValueError(f"unknown ridge method {method!r}; valid: auto, dual, pinv, primal")


def _solve_spd(A, B):
    """Solve A X = B for symmetric positive (semi-)definite A; least squares if singular."""
    try:
        return linalg.solve(A, B, assume_a="pos")
    except (linalg.LinAlgError, ValueError):
        return linalg.lstsq(A, B, lapack_driver="gelsd")[0]


class RidgeReadout:
    """Exact streaming ridge regression Y ~ H W + b with an unpenalised intercept.

    ``partial_fit(H, Y)`` adds a chunk to the statistics and re-solves, so any
    split of the data gives the same ``coef_`` and ``intercept_`` as one ``fit``.
    """

    def __init__(self, alpha=1e-6, fit_intercept=True):
        self.alpha, self.fit_intercept = alpha, fit_intercept

    def reset(self, n_features, n_outputs, dtype=np.float64):
        self.count_ = 0
        self.sum_h_ = np.zeros(n_features, dtype=dtype)
        self.sum_y_ = np.zeros(n_outputs, dtype=dtype)
        self.hth_ = np.zeros((n_features, n_features), dtype=dtype)
        self.hty_ = np.zeros((n_features, n_outputs), dtype=dtype)
        return self

    def fit(self, H, Y):
        self.reset(H.shape[1], _as_2d(Y).shape[1])
        return self.partial_fit(H, Y)

    def partial_fit(self, H, Y):
        """Add a chunk to the statistics (kept in double precision) and re-solve."""
        H, Y = H.astype(np.float64, copy=False), _as_2d(Y).astype(np.float64, copy=False)
        if not hasattr(self, "count_"):
            self.reset(H.shape[1], Y.shape[1])
        self.count_ += H.shape[0]
        self.sum_h_ += H.sum(axis=0)
        self.sum_y_ += Y.sum(axis=0)
        self.hth_ += H.T @ H
        self.hty_ += H.T @ Y
        return self.solve()

    def solve(self):
        """Solve the normal equations from the accumulated statistics."""
        hth, hty = self.hth_, self.hty_
        if self.fit_intercept:
            # centring: sum (h - mean_h)(h - mean_h)^T = H^T H - n mean_h mean_h^T
            mean_h = self.sum_h_ / self.count_
            mean_y = self.sum_y_ / self.count_
            hth = hth - self.count_ * np.outer(mean_h, mean_h)
            hty = hty - self.count_ * np.outer(mean_h, mean_y)
        gram = hth.copy()
        gram.flat[:: gram.shape[0] + 1] += self.alpha
        self.coef_ = _solve_spd(gram, hty)
        self.intercept_ = mean_y - mean_h @ self.coef_ if self.fit_intercept else np.zeros(hty.shape[1])
        return self

    def predict(self, H):
        return H @ self.coef_ + self.intercept_


def _as_2d(Y):
    return Y.reshape(-1, 1) if Y.ndim == 1 else Y


class LogisticReadout:
    """Multinomial logistic regression P(k | h) = softmax(h W + b)_k, fitted by L-BFGS.

    It minimises, in float64, the summed cross-entropy with an L2 penalty on W (not on
    the intercept b)::

        sum_i -log P(codes_i | H_i) + (alpha / 2) ||W||_F^2,

    the negative log-posterior under a Gaussian prior of precision alpha on W (the
    scale of ``RidgeReadout``'s ||H W + b - Y||^2 + alpha ||W||^2, twice a Gaussian
    negative log-posterior) and sklearn's ``LogisticRegression(C=1 / alpha)`` for
    three or more classes. L-BFGS-B runs on that objective divided by the number of
    samples: ``tol`` bounds the largest gradient entry of the per-sample objective.
    ``coef_`` is (n_features, n_classes) and ``intercept_`` (n_classes,), centred to
    sum to zero (softmax does not change when every b_k moves together).
    """

    def __init__(self, alpha=1.0, max_iter=1000, tol=1e-6):
        self.alpha, self.max_iter, self.tol = alpha, max_iter, tol

    def fit(self, H, codes, n_classes):
        """Fit to integer class codes 0 .. n_classes - 1 from zero weights."""
        H = np.asarray(H, dtype=np.float64)
        codes = np.asarray(codes, dtype=np.intp)
        start = np.zeros((H.shape[1] + 1) * n_classes)
        result = minimize(
            logistic_objective,
            start,
            args=(H, codes, self.alpha),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
        )
        self.n_iter_ = int(result.nit)
        if result.status == 1:
            warnings.warn(
                f"LogisticReadout: L-BFGS reached max_iter={self.max_iter} before converging "
                f"(alpha={self.alpha}); raise alpha for a better conditioned fit.",
                ConvergenceWarning,
            )
        coef, intercept = _unflatten(result.x, H.shape[1], n_classes)
        self.coef_, self.intercept_ = coef, intercept - intercept.mean()
        return self

    def decision_function(self, H):
        """The logits H W + b, shape (n_samples, n_classes)."""
        return H @ self.coef_ + self.intercept_

    def predict_proba(self, H):
        """Class probabilities softmax(H W + b), rows summing to one."""
        return softmax(self.decision_function(H), axis=1)


def logistic_objective(theta, H, codes, alpha):
    """(value, gradient) of LogisticReadout's objective divided by n_samples, at the
    flat parameters theta = [W.ravel(), b] (W of shape (n_features, n_classes))."""
    n_samples, n_features = H.shape
    coef, intercept = _unflatten(theta, n_features, theta.size // (n_features + 1))
    value, dlogits = softmax_cross_entropy(H @ coef + intercept, codes)  # means over samples
    dcoef = H.T @ dlogits + (alpha / n_samples) * coef
    value += 0.5 * alpha / n_samples * float(np.vdot(coef, coef))
    return value, np.concatenate([dcoef.ravel(), dlogits.sum(axis=0)])


def _unflatten(theta, n_features, n_classes):
    split = n_features * n_classes
    return theta[:split].reshape(n_features, n_classes), theta[split:]
