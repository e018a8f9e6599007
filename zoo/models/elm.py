"""Extreme learning machines: a random, untrained hidden layer and a least-squares readout.

H = g(X W + b) with W and b drawn once at random and never trained; the output
weights beta solve min ||H beta - T||^2 + alpha ||beta||^2 in closed form (Huang, Zhu
& Siew 2006; the ridge form of Huang, Zhou, Ding & Zhang 2012).
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin

from zoo.base import Interval, Options, OneHotClassifierMixin, ZooEstimator, check_is_fitted, one_hot
from zoo.core.activations import get_activation
from zoo.core.readout import RidgeReadout, solve_ridge

__all__ = ["ELMClassifier", "ELMRegressor"]


def _gaussian(z):
    return np.exp(-z * z)


def _hardlim(z):
    return (z >= 0).astype(z.dtype)


LOCAL_ACTIVATIONS = {"sin": np.sin, "rbf": _gaussian, "hardlim": _hardlim}
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", *LOCAL_ACTIVATIONS)


def activate(name, z):
    """g(z) for one of ACTIVATION_NAMES."""
    if name in LOCAL_ACTIVATIONS:
        return LOCAL_ACTIVATIONS[name](z)
    return get_activation(name).forward(z)


class _ELMBase(TransformerMixin, ZooEstimator):
    """Random hidden layer and closed-form readout shared by both tasks."""

    _constraints = {
        "n_hidden": Interval(int, 1, None),
        "activation": Options(*ACTIVATION_NAMES),
        "weight_dist": Options("uniform", "normal"),
        "weight_scale": Interval(float, 0, None, closed="neither"),
        "bias_scale": Interval(float, 0, None),
        "alpha": Interval(float, 0, None),
        "solver": Options("auto", "pinv", "primal", "dual"),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_hidden=100,
        *,
        activation="sigmoid",
        weight_dist="uniform",
        weight_scale=1.0,
        bias_scale=1.0,
        alpha=1e-6,
        solver="auto",
        random_state=None,
        dtype=np.float64,
        n_threads=None,
    ):
        self.n_hidden = n_hidden
        self.activation = activation
        self.weight_dist = weight_dist
        self.weight_scale = weight_scale
        self.bias_scale = bias_scale
        self.alpha = alpha
        self.solver = solver
        self.random_state = random_state
        self.dtype = dtype
        self.n_threads = n_threads

    def _check_all_params(self):
        self._check_params()
        if self.solver == "pinv" and self.alpha != 0:
            raise ValueError(
                f"solver='pinv' is unregularised least squares and needs alpha=0, got "
                f"alpha={self.alpha!r}; use solver 'auto', 'primal' or 'dual' for ridge"
            )

    def _draw_hidden_layer(self, n_features, dtype):
        """Random input weights W (n_features, n_hidden) and biases b (n_hidden,)."""
        rng = self._rng()
        shape = (n_features, self.n_hidden)
        if self.weight_dist == "uniform":
            weights = rng.uniform(-self.weight_scale, self.weight_scale, shape)
            bias = rng.uniform(-self.bias_scale, self.bias_scale, self.n_hidden)
        else:
            weights = self.weight_scale * rng.standard_normal(shape)
            bias = self.bias_scale * rng.standard_normal(self.n_hidden)
        self.hidden_weights_ = weights.astype(dtype)
        self.hidden_bias_ = bias.astype(dtype)

    def _hidden(self, X):
        return activate(self.activation, X @ self.hidden_weights_ + self.hidden_bias_)

    def _flops(self, X):
        n, d = X.shape
        return float(n) * self.n_hidden * (d + min(n, self.n_hidden))

    def _fit_targets(self, X, T):
        """Draw the hidden layer and solve beta for 2-D targets T."""
        self._check_all_params()
        self._draw_hidden_layer(X.shape[1], X.dtype)
        with self._threads(self._flops(X)):
            self.coef_ = solve_ridge(self._hidden(X), T, self.alpha, self.solver)
        self.readout_ = None

    def _partial_fit_targets(self, X, T):
        """Add a chunk to the running sums H^T H and H^T T, then re-solve beta exactly."""
        with self._threads(self._flops(X)):
            self.readout_.partial_fit(self._hidden(X), T)
        self.coef_ = self.readout_.coef_.astype(X.dtype, copy=False)

    def _start_stream(self, n_features, dtype):
        """First partial_fit call: draw W and b and start empty running sums."""
        self._draw_hidden_layer(n_features, dtype)
        self.readout_ = RidgeReadout(alpha=self.alpha, fit_intercept=False)

    def _streaming(self):
        return getattr(self, "readout_", None) is not None

    def _outputs(self, X):
        check_is_fitted(self)
        return self._hidden(self._validate(X, reset=False)) @ self.coef_

    def transform(self, X):
        """Hidden-layer activations H = g(X W + b), shape (n_samples, n_hidden)."""
        check_is_fitted(self)
        return self._hidden(self._validate(X, reset=False))


_PARAMETERS_DOC = """
    The hidden layer is random and never trained; only the output weights beta are
    fitted, in closed form. Precursors: Schmidt, Kraaijveld & Duin (1992) trained only
    the output layer of a network with random hidden weights; Pao's random vector
    functional-link net (RVFL, Pao, Park & Sobajic 1994) and the pseudo-inverse
    learning of Guo, Chen & Sun (1995) are argued to be the same method as the ELM.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of random hidden units L.
    activation : {'sigmoid', 'tanh', 'relu', 'sin', 'rbf', 'hardlim'}, default='sigmoid'
        g: logistic, tanh, max(z, 0), sin(z), exp(-z^2) (a Gaussian of the projection
        z = x.w + b) or the step (z >= 0).
    weight_dist : {'uniform', 'normal'}, default='uniform'
        Distribution of W and b: U(-scale, scale) or N(0, scale^2).
    weight_scale : float > 0, default=1.0
        Scale of the input weights W.
    bias_scale : float >= 0, default=1.0
        Scale of the hidden biases b.
    alpha : float >= 0, default=1e-6
        Ridge penalty lambda (= 1/C of Huang et al. 2012); 0 with solver 'pinv' is the
        original ELM, beta = H^+ T.
    solver : {'auto', 'pinv', 'primal', 'dual'}, default='auto'
        'pinv': beta = H^+ T (alpha must be 0); 'primal': (H^T H + alpha I)^-1 H^T T;
        'dual': H^T (H H^T + alpha I)^-1 T; 'auto': pinv when alpha = 0, else the
        smaller of primal (L x L) and dual (n x n).
    random_state : int, RandomState or None, default=None
        Seed of W and b: the same seed gives the same hidden layer.
    dtype : float32 or float64, default=float64
    n_threads : int or None, default=None
        BLAS threads; None uses one thread for small problems and all for large ones.

    ``partial_fit`` is the online sequential ELM (OS-ELM, Liang et al. 2006) in exact
    form: it accumulates H^T H and H^T T over the chunks and re-solves the ridge normal
    equations, so any split of the data gives the recursive least-squares result, equal
    (up to rounding) to ``fit`` with solver 'primal' on all of it. ``fit`` discards the
    running sums; a ``partial_fit`` after ``fit`` starts a new stream (with an int
    ``random_state``, on the same hidden layer).
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    hidden_weights_ : ndarray of shape (n_features, n_hidden)
        W, drawn at fit and never changed by training.
    hidden_bias_ : ndarray of shape (n_hidden,)
        b.
    coef_ : ndarray of shape (n_hidden,) or (n_hidden, n_outputs)
        The output weights beta (there is no output bias).
    readout_ : zoo.core.readout.RidgeReadout or None
        Running sums of ``partial_fit``; None after ``fit``.
    n_features_in_ : int
"""


class ELMClassifier(ClassifierMixin, OneHotClassifierMixin, _ELMBase):
    __doc__ = (
        """Extreme learning machine classifier (Huang, Zhu & Siew 2006; Huang et al. 2012).

    One output per class fitted to one-hot targets; the prediction is the arg-max.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC.replace("n_outputs", "n_classes")
        + """    classes_ : ndarray of shape (n_classes,)
    """
    )

    def partial_fit(self, X, y, classes=None):
        """Add a chunk of labelled data.

        ``classes`` (every label) is required on the first call unless ``fit`` has set
        ``classes_``, which are then kept.
        """
        first = not self._streaming()
        if first:
            self._check_all_params()
            if classes is None and not hasattr(self, "classes_"):
                raise ValueError("classes must be passed on the first call to partial_fit")
        X, y = self._validate(X, y, reset=first)
        if first:
            if classes is not None:
                self._encode_labels(np.asarray(classes))
            self._start_stream(X.shape[1], X.dtype)
        self._partial_fit_targets(X, one_hot(self._codes(y), len(self.classes_), X.dtype))
        return self


class ELMRegressor(RegressorMixin, _ELMBase):
    __doc__ = (
        """Extreme learning machine regressor (Huang, Zhu & Siew 2006; Huang et al. 2012),
    single- or multi-output.
    """
        + _PARAMETERS_DOC
        + _ATTRIBUTES_DOC
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        """Draw the hidden layer and solve the output weights for targets y."""
        X, y = self._validate(X, y, reset=True, y_numeric=True, multi_output=True)
        self._fit_targets(X, _as_columns(y, X.dtype))
        if y.ndim == 1:
            self.coef_ = self.coef_[:, 0]
        return self

    def partial_fit(self, X, y):
        """Add a chunk of data; the result equals ``fit`` on all chunks seen so far."""
        first = not self._streaming()
        if first:
            self._check_all_params()
        X, y = self._validate(X, y, reset=first, y_numeric=True, multi_output=True)
        if first:
            self._start_stream(X.shape[1], X.dtype)
        self._partial_fit_targets(X, _as_columns(y, X.dtype))
        if y.ndim == 1:
            self.coef_ = self.coef_[:, 0]
        return self

    def predict(self, X):
        """H beta, shape (n_samples,) or (n_samples, n_outputs) like the fitted y."""
        return self._outputs(X)


def _as_columns(y, dtype):
    return (y.reshape(-1, 1) if y.ndim == 1 else y).astype(dtype, copy=False)
