"""Recurrent neural network (RNN): Elman's simple recurrent network trained by
backpropagation through time.

Elman (1990), "Finding structure in time": h_t = tanh(x_t W + h_{t-1} U + b), the
output y_t = h_t V + c read from the hidden state. Jordan (1986) feeds the output back
instead (``architecture="jordan"``: h_t = tanh(x_t W + y_{t-1} U + b)). Trained by
BPTT (Werbos 1990), optionally truncated, with gradient-norm clipping (Pascanu,
Mikolov & Bengio 2013) against the exploding gradients that, with the vanishing ones,
make long dependencies hard to learn (Bengio, Simard & Frasconi 1994). The IRNN of Le,
Jaitly & Hinton (2015), ReLU units whose recurrent weights start at the identity, is
``activation="relu", recurrent_init="identity"``.
"""

import numpy as np

from zoo.base import Options
from zoo.core.recurrent import JordanRNN, Masking, SimpleRNN
from zoo.sequence import (
    PARAMETERS_DOC,
    SequenceClassifier,
    SequenceEstimator,
    SequenceRegressor,
)

_DOC = """
    Parameters
    ----------
    hidden_size : int, default=32
    activation : {"tanh", "relu"}, default="tanh"
        Nonlinearity of the hidden units.
    architecture : {"elman", "jordan"}, default="elman"
        Feed back the hidden state (Elman 1990) or the output (Jordan 1986; for
        classifiers the logits).
    recurrent_init : {"orthogonal", "identity"}, default="orthogonal"
        Initial recurrent weights of the Elman layers: orthogonal (Saxe et al. 2014) or
        the identity (Le, Jaitly & Hinton 2015, with zero biases; with ReLU units the
        IRNN). The Jordan layer's feedback weights (outputs to hidden units) are
        Glorot uniform and take only the default.
""" + PARAMETERS_DOC.split("\n", 2)[2]


# the one value of these parameters a Jordan network takes
_JORDAN_ONLY = {
    "n_layers": 1, "bidirectional": False, "dropout": 0.0, "recurrent_init": "orthogonal",
}


class _RNNBase(SequenceEstimator):
    _constraints = {
        "activation": Options("tanh", "relu"),
        "architecture": Options("elman", "jordan"),
        "recurrent_init": Options("orthogonal", "identity"),
    }

    def __init__(
        self,
        hidden_size=32,
        activation="tanh",
        architecture="elman",
        recurrent_init="orthogonal",
        n_layers=1,
        bidirectional=False,
        dropout=0.0,
        output="last",
        mask_value=None,
        bptt_steps=None,
        n_features_per_step=None,
        optimizer="adam",
        learning_rate=0.01,
        schedule="constant",
        momentum=0.9,
        alpha=0.0,
        batch_size=32,
        max_iter=50,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        clip_norm=1.0,
        warm_start=False,
        random_state=None,
        verbose=False,
        dtype=np.float32,
        n_threads=None,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.architecture = architecture
        self.recurrent_init = recurrent_init
        self.n_layers = n_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.output = output
        self.mask_value = mask_value
        self.bptt_steps = bptt_steps
        self.n_features_per_step = n_features_per_step
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

    def _recurrent_layer(self, return_sequences):
        return SimpleRNN(
            self.hidden_size, activation=self.activation, recurrent_init=self.recurrent_init,
            return_sequences=return_sequences, bptt_steps=self.bptt_steps,
        )

    def _layers(self, n_outputs):
        if self.architecture == "elman":
            return super()._layers(n_outputs)
        for name, only in _JORDAN_ONLY.items():
            if getattr(self, name) != only:
                raise ValueError(
                    f"architecture='jordan' is one layer whose output feeds back; it takes "
                    f"only {name}={only!r}, got {name}={getattr(self, name)!r}"
                )
        masking = [] if self.mask_value is None else [Masking(self.mask_value)]
        return [*masking, JordanRNN(
            self.hidden_size, n_outputs, activation=self.activation,
            return_sequences=self.output == "sequence", bptt_steps=self.bptt_steps,
        )]


class RNNClassifier(SequenceClassifier, _RNNBase):
    __doc__ = """Elman recurrent network classifier (Elman 1990; BPTT: Werbos 1990):
    softmax on the last hidden state (or on every step), cross-entropy, clipped
    gradients. Has ``predict_proba`` and ``generate``; fitted ``classes_``.
    """ + _DOC


class RNNRegressor(SequenceRegressor, _RNNBase):
    __doc__ = """Elman recurrent network regressor (Elman 1990; BPTT: Werbos 1990):
    linear outputs on the last hidden state (or on every step), squared error,
    clipped gradients. Has ``generate``; fitted ``n_outputs_``.
    """ + _DOC
