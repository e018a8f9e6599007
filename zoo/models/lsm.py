"""Liquid state machines: a fixed random column of spiking neurons and linear readouts.

A column of leaky integrate-and-fire neurons on a 3-D grid (Maass, Natschlager &
Markram 2002), 20 % inhibitory, connected with probability C exp(-(D(a, b) / lambda)^2)
where D is the grid distance and C depends on the pair type (presynaptic first:
EE 0.3, EI 0.2, IE 0.4, II 0.1). Every neuron obeys

    tau_m dV/dt = -(V - V_rest) + R (I_background + I_syn + I_input + noise),

spikes when V >= V_thresh, is reset to V_reset and held there for t_ref. Synaptic
currents jump by the synaptic weight A at each presynaptic spike (one time step of
delay) and decay exponentially (3 ms excitatory, 6 ms inhibitory); with
``synapse="dynamic"`` the jump is A u R with the Tsodyks-Markram depression and
facilitation variables (Markram, Wang & Tsodyks 1998), U, D, F by pair type. Only the
readout is trained: the liquid state, every spike train low-pass filtered with an
exponential of ``state_tau``, read at ``readout_times``, goes into a linear readout:
ridge regression, or for the classifier multinomial logistic regression
(``readout="logistic"``).

Units: ms, mV, nA and MOhm (R I in mV). Voltages are integrated exactly over a time
step for the current held constant during it.

Input: 3-D X (n_samples, n_steps, n_inputs), one time step of ``dt`` per step, is the
normal case; 2-D X (n_samples, n_steps) is one input channel. With
``input_mode="auto"`` an input made only of 0 and 1 is spike trains (a 1 is a spike,
delivered through excitatory input synapses to a random subset of the neurons),
anything else an analog signal injected as a current ``analog_scale * u(t)`` (nA) into
the same subset. All trials are simulated at once as (n_samples, n_neurons) arrays;
only time is a loop.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length, column_or_1d

from zoo.base import (
    READOUT_PARAMETER_DOC,
    Interval,
    Options,
    ReadoutClassifierMixin,
    ZooEstimator,
    check_is_fitted,
)
from zoo.core.readout import RidgeReadout
from zoo.models.esn import is_3d_input, read_sequences

__all__ = ["LSMClassifier", "LSMRegressor", "raster_figure", "PAIR_TYPES"]

PAIR_TYPES = ("EE", "EI", "IE", "II")  # presynaptic type first
CONNECTION_C = {"EE": 0.3, "EI": 0.2, "IE": 0.4, "II": 0.1}
# mean synaptic strength A (nA) by pair type; inhibitory ones negative
WEIGHT_A = {"EE": 30.0, "EI": 60.0, "IE": -19.0, "II": -19.0}
# Tsodyks-Markram U (fraction), D and F (ms) by pair type (Markram et al. 1998)
DYNAMIC_UDF = {
    "EE": (0.5, 1100.0, 50.0),
    "EI": (0.05, 125.0, 1200.0),
    "IE": (0.25, 700.0, 20.0),
    "II": (0.32, 144.0, 60.0),
}
# weights are Gamma distributed around A with this coefficient of variation
WEIGHT_CV = 0.5


def _check_grid(name, value):
    if not (
        isinstance(value, (tuple, list))
        and len(value) == 3
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in value
        )
    ):
        raise ValueError(f"{name} must be three positive ints (x, y, z), got {value!r}")


def _check_connection_c(name, value):
    if value is None:
        return
    if not isinstance(value, dict) or set(value) - set(PAIR_TYPES):
        raise ValueError(
            f"{name} must be None or a dict with keys among {PAIR_TYPES}, got {value!r}"
        )
    for key, c in value.items():
        Interval(float, 0, 1).check(f"{name}[{key!r}]", c)


def _check_background(name, value):
    low, high = (
        (value, value) if np.isscalar(value) else tuple(value) + (None,) * (2 - len(tuple(value)))
    )
    if (
        not all(isinstance(v, (int, float, np.number)) and np.isfinite(v) for v in (low, high))
        or low > high
    ):
        raise ValueError(f"{name} must be a current in nA or a (low, high) range, got {value!r}")


def _check_ridge_only(name, value):
    if not (isinstance(value, str) and value == "ridge"):
        raise ValueError(
            f"{name} must be 'ridge' for LSMRegressor (the logistic readout is for "
            f"LSMClassifier); got {value!r}"
        )


def _check_times(name, value):
    if value is None:
        return
    times = np.asarray(value, dtype=float).ravel() if np.ndim(value) <= 1 else None
    if times is None or times.size == 0 or not np.all(np.isfinite(times)) or np.any(times <= 0):
        raise ValueError(f"{name} must be None or positive times in ms, got {value!r}")


class _LSMBase(TransformerMixin, ZooEstimator):
    """The liquid (circuit, simulation, liquid state) and its linear readout."""

    _constraints = {
        "grid_shape": _check_grid,
        "frac_inhibitory": Interval(float, 0, 1),
        "lambda_": Interval(float, 0, None, closed="neither"),
        "connection_c": _check_connection_c,
        "weight_scale": Interval(float, 0, None),
        "synapse": Options("static", "dynamic"),
        "tau_m": Interval(float, 0, None, closed="neither"),
        "v_rest": Interval(float),
        "v_thresh": Interval(float),
        "v_reset": Interval(float),
        "resistance": Interval(float, 0, None, closed="neither"),
        "t_ref": Interval(float, 0, None),
        "t_ref_inh": Interval(float, 0, None),
        "tau_syn_exc": Interval(float, 0, None, closed="neither"),
        "tau_syn_inh": Interval(float, 0, None, closed="neither"),
        "background_current": _check_background,
        "noise": Interval(float, 0, None),
        "input_connectivity": Interval(float, 0, 1),
        "input_weight": Interval(float, 0, None),
        "input_mode": Options("auto", "spikes", "current"),
        "analog_scale": Interval(float),
        "dt": Interval(float, 0, None, closed="neither"),
        "state_tau": Interval(float, 0, None, closed="neither"),
        "readout_times": _check_times,
        "alpha": Interval(float, 0, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        grid_shape=(15, 3, 3),
        *,
        frac_inhibitory=0.2,
        lambda_=2.0,
        connection_c=None,
        weight_scale=1.0,
        synapse="dynamic",
        tau_m=30.0,
        v_rest=0.0,
        v_thresh=15.0,
        v_reset=13.5,
        resistance=1.0,
        t_ref=3.0,
        t_ref_inh=2.0,
        tau_syn_exc=3.0,
        tau_syn_inh=6.0,
        background_current=(13.5, 14.5),
        noise=0.0,
        input_connectivity=0.3,
        input_weight=18.0,
        input_mode="auto",
        analog_scale=20.0,
        dt=1.0,
        state_tau=30.0,
        readout_times=None,
        alpha=1.0,
        readout="ridge",
        random_state=None,
        n_threads=None,
    ):
        self.grid_shape = grid_shape
        self.frac_inhibitory = frac_inhibitory
        self.lambda_ = lambda_
        self.connection_c = connection_c
        self.weight_scale = weight_scale
        self.synapse = synapse
        self.tau_m = tau_m
        self.v_rest = v_rest
        self.v_thresh = v_thresh
        self.v_reset = v_reset
        self.resistance = resistance
        self.t_ref = t_ref
        self.t_ref_inh = t_ref_inh
        self.tau_syn_exc = tau_syn_exc
        self.tau_syn_inh = tau_syn_inh
        self.background_current = background_current
        self.noise = noise
        self.input_connectivity = input_connectivity
        self.input_weight = input_weight
        self.input_mode = input_mode
        self.analog_scale = analog_scale
        self.dt = dt
        self.state_tau = state_tau
        self.readout_times = readout_times
        self.alpha = alpha
        self.readout = readout
        self.random_state = random_state
        self.n_threads = n_threads

    def __sklearn_is_fitted__(self):
        # the parameter lambda_ ends in "_" too, so fitted-ness is the readout's presence
        return hasattr(self, "readout_")

    def _check_all_params(self):
        self._check_params()
        if not self.v_reset < self.v_thresh:
            raise ValueError(
                f"v_reset must be below v_thresh, got v_reset={self.v_reset}, "
                f"v_thresh={self.v_thresh}"
            )

    # ---------------------------------------------------------------- circuit
    def _build_circuit(self, n_inputs):
        """Draw neuron types, positions' connections, weights, background currents,
        initial potentials and the input synapses."""
        rng = self._rng()
        n = int(np.prod(self.grid_shape))
        positions = np.indices(self.grid_shape).reshape(3, -1).T.astype(float)
        inhibitory = np.zeros(n, dtype=bool)
        inhibitory[rng.permutation(n)[: int(round(self.frac_inhibitory * n))]] = True
        kind = inhibitory.astype(int)  # 0 excitatory, 1 inhibitory
        pair = 2 * kind[:, None] + kind[None, :]  # index into PAIR_TYPES, row = presynaptic
        c_table = np.array([{**CONNECTION_C, **(self.connection_c or {})}[p] for p in PAIR_TYPES])
        distance2 = ((positions[:, None] - positions[None]) ** 2).sum(axis=2)
        probability = c_table[pair] * np.exp(-distance2 / self.lambda_**2)
        np.fill_diagonal(probability, 0.0)
        connected = rng.uniform(size=(n, n)) < probability
        mean = self.weight_scale * np.array([WEIGHT_A[p] for p in PAIR_TYPES])[pair]
        shape = 1.0 / WEIGHT_CV**2
        strength = rng.gamma(shape, 1.0, size=(n, n)) / shape  # mean 1, CV WEIGHT_CV
        self.weights_ = np.where(connected, mean * strength, 0.0)
        self.inhibitory_ = inhibitory
        self.positions_ = positions
        low, high = np.broadcast_to(np.asarray(self.background_current, dtype=float), (2,))
        self.background_ = rng.uniform(low, high, n)
        self.v_init_ = rng.uniform(self.v_reset, self.v_thresh, n)
        input_mask = rng.uniform(size=(n_inputs, n)) < self.input_connectivity
        self.input_weights_ = input_mask * np.where(inhibitory, 0.5, 1.0) * self.input_weight
        self.input_targets_ = input_mask
        self.noise_seed_ = rng.randint(2**31)
        self.n_neurons_ = n

    # ---------------------------------------------------------------- simulation
    def _is_spikes(self, U):
        binary = bool(np.isin(U, (0.0, 1.0)).all())
        if self.input_mode == "spikes" and not binary:
            raise ValueError("input_mode='spikes' needs spike trains: input values must be 0 or 1")
        return binary if self.input_mode == "auto" else self.input_mode == "spikes"

    def _readout_steps(self, n_steps):
        if self.readout_times is None:
            return np.array([n_steps - 1])
        steps = (
            np.round(np.atleast_1d(np.asarray(self.readout_times, dtype=float)) / self.dt).astype(
                int
            )
            - 1
        )
        if steps.max() >= n_steps:
            raise ValueError(
                f"readout_times reach {np.max(self.readout_times)} ms but the input lasts "
                f"{n_steps} steps of dt={self.dt} ms = {n_steps * self.dt} ms"
            )
        return np.maximum(steps, 0)

    def _simulate(self, U, record=None):
        """Liquid states (B, n_readout_times, N) of inputs U (B, T, n_inputs) and a
        recording (B, T, N) of every step, or None: with ``record="spikes"`` the spikes
        as booleans, with ``record="synaptic_current"`` each neuron's synaptic current
        (nA, recurrent and input synapses, after the step's decay and jumps)."""
        n_samples, n_steps, _ = U.shape
        n, dt = self.n_neurons_, self.dt
        read_at = self._readout_steps(n_steps)
        spikes_in = self._is_spikes(U)
        exc_rows, inh_rows = ~self.inhibitory_, self.inhibitory_
        W_exc, W_inh = self.weights_[exc_rows], self.weights_[inh_rows]
        decay_m = np.exp(-dt / self.tau_m)
        decay_exc, decay_inh = np.exp(-dt / self.tau_syn_exc), np.exp(-dt / self.tau_syn_inh)
        decay_state = np.exp(-dt / self.state_tau)
        refractory_steps = np.where(self.inhibitory_, self.t_ref_inh, self.t_ref) / dt
        refractory_steps = np.round(refractory_steps).astype(int)
        noise_rng = np.random.default_rng(self.noise_seed_) if self.noise > 0 else None
        dynamics = _Dynamics(self.inhibitory_, n_samples, dt) if self.synapse == "dynamic" else None
        to_targets = (
            ~self.inhibitory_,
            self.inhibitory_,
        )  # column masks: excitatory, inhibitory targets
        W_exc_to = [W_exc * mask for mask in to_targets]
        W_inh_to = [W_inh * mask for mask in to_targets]

        v = np.tile(self.v_init_, (n_samples, 1))
        i_exc, i_inh = np.zeros((n_samples, n)), np.zeros((n_samples, n))
        refractory = np.zeros((n_samples, n), dtype=int)
        spikes = np.zeros((n_samples, n), dtype=bool)
        trace = np.zeros((n_samples, n))
        states = np.empty((n_samples, len(read_at), n))
        recording = None
        if record is not None:
            dtype = {"spikes": bool, "synaptic_current": float}[record]
            recording = np.zeros((n_samples, n_steps, n), dtype=dtype)
        analog_targets = self.input_targets_.astype(float)
        for t in range(n_steps):
            i_exc *= decay_exc
            i_inh *= decay_inh
            if dynamics is not None:
                to_exc, to_inh = dynamics.release(spikes)
                i_exc += to_exc[:, exc_rows] @ W_exc_to[0] + to_inh[:, exc_rows] @ W_exc_to[1]
                i_inh += to_exc[:, inh_rows] @ W_inh_to[0] + to_inh[:, inh_rows] @ W_inh_to[1]
            elif spikes.any():
                fired = spikes.astype(float)
                i_exc += fired[:, exc_rows] @ W_exc
                i_inh += fired[:, inh_rows] @ W_inh
            if spikes_in:
                i_exc += U[:, t] @ self.input_weights_
            if record == "synaptic_current":
                recording[:, t] = i_exc + i_inh
            current = self.background_ + i_exc + i_inh
            if not spikes_in:
                current = current + self.analog_scale * (U[:, t] @ analog_targets)
            if noise_rng is not None:
                current = current + self.noise * noise_rng.standard_normal((n_samples, n))
            v_inf = self.v_rest + self.resistance * current
            active = refractory == 0
            v = np.where(active, v_inf + (v - v_inf) * decay_m, v)
            spikes = active & (v >= self.v_thresh)
            v[spikes] = self.v_reset
            refractory = np.where(spikes, refractory_steps, np.maximum(refractory - 1, 0))
            trace = trace * decay_state + spikes
            read_now = np.flatnonzero(read_at == t)
            if read_now.size:
                states[:, read_now] = trace[:, None]
            if record == "spikes":
                recording[:, t] = spikes
        return states, recording

    def _run(self, U, record=None):
        # one step's matrix products set the BLAS thread count
        with self._threads(4.0 * U.shape[0] * self.n_neurons_**2):
            return self._simulate(U, record)

    def _liquid_states(self, U):
        return self._run(U)[0].reshape(U.shape[0], -1)

    # ---------------------------------------------------------------- public
    def _read(self, X, reset):
        return read_sequences(self, X, reset, rows_are_steps=False)

    def _read_labelled(self, X, y, reset, **kwargs):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        if is_3d_input(X):
            U = self._read(X, reset)
            y = np.asarray(y)
            check_consistent_length(U, y)
            return U, y
        X, y = self._validate(X, y, reset=reset, dtype=np.float64, **kwargs)
        if reset:
            self.n_step_features_ = 1
        return X[:, :, None], y

    def _fit_states(self, U, targets):
        """Build the circuit for U's input channels and fit the readout to the targets."""
        self._build_circuit(U.shape[2])
        self.readout_ = self._fit_readout(self._liquid_states(U), targets)

    def _fit_readout(self, H, T):
        """Ridge readout of regression targets T (the classifier's mixin fits class codes)."""
        return RidgeReadout(alpha=self.alpha).fit(H, T)

    def transform(self, X):
        """Liquid states: the filtered spike trains of every neuron at each readout
        time, shape (n_samples, n_readout_times * n_neurons) (time-major)."""
        check_is_fitted(self)
        return self._liquid_states(self._read(X, reset=False))

    def spike_trains(self, X):
        """The liquid's spikes under input X, boolean (n_samples, n_steps, n_neurons)."""
        check_is_fitted(self)
        return self._run(self._read(X, reset=False), record="spikes")[1]

    def _outputs(self, X):
        states = self.transform(X)
        return self.readout_.predict(states)


class _Dynamics:
    """Tsodyks-Markram state of every presynaptic neuron towards excitatory (column 0)
    and inhibitory (column 1) targets: utilisation u and available resources R."""

    def __init__(self, inhibitory, n_samples, dt):
        udf = np.array(
            [
                [DYNAMIC_UDF[p] for p in (("IE", "II") if inh else ("EE", "EI"))]
                for inh in inhibitory
            ]
        )
        self.U = udf[:, :, 0]
        self.decay_d, self.decay_f = np.exp(-dt / udf[:, :, 1]), np.exp(-dt / udf[:, :, 2])
        self.u = np.broadcast_to(self.U, (n_samples, *self.U.shape)).copy()
        self.R = np.ones_like(self.u)

    def release(self, spikes):
        """Efficacy factors u R of the spikes (zero where none), towards excitatory and
        inhibitory targets; then the spike's depression and facilitation, and one step
        of recovery."""
        fired = spikes[:, :, None]
        released = np.where(fired, self.u * self.R, 0.0)
        self.R = np.where(fired, self.R - released, self.R)
        self.u = np.where(fired, self.u + self.U * (1.0 - self.u), self.u)
        self.R = 1.0 + (self.R - 1.0) * self.decay_d
        self.u = self.U + (self.u - self.U) * self.decay_f
        return released[:, :, 0], released[:, :, 1]


_PARAMETERS_DOC = """
    Parameters (units ms, mV, nA, MOhm)
    ----------
    grid_shape : tuple of 3 ints, default=(15, 3, 3)
        Column of neurons on an integer grid (135 neurons).
    frac_inhibitory : float in [0, 1], default=0.2
    lambda_ : float > 0, default=2.0
        Connection length: probability C exp(-(D / lambda)^2), D in grid units.
    connection_c : dict or None, default=None
        C by pair type (presynaptic first) overriding {'EE': 0.3, 'EI': 0.2, 'IE': 0.4,
        'II': 0.1}.
    weight_scale : float >= 0, default=1.0
        Multiplies the mean strengths A (EE 30, EI 60, IE -19, II -19 nA); the weights
        are Gamma distributed around A (coefficient of variation 0.5).
    synapse : {'static', 'dynamic'}, default='dynamic'
        'dynamic': Tsodyks-Markram synapses, jump A u R with U, D, F by pair type
        (EE 0.5, 1100, 50; EI 0.05, 125, 1200; IE 0.25, 700, 20; II 0.32, 144, 60).
    tau_m, v_rest, v_thresh, v_reset, resistance : float, default=30, 0, 15, 13.5, 1
    t_ref, t_ref_inh : float, default=3.0, 2.0
        Refractory periods of excitatory and inhibitory neurons.
    tau_syn_exc, tau_syn_inh : float, default=3.0, 6.0
        Decay of the synaptic currents.
    background_current : float or (low, high), default=(13.5, 14.5)
        Constant current of each neuron, drawn uniformly from the range.
    noise : float >= 0, default=0.0
        Standard deviation of a Gaussian current noise drawn every step (nA); its draws
        depend on how many samples are simulated together.
    input_connectivity : float in [0, 1], default=0.3
        Probability that an input channel reaches a neuron.
    input_weight : float >= 0, default=18.0
        Input synapse strength A (nA) onto excitatory neurons (half onto inhibitory).
    input_mode : {'auto', 'spikes', 'current'}, default='auto'
        How input is delivered (module docstring); 'auto' takes 0/1 input as spikes.
    analog_scale : float, default=20.0
        nA of injected current per unit of an analog input: a standardised input moves
        the steady-state potential by about 20 mV per unit, enough for a few 1 ms steps
        to leave a trace in the liquid.
    dt : float > 0, default=1.0
        Time step (ms), the duration of one input step.
    state_tau : float > 0, default=30.0
        Time constant of the exponential filter of the liquid state.
    readout_times : sequence of float or None, default=None
        Times (ms from the input's start) at which the liquid state is read; None reads
        it after the last step. The readout sees all of them side by side.
    alpha : float >= 0, default=1.0
        Penalty of the readout weights: ridge alpha ||W||^2, logistic (alpha / 2) ||W||^2.
    random_state : int, RandomState or None, default=None
        Seed of the circuit (and noise): the same seed gives the same circuit and spikes.
    n_threads : int or None, default=None
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    weights_ : ndarray of shape (n_neurons, n_neurons)
        Recurrent weights (nA), row = presynaptic neuron; zero where unconnected.
    inhibitory_ : ndarray of bool, shape (n_neurons,)
    positions_ : ndarray of shape (n_neurons, 3)
    background_, v_init_ : ndarray of shape (n_neurons,)
    input_weights_ : ndarray of shape (n_inputs, n_neurons)
    readout_ : zoo.core.readout.RidgeReadout or LogisticReadout
    n_neurons_, n_features_in_, n_step_features_ : int
"""


class LSMClassifier(ClassifierMixin, ReadoutClassifierMixin, _LSMBase):
    __doc__ = (
        """Liquid state machine classifier (Maass, Natschlager & Markram 2002).

    A linear readout of the liquid state scores the classes: ridge regression on
    one-hot targets, or multinomial logistic regression (``readout="logistic"``, which
    adds ``predict_proba``); the prediction is the arg-max. X: spike trains or analog
    sequences, 3-D (n_samples, n_steps, n_inputs) or 2-D (n_samples, n_steps) for one
    channel.
    """
        + _PARAMETERS_DOC
        + READOUT_PARAMETER_DOC
        + _ATTRIBUTES_DOC
        + """    classes_ : ndarray of shape (n_classes,)
"""
    )

    def fit(self, X, y):
        """Draw the circuit, simulate the samples and fit the readout."""
        self._check_all_params()
        U, y = self._read_labelled(X, y, reset=True)
        self._fit_states(U, self._encode_labels(column_or_1d(y, warn=True)))
        return self

    def _readout_features(self, X):
        return self.transform(X)


class LSMRegressor(RegressorMixin, _LSMBase):
    __doc__ = (
        """Liquid state machine regressor (Maass, Natschlager & Markram 2002): a ridge
    readout of the liquid state, one target (or row of targets) per input sample.
    """
        + _PARAMETERS_DOC
        + """    readout : {'ridge'}, default='ridge'
        The regressor's readout is ridge regression ('logistic' is LSMClassifier's).
"""
        + _ATTRIBUTES_DOC
    )

    _constraints = {"readout": _check_ridge_only}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        """Draw the circuit, simulate the samples and fit the readout."""
        self._check_all_params()
        U, y = self._read_labelled(X, y, reset=True, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        self._single_output = y.ndim == 1
        self._fit_states(U, y.reshape(len(y), -1))
        return self

    def predict(self, X):
        """Readout values, shape (n_samples,) or (n_samples, n_outputs) like y."""
        check_is_fitted(self)
        output = self._outputs(X)
        return output[:, 0] if self._single_output else output


def raster_figure(estimator, data, figure, sample=0):
    """Figure hook: input spikes and the liquid's spike raster (excitatory, inhibitory)
    for one test sample."""
    X = np.asarray(data.X_test)[sample : sample + 1]
    raster = estimator.spike_trains(X)[0]
    inputs = X[0] if X.ndim == 3 else X[0][:, None]
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4]})
    steps = np.arange(inputs.shape[0]) * estimator.dt
    spike_input = np.isin(inputs, (0.0, 1.0)).all()
    for channel in range(inputs.shape[1]):
        if spike_input:
            fired = inputs[:, channel] > 0
            top.plot(steps[fired], np.full(int(fired.sum()), channel), "|k")
        else:
            top.plot(steps, inputs[:, channel], linewidth=0.8)
    top.set_ylabel("input")
    if spike_input:
        top.set_yticks(range(inputs.shape[1]))
    top.set_xlim(0, inputs.shape[0] * estimator.dt)
    for inhibitory, colour in ((False, "tab:blue"), (True, "tab:red")):
        t, neuron = np.nonzero(raster[:, estimator.inhibitory_ == inhibitory])
        index = np.flatnonzero(estimator.inhibitory_ == inhibitory)[neuron]
        bottom.plot(
            t * estimator.dt,
            index,
            "|",
            color=colour,
            markersize=3,
            label="inhibitory" if inhibitory else "excitatory",
        )
    bottom.set_xlabel("time (ms)")
    bottom.set_ylabel("neuron")
    bottom.legend(loc="upper right", fontsize=8)
    top.set_title(f"{type(estimator).__name__}: liquid response to one test sample")
