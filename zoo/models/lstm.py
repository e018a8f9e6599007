"""Long short-term memory (LSTM): gated memory cells trained by backpropagation
through time.

Hochreiter & Schmidhuber (1997): the cell state c_t = c_{t-1} + i * g carries error
back unchanged (the constant error carousel), input and output gates guard it. Gers,
Schmidhuber & Cummins (2000) add the forget gate, c_t = f * c_{t-1} + i * g; Gers &
Schmidhuber (2000) the peephole connections from the cell to the gates. A forget-gate
bias of 1 (Jozefowicz, Zaremba & Sutskever 2015) keeps the memory open at the start;
Greff et al. (2017) found the forget gate and the output activation the parts that
matter most. The cell is ``zoo.core.recurrent.LSTM``.
"""

import numpy as np

from zoo.base import Interval
from zoo.core.recurrent import LSTM
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
        Memory cells.
    forget_gate : bool, default=True
        The forget gate of Gers et al. (2000); False is the 1997 cell, c_t = c_{t-1} + i g.
    forget_bias : float, default=1.0
        Initial bias of the forget gate.
    peepholes : bool, default=False
        Diagonal connections from the cell state to the gates (Gers & Schmidhuber 2000).
""" + PARAMETERS_DOC.split("\n", 2)[2]


class _LSTMBase(SequenceEstimator):
    _constraints = {"forget_bias": Interval(float, None, None)}

    def __init__(
        self,
        hidden_size=32,
        forget_gate=True,
        forget_bias=1.0,
        peepholes=False,
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
        self.forget_gate = forget_gate
        self.forget_bias = forget_bias
        self.peepholes = peepholes
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
        return LSTM(
            self.hidden_size, forget_gate=bool(self.forget_gate), forget_bias=self.forget_bias,
            peepholes=bool(self.peepholes), return_sequences=return_sequences,
            bptt_steps=self.bptt_steps,
        )


class LSTMClassifier(SequenceClassifier, _LSTMBase):
    __doc__ = """LSTM classifier (Hochreiter & Schmidhuber 1997; Gers et al. 2000):
    softmax on the last hidden state (or on every step), cross-entropy, BPTT with
    clipped gradients. Has ``predict_proba`` and ``generate`` (e.g. a character model:
    one-hot characters in, the next character out); fitted ``classes_``.
    """ + _DOC


class LSTMRegressor(SequenceRegressor, _LSTMBase):
    __doc__ = """LSTM regressor (Hochreiter & Schmidhuber 1997; Gers et al. 2000):
    linear outputs on the last hidden state (or on every step), squared error, BPTT
    with clipped gradients. Has ``generate``; fitted ``n_outputs_``.
    """ + _DOC
