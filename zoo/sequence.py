"""The estimator scaffolding shared by the gradient-trained recurrent families (RNN,
LSTM, GRU): a stack of recurrent layers from ``zoo.core.recurrent`` (each optionally
bidirectional, Schuster & Paliwal 1997) under a linear output layer, with optional
dropout on the connections between them (Zaremba, Sutskever & Vinyals 2014), trained
by BPTT in the shared loop of ``NeuralNetEstimator``.

Input. A 3-D ``X`` ``(n_samples, n_steps, n_features)`` is the normal case; its
length may differ between fit and predict, its number of features may not. A 2-D
``X`` ``(n_samples, n_columns)`` is read as ``n_columns / n_features_per_step``
steps of ``n_features_per_step`` features (default 1: a univariate sequence), so
that tabular tools and sklearn's checks apply; a model fitted on 2-D input checks
the number of columns at predict as any sklearn estimator does.

Padding. With ``mask_value`` set, the steps of X whose every feature equals it are
padding (sequences of different lengths padded to one length, on either side): the
recurrent layers carry their state through them, so ``output="last"`` reads the state
after each sequence's last real step; with ``output="sequence"`` the targets of padded
steps take no part in the loss, the validation score or ``score``, and what ``predict``
returns there means nothing.

Output. ``output="last"``: sequence-to-one, the last hidden state feeds the output
layer and ``y`` is ``(n_samples,)`` (or ``(n_samples, n_outputs)`` for regression).
``output="sequence"``: sequence-to-sequence, one output per step, ``y`` is
``(n_samples, n_steps)`` (or ``(n_samples, n_steps, n_outputs)`` for regression), the
loss the mean over all steps.

Generation. ``generate`` runs a next-step model in closed loop: after the seed, each
output becomes the next input (a sampled class as its one-hot code for classifiers,
the predicted vector for regressors). It needs a causal model: a bidirectional one
is refused.
"""

import numpy as np
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from sklearn.base import ClassifierMixin, RegressorMixin

from zoo.base import Interval, NeuralNetEstimator, Options, ZooClassifierMixin
from zoo.core.activations import get_activation
from zoo.core.layers import Dense, Dropout
from zoo.core.losses import mse, softmax_cross_entropy
from zoo.core.network import Sequential
from zoo.core.recurrent import Bidirectional, Masking, Recurrent, padding_mask

PARAMETERS_DOC = """    hidden_size : int, default=32
        Units of the recurrent layer.
    n_layers : int, default=1
        Recurrent layers stacked, each of ``hidden_size`` units; every layer but the
        top one passes its whole state sequence to the next.
    bidirectional : bool, default=False
        Make every recurrent layer bidirectional (Schuster & Paliwal 1997): a second
        layer reads the sequence backwards and the two state sequences are
        concatenated, [forward, backward], so the layer above (and the output layer)
        sees ``2 * hidden_size`` features per step. Each output may then depend on the
        whole sequence, future steps included; ``generate`` needs a causal model and
        refuses such a one.
    dropout : float in [0, 1), default=0.0
        Inverted dropout on the non-recurrent connections (Zaremba, Sutskever & Vinyals
        2014; Pham et al. 2014): on the states each recurrent layer passes to the layer
        above and to the output layer, during training only (inference, ``predict``
        and ``generate``, is deterministic). The masks are drawn from ``random_state``.
    output : {"last", "sequence"}, default="last"
        Sequence-to-one (the last hidden state) or sequence-to-sequence (every step).
    mask_value : float or None, default=None
        Steps whose every feature equals ``mask_value`` are padding for sequences of
        different lengths (see "Padding" in ``zoo.sequence``); None: every step is real.
    bptt_steps : int or None, default=None
        Truncated BPTT: the gradient stops at the boundaries of chunks of this many
        steps (see ``zoo.core.recurrent``); None backpropagates through the whole sequence.
    n_features_per_step : int or None, default=None
        How a 2-D X is cut into steps: ``n_columns / n_features_per_step`` steps
        (None: one feature per step). Ignored for 3-D X.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, default="adam"
    learning_rate : float, default=0.01
    schedule : str, default="constant"
        Learning-rate schedule: "constant", "exponential", "step", "invscaling", "cosine".
    momentum : float, default=0.9
        For the momentum and nesterov optimizers.
    alpha : float, default=0.0
        L2 penalty on the weight matrices (not the biases), scaled as in
        scikit-learn's MLP: (alpha / (2 n_batch)) sum ||W||^2 is added to the mean loss
        of each minibatch of n_batch sequences.
    batch_size : int or None, default=32
        Minibatch size; None trains on the full batch.
    max_iter : int, default=50
        Maximum number of epochs.
    tol, n_iter_no_change : float, int, default=1e-4, 10
        Stop when the training loss (or the validation score) has not improved by
        ``tol`` for ``n_iter_no_change`` epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences, stop on their score (accuracy
        for classifiers, R^2 for regressors, over all output steps) and keep the best weights.
    validation_fraction : float, default=0.1
    shuffle : bool, default=True
    clip_norm : float or None, default=1.0
        Bound on the global gradient norm (Pascanu, Mikolov & Bengio 2013).
    warm_start : bool, default=False
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
    dtype : numpy float type, default=np.float32
    n_threads : int or None, default=None
        BLAS threads (None: one for small problems).

    Attributes
    ----------
    network_ : zoo.core.network.Sequential
        The recurrent layers (``zoo.core.recurrent.Bidirectional`` ones with
        ``bidirectional``), a ``Dropout`` layer after each with ``dropout``, and the
        linear output layer.
    n_params_ : int
    loss_curve_ : list of float
        Mean training loss (per output step) of every epoch.
    validation_scores_ : list of float
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Columns of a 2-D X, features per step of a 3-D X.
    n_step_features_ : int
        Features per step.
    n_steps_in_ : int or None
        Steps of a 2-D X (fixed at predict); None after a 3-D fit (any length).
"""


class SequenceEstimator(NeuralNetEstimator):
    """A recurrent layer (``_recurrent_layer``, written by each family) under a linear
    output layer, trained by BPTT with gradient-norm clipping."""

    _constraints = {
        "hidden_size": Interval(int, 1, None),
        "n_layers": Interval(int, 1, None),
        "output": Options("last", "sequence"),
        "bptt_steps": Interval(int, 1, None, none_ok=True),
        "n_features_per_step": Interval(int, 1, None, none_ok=True),
        "dropout": Interval(float, 0, 1, closed="left"),
        "mask_value": Interval(float, None, None, none_ok=True),
    }

    def _recurrent_layer(self, return_sequences):
        raise NotImplementedError

    # ---------------------------------------------------------------- input

    def _sequences(self, X, reset, dtype=None):
        """Validated X as an array (n_samples, n_steps, n_features)."""
        dtype = dtype or self._float_dtype()
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            X = np.asarray(X)
            ndim = X.ndim
        if ndim >= 3:
            X = self._validate_sequences(X, reset, dtype)
            if reset:
                self.n_steps_in_ = None
            return X
        per_step = (self.n_features_per_step or 1) if reset else self.n_step_features_
        if reset or self.n_steps_in_ is not None:
            X = self._validate(X, reset=reset, dtype=dtype)
        else:
            X = check_array(X, dtype=dtype, input_name="X")
        if X.shape[1] % per_step:
            raise ValueError(
                f"X has {X.shape[1]} columns, not a multiple of the {per_step} features per step"
            )
        if reset:
            self.n_step_features_ = per_step
            self.n_steps_in_ = X.shape[1] // per_step
        return X.reshape(X.shape[0], -1, per_step)

    def _fit_data(self, X, y, reset=True):
        """Validated (X as sequences, y as an array with as many rows)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X = self._sequences(X, reset=reset)
        y = self._check_targets(y)
        check_consistent_length(X, y)
        if self.output == "sequence" and y.shape[:2] != X.shape[:2]:
            raise ValueError(
                f'with output="sequence" y needs one target per step, shape {X.shape[:2]} '
                f"(+ outputs); got {y.shape}"
            )
        return X, y

    # ---------------------------------------------------------------- training

    def _layers(self, n_outputs):
        """``n_layers`` recurrent layers (each made bidirectional and followed by dropout
        if asked) and a linear output layer (a family may differ)."""
        layers = [] if self.mask_value is None else [Masking(self.mask_value)]
        for k in range(self.n_layers):
            layer = self._recurrent_layer(k < self.n_layers - 1 or self.output == "sequence")
            layers.append(Bidirectional(layer) if self.bidirectional else layer)
            if self.dropout:
                layers.append(Dropout(self.dropout))
        return [*layers, Dense(n_outputs, init="xavier")]

    def _build_network(self, n_features, n_outputs):
        network = Sequential(self._layers(n_outputs))
        network.build((None, n_features), self._rng(), self._float_dtype())
        return network

    def _fit_network(self, X, targets, n_outputs, stratify=None):
        # warm_start continues only a network of the architecture the parameters ask for
        fresh = self._build_network(X.shape[2], n_outputs)
        network = getattr(self, "network_", None)
        same_shape = network is not None and [p.shape for p in network.params] == [
            p.shape for p in fresh.params
        ]
        if not (self.warm_start and same_shape):
            self.network_ = fresh
            vars(self).pop("optimizer_", None)
        self.n_params_ = self.network_.n_params
        self._train(X, targets, self._loss, self._validation_score, stratify)
        return self

    def _padded_targets(self, X):
        """(n_samples, n_steps) bool, True at the padded steps whose targets do not
        count (output="sequence" with mask_value), else None."""
        if self.mask_value is None or self.output != "sequence":
            return None
        return padding_mask(X, self.mask_value) == 0

    def _update_flops(self, X):
        # every recurrent parameter is used once per time step
        return super()._update_flops(X) * X.shape[1]

    def _outputs(self, X):
        """Output-layer values for X: (n, n_outputs), or (n, n_steps, n_outputs)."""
        check_is_fitted(self)
        # float64 inference: predictions must not depend on how rows are batched
        X = self._sequences(X, reset=False, dtype=np.float64)
        with self._threads(2.0 * X.shape[0] * X.shape[1] * self.n_params_):
            return self.network_.predict(X)

    # ---------------------------------------------------------------- generation

    def _closed_loop(self, seed, n_steps, next_input):
        """Run the seed (n_seed, n_features), then ``n_steps`` steps each fed the input
        ``next_input(output)`` chose from the previous output; returns what it chose."""
        check_is_fitted(self)
        if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
            raise ValueError(f"n_steps must be an int >= 1, got {n_steps!r}")
        if any(isinstance(layer, Bidirectional) for layer in self.network_.layers):
            raise ValueError(
                "generate runs the model in closed loop, one step after the other, which "
                "needs a causal model; this one was fitted with bidirectional=True"
            )
        # the recurrent stack, then the output layer (none: the state is the output);
        # dropout (the identity at inference) and masking (no padding here) left out
        layers = [layer for layer in self.network_.layers
                  if not isinstance(layer, (Dropout, Masking))]
        recurrent = [layer for layer in layers if isinstance(layer, Recurrent)]
        head = layers[len(recurrent):]

        def run(x, states):
            for layer, state in zip(recurrent, states):
                x = layer.forward(x, initial_state=state)
            return [layer.final_state for layer in recurrent]

        emitted = []
        with self._threads():
            states = run(seed[None], [None] * len(recurrent))
            for _ in range(n_steps):
                top = states[-1][0]
                output = head[0].forward(top) if head else top
                x_next, value = next_input(output[0])
                emitted.append(value)
                states = run(x_next[None, None, :], states)
        return emitted


def _real_rows(target):
    """Rows of a target array that count: class codes >= 0, value rows without NaN
    (padded steps carry code -1 or NaN)."""
    if target.dtype.kind in "iu":
        return target >= 0
    return ~np.isnan(target.reshape(len(target), -1)).any(axis=1)


def _per_step(loss):
    """``loss`` over every output step: (n, T, k) outputs are read as n * T rows, the
    mean taken over the rows that count (``_real_rows``)."""

    def per_step(output, target):
        if output.ndim == 2:
            return loss(output, target)
        rows = output.shape[0] * output.shape[1]
        output_rows = output.reshape(rows, -1)
        target_rows = target.reshape(rows, *target.shape[2:])
        real = _real_rows(target_rows)
        if real.all():
            value, grad = loss(output_rows, target_rows)
            return value, grad.reshape(output.shape)
        grad = np.zeros_like(output_rows)
        if not real.any():
            return 0.0, grad.reshape(output.shape)
        value, grad[real] = loss(output_rows[real], target_rows[real])
        return value, grad.reshape(output.shape)

    return per_step


class SequenceClassifierMixin:
    """Softmax over the classes at the last step (or at every step), trained with
    cross-entropy; ``generate`` samples class sequences from a next-step model."""

    _loss = staticmethod(_per_step(softmax_cross_entropy))

    @staticmethod
    def _validation_score(codes, logits):
        real = codes >= 0
        return np.mean(logits.argmax(axis=-1)[real] == codes[real])

    def _check_targets(self, y):
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=None, input_name="y")
        if self.output == "last":
            return column_or_1d(y, warn=True)
        return y

    def fit(self, X, y):
        """Train on sequences X and labels y for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        X, y = self._fit_data(X, y)
        codes = self._step_codes(X, y, self._encode_labels)
        stratify = codes if self.output == "last" else None
        return self._fit_network(X, codes, len(self.classes_), stratify)

    def partial_fit(self, X, y, classes=None):
        """One epoch on sequences X and labels y, continuing from the current weights;
        the first call needs ``classes``, all the labels there will be."""
        first_call = not hasattr(self, "network_")
        if first_call:
            self._check_params()
        self._partial_fit_classes(classes, first_call)
        X, y = self._fit_data(X, y, reset=first_call)
        return self._partial_fit_network(X, self._step_codes(X, y, self._codes), len(self.classes_))

    def _step_codes(self, X, y, encode):
        """Class codes of the labels y by ``encode`` (which may learn ``classes_`` from
        them), -1 at padded steps; the padding's labels are never read."""
        padded = self._padded_targets(X)
        if padded is None:
            return encode(y.ravel()).reshape(y.shape)
        codes = np.full(y.shape, -1, dtype=np.intp)
        codes[~padded] = encode(y[~padded])
        return codes

    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes) or (n_samples, n_steps, n_classes)."""
        return get_activation("softmax").forward(self._outputs(X))

    def predict(self, X):
        """The most probable class: (n_samples,) or (n_samples, n_steps)."""
        codes = self._outputs(X).argmax(axis=-1)
        return self.classes_[codes]

    def generate(self, n_steps, seed_sequence, temperature=1.0, random_state=None):
        """Sample ``n_steps`` labels after ``seed_sequence`` (a 1-D sequence of labels)
        in closed loop, each fed back as the one-hot code of its class (the model must
        read one-hot codes of its classes: ``n_step_features_ == len(classes_)``).

        ``temperature`` divides the logits before the softmax (0: always the most
        probable class); ``random_state`` (default: the estimator's) draws the samples.
        """
        check_is_fitted(self)
        n_classes = len(self.classes_)
        if self.n_step_features_ != n_classes:
            raise ValueError(
                f"generate feeds each sampled class back as its one-hot code, which needs "
                f"{n_classes} features per step; the model reads {self.n_step_features_}"
            )
        if isinstance(temperature, bool) or not np.isfinite(temperature) or temperature < 0:
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        seed = np.asarray(seed_sequence)
        if seed.ndim != 1 or len(seed) < 1:
            raise ValueError(
                f"seed_sequence must be a non-empty 1-D sequence of labels, got shape {seed.shape}"
            )
        codes = self._codes(seed)
        eye = np.eye(n_classes)

        def sample(logits):
            if temperature == 0:
                code = int(np.argmax(logits))
            else:
                probabilities = get_activation("softmax").forward(logits / temperature)
                code = int(rng.choice(n_classes, p=probabilities / probabilities.sum()))
            return eye[code], code

        emitted = self._closed_loop(eye[codes], n_steps, sample)
        return self.classes_[np.array(emitted, dtype=int)]


class SequenceRegressorMixin:
    """Linear outputs at the last step (or at every step), trained with squared error;
    ``generate`` runs a next-value model in closed loop."""

    _loss = staticmethod(_per_step(mse))

    @staticmethod
    def _validation_score(targets, output):
        k = output.shape[-1]
        targets, output = targets.reshape(-1, k), output.reshape(-1, k)
        real = _real_rows(targets)
        return r2_score(targets[real], output[real])

    def _check_targets(self, y):
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=self._float_dtype(),
                        input_name="y")
        most = 2 if self.output == "last" else 3
        if y.ndim > most:
            raise ValueError(f"y must have at most {most} dimensions here; got shape {y.shape}")
        return y

    def fit(self, X, y):
        """Train on sequences X and targets y for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        X, y = self._fit_data(X, y)
        targets, single = self._step_targets(X, y)
        self.n_outputs_ = targets.shape[-1]
        self.single_output_ = single
        return self._fit_network(X, targets, self.n_outputs_)

    def _step_targets(self, X, y):
        """Targets with a last axis of outputs, NaN at padded steps; and whether y had
        a single output."""
        single = y.ndim == (1 if self.output == "last" else 2)
        targets = y[..., None] if single else y
        padded = self._padded_targets(X)
        if padded is not None:
            targets = targets.copy()
            targets[padded] = np.nan
        return targets, single

    def partial_fit(self, X, y):
        """One epoch on sequences X and targets y, continuing from the current weights."""
        first_call = not hasattr(self, "network_")
        if first_call:
            self._check_params()
        X, y = self._fit_data(X, y, reset=first_call)
        targets, single = self._step_targets(X, y)
        if first_call:
            self.n_outputs_, self.single_output_ = targets.shape[-1], single
        elif targets.shape[-1] != self.n_outputs_:
            raise ValueError(
                f"y has {targets.shape[-1]} outputs, the network was built for {self.n_outputs_}"
            )
        return self._partial_fit_network(X, targets, self.n_outputs_)

    def predict(self, X):
        """Predicted values, shaped like the y of fit."""
        output = self._outputs(X)
        return output[..., 0] if self.single_output_ else output

    def generate(self, n_steps, seed_sequence):
        """Continue ``seed_sequence`` (n_seed,) or (n_seed, n_features) by ``n_steps``
        predicted values, each fed back as the next input (a next-value model:
        ``n_outputs_ == n_step_features_``). Deterministic."""
        check_is_fitted(self)
        if self.n_outputs_ != self.n_step_features_:
            raise ValueError(
                f"generate feeds each output back as the next input, which needs as many "
                f"outputs ({self.n_outputs_}) as features per step ({self.n_step_features_})"
            )
        seed = check_array(seed_sequence, ensure_2d=False, dtype=np.float64,
                           input_name="seed_sequence")
        univariate = seed.ndim == 1 and self.n_step_features_ == 1
        if not univariate and (seed.ndim != 2 or seed.shape[1] != self.n_step_features_):
            raise ValueError(
                f"seed_sequence must have shape (n_seed, {self.n_step_features_})"
                + (" or (n_seed,)" if self.n_step_features_ == 1 else "") + f"; got {seed.shape}"
            )
        seed = seed.reshape(len(seed), self.n_step_features_)
        values = np.array(self._closed_loop(seed, n_steps, lambda output: (output, output)))
        return values[:, 0] if univariate else values


class SequenceClassifier(ClassifierMixin, SequenceClassifierMixin, ZooClassifierMixin):
    """The bases of a family's sequence classifier (sklearn's mixin first)."""

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; with output="sequence", the fraction of sequences whose
        every step (every real step, with mask_value) is predicted right."""
        padded = self._padded_targets(self._sequences(X, reset=False))
        if padded is None:
            return super().score(X, y, sample_weight)
        right = (self.predict(X) == np.asarray(y)) | padded
        return float(np.average(right.all(axis=1), weights=sample_weight))


class SequenceRegressor(RegressorMixin, SequenceRegressorMixin):
    """The bases of a family's sequence regressor (sklearn's mixin first)."""

    def score(self, X, y, sample_weight=None):
        """R^2 as scikit-learn's, averaged uniformly over the outputs (with
        output="sequence" every step is one); with mask_value, each step's R^2 is
        taken over the sequences where that step is real."""
        padded = self._padded_targets(self._sequences(X, reset=False))
        if padded is None:
            return super().score(X, y, sample_weight)
        y, predicted = np.asarray(y, dtype=float), self.predict(X)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        scores = [
            r2_score(y[real, t], predicted[real, t], sample_weight=weights[real],
                     multioutput="raw_values")
            for t, real in enumerate((~padded).T) if real.sum() >= 2
        ]
        return float(np.mean(np.concatenate(scores)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
