"""Feed-forward network (FF): one hidden layer trained by backpropagation.

Rumelhart, Hinton & Williams (1986): h = phi(x W1 + b1), o = h W2 + b2, the error
derivatives sent back through the layers (delta_1 = (delta_2 W2^T) * phi'(z1)) and the
weights moved down the gradient with momentum. Hornik, Stinchcombe & White (1989):
one hidden layer of enough sigmoid units approximates any continuous function.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from zoo.base import (
    TRAINING_PARAMETERS_DOC,
    FeedForwardClassifierMixin,
    FeedForwardEstimator,
    FeedForwardRegressorMixin,
    Interval,
    Options,
)
from zoo.core.layers import dense_stack

_PARAMETERS_DOC = (
    """
    Parameters
    ----------
    hidden_layer_size : int, default=32
        Number of hidden units.
    activation : {"logistic", "tanh", "relu"}, default="logistic"
        Hidden nonlinearity (Glorot-uniform weights for logistic/tanh, He for relu).
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, default="momentum"
    learning_rate : float, default=0.05
"""
    + TRAINING_PARAMETERS_DOC
)


class _FFBase(FeedForwardEstimator):
    _constraints = {
        "hidden_layer_size": Interval(int, 1, None),
        "activation": Options("logistic", "tanh", "relu"),
    }

    def __init__(
        self,
        hidden_layer_size=32,
        activation="logistic",
        optimizer="momentum",
        learning_rate=0.05,
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
        self.hidden_layer_size = hidden_layer_size
        self.activation = activation
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

    def _hidden_layers(self):
        init = "he" if self.activation == "relu" else "xavier"
        return dense_stack([self.hidden_layer_size], [self.activation], init)


class FFClassifier(ClassifierMixin, FeedForwardClassifierMixin, _FFBase):
    __doc__ = (
        """One-hidden-layer backprop network with a softmax output (Rumelhart, Hinton &
    Williams 1986), trained on cross-entropy. Also has ``predict_proba`` and
    ``partial_fit(X, y, classes=None)``; fitted ``classes_``.
    """
        + _PARAMETERS_DOC
    )


class FFRegressor(RegressorMixin, FeedForwardRegressorMixin, _FFBase):
    __doc__ = (
        """One-hidden-layer backprop network with a linear output (Rumelhart, Hinton &
    Williams 1986; Hornik et al. 1989), trained on squared error. Also has
    ``partial_fit(X, y)``.
    """
        + _PARAMETERS_DOC
    )
