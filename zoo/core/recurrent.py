"""Recurrent layers with backpropagation through time: SimpleRNN (Elman), JordanRNN,
LSTM, GRU, and the Bidirectional wrapper of any of them.

Every layer reads sequences ``x`` of shape ``(n_samples, n_steps, n_features)`` and
follows the layer protocol of ``zoo.core.layers`` (build / forward / backward,
``params`` / ``grads``). Parameters, for ``G`` gate blocks of ``units`` each:

* ``W`` ``(n_features, G * units)`` input weights, Glorot uniform;
* ``U`` ``(units, G * units)`` recurrent weights, each ``units x units`` block
  orthogonal (Saxe et al. 2014) or, with ``recurrent_init="identity"``, the identity
  (Le, Jaitly & Hinton 2015: with ReLU units and zero biases, the IRNN);
* ``b`` ``(G * units,)`` biases.

The gates are fused: the input projection of all steps is one matmul before the
loop, and each step does one recurrent matmul ``h_{t-1} U`` (two for the GRU
without ``reset_after``, whose candidate needs ``r * h_{t-1}`` first). The loop runs
over time steps only, vectorised over the batch. Internally the layout is time-major
and feature-major: step t's pre-activations are a contiguous ``(G * units,
n_samples)`` array, so every gate block is a contiguous slice and the elementwise
work of a step runs on contiguous memory. The weight gradients are one matmul each
over all steps. The LSTM and GRU compute sigma(z) as 0.5 + 0.5 tanh(z / 2) with the
halving folded (exactly) into halved copies of the sigmoid gates' weights, so one
tanh call squashes every gate of a step.

``forward(x, training=False, mask=None, initial_state=None)``:

* ``initial_state``: a tuple of ``(n_samples, units)`` arrays, ``(h0,)`` or, for the
  LSTM, ``(h0, c0)`` (a bare array is read as ``(h0,)``); zeros by default. After the
  pass ``final_state`` holds the same tuple at the last step, and after ``backward``
  ``initial_state_grad`` the gradient with respect to the initial state.
* ``mask``: ``(n_samples, n_steps)``, 1 for real steps and 0 for padding. A masked
  step carries every state through unchanged (h_t = h_{t-1}, c_t = c_{t-1}) and
  emits zeros in the output sequence, so the last state (the output without
  ``return_sequences``) is the state after the last real step, whatever the padding
  side.
* Output: ``(n_samples, n_steps, units)`` with ``return_sequences``, else the last
  hidden state ``(n_samples, units)`` (for ``JordanRNN``, whose state is its output,
  ``n_outputs`` instead of ``units``).

Truncation (``bptt_steps = k``): the sequence is cut into chunks of ``k`` steps,
``[0, k), [k, 2k), ...``, and the state entering a chunk from the one before is
treated as a constant in the backward pass (a stop-gradient on h_{jk-1} and
c_{jk-1} for j >= 1), as when the chunks are fed one after the other with the
state detached between them. Within a chunk the gradient is exact; the gradient
with respect to the initial state flows only through the first chunk. ``k >= n_steps``
is full BPTT (Werbos 1990).

``Masking(mask_value)`` placed before the recurrent layers of a ``Sequential`` finds the
padded steps of its input (every feature equal to ``mask_value``) and the container hands
that mask to every layer after it that takes one (``takes_mask``).

``Bidirectional(layer)`` (Schuster & Paliwal 1997) runs the layer and an independently
initialised copy of it that reads every sequence backwards, and concatenates their
outputs, [forward, backward], on the feature axis (see its docstring).
"""

import copy

import numpy as np

from .activations import get_activation
from .initializers import get_initializer, identity, orthogonal, zeros
from .layers import Layer


def _sigmoid_from_half_tanh(t):
    """sigma(z) = 0.5 + 0.5 tanh(z / 2), in place on t = tanh(z / 2): exact,
    overflow-free, and in float32 several times faster than scipy's expit."""
    t *= 0.5
    t += 0.5
    return t


def _feature_rows(A, out=None):
    """A ``(n_steps, k, n)`` array as ``(k, n_steps * n)``: column t * n + j holds step t
    of sample j, so that one matmul sums over all steps and samples."""
    n_steps, k, n = A.shape
    rows = np.empty((k, n_steps * n), dtype=A.dtype) if out is None else out
    np.copyto(rows.reshape(k, n_steps, n), A.transpose(1, 0, 2))
    return rows


class Recurrent(Layer):
    """Shared machinery of the recurrent layers: shapes, states, masks, truncation,
    the fused input projection and the parameter gradients it feeds.

    Inside ``_run`` / ``_run_backward`` a step's arrays are feature-major, ``(width,
    n_samples)``; sequences are ``(n_steps, width, n_samples)``."""

    n_gates = 1
    n_states = 1
    takes_mask = True

    def __init__(self, units, return_sequences=False, bptt_steps=None, init="glorot_uniform",
                 recurrent_init="orthogonal"):
        super().__init__()
        if bptt_steps is not None and bptt_steps < 1:
            raise ValueError(f"bptt_steps must be None or >= 1, got {bptt_steps}")
        self.units, self.return_sequences, self.bptt_steps = units, return_sequences, bptt_steps
        self.init, self.recurrent_init = init, recurrent_init

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        n_steps, n_in = input_shape
        width = self.n_gates * self.units
        self._add_param("W", get_initializer(self.init)((n_in, width), rng, dtype))
        self._add_param("U", self._recurrent_weights(rng, dtype))
        self._add_param("b", self._initial_bias(dtype))
        self._build_extra(rng, dtype)
        size = self.state_size
        return (n_steps, size) if self.return_sequences else (size,)

    @property
    def state_size(self):
        """Width of the state fed back and of the output: ``units``."""
        return self.units

    def _recurrent_weights(self, rng, dtype):
        make = get_initializer(self.recurrent_init)
        if make in (orthogonal, identity):  # one square block per gate
            blocks = [make((self.units, self.units), rng, dtype) for _ in range(self.n_gates)]
            return np.concatenate(blocks, axis=1)
        return make((self.units, self.n_gates * self.units), rng, dtype)

    def _initial_bias(self, dtype):
        return zeros((self.n_gates * self.units,), dtype=dtype)

    def _build_extra(self, rng, dtype):
        """Cell-specific parameters (peepholes, the reset-after bias, Jordan's output)."""

    def _gate_scale(self):
        """Column factors folded into W, U and b for the forward pass (None: none)."""
        return None

    def _buffer(self, name, shape, dtype):
        """Scratch array ``name`` kept from one pass to the next: fresh arrays of this
        size cost page faults on every call. Never handed out of the layer."""
        buffers = self.__dict__.setdefault("_buffers", {})
        array = buffers.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = buffers[name] = np.empty(shape, dtype=dtype)
        return array

    def _rows(self, name, A):
        """``_feature_rows(A)`` in the scratch array ``name``."""
        n_steps, k, n = A.shape
        return _feature_rows(A, self._buffer(name, (k, n_steps * n), A.dtype))

    def _forward_weights(self, name, dtype):
        """Parameter ``name`` with the gate scale folded in, for the forward pass."""
        scale = self._gate_scale()
        param = self.params[name]
        if scale is None:
            return param.astype(dtype, copy=False)
        return (param * scale).astype(dtype, copy=False)

    @property
    def final_state(self):
        """The state after the last step of the latest forward pass, a tuple of arrays."""
        return self._final_state

    @property
    def initial_state_grad(self):
        """Gradient with respect to the initial state, from the latest backward pass."""
        return self._initial_grad

    def forward(self, x, training=False, mask=None, initial_state=None):
        n, n_steps, n_in = x.shape
        dtype = np.result_type(x.dtype, self.params["W"].dtype)
        # feature-major steps (n_steps, n_in + 1, n), the last row ones to carry the bias
        self._x = self._buffer("x", (n_steps, n_in + 1, n), dtype)
        self._x[:, :n_in] = x.transpose(1, 2, 0)
        self._x[:, n_in] = 1
        weights = [self._forward_weights("W", dtype), self._forward_weights("b", dtype)[None]]
        Z = self._buffer("Z", (n_steps, weights[0].shape[1], n), dtype)
        np.matmul(np.concatenate(weights).T.copy(), self._x, out=Z)  # (n_steps, G * units, n)
        self._mask = None if mask is None else self._time_major_mask(mask, n, n_steps, dtype)
        self._shape = (n, n_steps, n_in)
        H = self._run(Z, self._states(initial_state, n, dtype))
        self._final_state = tuple(state[-1].T for state in self._state_sequences())
        if not self.return_sequences:
            return H[-1].T
        out = H[1:] if self._mask is None else H[1:] * self._mask
        return out.transpose(2, 0, 1)

    def backward(self, dy):
        n, n_steps, n_in = self._shape
        dH = self._buffer("dH", (n_steps, self.state_size, n), dy.dtype)
        if self.return_sequences:
            dH[...] = dy.transpose(1, 2, 0)
            if self._mask is not None:
                dH *= self._mask
        else:
            dH.fill(0)
            dH[-1] = dy.T
        dZ = self._run_backward(dH)  # (n_steps, G * units, n)
        dZ_rows = self._rows("dZ_rows", dZ)
        self._weight_grads(dZ_rows)
        # one matmul for W and b: the ones row of the input gives the bias gradient
        input_grads = dZ_rows @ self._rows("x_rows", self._x).T
        self.grads["W"][...] = input_grads[:, :-1].T
        self.grads["b"][...] = input_grads[:, -1]
        return np.matmul(self.params["W"], dZ).transpose(2, 0, 1)

    def _state_sequences(self):
        """The state arrays ``(n_steps + 1, size, n)`` of the latest forward pass."""
        return (self._H,)

    def _states(self, initial_state, n, dtype):
        """The initial state, feature-major: a tuple of ``(state_size, n)`` arrays."""
        if initial_state is None:
            size = self.state_size
            return tuple(np.zeros((size, n), dtype=dtype) for _ in range(self.n_states))
        if isinstance(initial_state, np.ndarray):
            initial_state = (initial_state,)
        if len(initial_state) != self.n_states:
            raise ValueError(
                f"{type(self).__name__} takes {self.n_states} initial state array(s), "
                f"got {len(initial_state)}"
            )
        for state in initial_state:
            if np.shape(state) != (n, self.state_size):
                raise ValueError(
                    f"initial state must have shape {(n, self.state_size)}, got {np.shape(state)}"
                )
        return tuple(np.asarray(state, dtype=dtype).T for state in initial_state)

    @staticmethod
    def _time_major_mask(mask, n, n_steps, dtype):
        mask = np.asarray(mask)
        if mask.shape != (n, n_steps):
            raise ValueError(f"mask must have shape {(n, n_steps)}, got {mask.shape}")
        return np.ascontiguousarray(mask.T, dtype=dtype)[:, None, :]

    def _cut(self, t):
        """Whether the gradient stops between steps t - 1 and t (truncated BPTT)."""
        return self.bptt_steps is not None and t > 0 and t % self.bptt_steps == 0

    def _carry(self, new, old, t):
        """The state after step t: the new one, or the old one at a masked step."""
        if self._mask is None:
            return new
        return old + self._mask[t] * (new - old)

    def _split_by_mask(self, grad, t):
        """(part reaching the cell, part carried to the previous state) of a state gradient."""
        if self._mask is None:
            return grad, None
        through = grad * self._mask[t]
        return through, grad - through

    def _weight_grads(self, dZ):
        """Gradients of U (and cell-specific parameters) from the pre-activation
        gradients ``dZ`` ``(G * units, n_steps * n)``: dU = sum_t h_{t-1}^T dz_t, one matmul."""
        np.matmul(self._rows("H_rows", self._H[:-1]), dZ.T, out=self.grads["U"])


class SimpleRNN(Recurrent):
    """Elman (1990) network layer: h_t = f(x_t W + h_{t-1} U + b), f = tanh or ReLU.

    Parameters: ``units``, ``activation`` ("tanh" or "relu"), ``return_sequences``,
    ``bptt_steps``, ``init``, ``recurrent_init`` (see the module docstring).
    """

    def __init__(self, units, activation="tanh", **options):
        super().__init__(units, **options)
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation

    def _run(self, Z, states):
        n_steps, _, n = Z.shape
        f = get_activation(self.activation)
        U_T = np.ascontiguousarray(self.params["U"].T, dtype=Z.dtype)
        H = np.empty((n_steps + 1, self.units, n), dtype=Z.dtype)
        H[0] = states[0]
        self._A, self._F = Z, np.empty_like(Z)  # pre-activations, cell outputs
        for t in range(n_steps):
            Z[t] += U_T @ H[t]
            self._F[t] = f.forward(Z[t])
            H[t + 1] = self._carry(self._F[t], H[t], t)
        self._H = H
        return H

    def _run_backward(self, dH):
        f = get_activation(self.activation)
        U = self.params["U"]
        dZ = np.empty_like(dH)
        dh_next = np.zeros_like(dH[0])
        for t in reversed(range(dH.shape[0])):
            dh, carried = self._split_by_mask(dh_next + dH[t], t)
            dZ[t] = f.backward(self._A[t], self._F[t], dh)
            dh_prev = U @ dZ[t]
            if carried is not None:
                dh_prev += carried
            dh_next = np.zeros_like(dh_prev) if self._cut(t) else dh_prev
        self._initial_grad = (dh_prev.T,)
        return dZ


class JordanRNN(Recurrent):
    """Jordan (1986) network layer: the output, not the hidden state, is fed back,

        h_t = f(x_t W + y_{t-1} U + b),   y_t = h_t V + c,

    with f = tanh or ReLU and a linear output of ``n_outputs`` units (the layer is its
    own output layer). Parameters W, U ``(n_outputs, units)``, b, V ``(units,
    n_outputs)``, c; all weights Glorot uniform. The state is (y,); a masked step
    carries y and emits zeros.
    Jordan's state units also decayed onto themselves (s_t = mu s_{t-1} + y_{t-1});
    here mu = 0, the output of the last step alone.
    """

    def __init__(self, units, n_outputs, activation="tanh", **options):
        super().__init__(units, **options)
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.n_outputs, self.activation = n_outputs, activation

    @property
    def state_size(self):
        return self.n_outputs

    def _recurrent_weights(self, rng, dtype):
        return get_initializer(self.init)((self.n_outputs, self.units), rng, dtype)

    def _build_extra(self, rng, dtype):
        self._add_param("V", get_initializer(self.init)((self.units, self.n_outputs), rng, dtype))
        self._add_param("c", zeros((self.n_outputs,), dtype=dtype))

    def _run(self, Z, states):
        n_steps, _, n = Z.shape
        f = get_activation(self.activation)
        U_T, V_T = self.params["U"].T, self.params["V"].T
        c = self.params["c"][:, None]
        Y = np.empty((n_steps + 1, self.n_outputs, n), dtype=Z.dtype)
        Y[0] = states[0]
        self._A, self._F = Z, np.empty_like(Z)  # pre-activations, hidden units
        for t in range(n_steps):
            Z[t] += U_T @ Y[t]
            self._F[t] = f.forward(Z[t])
            Y[t + 1] = self._carry(V_T @ self._F[t] + c, Y[t], t)
        self._H = Y
        return Y

    def _run_backward(self, dH):
        f = get_activation(self.activation)
        U, V = self.params["U"], self.params["V"]
        dZ = np.empty_like(self._A)
        dY = np.empty_like(dH)  # gradient reaching each step's output y_t
        dy_next = np.zeros_like(dH[0])
        for t in reversed(range(dH.shape[0])):
            dY[t], carried = self._split_by_mask(dy_next + dH[t], t)
            dZ[t] = f.backward(self._A[t], self._F[t], V @ dY[t])
            dy_prev = U @ dZ[t]
            if carried is not None:
                dy_prev += carried
            dy_next = np.zeros_like(dy_prev) if self._cut(t) else dy_prev
        self._initial_grad = (dy_prev.T,)
        self._dY = dY
        return dZ

    def _weight_grads(self, dZ):
        super()._weight_grads(dZ)
        dY = _feature_rows(self._dY)
        np.matmul(_feature_rows(self._F), dY.T, out=self.grads["V"])
        np.sum(dY, axis=1, out=self.grads["c"])


class LSTM(Recurrent):
    """Long short-term memory layer (Hochreiter & Schmidhuber 1997; forget gate: Gers,
    Schmidhuber & Cummins 2000; peepholes: Gers & Schmidhuber 2000).

    Gate blocks in ``W``, ``U``, ``b``: i, f, o, g (i, o, g without the forget gate)::

        i = sigma(z_i + p_i * c_{t-1}),  f = sigma(z_f + p_f * c_{t-1}),  g = tanh(z_g)
        c_t = f * c_{t-1} + i * g        (c_t = c_{t-1} + i * g without the forget gate)
        o = sigma(z_o + p_o * c_t),      h_t = o * tanh(c_t)

    with z = x_t W + h_{t-1} U + b; the peephole terms only with ``peepholes=True``
    (parameter ``P``, the diagonal peephole weights p_i, p_f, p_o stacked; p_f is absent
    without the forget gate). The forget-gate bias starts at ``forget_bias``
    (Jozefowicz et al. 2015: 1). State: (h, c).
    """

    n_states = 2

    def __init__(self, units, forget_gate=True, forget_bias=1.0, peepholes=False, **options):
        super().__init__(units, **options)
        self.forget_gate, self.forget_bias, self.peepholes = forget_gate, forget_bias, peepholes
        self.n_gates = 4 if forget_gate else 3

    def _blocks(self):
        """Row slices of the gates i, f (None without a forget gate), o, g."""
        u = self.units
        names = ("i", "f", "o", "g") if self.forget_gate else ("i", "o", "g")
        blocks = {name: slice(k * u, (k + 1) * u) for k, name in enumerate(names)}
        return blocks["i"], blocks.get("f"), blocks["o"], blocks["g"]

    def _initial_bias(self, dtype):
        b = zeros((self.n_gates * self.units,), dtype=dtype)
        if self.forget_gate:
            b[self._blocks()[1]] = self.forget_bias
        return b

    def _build_extra(self, rng, dtype):
        if self.peepholes:
            self._add_param("P", zeros(((self.n_gates - 1) * self.units,), dtype=dtype))

    def _gate_scale(self):
        scale = np.full(self.n_gates * self.units, 0.5, dtype=self.params["W"].dtype)
        scale[self._blocks()[3]] = 1.0  # g is a tanh; i, f, o are sigmoids
        return scale

    def _peepholes(self, P):
        """Peephole columns (units, 1) of the gates i, f (None without it), o from P."""
        u = self.units
        columns = [P[k * u : (k + 1) * u, None] for k in range(self.n_gates - 1)]
        return (columns[0], columns[1], columns[2]) if self.forget_gate else (
            columns[0], None, columns[1])

    def _state_sequences(self):
        return self._H, self._C

    def _run(self, Z, states):
        n_steps, _, n = Z.shape
        i_, f_, o_, g_ = self._blocks()
        sigmoids = slice(0, g_.start)
        # Z arrives with the sigmoid gates' pre-activations halved: z / 2 for tanh(z / 2)
        U_T = np.ascontiguousarray(self._forward_weights("U", Z.dtype).T)
        if self.peepholes:
            p_i, p_f, p_o = self._peepholes(0.5 * self.params["P"].astype(Z.dtype))
        H = np.empty((n_steps + 1, self.units, n), dtype=Z.dtype)
        C = np.empty_like(H)
        H[0], C[0] = states
        tanh_c = self._buffer("tanh_c", (n_steps, self.units, n), Z.dtype)
        recurrent = self._buffer("recurrent", Z[0].shape, Z.dtype)
        input_times_g = self._buffer("input_times_g", H[0].shape, Z.dtype)
        for t in range(n_steps):
            z = Z[t]
            np.matmul(U_T, H[t], out=recurrent)
            z += recurrent
            if self.peepholes:  # o's peephole needs c_t: i, f, g squashed first
                z[i_] += p_i * C[t]
                if self.forget_gate:
                    z[f_] += p_f * C[t]
                np.tanh(z[: o_.start], out=z[: o_.start])
                _sigmoid_from_half_tanh(z[: o_.start])
                np.tanh(z[g_], out=z[g_])
            else:
                np.tanh(z, out=z)
                _sigmoid_from_half_tanh(z[sigmoids])
            c = C[t + 1]
            if self.forget_gate:
                np.multiply(z[f_], C[t], out=c)
            else:
                c[...] = C[t]
            np.multiply(z[i_], z[g_], out=input_times_g)
            c += input_times_g
            if self.peepholes:
                z[o_] += p_o * c
                np.tanh(z[o_], out=z[o_])
                _sigmoid_from_half_tanh(z[o_])
            np.tanh(c, out=tanh_c[t])
            np.multiply(z[o_], tanh_c[t], out=H[t + 1])
            if self._mask is not None:
                C[t + 1] = self._carry(c, C[t], t)
                H[t + 1] = self._carry(H[t + 1], H[t], t)
        self._gates, self._H, self._C, self._tanh_c = Z, H, C, tanh_c
        return H

    def _run_backward(self, dH):
        i_, f_, o_, g_ = self._blocks()
        gates, U = self._gates, self.params["U"]
        if self.peepholes:
            p_i, p_f, p_o = self._peepholes(self.params["P"])
        factor, dc_dh = self._gate_factors()
        dZ = self._buffer("dZ", gates.shape, gates.dtype)
        dh_next = np.zeros_like(dH[0])
        dc_next = np.zeros_like(dh_next)
        dh_sum, dc = np.empty_like(dh_next), np.empty_like(dh_next)
        for t in reversed(range(dH.shape[0])):
            np.add(dh_next, dH[t], out=dh_sum)
            dh, carried_h = self._split_by_mask(dh_sum, t)
            dc_in, carried_c = self._split_by_mask(dc_next, t)
            dz, gate = dZ[t], gates[t]
            np.multiply(dh, factor[t][o_], out=dz[o_])
            np.multiply(dh, dc_dh[t], out=dc)
            dc += dc_in
            if self.peepholes:
                dc += dz[o_] * p_o
            np.multiply(dc, factor[t][i_], out=dz[i_])
            np.multiply(dc, factor[t][g_], out=dz[g_])
            # dc_in is read: dc_next may now take d c_{t-1}
            if self.forget_gate:
                np.multiply(dc, factor[t][f_], out=dz[f_])
                np.multiply(dc, gate[f_], out=dc_next)
            else:
                dc_next[...] = dc
            if self.peepholes:
                dc_next += dz[i_] * p_i
                if self.forget_gate:
                    dc_next += dz[f_] * p_f
            np.matmul(U, dz, out=dh_next)
            if carried_h is not None:
                dh_next += carried_h
                dc_next += carried_c
            if self._cut(t):
                dh_next.fill(0)
                dc_next.fill(0)
        self._initial_grad = (dh_next.T, dc_next.T)
        return dZ

    def _gate_factors(self):
        """For every step at once, what d z_gate is of the gradient reaching the gate's
        product: dz_i = dc g sigma'(i), dz_f = dc c_{t-1} sigma'(f), dz_g = dc i tanh'(g),
        dz_o = dh tanh(c_t) sigma'(o), with sigma' = s (1 - s) and tanh' = 1 - g^2; and
        d c_t of d h_t through tanh(c_t), o (1 - tanh(c_t)^2)."""
        i_, f_, o_, g_ = self._blocks()
        gates, tanh_c = self._gates, self._tanh_c
        factor = self._buffer("factor", gates.shape, gates.dtype)
        np.subtract(1, gates, out=factor)
        factor *= gates
        np.multiply(gates[:, g_], gates[:, g_], out=factor[:, g_])
        np.subtract(1, factor[:, g_], out=factor[:, g_])
        factor[:, i_] *= gates[:, g_]
        if self.forget_gate:
            factor[:, f_] *= self._C[:-1]
        factor[:, o_] *= tanh_c
        factor[:, g_] *= gates[:, i_]
        dc_dh = self._buffer("dc_dh", tanh_c.shape, tanh_c.dtype)
        np.multiply(tanh_c, tanh_c, out=dc_dh)
        np.subtract(1, dc_dh, out=dc_dh)
        dc_dh *= gates[:, o_]
        return factor, dc_dh

    def _weight_grads(self, dZ):
        super()._weight_grads(dZ)
        if not self.peepholes:
            return
        i_, f_, o_, _ = self._blocks()
        n_steps = self._C.shape[0] - 1
        dZ = dZ.reshape(-1, n_steps, self._C.shape[2])  # (G * units, n_steps, n)
        C = self._C.transpose(1, 0, 2)
        parts = [np.sum(dZ[i_] * C[:, :-1], axis=(1, 2))]
        if self.forget_gate:
            parts.append(np.sum(dZ[f_] * C[:, :-1], axis=(1, 2)))
        # where a step is masked its dz is zero, so C[t + 1] may stand for the cell's c_t
        parts.append(np.sum(dZ[o_] * C[:, 1:], axis=(1, 2)))
        self.grads["P"][...] = np.concatenate(parts)


class GRU(Recurrent):
    """Gated recurrent unit layer (Cho et al. 2014), in Cho's convention: the update
    gate z keeps the old state,

        z = sigma(z_z),  r = sigma(z_r),  h_t = z * h_{t-1} + (1 - z) * n,

    (libraries such as PyTorch and Keras write the same; some texts swap z and 1 - z).
    Gate blocks in ``W``, ``U``, ``b``: z, r, n, with z_* = x_t W_* + h_{t-1} U_* + b_*
    for z and r, and the candidate

        n = tanh(x_t W_n + (r * h_{t-1}) U_n + b_n)                  (reset_after=False)
        n = tanh(x_t W_n + b_n + r * (h_{t-1} U_n + b_hn))           (reset_after=True)

    Reset-before is Cho's form; reset-after (the form of cuDNN and of Keras'
    ``reset_after=True``) needs one recurrent matmul per step and an extra bias ``b_hn``
    of ``units``, reset-before two.
    """

    n_gates = 3

    def __init__(self, units, reset_after=False, **options):
        super().__init__(units, **options)
        self.reset_after = reset_after

    def _build_extra(self, rng, dtype):
        if self.reset_after:
            self._add_param("b_hn", zeros((self.units,), dtype=dtype))

    def _gate_scale(self):
        scale = np.full(3 * self.units, 0.5, dtype=self.params["W"].dtype)
        scale[2 * self.units :] = 1.0  # n is a tanh; z, r are sigmoids
        return scale

    def _run(self, Z, states):
        n_steps, _, n = Z.shape
        u = self.units
        zr, reset, cand = slice(0, 2 * u), slice(u, 2 * u), slice(2 * u, 3 * u)
        # Z and U come with the sigmoid gates' columns halved: z / 2 for tanh(z / 2)
        U_T = np.ascontiguousarray(self._forward_weights("U", Z.dtype).T)
        H = np.empty((n_steps + 1, u, n), dtype=Z.dtype)
        H[0] = states[0]
        # reset-after: h U_n + b_hn; reset-before: r * h_{t-1}
        self._aux = np.empty((n_steps, u, n), dtype=Z.dtype)
        recurrent = np.empty_like(Z[0])
        if self.reset_after:
            b_hn = self.params["b_hn"].astype(Z.dtype)[:, None]
        for t in range(n_steps):
            z, h, aux = Z[t], H[t], self._aux[t]
            if self.reset_after:
                np.matmul(U_T, h, out=recurrent)
                z[zr] += recurrent[zr]
                np.tanh(z[zr], out=z[zr])
                _sigmoid_from_half_tanh(z[zr])
                np.add(recurrent[cand], b_hn, out=aux)
                np.multiply(z[reset], aux, out=recurrent[cand])
                z[cand] += recurrent[cand]
            else:
                np.matmul(U_T[zr], h, out=recurrent[zr])
                z[zr] += recurrent[zr]
                np.tanh(z[zr], out=z[zr])
                _sigmoid_from_half_tanh(z[zr])
                np.multiply(z[reset], h, out=aux)
                np.matmul(U_T[cand], aux, out=recurrent[cand])
                z[cand] += recurrent[cand]
            np.tanh(z[cand], out=z[cand])
            new = H[t + 1]
            np.subtract(h, z[cand], out=new)
            new *= z[:u]
            new += z[cand]
            if self._mask is not None:
                H[t + 1] = self._carry(new, h, t)
        self._gates, self._H = Z, H
        return H

    def _run_backward(self, dH):
        u = self.units
        zr, cand, reset = slice(0, 2 * u), slice(2 * u, 3 * u), slice(u, 2 * u)
        gates, H, aux, U = self._gates, self._H, self._aux, self.params["U"]
        # the activations' slopes at every step at once: sigma' = s (1 - s), tanh' = 1 - n^2
        slope = gates * (1 - gates)
        np.multiply(gates[:, cand], gates[:, cand], out=slope[:, cand])
        np.subtract(1, slope[:, cand], out=slope[:, cand])
        dZ = np.empty_like(gates)
        # gradient of the recurrent pre-activations h U (reset-after) / of (r * h) U_n
        dRec = np.empty_like(gates) if self.reset_after else np.empty_like(dH)
        dh_next = np.zeros_like(dH[0])
        dh_sum, kept = np.empty_like(dh_next), np.empty_like(dh_next)
        for t in reversed(range(dH.shape[0])):
            np.add(dh_next, dH[t], out=dh_sum)
            dh, carried = self._split_by_mask(dh_sum, t)
            update, r, new = gates[t][:u], gates[t][reset], gates[t][cand]
            dz = dZ[t]
            np.subtract(H[t], new, out=dz[:u])
            dz[:u] *= dh
            np.subtract(1, update, out=dz[cand])
            dz[cand] *= dh
            dz[cand] *= slope[t][cand]
            if self.reset_after:
                np.multiply(dz[cand], aux[t], out=dz[reset])
                dz[zr] *= slope[t][zr]
                dRec[t][zr] = dz[zr]
                np.multiply(dz[cand], r, out=dRec[t][cand])
                np.matmul(U, dRec[t], out=dh_next)
            else:
                np.matmul(U[:, cand], dz[cand], out=dRec[t])  # d(r * h_{t-1})
                np.multiply(dRec[t], H[t], out=dz[reset])
                dz[zr] *= slope[t][zr]
                dRec[t] *= r
                np.matmul(U[:, zr], dz[zr], out=dh_next)
                dh_next += dRec[t]
            np.multiply(dh, update, out=kept)
            dh_next += kept
            if carried is not None:
                dh_next += carried
            if self._cut(t):
                dh_next.fill(0)
        self._initial_grad = (dh_next.T,)
        self._dRec = dRec
        return dZ

    def _weight_grads(self, dZ):
        u = self.units
        H_prev = _feature_rows(self._H[:-1])
        if self.reset_after:
            dRec = _feature_rows(self._dRec)
            np.matmul(H_prev, dRec.T, out=self.grads["U"])
            np.sum(dRec[2 * u :], axis=1, out=self.grads["b_hn"])
            return
        # dRec holds r * d(r h) here; the U_n gradient needs d(pre-activation of n)
        dU = self.grads["U"]
        np.matmul(H_prev, dZ[: 2 * u].T, out=dU[:, : 2 * u])
        np.matmul(_feature_rows(self._aux), dZ[2 * u :].T, out=dU[:, 2 * u :])


def padding_mask(x, mask_value):
    """(n_samples, n_steps) mask of sequences ``x`` (n_samples, n_steps, n_features): 0
    where every feature of a step equals ``mask_value`` (padding), 1 elsewhere."""
    return np.any(x != x.dtype.type(mask_value), axis=2).astype(x.dtype)


class Masking(Layer):
    """Marks the padded steps of its input, those whose every feature equals
    ``mask_value``, and passes the input on unchanged; ``Sequential`` gives the mask
    (``output_mask``) to the layers after it that take one."""

    def __init__(self, mask_value=0.0):
        super().__init__()
        self.mask_value = mask_value

    @property
    def output_mask(self):
        return self._mask

    def forward(self, x, training=False):
        self._mask = padding_mask(x, self.mask_value)
        return x

    def backward(self, dy):
        return dy


def _reversed_real_steps(mask):
    """Per row of ``mask`` ``(n_samples, n_steps)``, the step that each step reads when
    the real steps (mask != 0) are taken in reverse order and the padded steps stay in
    place. The permutation is its own inverse."""
    real = np.asarray(mask) != 0
    order = np.argsort(~real, axis=1, kind="stable")  # the real steps first, in time order
    rank = np.arange(real.shape[1])
    n_real = real.sum(axis=1, keepdims=True)
    partner = np.where(rank < n_real, n_real - 1 - rank, rank)  # padded steps: themselves
    reversal = np.empty_like(order)
    np.put_along_axis(reversal, order, np.take_along_axis(order, partner, axis=1), axis=1)
    return reversal


class Bidirectional(Layer):
    """Bidirectional recurrent layer (Schuster & Paliwal 1997): ``forward_layer`` is the
    wrapped (unbuilt) layer, ``backward_layer`` a copy of it with the same options, built
    separately (its own random weights), that reads every sequence in reverse.

    Output: the two layers' outputs concatenated on the feature axis, forward first.
    With ``return_sequences`` (the wrapped layer's), step t holds the forward state after
    x_0 .. x_t and the backward state after x_{T-1} .. x_t (the backward sequence turned
    back into time order): ``(n_samples, n_steps, 2 * state_size)``. Without it, the
    forward layer's last state and the backward layer's last state, the one after x_0.

    ``mask``: the backward layer reads each row's real steps (mask != 0) in reverse order
    while the padded steps stay in place, so it starts at the row's last real step and
    ends at its first whatever the padding (right, left or gaps); it skips the padded
    steps as the forward layer does. Truncated BPTT (``bptt_steps``) cuts the backward
    layer's reversed sequence into chunks in its own reading order.

    ``initial_state``: None (zeros) or a pair (the forward layer's, the backward
    layer's), each what the wrapped layer takes or None. ``final_state`` and
    ``initial_state_grad`` are such pairs too.

    ``params`` / ``grads``: the two layers' dicts merged, their keys prefixed ``fw_`` and
    ``bw_``; the arrays are the layers' own.
    """

    takes_mask = True

    def __init__(self, layer):
        # no Layer.__init__: params and grads are read from the two layers
        if not isinstance(layer, Recurrent) or layer.params:
            raise ValueError(f"Bidirectional wraps an unbuilt recurrent layer, got {layer!r}")
        self.forward_layer, self.backward_layer = layer, copy.deepcopy(layer)

    @property
    def return_sequences(self):
        return self.forward_layer.return_sequences

    @property
    def params(self):
        return self._merged("params")

    @property
    def grads(self):
        return self._merged("grads")

    def _merged(self, name):
        layers = {"fw_": self.forward_layer, "bw_": self.backward_layer}
        return {prefix + key: array for prefix, layer in layers.items()
                for key, array in getattr(layer, name).items()}

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        shape = self.forward_layer.build(input_shape, rng, dtype)
        self.backward_layer.build(input_shape, rng, dtype)
        return (*shape[:-1], 2 * shape[-1])

    @property
    def final_state(self):
        """(forward layer's final state, backward layer's), of the latest forward pass."""
        return self.forward_layer.final_state, self.backward_layer.final_state

    @property
    def initial_state_grad(self):
        """(forward layer's initial-state gradient, backward layer's)."""
        return self.forward_layer.initial_state_grad, self.backward_layer.initial_state_grad

    def forward(self, x, training=False, mask=None, initial_state=None):
        if initial_state is not None and len(initial_state) != 2:
            raise ValueError(
                "Bidirectional takes initial_state None or a pair (forward layer's state, "
                f"backward layer's state); got {len(initial_state)} items"
            )
        states = (None, None) if initial_state is None else initial_state
        ahead = self.forward_layer.forward(x, training, mask=mask, initial_state=states[0])
        self._reversal = None if mask is None else _reversed_real_steps(mask)  # mask checked
        back = self.backward_layer.forward(
            self._reverse(x), training, mask=mask, initial_state=states[1])
        if self.return_sequences:
            back = self._reverse(back)
        return np.concatenate([ahead, back], axis=-1)

    def backward(self, dy):
        size = dy.shape[-1] // 2
        d_back = self._reverse(dy[..., size:]) if self.return_sequences else dy[..., size:]
        dx = self.forward_layer.backward(dy[..., :size])
        dx += self._reverse(self.backward_layer.backward(d_back))
        return dx

    def _reverse(self, sequences):
        """``(n_samples, n_steps, ...)`` arrays in the backward layer's reading order, or
        back in time order (the same permutation)."""
        if self._reversal is None:
            return sequences[:, ::-1]
        return sequences[np.arange(len(sequences))[:, None], self._reversal]
