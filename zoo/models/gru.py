"""Gated recurrent unit (GRU): an update gate and a reset gate, no separate memory
cell, trained by backpropagation through time.

Cho et al. (2014): h_t = z * h_{t-1} + (1 - z) * n with the candidate
n = tanh(x_t W + (r * h_{t-1}) U + b); z near 1 keeps the old state (this is Cho's
convention; some texts swap z and 1 - z). Chung et al. (2014) compared it with the
LSTM on sequence modelling, Jozefowicz, Zaremba & Sutskever (2015) searched around
both. ``reset_after`` applies r after the recurrent product, r * (h U + b_hn), the
form with one recurrent matmul per step. The cell is ``zoo.core.recurrent.GRU``.
"""

import numpy as np

from zoo.core.recurrent import GRU
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
    reset_after : bool, default=False
        Reset gate after the recurrent product (one matmul per step, an extra bias)
        instead of before it (Cho et al. 2014).
""" + PARAMETERS_DOC.split("\n", 2)[2]


class _GRUBase(SequenceEstimator):
    def __init__(
        self,
        hidden_size=32,
        reset_after=False,
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
        self.reset_after = reset_after
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
        return GRU(
            self.hidden_size, reset_after=bool(self.reset_after),
            return_sequences=return_sequences, bptt_steps=self.bptt_steps,
        )


class GRUClassifier(SequenceClassifier, _GRUBase):
    __doc__ = """GRU classifier (Cho et al. 2014; Chung et al. 2014): softmax on the
    last hidden state (or on every step), cross-entropy, BPTT with clipped gradients.
    Has ``predict_proba`` and ``generate``; fitted ``classes_``.
    """ + _DOC


class GRURegressor(SequenceRegressor, _GRUBase):
    __doc__ = """GRU regressor (Cho et al. 2014; Chung et al. 2014): linear outputs on
    the last hidden state (or on every step), squared error, BPTT with clipped
    gradients. Has ``generate``; fitted ``n_outputs_``.
    """ + _DOC
