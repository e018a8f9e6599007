"""Kohonen's self-organising map: a grid of units whose weight vectors learn to cover
the data while neighbouring units stay close (Kohonen 1982, 1990, 2001).

The best-matching unit (BMU) of x is c(x) = argmin_i ||x - w_i||. Online training
takes one sample at a time, w_i += alpha(t) h_ci(t) (x - w_i), with a neighbourhood
h_ci(t) = h(||r_c - r_i||, sigma(t)) of the grid positions r; alpha and sigma decay
over the updates. The batch map (Kohonen 2001, sec. 3.14) sets every unit at once to
the neighbourhood-weighted mean of the data, w_i = sum_x h_c(x)i x / sum_x h_c(x)i.
The quantisation error is the mean distance of a sample to its BMU; the topographic
error (Kiviluoto 1996) is the share of samples whose two best units are not grid
neighbours. The U-matrix (Ultsch & Siemon 1990) shows how far each unit's weights lie
from its neighbours'.
"""

import warnings

import numpy as np
from sklearn.base import ClusterMixin, TransformerMixin

from zoo.base import Interval, Options, ZooEstimator, check_is_fitted
from zoo.core.distances import squared_distances

__all__ = ["SelfOrganizingMap", "quantization_error", "u_matrix_figure"]

INITS = ("random", "sample", "pca")
DECAYS = ("exponential", "linear", "inverse")
# squared grid distance of the units that count as neighbours (8 on a rectangle, 6 on hexagons)
NEIGHBOUR_SQ_DISTANCE = {"rectangular": 2.0, "hexagonal": 1.0}
# online passes (or batch epochs) over the data when n_iter is None
DEFAULT_PASSES = 10
# a unit this many data ranges (or largest |x|) from the data's mean: the online rule diverged
DIVERGED_RANGES = 100.0


def gaussian(sq_distances, sigma):
    """exp(-d^2 / (2 sigma^2))."""
    return np.exp(sq_distances * (-0.5 / sigma**2))


def bubble(sq_distances, sigma):
    """1 within grid distance sigma of the BMU, else 0."""
    return (sq_distances <= sigma**2).astype(np.float64)


def mexican_hat(sq_distances, sigma):
    """(1 - d^2 / sigma^2) exp(-d^2 / (2 sigma^2)): pulls the near units, pushes the far."""
    scaled = sq_distances / sigma**2
    return (1.0 - scaled) * np.exp(-0.5 * scaled)


NEIGHBORHOODS = {"gaussian": gaussian, "bubble": bubble, "mexican_hat": mexican_hat}


def decayed(start, end, steps, n_steps, kind):
    """The values of a schedule going from ``start`` at step 0 to ``end`` at step
    n_steps - 1 (and staying there), at each of ``steps``."""
    s = np.minimum(steps, n_steps - 1) / max(n_steps - 1, 1)
    if kind == "exponential":
        return start * (end / start) ** s
    if kind == "linear":
        return start + (end - start) * s
    return start / (1.0 + s * (start / end - 1.0))  # inverse of time, alpha = A / (B + t)


def grid_positions(n_rows, n_cols, topology):
    """Positions r_i of the units, row-major, shape (n_rows * n_cols, 2): (row, column) on
    a rectangle; on hexagons odd rows shift half a unit right and rows sit sqrt(3)/2
    apart, so the six neighbours of a unit all lie at distance 1."""
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    if topology == "hexagonal":
        return np.column_stack([rows * (np.sqrt(3) / 2), cols + 0.5 * (rows % 2)])
    return np.column_stack([rows, cols]).astype(np.float64)


def pairwise_sq_distances(points):
    difference = points[:, None, :] - points[None, :, :]
    return np.einsum("ijk,ijk->ij", difference, difference)


def _check_init(name, value):
    if isinstance(value, str):
        Options(*INITS).check(name, value)
        return
    array = np.asarray(value)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, INITS))} or a 2-D array of "
            f"initial weights (n_rows * n_cols, n_features); got {value!r}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: the initial weights must be finite")


class SelfOrganizingMap(ClusterMixin, TransformerMixin, ZooEstimator):
    """Self-organising map (Kohonen 1982, "Self-organized formation of topologically
    correct feature maps"; Kohonen 1990, "The self-organizing map"; Kohonen 2001,
    *Self-Organizing Maps*, 3rd ed.), with the topographic error of Kiviluoto (1996)
    and the U-matrix of Ultsch & Siemon (1990).

    A clusterer and a transformer: ``predict`` gives the index of the best-matching
    unit (units are numbered row by row, unit k at row k // n_cols, column
    k % n_cols), ``transform`` the distances to every unit (or the BMU's grid
    position), ``score`` minus the quantisation error.

    Parameters
    ----------
    n_rows, n_cols : int, default=10, 10
        Size of the grid.
    topology : {"rectangular", "hexagonal"}, default="rectangular"
        Rectangular grid (neighbours: the 8 surrounding units) or hexagonal (the 6
        units at distance 1; odd rows shifted by half a unit).
    neighborhood : {"gaussian", "bubble", "mexican_hat"}, default="gaussian"
        h(d, sigma) of the grid distance d to the BMU: exp(-d^2 / 2 sigma^2); 1 for
        d <= sigma, else 0; or (1 - d^2 / sigma^2) exp(-d^2 / 2 sigma^2), which is
        negative beyond sigma (online training only). The negative lobe pushes the
        units beyond sigma away from the sample; pushed out, they seldom win and
        nothing pulls them back, so the online rule can diverge (on the uniform unit
        square a 10 x 10 map diverged for every sigma and learning rate tried,
        MiniSom's mexican hat likewise): fit warns when a unit ends up far outside
        the data.
    sigma0 : float or None, default=None
        Neighbourhood width at the first update (None: max(n_rows, n_cols) / 2).
    sigma_end : float, default=0.5
        Neighbourhood width at the last update of the schedule.
    learning_rate0, learning_rate_end : float in (0, 1], default=0.5, 0.05
        alpha at the first and the last update (online training only: the batch map
        has no learning rate).
    decay : {"exponential", "linear", "inverse"}, default="exponential"
        How alpha and sigma go from their first to their last value over the n_iter
        steps: geometrically, linearly, or as A / (B + t) (the 1/t schedule).
    n_iter : int or None, default=None
        Length of the schedule. Online: the number of single-sample updates (as in
        MiniSom), each sample used equally often (give or take one) in one random
        order. Batch: the number of epochs. None: 10 passes over the training data (online: 10 *
        n_samples updates; batch: 10 epochs).
    training : {"online", "batch"}, default="online"
    init : {"random", "sample", "pca"} or array of shape (n_rows * n_cols, n_features), \
default="pca"
        Initial weights: uniform in the bounding box of the data; randomly chosen
        samples; the plane of the two principal components, spanned by the grid over
        +-1 standard deviation along each (Kohonen's linear initialisation: the first
        component along the longer grid side); or the given array.
    transform_to : {"distances", "grid"}, default="distances"
        What ``transform`` returns: the distance of each sample to every unit, shape
        (n_samples, n_rows * n_cols), or the grid position of its BMU, shape
        (n_samples, 2), as in ``unit_positions_``.
    random_state : int, RandomState or None, default=None
        Seeds the random initialisations and the order of the online updates.
    n_threads : int or None, default=None
        BLAS threads (None: one for small problems).

    Attributes
    ----------
    weights_ : ndarray of shape (n_rows * n_cols, n_features_in_)
        The weight vector of every unit, row by row.
    unit_positions_ : ndarray of shape (n_rows * n_cols, 2)
        Grid position of every unit, (row, column) on a rectangle; on hexagons
        (row * sqrt(3) / 2, column + (row mod 2) / 2).
    labels_ : ndarray of shape (n_samples,)
        BMU of every sample of the last ``fit`` (or ``partial_fit``) data.
    n_iter_ : int
        Steps of the schedule taken so far (updates online, epochs batch).
    schedule_length_ : int
        n_iter, or what None resolved to on the first data.
    n_params_ : int
        Size of ``weights_``.
    n_features_in_ : int
    """

    _constraints = {
        "n_rows": Interval(int, 1, None),
        "n_cols": Interval(int, 1, None),
        "topology": Options(*NEIGHBOUR_SQ_DISTANCE),
        "neighborhood": Options(*NEIGHBORHOODS),
        "sigma0": Interval(float, 0, None, closed="neither", none_ok=True),
        "sigma_end": Interval(float, 0, None, closed="neither"),
        "learning_rate0": Interval(float, 0, 1, closed="right"),
        "learning_rate_end": Interval(float, 0, 1, closed="right"),
        "decay": Options(*DECAYS),
        "n_iter": Interval(int, 1, None, none_ok=True),
        "training": Options("online", "batch"),
        "init": _check_init,
        "transform_to": Options("distances", "grid"),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_rows=10,
        n_cols=10,
        *,
        topology="rectangular",
        neighborhood="gaussian",
        sigma0=None,
        sigma_end=0.5,
        learning_rate0=0.5,
        learning_rate_end=0.05,
        decay="exponential",
        n_iter=None,
        training="online",
        init="pca",
        transform_to="distances",
        random_state=None,
        n_threads=None,
    ):
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.topology = topology
        self.neighborhood = neighborhood
        self.sigma0 = sigma0
        self.sigma_end = sigma_end
        self.learning_rate0 = learning_rate0
        self.learning_rate_end = learning_rate_end
        self.decay = decay
        self.n_iter = n_iter
        self.training = training
        self.init = init
        self.transform_to = transform_to
        self.random_state = random_state
        self.n_threads = n_threads

    @classmethod
    def _expected_failed_checks(cls):
        return {
            "check_clustering": (
                "the check wants the labels of 50 points from 3 blobs to match the blobs "
                "(adjusted Rand index > 0.4), but the clusters of a SOM are its units, 100 "
                "on the default 10 x 10 grid, most of them holding a point or two (a 1 x 3 "
                "map passes the check)"
            ),
        }

    # ------------------------------------------------------------------ training

    def fit(self, X, y=None):
        """Initialise the map and train it over the whole schedule; returns self."""
        self._check_hyperparameters()
        X = self._validate(X, reset=True)
        rng = self._rng()
        self._initialize(X, rng)
        if self.training == "batch":
            self._batch_epochs(X, self.schedule_length_)
        else:
            self._online(X, self._online_order(X.shape[0], rng))
            self._warn_if_diverged(X)
        self.labels_ = self._bmus(X)
        return self

    def partial_fit(self, X, y=None):
        """Continue the schedule on X: online, one update per row of X in the given
        order; batch, one epoch. The first call initialises the map (n_iter None: the
        schedule is 10 passes over this first X). Past the end of the schedule alpha
        and sigma stay at their last values. Returns self."""
        first_call = not hasattr(self, "weights_")
        if first_call:
            self._check_hyperparameters()
        X = self._validate(X, reset=first_call)
        if first_call:
            self._initialize(X, self._rng())
        if self.training == "batch":
            self._batch_epochs(X, 1)
        else:
            self._online(X, np.arange(X.shape[0]))
            self._warn_if_diverged(X)
        self.labels_ = self._bmus(X)
        return self

    def _check_hyperparameters(self):
        self._check_params()
        if self.training == "batch" and self.neighborhood == "mexican_hat":
            raise ValueError(
                "training='batch' needs a non-negative neighborhood ('gaussian' or 'bubble'): "
                "with 'mexican_hat' the weighted means can divide by zero; use training='online'"
            )

    def _initialize(self, X, rng):
        n_samples = X.shape[0]
        passes = n_samples * DEFAULT_PASSES if self.training == "online" else DEFAULT_PASSES
        self.schedule_length_ = self.n_iter or passes
        self.unit_positions_ = grid_positions(self.n_rows, self.n_cols, self.topology)
        self.weights_ = self._initial_weights(X, rng)
        self.n_params_ = self.weights_.size
        self.n_iter_ = 0

    def _initial_weights(self, X, rng):
        n_units = self.n_rows * self.n_cols
        if not isinstance(self.init, str):
            weights = np.array(self.init, dtype=np.float64)
            if weights.shape != (n_units, X.shape[1]):
                raise ValueError(
                    f"init has shape {weights.shape}, but a {self.n_rows} x {self.n_cols} map "
                    f"on {X.shape[1]} features needs initial weights of shape "
                    f"{(n_units, X.shape[1])}"
                )
            return weights
        if self.init == "random":
            return rng.uniform(X.min(axis=0), X.max(axis=0), size=(n_units, X.shape[1]))
        if self.init == "sample":
            return X[rng.choice(X.shape[0], n_units, replace=n_units > X.shape[0])].copy()
        return self._pca_weights(X)

    def _pca_weights(self, X):
        """mean + a_i s_1 v_1 + b_i s_2 v_2, with (a_i, b_i) the unit's position scaled to
        [-1, 1] along each grid side and s_k v_k the principal axes (standard deviations)."""
        mean = X.mean(axis=0)
        _, singular, components = np.linalg.svd(X - mean, full_matrices=False)
        axes = components[:2] * (singular[:2] / np.sqrt(max(X.shape[0] - 1, 1)))[:, None]
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], X.shape[1]))])
        span = np.ptp(self.unit_positions_, axis=0)
        scaled = np.where(span > 0, 2 * self.unit_positions_ / np.where(span > 0, span, 1) - 1, 0)
        if span[0] > span[1]:  # the first component along the longer side
            scaled = scaled[:, ::-1]
        return mean + scaled[:, 1:] * axes[0] + scaled[:, :1] * axes[1]

    def _online_order(self, n_samples, rng):
        """The samples of the n_iter updates: each sample equally often (give or take
        one), all in one random order."""
        return rng.permutation(np.arange(self.schedule_length_) % n_samples)

    def _schedule(self, start, end, n_steps):
        steps = np.arange(n_steps, dtype=np.float64) + self.n_iter_
        return decayed(start, end, steps, self.schedule_length_, self.decay)

    def _sigma0(self):
        return self.sigma0 if self.sigma0 is not None else max(self.n_rows, self.n_cols) / 2

    def _online(self, X, order):
        """w_i += alpha(t) h(||r_c - r_i||, sigma(t)) (x - w_i), one sample at a time:
        per sample a few vector operations over all units, h one row of the squared
        grid distances put through the neighbourhood function."""
        rates = self._schedule(self.learning_rate0, self.learning_rate_end, len(order)).tolist()
        sigmas = self._schedule(self._sigma0(), self.sigma_end, len(order)).tolist()
        grid_sq = pairwise_sq_distances(self.unit_positions_)
        neighborhood = NEIGHBORHOODS[self.neighborhood]
        weights = self.weights_
        difference = np.empty_like(weights)
        with self._threads(4.0 * weights.size):
            for index, rate, sigma in zip(order.tolist(), rates, sigmas):
                np.subtract(X[index], weights, out=difference)
                winner = np.einsum("ij,ij->i", difference, difference).argmin()
                pull = neighborhood(grid_sq[winner], sigma)
                pull *= rate
                difference *= pull[:, None]
                weights += difference
        self.n_iter_ += len(order)

    def _batch_epochs(self, X, n_epochs):
        """w_i = sum_x h_c(x)i x / sum_x h_c(x)i per epoch, through the sums and counts of
        the samples won by each unit: numerator H S, denominator H n, H the unit-by-unit
        neighbourhood matrix. A unit with no weight in any sample keeps its place."""
        sigmas = self._schedule(self._sigma0(), self.sigma_end, n_epochs)
        grid_sq = pairwise_sq_distances(self.unit_positions_)
        neighborhood = NEIGHBORHOODS[self.neighborhood]
        n_units = self.weights_.shape[0]
        with self._threads(2.0 * X.shape[0] * self.weights_.size):
            for sigma in sigmas:
                winners = self._bmus(X)
                counts = np.bincount(winners, minlength=n_units).astype(np.float64)
                sums = np.zeros_like(self.weights_)
                np.add.at(sums, winners, X)
                weighting = neighborhood(grid_sq, sigma)
                numerator, denominator = weighting @ sums, weighting @ counts
                won = denominator > 0
                self.weights_[won] = numerator[won] / denominator[won, None]
        self.n_iter_ += n_epochs

    def _warn_if_diverged(self, X):
        scale = max(np.ptp(X, axis=0).max(), np.abs(X).max())
        if np.abs(self.weights_ - X.mean(axis=0)).max() > DIVERGED_RANGES * scale:
            warnings.warn(
                f"{type(self).__name__}: the online training diverged, units lie more than "
                f"{DIVERGED_RANGES:g} data ranges from the data (neighborhood="
                f"{self.neighborhood!r}); lower learning_rate0 or use a non-negative neighborhood",
                RuntimeWarning,
            )

    # ------------------------------------------------------------------ inference

    def _sq_distances(self, X):
        """Squared distances to every unit, ||x||^2 - 2 x.w + ||w||^2: one GEMM."""
        with self._threads(2.0 * X.shape[0] * self.weights_.size):
            return squared_distances(X, self.weights_)

    def _bmus(self, X):
        return self._sq_distances(X).argmin(axis=1)

    def _checked(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def predict(self, X):
        """Index of the best-matching unit of every sample, shape (n_samples,)."""
        return self._bmus(self._checked(X))

    def transform(self, X):
        """Distances to every unit, shape (n_samples, n_rows * n_cols); with
        ``transform_to="grid"`` the grid position of the BMU, shape (n_samples, 2)."""
        sq = self._sq_distances(self._checked(X))
        if self.transform_to == "grid":
            return self.unit_positions_[sq.argmin(axis=1)]
        return np.sqrt(sq)

    def quantization_error(self, X):
        """Mean distance of the samples to their best-matching units."""
        return float(np.sqrt(self._sq_distances(self._checked(X)).min(axis=1)).mean())

    def score(self, X, y=None):
        """Minus the quantisation error of X (higher is better, as sklearn scores go)."""
        return -self.quantization_error(X)

    def topographic_error(self, X):
        """Share of samples whose best and second-best units are not grid neighbours
        (Kiviluoto 1996): the 8 surrounding units on a rectangular grid, the 6 adjacent
        ones on a hexagonal grid."""
        sq = self._sq_distances(self._checked(X))
        if sq.shape[1] < 2:
            raise ValueError("the topographic error needs a map of at least 2 units")
        best_two = np.argpartition(sq, 1, axis=1)[:, :2]
        adjacent = self._adjacency()
        return float(np.mean(~adjacent[best_two[:, 0], best_two[:, 1]]))

    def _adjacency(self):
        """Unit-by-unit boolean matrix of grid neighbours (not including the unit itself)."""
        grid_sq = pairwise_sq_distances(self.unit_positions_)
        return (grid_sq > 0) & (grid_sq <= NEIGHBOUR_SQ_DISTANCE[self.topology] + 1e-9)

    def u_matrix(self):
        """Mean distance of each unit's weights to its grid neighbours' (the neighbours
        of ``topographic_error``), shape (n_rows, n_cols): high ridges separate clusters."""
        check_is_fitted(self)
        first, second = np.nonzero(self._adjacency())
        gaps = np.linalg.norm(self.weights_[first] - self.weights_[second], axis=1)
        n_units = self.weights_.shape[0]
        total = np.bincount(first, weights=gaps, minlength=n_units)
        n_neighbours = np.maximum(np.bincount(first, minlength=n_units), 1)
        return (total / n_neighbours).reshape(self.n_rows, self.n_cols)

    def component_planes(self):
        """The weights of every input feature over the grid, shape (n_features, n_rows, n_cols)."""
        check_is_fitted(self)
        return self.weights_.T.reshape(-1, self.n_rows, self.n_cols)


def quantization_error(estimator, data):
    """Benchmark metric: mean distance of the test samples to their nearest unit, the
    minimum of ``transform`` (distances to every unit for the SOM, to every centre for
    k-means)."""
    return float(np.mean(np.min(estimator.transform(data.X_test), axis=1)))


def u_matrix_figure(estimator, data, figure, n_updates=5000):
    """Figure hook: the U-matrix of the fitted map with the hits of the training samples,
    coloured by class where the data have labels (left), and a map of the same grid
    trained online on the uniform unit square, unfolding over ``n_updates`` updates
    from random weights (right)."""
    figure.set_size_inches(11, 4.6)
    left, right = figure.subfigures(1, 2, width_ratios=[1, 1.15])
    _draw_u_matrix(estimator, np.asarray(data.X_train), data.y_train, left.subplots())
    params = {**estimator.get_params(), "init": "random", "training": "online",
              "n_iter": n_updates, "random_state": 0}
    unfolding = type(estimator)(**params)
    stream = np.random.default_rng(0).uniform(size=(n_updates, 2))
    stops = [n_updates // 500, n_updates // 50, n_updates // 5, n_updates]
    for axes, start, stop in zip(right.subplots(2, 2).flat, [0, *stops[:-1]], stops):
        unfolding.partial_fit(stream[start:stop])
        _draw_grid(unfolding, axes)
        axes.set_title(f"after {stop} updates", fontsize=8)
    right.suptitle("unfolding over the unit square (online)", fontsize=9)


def _unit_patches(estimator, values, axes):
    """Squares or hexagons at the units' grid positions, coloured by ``values``."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle, RegularPolygon

    rows, columns = estimator.unit_positions_.T
    if estimator.topology == "hexagonal":
        patches = [RegularPolygon((x, y), 6, radius=1 / np.sqrt(3)) for x, y in zip(columns, rows)]
    else:
        patches = [Rectangle((x - 0.5, y - 0.5), 1, 1) for x, y in zip(columns, rows)]
    collection = PatchCollection(patches, cmap="bone_r")
    collection.set_array(values)
    axes.add_collection(collection)
    return collection


def _draw_u_matrix(estimator, X, y, axes):
    collection = _unit_patches(estimator, estimator.u_matrix().ravel(), axes)
    axes.figure.colorbar(collection, ax=axes, shrink=0.8, label="mean distance to neighbours")
    rows, columns = estimator.unit_positions_.T
    winners = estimator.predict(X)
    hits = np.bincount(winners, minlength=len(rows))
    size = 10 + 90 * hits / max(hits.max(), 1)
    if y is None:
        shown = hits > 0
        axes.scatter(columns[shown], rows[shown], s=size[shown], color="tab:red", label="hits")
    else:
        classes, codes = np.unique(y, return_inverse=True)
        per_class = np.zeros((len(rows), len(classes)))
        np.add.at(per_class, (winners, codes), 1)
        majority = per_class.argmax(axis=1)
        for code, label in enumerate(classes):
            shown = (hits > 0) & (majority == code)
            axes.scatter(columns[shown], rows[shown], s=size[shown], color=f"C{code % 10}",
                         edgecolors="white", linewidths=0.5, label=str(label))
    title = "hits (size: count)" if y is None else "hits (size: count; colour: majority class)"
    axes.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=5, title=title,
                title_fontsize=7)
    axes.set_xlim(columns.min() - 1, columns.max() + 1)
    axes.set_ylim(rows.max() + 1, rows.min() - 1)
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_title(f"U-matrix, {estimator.n_rows} x {estimator.n_cols} {estimator.topology}",
                   fontsize=9)


def _draw_grid(estimator, axes):
    """The map in input space: each unit linked to the units one grid step away."""
    from matplotlib.collections import LineCollection

    weights = estimator.weights_
    one_step = np.isclose(pairwise_sq_distances(estimator.unit_positions_), 1.0)
    first, second = np.nonzero(np.triu(one_step))
    axes.add_collection(LineCollection(np.stack([weights[first], weights[second]], axis=1),
                                       linewidths=0.6, colors="tab:blue"))
    axes.scatter(weights[:, 0], weights[:, 1], s=4, color="tab:blue")
    axes.set_xlim(-0.05, 1.05)
    axes.set_ylim(-0.05, 1.05)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
