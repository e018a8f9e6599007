"""Deep feed-forward network (DFF): several hidden layers trained end to end.

What made depth trainable: initial weights scaled so that the activation variance
neither grows nor dies from layer to layer, Var(W) = 2 / (fan_in + fan_out) (Glorot &
Bengio 2010) or 2 / fan_in for rectifiers (He et al. 2015); ReLU units; inverted
dropout (Srivastava et al. 2014); batch normalisation (Ioffe & Szegedy 2015); Adam
(Kingma & Ba 2014).
"""


import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    HIDDEN_INITS,
    TRAINING_PARAMETERS_DOC,
    FeedForwardClassifierMixin,
    FeedForwardEstimator,
    FeedForwardRegressorMixin,
    Interval,
    Options,
    check_layer_sizes,
)
from zoo.core.layers import dense_stack

def _check_activation(name, value):
    rule = Options(*HIDDEN_ACTIVATIONS)
    if isinstance(value, str):
        rule.check(name, value)
        return
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name} must be a name or a list of names (one per hidden layer), got {value!r}"
        )
    for item in value:
        rule.check(name, item)


_PARAMETERS_DOC = (
    """
    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(64, 64)
        Units of each hidden layer.
    activation : str or sequence of str, default="relu"
        One of "relu", "leaky_relu", "elu", "tanh", "logistic", "softplus",
        "identity" for every hidden layer, or one name per hidden layer.
    init : {"he", "xavier", "lecun", "normal"}, default="he"
        Initial hidden weights: He normal (Var 2/fan_in), Glorot uniform (Var 2/(fan_in +
        fan_out)), LeCun normal (Var 1/fan_in) or the fixed N(0, 0.01^2). The linear
        output layer always starts Glorot uniform.
    dropout : float in [0, 1), default=0.0
        Inverted-dropout rate after every hidden activation (training only).
    batch_norm : bool, default=False
        Batch normalisation between each hidden Dense layer and its activation.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, default="adam"
    learning_rate : float, default=1e-3
"""
    + TRAINING_PARAMETERS_DOC
)


class _DFFBase(FeedForwardEstimator):
    _constraints = {
        "hidden_layer_sizes": check_layer_sizes,
        "activation": _check_activation,
        "init": Options(*HIDDEN_INITS),
        "dropout": Interval(float, 0, 1, closed="left"),
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        activation="relu",
        init="he",
        dropout=0.0,
        batch_norm=False,
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.dropout = dropout
        self.batch_norm = batch_norm
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

    def _check_params(self):
        super()._check_params()
        n_layers = len(self.hidden_layer_sizes)
        if not isinstance(self.activation, str) and len(self.activation) != n_layers:
            raise ValueError(
                f"activation has {len(self.activation)} names for "
                f"{n_layers} hidden layers; give one per layer or a single name"
            )

    def _activations(self):
        if isinstance(self.activation, str):
            return [self.activation] * len(self.hidden_layer_sizes)
        return list(self.activation)

    def _hidden_layers(self):
        return dense_stack(
            self.hidden_layer_sizes, self._activations(), self.init, self.batch_norm, self.dropout
        )


class DFFClassifier(ClassifierMixin, FeedForwardClassifierMixin, _DFFBase):
    __doc__ = (
        """Deep feed-forward classifier: ReLU layers, He/Xavier initialisation,
    dropout, batch norm, Adam (Glorot & Bengio 2010; He et al. 2015; Srivastava et al.
    2014; Ioffe & Szegedy 2015; Kingma & Ba 2014), softmax output on cross-entropy.
    Also has ``predict_proba`` and ``partial_fit(X, y, classes=None)``; fitted
    ``classes_``.
    """
        + _PARAMETERS_DOC
    )


class DFFRegressor(RegressorMixin, FeedForwardRegressorMixin, _DFFBase):
    __doc__ = (
        """Deep feed-forward regressor: ReLU layers, He/Xavier initialisation, dropout,
    batch norm, Adam (Glorot & Bengio 2010; He et al. 2015; Srivastava et al. 2014;
    Ioffe & Szegedy 2015; Kingma & Ba 2014), linear output on squared error. Also has
    ``partial_fit(X, y)``.
    """
        + _PARAMETERS_DOC
    )
