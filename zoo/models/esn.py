"""Echo state networks: a fixed random recurrent reservoir and a trained linear readout.

x(n) = (1 - a) x(n-1) + a tanh(u(n) W_in + b + x(n-1) W [+ y(n-1) W_fb] [+ noise])
y(n) = [u(n); x(n)] W_out + c

W is a sparse random matrix rescaled so that its spectral radius (largest |eigenvalue|)
equals ``spectral_radius`` exactly; only W_out and c are trained, by ridge regression
on the states collected after a washout (Jaeger 2001; Jaeger & Haas 2004; the leaky
integrator of Jaeger et al. 2007; the practice of Lukosevicius 2012).

Input conventions
-----------------
``ESNRegressor`` (sequence to sequence, one target per time step):
  * 2-D ``X`` of shape (n_steps, n_features) is ONE series, each row a time step, with
    ``y`` of shape (n_steps,) or (n_steps, n_outputs) aligned step by step. This is
    the form of ``zoo.datasets.load("mackey_glass")`` (X[t] = x(t), y[t] = x(t + 1)).
  * 3-D ``X`` of shape (n_sequences, n_steps, n_features) is several sequences of equal
    length, each started from the zero state, with ``y`` of shape (n_sequences, n_steps)
    or (n_sequences, n_steps, n_outputs).
``ESNClassifier`` (sequence to label, one label per sequence):
  * 2-D ``X`` of shape (n_sequences, n_steps) is univariate sequences, one per row.
  * 3-D ``X`` of shape (n_sequences, n_steps, n_features).
All sequences of a batch step through the reservoir together; only time is a loop.
"""

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.linalg import eigs
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from zoo.base import (
    check_bool,
    READOUT_PARAMETER_DOC,
    Interval,
    Options,
    ReadoutClassifierMixin,
    ZooEstimator,
    check_is_fitted,
    one_hot,
)
from zoo.core.readout import RidgeReadout

__all__ = [
    "ESNRegressor",
    "ESNClassifier",
    "read_sequences",
    "spectral_radius_of",
    "forecast_figure",
    "series_nrmse",
    "is_3d_input",
]

# Reservoirs up to this size get all eigenvalues from LAPACK; larger ones use ARPACK.
DENSE_EIGEN_MAX = 300
# The simulation multiplies by a dense W when n_sequences * n_reservoir**2 is at most
# this: there one BLAS product beats the fixed cost of a sparse one (measured on one
# thread; about n_reservoir <= 256 for one series, <= 64 for a batch of 16).
DENSE_STEP_MAX = 2**16


def read_sequences(estimator, X, reset, rows_are_steps):
    """Validated input as a float64 array (n_sequences, n_steps, n_channels).

    3-D input goes through ``ZooEstimator._validate_sequences``;
    2-D input goes through the estimator's sklearn validation and is read as one
    series of time steps (``rows_are_steps``) or as univariate sequences, one per row.
    """
    if is_3d_input(X):
        return estimator._validate_sequences(X, reset, np.float64)
    if not (reset or rows_are_steps) and estimator.n_step_features_ != 1:
        raise ValueError(
            f"2-D input is read as univariate sequences, but {type(estimator).__name__} "
            f"was fitted on {estimator.n_step_features_} channels; pass 3-D input"
        )
    X = estimator._validate(X, reset=reset, dtype=np.float64)
    if reset:
        estimator.n_step_features_ = X.shape[1] if rows_are_steps else 1
    return X[None] if rows_are_steps else X[:, :, None]


def is_3d_input(X):
    """Whether X is a 3-D array (or nested lists): several multichannel sequences."""
    if hasattr(X, "ndim"):
        return X.ndim == 3
    return isinstance(X, (list, tuple)) and np.ndim(X) == 3


def spectral_radius_of(W):
    """Largest |eigenvalue| of a square sparse matrix (LAPACK when small, else ARPACK)."""
    if W.shape[0] <= DENSE_EIGEN_MAX:
        return float(np.abs(linalg.eigvals(W.toarray())).max())
    largest = eigs(W.astype(np.float64), k=1, which="LM", return_eigenvectors=False, tol=0)
    return float(np.abs(largest).max())


class _ESNBase(ZooEstimator):
    """Reservoir, state collection and ridge readout shared by both tasks."""

    _constraints = {
        "n_reservoir": Interval(int, 1, None),
        "spectral_radius": Interval(float, 0, None, closed="neither"),
        "leak_rate": Interval(float, 0, 1, closed="right"),
        "input_scaling": Interval(float, 0, None),
        "bias_scaling": Interval(float, 0, None),
        "density": Interval(float, 0, 1, closed="right"),
        "washout": Interval(int, 0, None),
        "alpha": Interval(float, 0, None),
        "include_input": check_bool,
        "noise": Interval(float, 0, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }
    _output_feedback = False

    # ---------------------------------------------------------------- reservoir
    def _draw_reservoir(self, n_inputs, n_outputs):
        """Random W_in, b, W (rescaled to the spectral radius) and, with feedback, W_fb."""
        rng = self._rng()
        n = self.n_reservoir
        self.input_weights_ = rng.uniform(-self.input_scaling, self.input_scaling, (n_inputs, n))
        self.bias_ = rng.uniform(-self.bias_scaling, self.bias_scaling, n)
        W = sparse.random(
            n,
            n,
            density=self.density,
            format="csr",
            random_state=rng,
            data_rvs=lambda size: rng.uniform(-1.0, 1.0, size),
        )
        radius = spectral_radius_of(W) if W.nnz else 0.0
        if radius < 1e-12:
            raise ValueError(
                f"the random reservoir (n_reservoir={n}, density={self.density}) has no "
                "nonzero eigenvalue to rescale; raise n_reservoir or density"
            )
        W = W * (self.spectral_radius / radius)
        # stored as plain CSR arrays: fitted attributes hold no scipy objects
        self.reservoir_data_, self.reservoir_indices_, self.reservoir_indptr_ = (
            W.data,
            W.indices,
            W.indptr,
        )
        self.feedback_weights_ = (
            rng.uniform(-self.feedback_scaling, self.feedback_scaling, (n_outputs, n))
            if self._output_feedback
            else None
        )
        self.noise_seed_ = rng.randint(2**31)

    def reservoir_matrix(self):
        """The recurrent weights W as a scipy CSR array (n_reservoir, n_reservoir)."""
        check_is_fitted(self)
        n = self.n_reservoir
        return sparse.csr_array(
            (self.reservoir_data_, self.reservoir_indices_, self.reservoir_indptr_), shape=(n, n)
        )

    def _recurrent_term(self, n_sequences):
        """Function x -> x @ W for states x (n_sequences, N), with W stored once in the
        orientation the product needs: dense for small work (``DENSE_STEP_MAX``), else
        W^T as CSR for one series (a row-wise matvec) or, for a batch, as CSC, which is
        W's own CSR arrays read transposed (a copy-free view)."""
        W = self.reservoir_matrix()
        if n_sequences * self.n_reservoir**2 <= DENSE_STEP_MAX:
            dense = W.toarray()
            return lambda x: x @ dense
        W_t = W.T.tocsr() if n_sequences == 1 else W.T
        return lambda x: (W_t @ x.T).T

    def _flops(self, n_sequences):
        """Work of one time step, which sets the BLAS thread count."""
        return 2.0 * n_sequences * (self.reservoir_data_.size + self.input_weights_.size)

    # ---------------------------------------------------------------- dynamics
    def _simulate(
        self, n_steps, state, inputs=None, teacher=None, last_output=None, emit=False, noisy=False
    ):
        """Run the reservoir for n_steps; returns states (B, n_steps, N) and, with
        ``emit``, the readout outputs (B, n_steps, n_outputs).

        ``inputs`` (B, n_steps, d) drive it; None closes the loop (the input of each step
        is the previous output, ``last_output`` at the first). Output feedback uses the
        teacher's previous value when ``teacher`` is given, else the previous output.
        """
        recurrent, a = self._recurrent_term(state.shape[0]), self.leak_rate
        rng = np.random.default_rng(self.noise_seed_) if noisy and self.noise > 0 else None
        x, y_prev = state, last_output
        states = np.empty((x.shape[0], n_steps, self.n_reservoir))
        outputs = np.empty((x.shape[0], n_steps, self.n_outputs_)) if emit else None
        # inputs known in advance: their terms for all steps in one product
        input_terms = inputs @ self.input_weights_ + self.bias_ if inputs is not None else None
        for t in range(n_steps):
            if inputs is not None:
                u, drive = inputs[:, t], input_terms[:, t]
            else:
                u = y_prev
                drive = u @ self.input_weights_ + self.bias_
            pre = drive + recurrent(x)
            if self._output_feedback:
                fed = teacher[:, t - 1] if teacher is not None and t > 0 else y_prev
                pre += fed @ self.feedback_weights_
            if rng is not None:
                pre += self.noise * rng.standard_normal(pre.shape)
            x = (1.0 - a) * x + a * np.tanh(pre)
            states[:, t] = x
            if emit:
                y_prev = outputs[:, t] = self._readout_of(u, x)
        return states, outputs

    def _features(self, inputs, states):
        """Readout inputs [u; x] (or x alone) along the last axis."""
        return np.concatenate([inputs, states], axis=-1) if self.include_input else states

    def _readout_of(self, u, x):
        return self._features(u, x) @ self.coef_ + self.intercept_

    def _zero_state(self, n_sequences):
        return np.zeros((n_sequences, self.n_reservoir))

    def _check_washout(self, n_steps):
        if n_steps <= self.washout:
            raise ValueError(
                f"each sequence needs more than washout={self.washout} steps, got {n_steps}"
            )

    def _store_solution(self):
        self.coef_ = self.readout_.coef_
        self.intercept_ = self.readout_.intercept_


_PARAMETERS_DOC = """
    Parameters
    ----------
    n_reservoir : int, default=100
        Number of reservoir units N.
    spectral_radius : float > 0, default=0.9
        W is rescaled so that its largest |eigenvalue| equals this value exactly (to
        rounding); below 1 the usual heuristic for the echo state property.
    leak_rate : float in (0, 1], default=1.0
        a of the leaky-integrator update; 1 is the original ESN.
    input_scaling : float >= 0, default=1.0
        W_in is uniform in [-input_scaling, input_scaling].
    bias_scaling : float >= 0, default=0.2
        b is uniform in [-bias_scaling, bias_scaling].
    density : float in (0, 1], default=0.1
        Fraction of nonzero entries of W (uniform in [-1, 1] before rescaling).
    washout : int >= 0, default=0
        Initial states of every training sequence left out of the readout fit (Jaeger
        uses 100 or more on long series). Sequences must be longer than the washout.
    alpha : float >= 0, default=1e-6
        Ridge penalty beta of W_out (the intercept is not penalised).
    include_input : bool, default=True
        Feed u(n) to the readout beside x(n).
    noise : float >= 0, default=0.0
        Standard deviation of Gaussian noise added inside tanh while fitting only (a
        regulariser that stabilises closed-loop generation); seeded by random_state.
    random_state : int, RandomState or None, default=None
        Seed of W_in, b, W (and W_fb, noise): the same seed gives the same reservoir.
    n_threads : int or None, default=None
        BLAS threads; None uses one thread for small problems.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    input_weights_ : ndarray of shape (n_features, n_reservoir)
    bias_ : ndarray of shape (n_reservoir,)
    reservoir_data_, reservoir_indices_, reservoir_indptr_ : ndarray
        W in CSR form (``reservoir_matrix()`` rebuilds the scipy array).
    coef_ : ndarray of shape (n_readout_features, n_outputs)
        W_out; rows for u(n) first (with include_input), then x(n).
    intercept_ : ndarray of shape (n_outputs,)
    readout_ : zoo.core.readout.RidgeReadout or LogisticReadout
        The ridge statistics, which ``partial_fit`` adds to (or the classifier's
        logistic readout).
    n_features_in_ : int
    n_step_features_ : int
        Input features per time step.
"""


class ESNRegressor(RegressorMixin, _ESNBase):
    __doc__ = (
        """Echo state network regressor, one output per time step (Jaeger 2001; Jaeger &
    Haas 2004; Jaeger et al. 2007; Lukosevicius 2012).

    2-D X (n_steps, n_features) is one series with y (n_steps[, n_outputs]); 3-D X
    (n_sequences, n_steps, n_features) is several, with y (n_sequences, n_steps[,
    n_outputs]). ``predict`` drives the reservoir with the given inputs (teacher-forced
    input; with output feedback the feedback is the model's own previous output) from
    the zero state or ``initial_state``; ``generate`` runs it in closed loop, each
    output becoming the next input (a next-step model: n_outputs == n_features).
    ``partial_fit`` adds sequences to the ridge statistics (each call's sequences start
    from the zero state), so fitting in chunks of sequences equals one ``fit`` (with
    noise=0; the training noise is redrawn from the same seed in every call).
    """
        + _PARAMETERS_DOC
        + """    output_feedback : bool, default=False
        Add y(n-1) W_fb inside tanh; while fitting y(n-1) is the target (teacher
        forcing), afterwards the model's own output. Fit with some state ``noise``
        (e.g. 1e-4): without it the readout can learn to cancel large terms that are
        equal only under teacher forcing, and the input-driven run may diverge.
    feedback_scaling : float >= 0, default=1.0
        W_fb is uniform in [-feedback_scaling, feedback_scaling].
"""
        + _ATTRIBUTES_DOC
        + """    feedback_weights_ : ndarray of shape (n_outputs, n_reservoir) or None
    last_state_ : ndarray of shape (n_reservoir,)
        Reservoir state after the last step of the last training sequence.
    last_input_, last_target_ : ndarray
        Its input and target, where ``generate`` and ``predict(initial_state="fit")``
        continue.
"""
    )

    _constraints = {
        "output_feedback": check_bool,
        "feedback_scaling": Interval(float, 0, None),
    }

    def __init__(
        self,
        n_reservoir=100,
        *,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        bias_scaling=0.2,
        density=0.1,
        washout=0,
        alpha=1e-6,
        include_input=True,
        output_feedback=False,
        feedback_scaling=1.0,
        noise=0.0,
        random_state=None,
        n_threads=None,
    ):
        self.n_reservoir = n_reservoir
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.density = density
        self.washout = washout
        self.alpha = alpha
        self.include_input = include_input
        self.output_feedback = output_feedback
        self.feedback_scaling = feedback_scaling
        self.noise = noise
        self.random_state = random_state
        self.n_threads = n_threads

    @property
    def _output_feedback(self):
        return bool(self.output_feedback)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @classmethod
    def _expected_failed_checks(cls):
        reason = (
            "2-D X is one time series whose rows are consecutive time steps: the output "
            "at a step depends on the steps before it, so rows are not independent samples"
        )
        return {
            "check_methods_subset_invariance": reason,
            "check_methods_sample_order_invariance": reason,
        }

    def _read_xy(self, X, y, reset):
        """(U, Y, one_output): inputs (B, T, d) and targets (B, T, k)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        if is_3d_input(X):
            U = read_sequences(self, X, reset, rows_are_steps=True)
            Y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float64)
            if Y.shape[:2] != U.shape[:2] or Y.ndim > 3:
                raise ValueError(
                    f"y must have shape (n_sequences, n_steps[, n_outputs]) = {U.shape[:2]}..., "
                    f"got {Y.shape}"
                )
            one_output = Y.ndim == 2
            return U, Y.reshape(*U.shape[:2], -1), one_output
        X, y = self._validate(
            X, y, reset=reset, multi_output=True, y_numeric=True, dtype=np.float64
        )
        if reset:
            self.n_step_features_ = X.shape[1]
        y = np.asarray(y, dtype=np.float64)
        return X[None], y.reshape(1, X.shape[0], -1), y.ndim == 1

    def fit(self, X, y):
        """Draw the reservoir, collect the states of the sequences and solve W_out."""
        self._check_params()
        U, Y, one_output = self._read_xy(X, y, reset=True)
        self._check_washout(U.shape[1])
        self._start(U, Y, one_output)
        return self._accumulate(U, Y)

    def partial_fit(self, X, y):
        """Add the sequences of (X, y) to the ridge statistics and re-solve W_out."""
        first = not hasattr(self, "readout_")
        if first:
            self._check_params()
        U, Y, one_output = self._read_xy(X, y, reset=first)
        self._check_washout(U.shape[1])
        if first:
            self._start(U, Y, one_output)
        elif Y.shape[2] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[2]} outputs, the readout was fitted for {self.n_outputs_}"
            )
        return self._accumulate(U, Y)

    def _start(self, U, Y, one_output):
        self.n_outputs_, self._one_output = Y.shape[2], one_output
        self._draw_reservoir(U.shape[2], Y.shape[2])
        self.readout_ = RidgeReadout(alpha=self.alpha)

    def _accumulate(self, U, Y):
        n_sequences, n_steps, _ = U.shape
        with self._threads(self._flops(n_sequences)):
            states, _ = self._simulate(
                n_steps,
                self._zero_state(n_sequences),
                inputs=U,
                teacher=Y if self._output_feedback else None,
                last_output=np.zeros((n_sequences, self.n_outputs_)),
                noisy=True,
            )
            H = self._features(U, states)[:, self.washout :]
            self.readout_.partial_fit(
                H.reshape(-1, H.shape[2]), Y[:, self.washout :].reshape(-1, Y.shape[2])
            )
        self._store_solution()
        self.last_state_, self.last_input_, self.last_target_ = states[-1, -1], U[-1, -1], Y[-1, -1]
        return self

    def _initial(self, initial_state, n_sequences):
        """(state, previous output) at the start of predict."""
        no_output = np.zeros((n_sequences, self.n_outputs_))
        if initial_state is None:
            return self._zero_state(n_sequences), no_output
        if isinstance(initial_state, str) and initial_state == "fit":
            last_output = np.tile(self.last_target_, (n_sequences, 1))
            return np.tile(self.last_state_, (n_sequences, 1)), last_output
        state = np.asarray(initial_state, dtype=np.float64)
        shapes = ((self.n_reservoir,), (n_sequences, self.n_reservoir))
        if state.shape not in shapes or not np.isfinite(state).all():
            raise ValueError(
                f"initial_state must be None, 'fit' or finite values of shape {shapes[0]} or "
                f"{shapes[1]}, got shape {state.shape}"
            )
        return np.broadcast_to(state, shapes[1]).copy(), no_output

    def predict(self, X, initial_state=None):
        """Outputs for every step of the given inputs, shape like the fitted y per step.

        ``initial_state``: None (zero state), "fit" (continue from the end of the last
        training sequence, e.g. on a test series that follows it) or an array of shape
        (n_reservoir,) or (n_sequences, n_reservoir).
        """
        check_is_fitted(self)
        U = read_sequences(self, X, reset=False, rows_are_steps=True)
        return self._shape_output(self._drive(U, *self._initial(initial_state, U.shape[0]))[1], X)

    def _drive(self, U, state, last_output):
        with self._threads(self._flops(U.shape[0])):
            return self._simulate(U.shape[1], state, inputs=U, last_output=last_output, emit=True)

    def reservoir_states(self, X, initial_state=None):
        """Reservoir states x(n) under the given inputs: (n_steps, N) for a 2-D series,
        (n_sequences, n_steps, N) for 3-D input."""
        check_is_fitted(self)
        U = read_sequences(self, X, reset=False, rows_are_steps=True)
        states = self._drive(U, *self._initial(initial_state, U.shape[0]))[0]
        return states if is_3d_input(X) else states[0]

    def generate(self, n_steps, X=None):
        """Closed-loop run of ``n_steps`` values, each output fed back as the next input.

        Without X it continues the last training sequence: the first value is the
        prediction that follows its last step. With X (a warm-up series, 2-D, or 3-D for
        several), the reservoir is first driven by X from the zero state and the run
        continues after its last step. Returns (n_steps[, n_outputs]) for one series,
        (n_sequences, n_steps[, n_outputs]) for 3-D X.
        """
        check_is_fitted(self)
        if self.n_outputs_ != self.n_step_features_:
            raise ValueError(
                f"generate needs a next-step model whose outputs are its inputs; it has "
                f"{self.n_step_features_} input features and {self.n_outputs_} outputs"
            )
        Interval(int, 1, None).check("n_steps", n_steps)
        if X is None:
            state, u = self.last_state_[None], self.last_input_[None]
        else:
            U = read_sequences(self, X, reset=False, rows_are_steps=True)
            states, _ = self._drive(U, *self._initial(None, U.shape[0]))
            state, u = states[:, -1], U[:, -1]
        first = self._readout_of(u, state)
        with self._threads(self._flops(state.shape[0])):
            _, rest = self._simulate(n_steps - 1, state, last_output=first, emit=True)
        values = np.concatenate([first[:, None], rest], axis=1)
        return self._shape_output(values, X if X is not None else np.empty((0, 0)))

    def _shape_output(self, values, X):
        values = values if is_3d_input(X) else values[0]
        return values[..., 0] if self._one_output else values


class ESNClassifier(ClassifierMixin, ReadoutClassifierMixin, _ESNBase):
    __doc__ = (
        """Echo state network sequence classifier (Jaeger 2001; Lukosevicius 2012).

    Each sequence is run from the zero state; its feature vector is the mean (or the
    last) of the post-washout states (and inputs, with include_input); a linear
    readout scores the classes (ridge on one-hot targets, or multinomial logistic
    regression with ``readout="logistic"``), the prediction is the arg-max.
    2-D X (n_sequences, n_steps) is univariate sequences; 3-D X is (n_sequences,
    n_steps, n_features). ``partial_fit`` adds sequences to the ridge statistics, so
    chunks give exactly the one-``fit`` solution; the logistic readout has no such
    statistics, and without them no ``partial_fit``.
    """
        + _PARAMETERS_DOC
        + """    state_readout : {'mean', 'last'}, default='mean'
        Summary of the state sequence the readout sees.
"""
        + READOUT_PARAMETER_DOC
        + _ATTRIBUTES_DOC
        + """    classes_ : ndarray of shape (n_classes,)
"""
    )

    _constraints = {"state_readout": Options("mean", "last")}

    def __init__(
        self,
        n_reservoir=100,
        *,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        bias_scaling=0.2,
        density=0.1,
        washout=0,
        alpha=1e-6,
        include_input=True,
        state_readout="mean",
        readout="ridge",
        noise=0.0,
        random_state=None,
        n_threads=None,
    ):
        self.n_reservoir = n_reservoir
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.density = density
        self.washout = washout
        self.alpha = alpha
        self.include_input = include_input
        self.state_readout = state_readout
        self.readout = readout
        self.noise = noise
        self.random_state = random_state
        self.n_threads = n_threads

    def _read_labelled(self, X, y, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        if is_3d_input(X):
            U = read_sequences(self, X, reset, rows_are_steps=False)
            y = column_or_1d(y, warn=True)
            check_consistent_length(U, y)
            return U, y
        X, y = self._validate(X, y, reset=reset, dtype=np.float64)
        if reset:
            self.n_step_features_ = 1
        return X[:, :, None], y

    def fit(self, X, y):
        """Draw the reservoir and fit the readout to the labels."""
        self._check_params()
        U, y = self._read_labelled(X, y, reset=True)
        self._check_washout(U.shape[1])
        codes = self._encode_labels(y)
        self._draw_reservoir(U.shape[2], len(self.classes_))
        self.readout_ = self._fit_readout(self._sequence_features(U, noisy=True), codes)
        self._store_solution()
        return self

    def _has_ridge_statistics(self):
        fitted = getattr(self, "readout_", None)
        if self.readout != "ridge" or not isinstance(fitted, (RidgeReadout, type(None))):
            raise AttributeError(
                "partial_fit is only available with readout='ridge', whose statistics make "
                "chunks exact; the logistic readout is fitted by fit on all the data at once"
            )
        return True

    @available_if(_has_ridge_statistics)
    def partial_fit(self, X, y, classes=None):
        """Add labelled sequences to the ridge statistics; ``classes`` on the first call
        (only with readout='ridge')."""
        first = not hasattr(self, "readout_")
        if first:
            self._check_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
        U, y = self._read_labelled(X, y, reset=first)
        self._check_washout(U.shape[1])
        if first:
            self._encode_labels(np.asarray(classes))
            self._draw_reservoir(U.shape[2], len(self.classes_))
            self.readout_ = RidgeReadout(alpha=self.alpha)
        return self._accumulate(U, self._codes(y))

    def _accumulate(self, U, codes):
        self.readout_.partial_fit(
            self._sequence_features(U, noisy=True), one_hot(codes, len(self.classes_), U.dtype)
        )
        self._store_solution()
        return self

    def _sequence_features(self, U, noisy=False):
        with self._threads(self._flops(U.shape[0])):
            states, _ = self._simulate(
                U.shape[1], self._zero_state(U.shape[0]), inputs=U, noisy=noisy
            )
        H = self._features(U, states)[:, self.washout :]
        return H.mean(axis=1) if self.state_readout == "mean" else H[:, -1]

    def _readout_features(self, X):
        check_is_fitted(self)
        return self._sequence_features(read_sequences(self, X, reset=False, rows_are_steps=False))

    def reservoir_states(self, X):
        """States x(n) of each sequence, shape (n_sequences, n_steps, n_reservoir)."""
        check_is_fitted(self)
        U = read_sequences(self, X, reset=False, rows_are_steps=False)
        return self._simulate(U.shape[1], self._zero_state(U.shape[0]), inputs=U)[0]


def forecast_figure(estimator, data, figure, n_steps=300):
    """Figure hook: the closed-loop forecast from the end of training against the test
    series that follows it (a next-step ESNRegressor on a series such as Mackey-Glass)."""
    truth = np.asarray(data.X_test)[:n_steps, 0]
    forecast = np.asarray(estimator.generate(len(truth))).reshape(len(truth), -1)[:, 0]
    axes = figure.subplots()
    steps = np.arange(len(truth))
    axes.plot(steps, truth, color="black", linewidth=2, label="truth")
    axes.plot(steps, forecast, linestyle="--", color="tab:red", label="closed-loop forecast")
    axes.axvline(84, color="grey", linewidth=0.8)
    axes.set_xlabel("steps after the end of training")
    axes.set_title(f"{type(estimator).__name__}: free-running forecast vs truth")
    axes.legend(loc="upper right", fontsize=8)


def series_nrmse(estimator, data):
    """Benchmark metric: NRMSE (RMSE / std of the target) of the one-step predictions of
    the test part of a series whose training part precedes it. The estimator predicts
    the whole series (train then test) in one pass, so a recurrent model reaches the
    test part warmed up, as it would continuing the training run, and a row-wise model
    (a linear baseline) is scored exactly as on the test rows alone."""
    series = np.concatenate([np.asarray(data.X_train), np.asarray(data.X_test)])
    predicted = np.asarray(estimator.predict(series))[len(data.X_train) :].reshape(
        len(data.y_test), -1
    )
    truth = np.asarray(data.y_test, dtype=float).reshape(len(data.y_test), -1)
    return np.sqrt(np.mean((truth - predicted) ** 2)) / np.std(truth)
