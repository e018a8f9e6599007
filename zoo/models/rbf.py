"""Radial basis function networks: a layer of radial units and a linear readout.

f(x) = sum_j w_j phi(||x - c_j|| / sigma_j) + w_0, trained in the hybrid way of
Moody & Darken (1989): the centres c_j are placed without the targets (k-means, a
random subset of the data, or every training point as Broomhead & Lowe 1988 do),
the widths sigma_j come from the spacing of the centres, and the output weights are
the closed-form (ridge) least-squares solution (Poggio & Girosi 1990).
"""

import numpy as np
from scipy.special import softmax, xlogy
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.cluster import KMeans

from zoo.base import Interval, Options, OneHotClassifierMixin, ZooEstimator, check_is_fitted, check_bool
from zoo.core.distances import squared_distances
from zoo.core.readout import solve_ridge_with_intercept

__all__ = ["RBFClassifier", "RBFRegressor"]


# Radial profiles as functions of q = r^2 / sigma^2.
def _gaussian(q):
    return np.exp(-0.5 * q)


def _multiquadric(q):
    return np.sqrt(1.0 + q)


def _inverse_multiquadric(q):
    return 1.0 / np.sqrt(1.0 + q)


def _thin_plate(q):
    return 0.5 * xlogy(q, q)  # s^2 log s with s = sqrt(q), 0 at s = 0


def _cubic(q):
    return q * np.sqrt(q)


KERNELS = {
    "gaussian": _gaussian,
    "multiquadric": _multiquadric,
    "inverse_multiquadric": _inverse_multiquadric,
    "thin_plate": _thin_plate,
    "cubic": _cubic,
}
POSITIVE_KERNELS = ("gaussian", "multiquadric", "inverse_multiquadric")


def nearest_centre_widths(centres, p):
    """Moody & Darken's p-nearest-centre rule: RMS distance to the p nearest other centres."""
    k = centres.shape[0]
    if k < 2:
        return np.zeros(k, dtype=centres.dtype)
    sq = squared_distances(centres, centres)
    np.fill_diagonal(sq, np.inf)
    p = min(p, k - 1)
    nearest = np.partition(sq, p - 1, axis=1)[:, :p]
    return np.sqrt(nearest.mean(axis=1))


def global_width(centres):
    """One width for every centre: d_max / sqrt(2 k), d_max the largest centre distance."""
    k = centres.shape[0]
    d_max = np.sqrt(squared_distances(centres, centres).max())
    return np.full(k, d_max / np.sqrt(2.0 * k), dtype=centres.dtype)


def _fill_zero_widths(widths):
    """Coinciding centres get width 0; give them the mean positive width (1 if none)."""
    positive = widths > 0
    fill = widths[positive].mean() if positive.any() else 1.0
    return np.where(positive, widths, fill)


class _RBFBase(TransformerMixin, ZooEstimator):
    """Centres, widths, basis activations and the closed-form readout, for both tasks."""

    _constraints = {
        "n_centers": Interval(int, 1, None),
        "center_init": Options("kmeans", "random", "all"),
        "kernel": Options(*KERNELS),
        "width": Options("p_nearest", "global"),
        "p_neighbors": Interval(int, 1, None),
        "gamma": Interval(float, 0, None, closed="neither", none_ok=True),
        "normalized": check_bool,
        "alpha": Interval(float, 0, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_centers=50,
        *,
        center_init="kmeans",
        kernel="gaussian",
        width="p_nearest",
        p_neighbors=2,
        gamma=None,
        normalized=False,
        alpha=1e-8,
        random_state=None,
        dtype=np.float64,
        n_threads=None,
    ):
        self.n_centers = n_centers
        self.center_init = center_init
        self.kernel = kernel
        self.width = width
        self.p_neighbors = p_neighbors
        self.gamma = gamma
        self.normalized = normalized
        self.alpha = alpha
        self.random_state = random_state
        self.dtype = dtype
        self.n_threads = n_threads

    def _check_kernel_normalization(self):
        if self.normalized and self.kernel not in POSITIVE_KERNELS:
            raise ValueError(
                f"normalized=True divides by the sum of activations and needs a positive "
                f"kernel ({', '.join(POSITIVE_KERNELS)}); got kernel={self.kernel!r}"
            )

    def _fit_targets(self, X, Y):
        """Place centres, set widths, solve the output weights for 2-D targets Y."""
        self._check_params()
        self._check_kernel_normalization()
        k = X.shape[0] if self.center_init == "all" else min(self.n_centers, X.shape[0])
        with self._threads(float(X.shape[0]) * k * (X.shape[1] + k)):
            self.centers_ = self._place_centres(X)
            self.widths_ = self._set_widths(self.centers_)
            self.coef_, self.intercept_ = solve_ridge_with_intercept(self._basis(X), Y, self.alpha)

    def _place_centres(self, X):
        if self.center_init == "all":
            return X.copy()
        distinct = np.unique(X, axis=0)
        k = min(self.n_centers, distinct.shape[0])
        rng = self._rng()
        if self.center_init == "random":
            return distinct[rng.choice(distinct.shape[0], size=k, replace=False)]
        kmeans = KMeans(n_clusters=k, n_init=1, random_state=rng).fit(X)
        return kmeans.cluster_centers_.astype(X.dtype, copy=False)

    def _set_widths(self, centres):
        if self.gamma is not None:
            return np.full(centres.shape[0], np.sqrt(0.5 / self.gamma), dtype=centres.dtype)
        if self.width == "global":
            widths = global_width(centres)
        else:
            widths = nearest_centre_widths(centres, self.p_neighbors)
        return _fill_zero_widths(widths)

    def _basis(self, X):
        """Activations of the radial units, one column per centre."""
        q = squared_distances(X, self.centers_) / self.widths_**2
        if self.normalized and self.kernel == "gaussian":
            return softmax(-0.5 * q, axis=1)  # stable even where every exp underflows
        phi = KERNELS[self.kernel](q)
        if self.normalized:
            phi /= phi.sum(axis=1, keepdims=True)
        return phi

    def _outputs(self, X):
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self._basis(X) @ self.coef_ + self.intercept_

    def transform(self, X):
        """Radial-unit activations phi(||x - c_j|| / sigma_j), shape (n_samples, n_centres)."""
        check_is_fitted(self)
        return self._basis(self._validate(X, reset=False))


_PARAMETERS_DOC = """
    Parameters
    ----------
    n_centers : int, default=50
        Number of radial units (capped at the number of distinct training points);
        ignored when ``center_init='all'``.
    center_init : {'kmeans', 'random', 'all'}, default='kmeans'
        k-means cluster centres (Moody & Darken), a random subset of the distinct
        training points, or every training point (Broomhead & Lowe's interpolation).
    kernel : {'gaussian', 'multiquadric', 'inverse_multiquadric', 'thin_plate', 'cubic'}
        Radial profile of s = r / sigma: exp(-s^2 / 2), sqrt(1 + s^2),
        1 / sqrt(1 + s^2), s^2 log s, s^3. Default 'gaussian'.
    width : {'p_nearest', 'global'}, default='p_nearest'
        Width rule when ``gamma`` is None: sigma_j = RMS distance from centre j to its
        ``p_neighbors`` nearest other centres (Moody & Darken), or one
        sigma = d_max / sqrt(2 k) with d_max the largest distance between centres.
    p_neighbors : int, default=2
        p of the p-nearest-centre rule.
    gamma : float > 0 or None, default=None
        Overrides the width rule: every sigma_j = 1 / sqrt(2 gamma), so the Gaussian
        unit is exp(-gamma r^2).
    normalized : bool, default=False
        Normalised RBF: divide the activations by their sum (positive kernels only).
    alpha : float >= 0, default=1e-8
        Ridge penalty on the output weights; 0 gives least squares through the
        pseudo-inverse (exact interpolation when every point is a centre).
    random_state : int, RandomState or None, default=None
        Seed of k-means or of the random subset.
    dtype : float32 or float64, default=float64
    n_threads : int or None, default=None
        BLAS threads; None uses one thread for small problems and all for large ones.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    centers_ : ndarray of shape (n_centres, n_features)
    widths_ : ndarray of shape (n_centres,)
        sigma_j of each unit.
    coef_ : ndarray of shape (n_centres,) or (n_centres, n_outputs)
        Output weights w_j; with ``intercept_`` they solve the ridge normal equations
        with an unpenalised intercept: Phi^T (Phi w + w_0 - Y) + alpha w = 0 and
        sum(Phi w + w_0 - Y) = 0.
    intercept_ : float or ndarray of shape (n_outputs,)
        The bias w_0 (not penalised by ``alpha``).
    n_features_in_ : int
"""


class RBFClassifier(ClassifierMixin, OneHotClassifierMixin, _RBFBase):
    __doc__ = (
        """Radial basis function network classifier (Broomhead & Lowe 1988; Moody &
    Darken 1989; Poggio & Girosi 1990).

    One output per class fitted by ridge least squares to one-hot targets; the
    prediction is the class with the largest output.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.replace("n_outputs", "n_classes")
        + """    classes_ : ndarray of shape (n_classes,)
    """
    )


class RBFRegressor(RegressorMixin, _RBFBase):
    __doc__ = (
        """Radial basis function network regressor (Broomhead & Lowe 1988; Moody &
    Darken 1989; Poggio & Girosi 1990), single- or multi-output.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        """Fit centres, widths and output weights to y of shape (n_samples[, n_outputs])."""
        X, y = self._validate(X, y, reset=True, y_numeric=True, multi_output=True)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        self._fit_targets(X, Y.astype(X.dtype, copy=False))
        if y.ndim == 1:
            self.coef_, self.intercept_ = self.coef_[:, 0], self.intercept_[0]
        return self

    def predict(self, X):
        """Network outputs, shape (n_samples,) or (n_samples, n_outputs) like the fitted y."""
        return self._outputs(X)
