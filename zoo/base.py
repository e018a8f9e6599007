"""The scikit-learn base every family shares.

``ZooEstimator`` gives input validation (through sklearn's ``validate_data``),
hyperparameter validation with messages that name the parameter and the valid
values, the random generator, the floating-point ``dtype`` and the BLAS thread
limit. ``ZooClassifierMixin`` adds label encoding. ``NeuralNetEstimator`` adds the
shared optimizer options and runs ``zoo.core.network.train``;
``FeedForwardEstimator`` with its classifier and regressor mixins is the
dense-network estimator of the feed-forward families.
"""

import contextlib
import math
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from .core.activations import get_activation
from .core.callbacks import EarlyStopping, ProgressLogger
from .core.layers import Dense
from .core.losses import mse, softmax_cross_entropy
from .core.network import Sequential, train
from .core.optimizers import OPTIMIZERS, get_optimizer
from .core.readout import LogisticReadout, RidgeReadout
from .core.schedules import SCHEDULES, get_schedule

__all__ = [
    "Interval",
    "Options",
    "ZooEstimator",
    "ZooClassifierMixin",
    "NeuralNetEstimator",
    "ConvergenceWarning",
    "check_is_fitted",
]

# Problems this small run fastest on one BLAS thread (see DESIGN.md, "Speed").
SMALL_PROBLEM_FLOPS = 2e8
# One scan of the loaded BLAS libraries; threadpool_limits would rescan on every call.
_THREADPOOLS = ThreadpoolController()


class Interval:
    """A numeric range constraint: ``Interval(int, 1, None)`` is an int >= 1."""

    def __init__(self, kind, low=None, high=None, closed="both", none_ok=False):
        self.kind, self.low, self.high, self.closed, self.none_ok = kind, low, high, closed, none_ok

    def check(self, name, value):
        if value is None and self.none_ok:
            return
        kinds = numbers.Integral if self.kind is int else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise TypeError(f"{name} must be {self._describe()}, got {value!r}")
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        if not (low_ok and high_ok and np.isfinite(value)):
            raise ValueError(f"{name} must be {self._describe()}, got {value!r}")

    def _describe(self):
        kind = "an int" if self.kind is int else "a real number"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        text = f"{kind} in {left}{low}, {high}{right}"
        return text + " or None" if self.none_ok else text


def check_bool(name, value):
    """A ``_constraints`` rule: True or False (a numpy bool too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def check_sizes(name, value, allow_empty=True):
    """A ``_constraints`` rule: layer sizes, a sequence of positive ints (empty allowed
    unless ``allow_empty`` is False)."""
    kind = "a sequence" if allow_empty else "a non-empty sequence"
    message = f"{name} must be {kind} of positive ints, got {value!r}"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(message)
    if not allow_empty and len(value) == 0:
        raise ValueError(message)
    for size in value:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(message)


def check_layer_sizes(name, value):
    """A ``_constraints`` rule: a non-empty sequence of positive ints."""
    check_sizes(name, value, allow_empty=False)


class Options:
    """A choice among named strings (and optionally other allowed values such as None)."""

    def __init__(self, *choices, also=()):
        self.choices, self.also = choices, also

    def check(self, name, value):
        if any(value is other or value == other for other in self.also):
            return
        if not isinstance(value, str) or value not in self.choices:
            extra = "".join(f", {other!r}" for other in self.also)
            valid = ", ".join(map(repr, sorted(self.choices)))
            raise ValueError(f"{name} must be one of {valid}{extra}; got {value!r}")


class ZooEstimator(BaseEstimator):
    """Base class of every family: validation, random state, dtype, thread limits.

    Subclasses declare ``_constraints``, a dict parameter name -> ``Interval`` /
    ``Options`` / a callable ``(name, value)`` that raises, checked at the start of
    ``fit``.
    """

    _constraints = {}

    def _check_params(self):
        rules = {}  # a subclass's rule replaces a base class's rule of the same name
        for cls in reversed(type(self).__mro__):
            rules.update(cls.__dict__.get("_constraints", {}))
        for name, rule in rules.items():
            value = getattr(self, name)
            if callable(rule) and not hasattr(rule, "check"):
                rule(name, value)
            else:
                rule.check(name, value)

    def _float_dtype(self):
        dtype = getattr(self, "dtype", np.float64)
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        return np.dtype(dtype)

    def _validate(self, X, y="no_validation", reset=True, **kwargs):
        """sklearn's validate_data with this estimator's float dtype; ``y=None`` in a
        supervised fit raises sklearn's "requires y to be passed" error."""
        kwargs.setdefault("dtype", self._float_dtype())
        return validate_data(self, X, y, reset=reset, **kwargs)

    def _validate_sequences(self, X, reset, dtype=None):
        """Validated 3-D input (n_sequences, n_steps, n_features_per_step).

        Checks finite values and at least one step and one feature; ``fit`` records
        the features per step in ``n_step_features_`` (and ``n_features_in_``), later
        calls must match it. Sequences may have any length at predict.
        """
        X = check_array(X, allow_nd=True, dtype=dtype or self._float_dtype(), input_name="X")
        if X.ndim != 3:
            raise ValueError(
                "X must be 2-D (n_samples, n_steps) or 3-D (n_samples, n_steps, "
                f"n_features); got a {X.ndim}-D array"
            )
        if X.shape[1] < 1 or X.shape[2] < 1:
            raise ValueError(f"X needs at least one step and one feature; got shape {X.shape}")
        if reset:
            vars(self).pop("feature_names_in_", None)
            self.n_features_in_ = self.n_step_features_ = X.shape[2]
        elif X.shape[2] != self.n_step_features_:
            raise ValueError(
                f"X has {X.shape[2]} features per step, but {type(self).__name__} "
                f"is expecting {self.n_step_features_} features as input"
            )
        return X

    def _rng(self):
        return check_random_state(getattr(self, "random_state", None))

    def _threads(self, flops_per_step=0.0):
        """Context limiting BLAS threads: ``n_threads`` if set, else one for small work."""
        n_threads = getattr(self, "n_threads", None)
        if n_threads is None and flops_per_step >= SMALL_PROBLEM_FLOPS:
            return contextlib.nullcontext()
        return _THREADPOOLS.limit(limits=n_threads or 1, user_api="blas")

    @classmethod
    def _expected_failed_checks(cls):
        """sklearn estimator checks that cannot apply to this family, with the reason."""
        return {}


class ZooClassifierMixin:
    """Label handling for classifiers: ``classes_`` and integer codes."""

    def _check_same_classes(self, classes, reason):
        if not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"{reason} needs the classes of the previous fit, {self.classes_.tolist()}; "
                f"got {classes.tolist()}"
            )

    def _partial_fit_classes(self, classes, first_call):
        """``classes`` of a partial_fit call: required on the first (they set
        ``classes_``), the same as before on later ones."""
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self._encode_labels(np.asarray(classes))
        elif classes is not None:
            self._check_same_classes(np.unique(classes), "partial_fit")

    def _encode_labels(self, y):
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contain only one class: {encoder.classes_[0]!r}"
            )
        self.classes_ = encoder.classes_
        return encoder.transform(y)

    def _codes(self, y):
        """Positions of the labels y in ``classes_``; a label outside them raises."""
        check_classification_targets(y)
        codes = np.searchsorted(self.classes_, y)
        found = self.classes_[np.minimum(codes, len(self.classes_) - 1)] == y
        if not found.all():
            raise ValueError(
                f"labels {np.unique(y[~found]).tolist()} are not among the classes "
                f"{self.classes_.tolist()} seen in the first call"
            )
        return codes

    @staticmethod
    def _binary_scores(scores):
        """One score column per class, reduced to classes_[1] minus classes_[0] for two."""
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def _labels_from_scores(self, scores):
        """Labels from decision scores: the sign for one column, else the arg-max."""
        codes = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[codes]


class OneHotClassifierMixin(ZooClassifierMixin):
    """A classifier made from a multi-output model: one output per class fitted to
    one-hot targets, the prediction its arg-max. The model provides
    ``_fit_targets(X, T)`` and ``_outputs(X)`` (RBF, ELM and the readout families)."""

    def fit(self, X, y):
        """Fit the model to one-hot targets of the labels y."""
        X, y = self._validate(X, y, reset=True)
        codes = self._encode_labels(y)
        self._fit_targets(X, one_hot(codes, len(self.classes_), X.dtype))
        return self

    def decision_function(self, X):
        """Class scores, shape (n_samples, n_classes); for two classes, the score of
        classes_[1] minus that of classes_[0]."""
        return self._binary_scores(self._outputs(X))

    def predict(self, X):
        """The class with the largest output."""
        return self._labels_from_scores(self.decision_function(X))


class ReadoutClassifierMixin(OneHotClassifierMixin):
    """A one-hot classifier whose linear readout is the ``readout`` parameter: 'ridge'
    (a RidgeReadout of one-hot targets; no probabilities) or 'logistic' (a
    LogisticReadout of the class codes, penalty ``alpha``; adds ``predict_proba``).
    The model provides ``_readout_features(X)``, the features the readout sees (raising
    NotFittedError before fit), and sets ``readout_ = self._fit_readout(H, codes)``."""

    _constraints = {"readout": Options("ridge", "logistic")}

    def _fit_readout(self, H, codes):
        n_classes = len(self.classes_)
        if self.readout == "logistic":
            return LogisticReadout(alpha=self.alpha).fit(H, codes, n_classes)
        return RidgeReadout(alpha=self.alpha).fit(H, one_hot(codes, n_classes, H.dtype))

    def _outputs(self, X):
        H = self._readout_features(X)
        if isinstance(self.readout_, LogisticReadout):
            return self.readout_.decision_function(H)
        return self.readout_.predict(H)

    def _has_probabilities(self):
        fitted = getattr(self, "readout_", None)  # the fitted readout, else the parameter
        if fitted is None:
            return self.readout == "logistic"
        return isinstance(fitted, LogisticReadout)

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in the order of
        ``classes_`` (only with readout='logistic': ridge has no probability model)."""
        H = self._readout_features(X)
        return self.readout_.predict_proba(H)


READOUT_PARAMETER_DOC = """    readout : {'ridge', 'logistic'}, default='ridge'
        Readout of the classes: 'ridge', least squares on one-hot targets (penalty
        alpha ||W||^2); 'logistic', multinomial logistic regression fitted by L-BFGS,
        minimising the summed cross-entropy + (alpha / 2) ||W||^2 (sklearn's
        LogisticRegression with C = 1 / alpha), which gives ``predict_proba``. The
        intercept is never penalised.
"""


def one_hot(codes, n_classes, dtype):
    """Integer class codes as a one-hot matrix."""
    out = np.zeros((codes.shape[0], n_classes), dtype=dtype)
    out[np.arange(codes.shape[0]), codes] = 1
    return out


class NeuralNetEstimator(ZooEstimator):
    """Shared options and fit loop of the families trained by backpropagation.

    A subclass builds its ``zoo.core.network.Sequential`` in ``_build_network`` and
    calls ``_train(X, targets, loss)``; this class makes the optimizer and the
    schedule, splits off validation data, runs the loop under the thread limit and
    stores ``network_``, ``loss_curve_``, ``validation_scores_`` and ``n_iter_``.
    """

    _constraints = {
        "optimizer": Options(*OPTIMIZERS),
        "learning_rate": Interval(float, 0, None, closed="neither"),
        "schedule": Options(*SCHEDULES),
        "momentum": Interval(float, 0, 1, closed="left"),
        "alpha": Interval(float, 0, None),
        "batch_size": Interval(int, 1, None, none_ok=True),
        "max_iter": Interval(int, 1, None),
        "tol": Interval(float, 0, None),
        "n_iter_no_change": Interval(int, 1, None),
        "validation_fraction": Interval(float, 0, 1, closed="neither"),
        "clip_norm": Interval(float, 0, None, closed="neither", none_ok=True),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def _make_optimizer(self, n_samples):
        # alpha / (2 n_batch) ||W||^2 added to the mean batch loss, as in sklearn's MLP:
        # the gradient gets alpha / n_batch * W, n_batch the nominal minibatch size
        batch = min(self.batch_size or n_samples, n_samples)
        options = {"weight_decay": float(self.alpha) / batch, "clip_norm": self.clip_norm}
        if self.optimizer in ("momentum", "nesterov"):
            options["momentum"] = self.momentum
        schedule = get_schedule(self.schedule, self.learning_rate, **self._schedule_options(n_samples))
        return get_optimizer(self.optimizer, learning_rate=schedule, **options)

    def _schedule_options(self, n_samples):
        steps_per_epoch = -(-n_samples // (self.batch_size or n_samples))
        total = steps_per_epoch * self.max_iter
        return {
            "constant": {},
            "invscaling": {},
            "exponential": {"decay": 0.1, "every": total},
            "step": {"factor": 0.1, "every": max(total // 3, 1)},
            "cosine": {"total_steps": total},
        }[self.schedule]

    def _update_flops(self, X):
        """Flops of one minibatch update (forward and backward), for the thread limit."""
        return 3.0 * (self.batch_size or X.shape[0]) * self.network_.flops

    def _train(self, X, targets, loss, validation_score=None, stratify=None):
        """Train ``self.network_`` on (X, targets); returns nothing, stores the history."""
        rng = self._rng()
        validation_data = None
        if self.early_stopping:
            X, targets, validation_data = _split_validation(
                X, targets, self.validation_fraction, rng, stratify
            )
        stopper = EarlyStopping(self.n_iter_no_change, self.tol)
        callbacks = [stopper, ProgressLogger()] if self.verbose else [stopper]
        warm = self.warm_start and hasattr(self, "optimizer_")
        if not warm:
            self.optimizer_ = self._make_optimizer(X.shape[0])
        with self._threads(self._update_flops(X)):
            history = train(
                self.network_,
                X,
                targets,
                loss,
                self.optimizer_,
                epochs=self.max_iter,
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                rng=rng,
                validation_data=validation_data,
                validation_score=validation_score,
                callbacks=callbacks,
            )
        previous = getattr(self, "loss_curve_", []) if warm else []
        self.loss_curve_ = list(previous) + history.loss_curve
        self.validation_scores_ = history.validation_scores
        self.best_validation_score_ = max(history.validation_scores, default=None)
        self.n_iter_ = history.n_epochs
        if not stopper.stopped:
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} before the loss "
                "stopped improving; raise max_iter for a converged fit.",
                ConvergenceWarning,
            )

    def _partial_fit_network(self, X, targets, n_outputs):
        """One epoch over (X, targets), continuing the weights and the optimizer state."""
        if not hasattr(self, "network_"):
            self.network_ = self._build_network(X.shape[-1], n_outputs)
            self.n_params_ = self.network_.n_params
        if not hasattr(self, "loss_curve_"):
            self.loss_curve_, self.n_iter_ = [], 0
        if not hasattr(self, "optimizer_"):
            self.optimizer_ = self._make_optimizer(X.shape[0])
        with self._threads(self._update_flops(X)):
            history = train(
                self.network_,
                X,
                targets,
                self._loss,
                self.optimizer_,
                epochs=1,
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                # a new shuffle each epoch, still fixed by random_state
                rng=np.random.default_rng([self._rng().randint(2**31), len(self.loss_curve_)]),
            )
        self.loss_curve_ = [*self.loss_curve_, *history.loss_curve]
        self.n_iter_ += 1
        return self

def _split_validation(X, targets, fraction, rng, stratify):
    """Hold out ``fraction`` of the samples (stratified by ``stratify`` when given)."""
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(fraction * X.shape[0])))
    if X.shape[0] - n_val < 1:
        raise ValueError(
            f"early_stopping needs at least 2 samples to hold out validation_fraction="
            f"{fraction}, got {X.shape[0]}"
        )
    try:
        X_tr, X_val, t_tr, t_val = train_test_split(
            X, targets, test_size=n_val, random_state=rng, stratify=stratify
        )
    except ValueError:  # too few samples per class to stratify
        X_tr, X_val, t_tr, t_val = train_test_split(X, targets, test_size=n_val, random_state=rng)
    return X_tr, t_tr, (X_val, t_val)


TRAINING_PARAMETERS_DOC = """    schedule : str, default="constant"
        Learning-rate schedule: "constant", "exponential", "step", "invscaling", "cosine".
    momentum : float, default=0.9
        For the momentum and nesterov optimizers.
    alpha : float, default=1e-4
        L2 penalty on the weight matrices (not the biases), scaled as in
        scikit-learn's MLP: (alpha / (2 n_batch)) sum ||W||^2 is added to the mean loss
        of each minibatch of n_batch samples (n_batch = n_samples for the full batch).
    batch_size : int or None, default=32
        Minibatch size; None trains on the full batch.
    max_iter : int, default=200
        Maximum number of epochs.
    tol, n_iter_no_change : float, int, default=1e-4, 10
        Stop when the training loss (or the validation score) has not improved by
        ``tol`` for ``n_iter_no_change`` epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop on its score (accuracy for
        classifiers, R^2 for regressors) and keep the best weights.
    validation_fraction : float, default=0.1
    shuffle : bool, default=True
    clip_norm : float or None, default=None
        Bound on the global gradient norm.
    warm_start : bool, default=False
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
    dtype : numpy float type, default=np.float32
    n_threads : int or None, default=None
        BLAS threads (None: one for small problems).

    Attributes
    ----------
    network_ : zoo.core.network.Sequential
    n_params_ : int
    loss_curve_ : list of float
        Mean training loss of every epoch.
    validation_scores_ : list of float
        Validation score of every epoch (with early_stopping).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
"""

# Activations that make sense for hidden units (softmax is an output nonlinearity).
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus")
# Initializers offered for hidden weights (zoo.core.initializers names).
HIDDEN_INITS = ("he", "xavier", "lecun", "normal")


def _check_input_shape(name, value):
    if value is None:
        return
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) not in (2, 3):
        raise ValueError(f"{name} must be None, (height, width) or (height, width, channels), got {value!r}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in value):
        raise ValueError(f"{name} must hold positive ints, got {value!r}")


class ImageInputMixin:
    """Input of the image families: sklearn hands flat rows, ``input_shape`` (H, W) or
    (H, W, C) says how each row reshapes to a channels-last image; an X that is
    already 4-D (n_samples, H, W, C) is taken as is. Without either, a row of n
    features is a square image when n is a perfect square, else a strip (1, n).
    ``fit`` records ``image_shape_``; the network's first layer reshapes rows to it.
    """

    _constraints = {"input_shape": _check_input_shape}

    def _validate(self, X, y="no_validation", reset=True, **kwargs):
        X, given_shape = _rows_of_images(X)
        result = super()._validate(X, y, reset=reset, **kwargs)
        rows = result[0] if isinstance(result, tuple) else result
        if reset:
            self.image_shape_ = self._image_shape(rows.shape[1], given_shape)
        elif given_shape is not None and given_shape != self.image_shape_:
            raise ValueError(
                f"X holds images of shape {given_shape}, but {type(self).__name__} was "
                f"fitted on images of shape {self.image_shape_}"
            )
        return result

    def _image_shape(self, n_features, given_shape):
        if self.input_shape is not None:
            shape = tuple(int(v) for v in self.input_shape)
            shape = shape if len(shape) == 3 else (*shape, 1)
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"input_shape {tuple(self.input_shape)} holds {math.prod(shape)} values per "
                    f"image, but X has {n_features} features"
                )
            if given_shape is not None and given_shape != shape:
                raise ValueError(f"input_shape {shape} does not match the images of X, {given_shape}")
            return shape
        if given_shape is not None:
            return given_shape
        side = math.isqrt(n_features)
        return (side, side, 1) if side * side == n_features else (1, n_features, 1)


def _rows_of_images(X):
    """(rows, image shape) of a 4-D array X; (X, None) for anything else."""
    if sp.issparse(X) or getattr(X, "ndim", None) != 4:
        return X, None
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1), tuple(X.shape[1:])


class FeedForwardEstimator(NeuralNetEstimator):
    """A backprop-trained stack of dense layers with a linear output layer.

    Subclasses implement ``_hidden_layers()``, a list of unbuilt layers. The output
    layer is linear and starts Glorot-uniform (Glorot & Bengio 2010), the scale meant
    for a layer without a rectifier.
    """

    def _hidden_layers(self):
        raise NotImplementedError

    def _build_network(self, n_features, n_outputs):
        network = Sequential([*self._hidden_layers(), Dense(n_outputs, init="xavier")])
        network.build((n_features,), self._rng(), self._float_dtype())
        return network

    def _can_continue(self, n_features, n_outputs):
        network = getattr(self, "network_", None)
        if network is None:
            return False
        n_inputs = network.layers[0].params["W"].shape[0]
        return n_inputs == n_features and network.output_shape == (n_outputs,)

    def _fit_network(self, X, targets, n_outputs, stratify=None):
        """Train from scratch (or from the current weights with ``warm_start``)."""
        if not (self.warm_start and self._can_continue(X.shape[1], n_outputs)):
            # set before training so that a diverged fit keeps its last finite weights
            self.network_ = self._build_network(X.shape[1], n_outputs)
            vars(self).pop("optimizer_", None)  # a new network needs a new optimizer state
        self.n_params_ = self.network_.n_params
        self._train(X, targets, self._loss, self._validation_score, stratify)
        return self

    def _forward(self, X):
        """Network output (logits or regression values) for validated X.

        Inference runs in float64 whatever ``dtype`` trained the weights: float32 BLAS
        rounds a one-row product differently from a many-row one, and predictions must
        not depend on how the rows are batched.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=np.float64)
        with self._threads(X.shape[0] * self.network_.flops):
            return self.network_.predict(X)


class FeedForwardClassifierMixin(ZooClassifierMixin):
    """Softmax output trained with cross-entropy from the logits (two outputs for two classes)."""

    _loss = staticmethod(softmax_cross_entropy)

    @staticmethod
    def _validation_score(codes, logits):
        """Accuracy, the early-stopping score of classifiers."""
        return np.mean(logits.argmax(axis=1) == codes)

    def fit(self, X, y):
        """Train on (X, y) for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        X, y = self._validate(X, y, reset=True)
        if self.warm_start and hasattr(self, "network_"):
            self._check_same_classes(np.unique(y), "warm_start")
        codes = self._encode_labels(y)
        return self._fit_network(X, codes, len(self.classes_), stratify=codes)

    def partial_fit(self, X, y, classes=None):
        """One epoch on (X, y); the first call needs ``classes``, all labels there will be."""
        first_call = not hasattr(self, "network_")
        if first_call:
            self._check_params()
        self._partial_fit_classes(classes, first_call)
        X, y = self._validate(X, y, reset=first_call)
        return self._partial_fit_network(X, self._codes(y), len(self.classes_))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``."""
        return get_activation("softmax").forward(self._forward(X))

    def predict(self, X):
        """The most probable class of each sample."""
        logits = self._forward(X)
        return self.classes_[logits.argmax(axis=1)]


class FeedForwardRegressorMixin:
    """Identity output trained with (half) mean squared error."""

    _loss = staticmethod(mse)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @staticmethod
    def _validation_score(targets, output):
        """R^2, the early-stopping score of regressors."""
        return r2_score(targets, output)

    def _targets(self, X, y, reset):
        X, y = self._validate(X, y, reset=reset, multi_output=True, y_numeric=True)
        targets = np.asarray(y, dtype=X.dtype).reshape(y.shape[0], -1)
        return X, targets

    def fit(self, X, y):
        """Train on (X, y) for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        X, targets = self._targets(X, y, reset=True)
        return self._fit_network(X, targets, targets.shape[1])

    def partial_fit(self, X, y):
        """One epoch on (X, y), continuing from the current weights."""
        first_call = not hasattr(self, "network_")
        if first_call:
            self._check_params()
        X, targets = self._targets(X, y, reset=first_call)
        if not first_call and targets.shape[1] != self.network_.output_shape[0]:
            raise ValueError(
                f"y has {targets.shape[1]} outputs, the network was built for "
                f"{self.network_.output_shape[0]}"
            )
        return self._partial_fit_network(X, targets, targets.shape[1])

    def predict(self, X):
        """Predicted values: shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        output = self._forward(X)
        return output.ravel() if output.shape[1] == 1 else output
