"""Neural Turing machine (NTM): a recurrent controller that reads and writes an
external memory through differentiable attention, trained by backpropagation
through time.

Graves, Wayne & Danihelka (2014), "Neural Turing machines": at every step a
controller (an LSTM or a feed-forward layer) reads the input and the previous read
vectors and emits, for each head, a key k, a key strength beta >= 0, an
interpolation gate g in (0, 1), a shift weighting s over the offsets -r .. r and a
sharpening exponent gamma >= 1; a write head also emits an erase vector e in (0, 1)^M
and an add vector a. Each head addresses the N x M memory in four stages,

    content        w^c_i = softmax_i(beta cos(k, M_i))
    interpolation  w^g = g w^c + (1 - g) w_{t-1}
    shift          w~_i = sum_j w^g_j s_{(i - j) mod N}
    sharpening     w_i = w~_i^gamma / sum_j w~_j^gamma,

a read head returns r = sum_i w_i M_i, and a write head changes every row,
M_i <- M_i * (1 - w_i e) + w_i a (several write heads: all erases, then all adds).
Collier & Beel (2018), "Implementing neural Turing machines", made training
reliable with a memory initialised to a small constant (1e-6 here); a fixed random
or a learned initial memory are the options they compared it with.

The functions ``content_weights``, ``interpolate``, ``shift``, ``sharpen``,
``read`` and ``write`` are the stages above, batched: the batch is the last axis of
every array (``memory`` ``(N, M, n)``, keys ``(H, M, n)``, weightings ``(H, N, n)``,
per-head scalars ``(H, n)``), the layout the layer uses inside.
"""

import functools

import numpy as np
from scipy.special import expit

from zoo.base import Interval, Options, check_is_fitted
from zoo.core.initializers import glorot_uniform, orthogonal
from zoo.core.losses import binary_cross_entropy, mse
from zoo.core.recurrent import Recurrent
from zoo.sequence import PARAMETERS_DOC, SequenceEstimator, SequenceRegressor, _per_step

# the constant of the default memory initialisation (Collier & Beel 2018)
MEMORY_CONSTANT = 1e-6
# keeps the norms in the cosine similarity smooth and away from zero
NORM_EPS = 1e-8


# ---------------------------------------------------------------- addressing


def _cosine(keys, memory):
    """cos(k_h, M_i) ``(H, N, n)`` with the key norms ``(H, 1, n)`` and the row norms
    ``(1, N, n)``, each norm sqrt(||v||^2 + NORM_EPS)."""
    dot = np.einsum("hmb,nmb->hnb", keys, memory)
    key_norms = np.sqrt(np.einsum("hmb,hmb->hb", keys, keys) + NORM_EPS)[:, None]
    row_norms = np.sqrt(np.einsum("nmb,nmb->nb", memory, memory) + NORM_EPS)[None]
    return dot / (key_norms * row_norms), key_norms, row_norms


def _softmax_slots(logits):
    """Softmax over the slot axis (1) of ``(H, N, n)`` logits."""
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights


def content_weights(memory, keys, strengths):
    """w^c_i = softmax_i(beta cos(k, M_i)): memory ``(N, M, n)``, keys ``(H, M, n)``,
    strengths beta ``(H, n)``; returns ``(H, N, n)``."""
    return _softmax_slots(strengths[:, None] * _cosine(keys, memory)[0])


def interpolate(content, previous, gates):
    """w^g = g w^c + (1 - g) w_{t-1}, gates ``(H, n)``."""
    gates = gates[:, None]
    return gates * content + (1 - gates) * previous


@functools.lru_cache(maxsize=32)
def _shift_index(n_slots, n_shifts, sign):
    """index[d, i] = (i - sign * o_d) mod N for the offsets o = -r .. r (2r + 1 = n_shifts)."""
    offsets = np.arange(n_shifts) - n_shifts // 2
    index = (np.arange(n_slots)[None, :] - sign * offsets[:, None]) % n_slots
    index.flags.writeable = False
    return index


def shift(weights, shift_weights):
    """Circular convolution w~_i = sum_d s_d w_{(i - o_d) mod N} over the offsets
    o = -r .. r: ``shift_weights`` ``(H, 2r + 1, n)``, s = [0, .., 0, 1] moves every
    weighting one slot forward."""
    index = _shift_index(weights.shape[1], shift_weights.shape[1], 1)
    return np.einsum("hdib,hdb->hib", weights[:, index], shift_weights)


def _sharpen(weights, gammas):
    """(w~^gamma / sum w~^gamma, the sum ``(H, 1, n)``)."""
    powered = np.power(weights, gammas[:, None])
    total = powered.sum(axis=1, keepdims=True)
    return powered / total, total


def sharpen(weights, gammas):
    """w_i = w~_i^gamma / sum_j w~_j^gamma, gammas ``(H, n)`` >= 1."""
    return _sharpen(weights, gammas)[0]


def read(memory, weights):
    """Read vectors r_h = sum_i w_hi M_i ``(H, M, n)``."""
    return np.einsum("hnb,nmb->hmb", weights, memory)


def _kept_fractions(weights, erase):
    """1 - w_hi e_hm, ``(H, N, M, n)``: the part of each entry each write head keeps."""
    return 1 - weights[:, :, None] * erase[:, None]


def write(memory, weights, erase, add):
    """M_i * prod_h (1 - w_hi e_h) + sum_h w_hi a_h: write weightings ``(H, N, n)``,
    erase and add vectors ``(H, M, n)``; returns the new memory ``(N, M, n)``."""
    kept = _kept_fractions(weights, erase).prod(axis=0)
    return memory * kept + np.einsum("hnb,hmb->nmb", weights, add)


# ---------------------------------------------------------------- their gradients


def _content_backward(d_weights, weights, cosine, key_norms, row_norms, keys, memory,
                      strengths):
    """Gradients (keys, strengths, memory) of the content weights' ``d_weights``."""
    d_logits = weights * (d_weights - np.sum(d_weights * weights, axis=1, keepdims=True))
    d_strengths = np.sum(d_logits * cosine, axis=1)
    d_cosine = d_logits * strengths[:, None]
    d_dot = d_cosine / (key_norms * row_norms)
    d_cos_scaled = d_cosine * cosine  # d(cos) times cos: the norms' share
    d_keys = np.einsum("hnb,nmb->hmb", d_dot, memory)
    d_keys -= keys * (d_cos_scaled.sum(axis=1, keepdims=True) / key_norms**2)
    d_memory = np.einsum("hnb,hmb->nmb", d_dot, keys)
    d_memory -= memory * (d_cos_scaled.sum(axis=0)[:, None] / row_norms[0, :, None] ** 2)
    return d_keys, d_strengths, d_memory


def _shift_backward(d_shifted, weights, shift_weights):
    """Gradients (weights, shift weights) of the shift's ``d_shifted``."""
    n_slots, n_shifts = weights.shape[1], shift_weights.shape[1]
    forward = _shift_index(n_slots, n_shifts, 1)
    d_shift_weights = np.einsum("hib,hdib->hdb", d_shifted, weights[:, forward])
    back = _shift_index(n_slots, n_shifts, -1)
    d_weights = np.einsum("hdib,hdb->hib", d_shifted[:, back], shift_weights)
    return d_weights, d_shift_weights


def _sharpen_backward(d_sharp, sharp, shifted, gammas, total):
    """Gradients (shifted weights, gammas) of the sharpening's ``d_sharp``."""
    centred = d_sharp - np.sum(d_sharp * sharp, axis=1, keepdims=True)
    tiny = np.finfo(shifted.dtype).tiny  # log 0 -> a finite number times w = 0
    d_gammas = np.sum(centred * sharp * np.log(np.maximum(shifted, tiny)), axis=1)
    slope = np.power(shifted, gammas[:, None] - 1) * (gammas[:, None] / total)
    return centred * slope, d_gammas


def _write_backward(d_new, memory, weights, erase, add):
    """Gradients (memory, weights, erase, add) of ``write``'s ``d_new``."""
    kept = _kept_fractions(weights, erase)
    d_kept = (d_new * memory)[None]
    if len(kept) > 1:
        # times the product of the other heads' kept fractions: exclusive prefix and
        # suffix products
        ones = np.ones_like(kept[:1])
        d_kept = d_kept * np.cumprod(np.concatenate([ones, kept[:-1]]), axis=0)
        d_kept *= np.cumprod(np.concatenate([ones, kept[:0:-1]]), axis=0)[::-1]
    d_memory = d_new * kept.prod(axis=0)
    d_weights = np.einsum("nmb,hmb->hnb", d_new, add) - np.einsum("hnmb,hmb->hnb", d_kept, erase)
    d_erase = -np.einsum("hnmb,hnb->hmb", d_kept, weights)
    d_add = np.einsum("nmb,hnb->hmb", d_new, weights)
    return d_memory, d_weights, d_erase, d_add


# ---------------------------------------------------------------- the layer


class NTMLayer(Recurrent):
    """Neural Turing machine layer (Graves, Wayne & Danihelka 2014): a controller, an
    N x M memory, ``n_read_heads`` read and ``n_write_heads`` write heads.

    Step t, with the state s_{t-1} = [h_{t-1}, r_{t-1}] (the controller output and the
    read vectors) and the memory M_{t-1}:

    * controller: z = x_t W + s_{t-1} U + b; ``controller="lstm"``: gates i, f, o, g
      of an LSTM (forget bias 1), h_t = o tanh(c_t); ``"feedforward"``: h_t = tanh(z),
      with U reading only r_{t-1};
    * head parameters h_t V + c, squashed: key tanh, add vector tanh, gate and erase
      sigmoid, strength softplus, gamma 1 + softplus, shift softmax over 2r + 1 offsets
      (the biases start at zero);
    * every head addresses M_{t-1} from its own previous weighting; the read heads
      read M_{t-1}; the write heads then make M_t (the order of Collier & Beel 2018);
    * output s_t = [h_t, r_t], ``units + n_read_heads * memory_width`` features.

    Start: h = c = 0, r = 0, every weighting one-hot on slot 0, the memory
    ``memory_init``: "constant" (every entry 1e-6), "random" (uniform in +-1 /
    sqrt(N + M), drawn once at build and fixed) or "learned" (the random start,
    trained: parameter ``memory``).

    Parameters ``W`` (inputs), ``U`` (the state fed back), ``b``, ``W_head``
    ``(units, n_head_params)``, ``b_head``, and ``memory`` when learned. States, each
    ``(n_samples, size)``: (s, c, the memory row by row, the weightings of all heads,
    read heads first); the feed-forward controller has no c. A padding mask and
    truncated BPTT are not supported. After an inference pass (``training=False``)
    ``attention`` holds its read and write weightings.
    """

    takes_mask = False

    def __init__(self, units, memory_slots, memory_width, n_read_heads=1, n_write_heads=1,
                 shift_range=1, controller="lstm", memory_init="constant",
                 return_sequences=False):
        super().__init__(units, return_sequences=return_sequences)
        if controller not in ("lstm", "feedforward"):
            raise ValueError(f"controller must be 'lstm' or 'feedforward', got {controller!r}")
        if memory_init not in ("constant", "random", "learned"):
            raise ValueError(
                f"memory_init must be 'constant', 'random' or 'learned', got {memory_init!r}"
            )
        if 2 * shift_range + 1 > memory_slots:
            raise ValueError(
                f"shift_range={shift_range} needs 2 * shift_range + 1 <= memory_slots="
                f"{memory_slots}"
            )
        self.memory_slots, self.memory_width = memory_slots, memory_width
        self.n_read_heads, self.n_write_heads = n_read_heads, n_write_heads
        self.shift_range, self.controller, self.memory_init = shift_range, controller, memory_init
        self.n_gates = 4 if controller == "lstm" else 1
        self.n_states = 4 if controller == "lstm" else 3

    # ---------------------------------------------------------------- shapes

    @property
    def state_size(self):
        return self.units + self.n_read_heads * self.memory_width

    @property
    def n_heads(self):
        return self.n_read_heads + self.n_write_heads

    def _fed_back(self):
        """Rows of the state s that U reads: all of it, or the read vectors only."""
        return slice(0, None) if self.controller == "lstm" else slice(self.units, None)

    def _head_blocks(self):
        """Row slices of the head parameters, grouped by squashing function: key, add
        (tanh); gate, erase (sigmoid); strength, gamma - 1 (softplus); shift (softmax)."""
        sizes = {
            "key": self.n_heads * self.memory_width,
            "add": self.n_write_heads * self.memory_width,
            "gate": self.n_heads,
            "erase": self.n_write_heads * self.memory_width,
            "strength": self.n_heads,
            "gamma": self.n_heads,
            "shift": self.n_heads * (2 * self.shift_range + 1),
        }
        ends = np.cumsum(list(sizes.values()))
        blocks = {name: slice(end - size, end) for (name, size), end in zip(sizes.items(), ends)}
        blocks["tanh"] = slice(0, blocks["add"].stop)
        blocks["sigmoid"] = slice(blocks["gate"].start, blocks["erase"].stop)
        blocks["softplus"] = slice(blocks["strength"].start, blocks["gamma"].stop)
        return blocks, int(ends[-1])

    def _recurrent_weights(self, rng, dtype):
        width = self.n_gates * self.units
        reads = glorot_uniform((self.n_read_heads * self.memory_width, width), rng, dtype)
        if self.controller == "feedforward":
            return reads
        blocks = [orthogonal((self.units, self.units), rng, dtype) for _ in range(self.n_gates)]
        return np.concatenate([np.concatenate(blocks, axis=1), reads])

    def _initial_bias(self, dtype):
        b = np.zeros(self.n_gates * self.units, dtype=dtype)
        if self.controller == "lstm":
            b[self.units : 2 * self.units] = 1.0  # forget gate open (Jozefowicz et al. 2015)
        return b

    def _build_extra(self, rng, dtype):
        _, n_head_params = self._head_blocks()
        self._add_param("W_head", glorot_uniform((self.units, n_head_params), rng, dtype))
        self._add_param("b_head", np.zeros(n_head_params, dtype=dtype))
        shape = (self.memory_slots, self.memory_width)
        if self.memory_init == "constant":
            self.initial_memory = np.full(shape, MEMORY_CONSTANT, dtype=dtype)
            return
        limit = 1 / np.sqrt(sum(shape))
        start = rng.uniform(-limit, limit, shape).astype(dtype)
        if self.memory_init == "learned":
            self._add_param("memory", start)
        else:
            self.initial_memory = start

    # ---------------------------------------------------------------- states

    def _state_sizes(self):
        sizes = [self.state_size, self.units, self.memory_slots * self.memory_width,
                 self.n_heads * self.memory_slots]
        return sizes if self.controller == "lstm" else [sizes[0], *sizes[2:]]

    def _states(self, initial_state, n, dtype):
        sizes = self._state_sizes()
        if initial_state is None:
            memory = self.params.get("memory", getattr(self, "initial_memory", None))
            weights = np.zeros((self.n_heads, self.memory_slots, n), dtype=dtype)
            weights[:, 0] = 1
            states = [np.zeros((size, n), dtype=dtype) for size in sizes]
            states[-2][...] = memory.reshape(-1, 1)
            states[-1] = weights.reshape(-1, n)
            return tuple(states)
        if isinstance(initial_state, np.ndarray) or len(initial_state) != len(sizes):
            raise ValueError(
                f"NTMLayer takes {len(sizes)} initial state arrays (see its docstring)"
            )
        for state, size in zip(initial_state, sizes):
            if np.shape(state) != (n, size):
                raise ValueError(
                    f"initial state must have shape {(n, size)}, got {np.shape(state)}"
                )
        return tuple(np.asarray(state, dtype=dtype).T.copy() for state in initial_state)

    def _state_sequences(self):
        cell = (self._C,) if self.controller == "lstm" else ()
        return (self._H, *cell, self._memory, self._weights)

    def forward(self, x, training=False, mask=None, initial_state=None):
        # the learned memory receives a gradient only when it was the start
        self._memory_is_param = initial_state is None and "memory" in self.params
        output = super().forward(x, training, mask, initial_state)
        if not training:
            self._attention = self._weights[1:]
        return output

    @property
    def attention(self):
        """The weightings of the latest inference pass: {"read": ``(n_samples,
        n_steps, n_read_heads, memory_slots)``, "write": the same for the write heads}."""
        if not hasattr(self, "_attention"):
            raise AttributeError("attention is set by an inference pass (training=False)")
        n_steps, _, n = self._attention.shape
        weights = self._attention.reshape(n_steps, self.n_heads, self.memory_slots, n)
        weights = weights.transpose(3, 0, 1, 2)
        reads = self.n_read_heads
        return {"read": weights[:, :, :reads], "write": weights[:, :, reads:]}

    # ---------------------------------------------------------------- forward

    def _run(self, Z, states):
        if self._mask is not None:
            raise ValueError("NTMLayer takes no padding mask")
        n_steps, _, n = Z.shape
        u, N, M, R = self.units, self.memory_slots, self.memory_width, self.n_read_heads
        dtype = Z.dtype
        blocks, n_head_params = self._head_blocks()
        U_T = np.ascontiguousarray(self.params["U"].T, dtype=dtype)
        V_T = np.ascontiguousarray(self.params["W_head"].T, dtype=dtype)
        head_bias = self.params["b_head"].astype(dtype)[:, None]
        fed_back = self._fed_back()

        H = np.empty((n_steps + 1, self.state_size, n), dtype=dtype)
        H[0] = states[0]
        self._memory = np.empty((n_steps + 1, N * M, n), dtype=dtype)
        self._memory[0] = states[-2]
        self._weights = np.empty((n_steps + 1, self.n_heads * N, n), dtype=dtype)
        self._weights[0] = states[-1]
        memory = self._memory.reshape(n_steps + 1, N, M, n)
        weights = self._weights.reshape(n_steps + 1, self.n_heads, N, n)
        if self.controller == "lstm":
            self._C = np.empty((n_steps + 1, u, n), dtype=dtype)
            self._C[0] = states[1]
            self._tanh_c = np.empty((n_steps, u, n), dtype=dtype)
        heads = np.empty((n_steps, n_head_params, n), dtype=dtype)
        stages = {name: np.empty((n_steps, self.n_heads, N, n), dtype=dtype)
                  for name in ("content", "gated", "shifted", "cosine")}
        norms = {"key": np.empty((n_steps, self.n_heads, 1, n), dtype=dtype),
                 "row": np.empty((n_steps, 1, N, n), dtype=dtype),
                 "total": np.empty((n_steps, self.n_heads, 1, n), dtype=dtype)}
        for t in range(n_steps):
            Z[t] += U_T @ H[t, fed_back]
            h = H[t + 1, :u]
            h[...] = self._controller_step(Z, t)
            theta = heads[t]
            np.matmul(V_T, h, out=theta)
            theta += head_bias
            self._squash_heads(theta, blocks)
            key, strength, gate, shift_weights, gamma, erase, add = self._head_views(theta, blocks)
            gamma = 1 + gamma
            cosine, norms["key"][t], norms["row"][t] = _cosine(key, memory[t])
            stages["cosine"][t] = cosine
            stages["content"][t] = _softmax_slots(strength[:, None] * cosine)
            stages["gated"][t] = interpolate(stages["content"][t], weights[t], gate)
            stages["shifted"][t] = shift(stages["gated"][t], shift_weights)
            weights[t + 1], norms["total"][t] = _sharpen(stages["shifted"][t], gamma)
            H[t + 1, u:] = read(memory[t], weights[t + 1, :R]).reshape(R * M, n)
            memory[t + 1] = write(memory[t], weights[t + 1, R:], erase, add)
        self._H, self._gates, self._heads, self._stages, self._norms = H, Z, heads, stages, norms
        return H

    def _controller_step(self, Z, t):
        """h_t from the pre-activations Z[t], squashed in place (the LSTM keeps c_t)."""
        z = Z[t]
        if self.controller == "feedforward":
            return np.tanh(z, out=z)
        u = self.units
        z[: 3 * u] = expit(z[: 3 * u])
        np.tanh(z[3 * u :], out=z[3 * u :])
        i, f, o, g = z[:u], z[u : 2 * u], z[2 * u : 3 * u], z[3 * u :]
        c = self._C[t + 1]
        np.multiply(f, self._C[t], out=c)
        c += i * g
        np.tanh(c, out=self._tanh_c[t])
        return o * self._tanh_c[t]

    def _squash_heads(self, theta, blocks):
        """Head pre-activations to parameters, in place (gamma kept as gamma - 1)."""
        np.tanh(theta[blocks["tanh"]], out=theta[blocks["tanh"]])
        expit(theta[blocks["sigmoid"]], out=theta[blocks["sigmoid"]])
        np.logaddexp(0, theta[blocks["softplus"]], out=theta[blocks["softplus"]])
        shifts = self._head_views(theta, blocks)[3]
        shifts -= shifts.max(axis=1, keepdims=True)
        np.exp(shifts, out=shifts)
        shifts /= shifts.sum(axis=1, keepdims=True)

    def _head_views(self, theta, blocks):
        """(key, strength, gate, shift, gamma - 1) of every head and (erase, add) of the
        write heads: views of the head parameters ``theta`` (or of their gradients)."""
        n, M = theta.shape[1], self.memory_width
        return (
            theta[blocks["key"]].reshape(self.n_heads, M, n),
            theta[blocks["strength"]],
            theta[blocks["gate"]],
            theta[blocks["shift"]].reshape(self.n_heads, -1, n),
            theta[blocks["gamma"]],
            theta[blocks["erase"]].reshape(self.n_write_heads, M, n),
            theta[blocks["add"]].reshape(self.n_write_heads, M, n),
        )

    # ---------------------------------------------------------------- backward

    def _run_backward(self, dH):
        n_steps, _, n = dH.shape
        u, N, M, R = self.units, self.memory_slots, self.memory_width, self.n_read_heads
        blocks, _ = self._head_blocks()
        U, V = self.params["U"], self.params["W_head"]
        fed_back = self._fed_back()
        memory = self._memory.reshape(n_steps + 1, N, M, n)
        weights = self._weights.reshape(n_steps + 1, self.n_heads, N, n)
        dZ = np.empty_like(self._gates)
        self._d_heads = np.empty_like(self._heads)
        d_state = np.zeros_like(dH[0])
        d_cell = np.zeros((u, n), dtype=dH.dtype)
        d_memory = np.zeros_like(memory[0])
        d_weights = np.zeros_like(weights[0])
        for t in reversed(range(n_steps)):
            d_out = dH[t] + d_state
            theta = self._heads[t]
            key, strength, gate, shift_weights, gamma, erase, add = self._head_views(theta, blocks)
            gamma = 1 + gamma
            d_theta = self._d_heads[t]
            d_parts = self._head_views(d_theta, blocks)
            # back through the write, then the read; both saw M_{t-1}
            d_memory, d_write, d_parts[5][...], d_parts[6][...] = _write_backward(
                d_memory, memory[t], weights[t + 1, R:], erase, add)
            d_read_vectors = d_out[u:].reshape(R, M, n)
            d_memory += np.einsum("hnb,hmb->nmb", weights[t + 1, :R], d_read_vectors)
            d_weights[:R] += np.einsum("hmb,nmb->hnb", d_read_vectors, memory[t])
            d_weights[R:] += d_write
            d_memory_content = self._addressing_backward(
                d_weights, t, key, strength, gate, shift_weights, gamma, d_parts, memory[t])
            d_memory += d_memory_content
            self._squash_heads_backward(d_theta, theta, blocks)
            d_h = d_out[:u] + V @ d_theta
            dZ[t] = self._controller_backward(d_h, d_cell, t)
            d_state = np.zeros_like(d_state)
            d_state[fed_back] = U @ dZ[t]
        self._d_memory_start = d_memory
        initial = [d_state, d_cell, d_memory.reshape(N * M, n), d_weights.reshape(-1, n)]
        if self.controller == "feedforward":
            del initial[1]
        self._initial_grad = tuple(grad.T for grad in initial)
        return dZ

    def _addressing_backward(self, d_weights, t, key, strength, gate, shift_weights, gamma,
                             d_parts, memory):
        """Back through the four addressing stages of step t: fills the head
        parameters' gradients ``d_parts``, leaves in ``d_weights`` the gradient of the
        previous weightings, returns the memory's gradient from the content stage."""
        stages, norms = self._stages, self._norms
        d_key, d_strength, d_gate, d_shift, d_gamma = d_parts[:5]
        previous = self._weights.reshape(len(self._weights), self.n_heads, self.memory_slots, -1)
        d_shifted, d_gamma[...] = _sharpen_backward(
            d_weights, previous[t + 1], stages["shifted"][t], gamma, norms["total"][t])
        d_gated, d_shift[...] = _shift_backward(d_shifted, stages["gated"][t], shift_weights)
        d_gate[...] = np.sum(d_gated * (stages["content"][t] - previous[t]), axis=1)
        d_content = d_gated * gate[:, None]
        np.multiply(d_gated, 1 - gate[:, None], out=d_weights)
        d_key[...], d_strength[...], d_memory = _content_backward(
            d_content, stages["content"][t], stages["cosine"][t], norms["key"][t],
            norms["row"][t], key, memory, strength)
        return d_memory

    def _squash_heads_backward(self, d_theta, theta, blocks):
        """Head-parameter gradients to pre-activation gradients, in place."""
        tanh_, sigmoid, softplus = blocks["tanh"], blocks["sigmoid"], blocks["softplus"]
        d_theta[tanh_] *= 1 - theta[tanh_] ** 2
        d_theta[sigmoid] *= theta[sigmoid] * (1 - theta[sigmoid])
        d_theta[softplus] *= -np.expm1(-theta[softplus])  # softplus' = sigma = 1 - e^-softplus
        shifts, d_shifts = self._head_views(theta, blocks)[3], self._head_views(d_theta, blocks)[3]
        d_shifts -= np.sum(d_shifts * shifts, axis=1, keepdims=True)
        d_shifts *= shifts

    def _controller_backward(self, d_h, d_cell, t):
        """Pre-activation gradient of step t; ``d_cell`` becomes d c_{t-1} in place."""
        gates = self._gates[t]
        if self.controller == "feedforward":
            return d_h * (1 - gates * gates)
        u = self.units
        i, f, o, g = gates[:u], gates[u : 2 * u], gates[2 * u : 3 * u], gates[3 * u :]
        tanh_c = self._tanh_c[t]
        d_cell += d_h * o * (1 - tanh_c * tanh_c)
        dz = np.empty_like(gates)
        dz[:u] = d_cell * g * i * (1 - i)
        dz[u : 2 * u] = d_cell * self._C[t] * f * (1 - f)
        dz[2 * u : 3 * u] = d_h * tanh_c * o * (1 - o)
        dz[3 * u :] = d_cell * i * (1 - g * g)
        d_cell *= f
        return dz

    def _weight_grads(self, dZ):
        n_steps = self._heads.shape[0]
        dZ = dZ.reshape(dZ.shape[0], n_steps, -1)
        fed_back = self._H[:-1, self._fed_back()]
        self.grads["U"][...] = np.tensordot(fed_back, dZ, axes=([0, 2], [1, 2]))
        outputs = self._H[1:, : self.units]
        self.grads["W_head"][...] = np.tensordot(outputs, self._d_heads, axes=([0, 2], [0, 2]))
        self.grads["b_head"][...] = self._d_heads.sum(axis=(0, 2))
        if "memory" in self.params:
            start = self._d_memory_start.sum(axis=-1) if self._memory_is_param else 0
            self.grads["memory"][...] = start


# ---------------------------------------------------------------- the estimator


def _sequence_doc(start, stop=None):
    """The sequence families' parameter and attribute docs from the line starting with
    ``start`` up to the one starting with ``stop`` (or the end)."""
    first = PARAMETERS_DOC.index(f"\n    {start}") + 1
    last = len(PARAMETERS_DOC) if stop is None else PARAMETERS_DOC.index(f"\n    {stop}") + 1
    return PARAMETERS_DOC[first:last]


class NTMRegressor(SequenceRegressor, SequenceEstimator):
    __doc__ = """Neural Turing machine (Graves, Wayne & Danihelka 2014; Collier & Beel 2018): an
    LSTM or feed-forward controller with an N x M memory, read and write heads
    addressed by content, interpolation, circular shift and sharpening; a linear
    output layer on [controller output, read vectors], trained by BPTT with
    gradient-norm clipping. The layer is ``NTMLayer``.

    Input is sequences ``(n_samples, n_steps, n_features)`` (or 2-D, see
    ``zoo.sequence``); ``output="sequence"`` gives one output per step, as the copy,
    repeat-copy and associative-recall tasks want. With sigmoid outputs (bit
    targets) the loss is the binary cross-entropy from the logits, ``predict``
    returns the probabilities of the bits and ``generate`` feeds them back.

    Parameters
    ----------
    hidden_size : int, default=16
        Units of the controller (LSTM cells or tanh units). A small controller leaves
        the storage to the memory: on the copy task (lengths 1 to 5, 5000 updates) a
        controller of 12 cells learned to use the memory as a tape on 3 of 10 seeds,
        and then copied sequences twice as long; one of 64 cells kept the sequence in
        its own state and failed on longer ones.
    controller : {"lstm", "feedforward"}, default="lstm"
        An LSTM (forget bias 1) reading the input, its own output and the previous
        read vectors; or a tanh layer reading the input and the previous read vectors.
    memory_slots : int, default=16
        N, the rows of the memory.
    memory_width : int, default=8
        M, the width of each row.
    n_read_heads, n_write_heads : int, default=1
    shift_range : int, default=1
        The largest shift r: the heads shift by -r .. r slots (2r + 1 <= memory_slots).
    memory_init : {"constant", "random", "learned"}, default="constant"
        The start of the memory: every entry 1e-6 (Collier & Beel's recommendation),
        a fixed uniform draw in +-1 / sqrt(N + M), or that draw trained as a parameter.
    output : {"last", "sequence"}, default="last"
        Sequence-to-one (the last step) or sequence-to-sequence (every step).
    output_activation : {"auto", "sigmoid", "identity"}, default="auto"
        Sigmoid outputs with binary cross-entropy, or linear outputs with squared
        error; "auto": sigmoid when every target of ``fit`` lies in [0, 1]. With
        sigmoid outputs the early-stopping R^2 is that of the probabilities.
""" + _sequence_doc("n_features_per_step", "clip_norm") + """\
    clip_norm : float or None, default=10.0
        Bound on the global gradient norm (Collier & Beel: 10).
""" + _sequence_doc("warm_start", "Attributes") + """\
    Attributes
    ----------
    network_ : zoo.core.network.Sequential
        The ``NTMLayer`` and the linear output layer.
    output_activation_ : str
        "sigmoid" or "identity", as ``output_activation`` chose.
    attention_history_ : dict
        The weightings of the latest inference call (``predict``, ``score``,
        ``generate``): "read", ``(n_samples, n_steps, n_read_heads, memory_slots)``,
        and "write", the same for the write heads.
    n_outputs_ : int
""" + _sequence_doc("n_params_")

    _constraints = {
        "controller": Options("lstm", "feedforward"),
        "memory_slots": Interval(int, 1, None),
        "memory_width": Interval(int, 1, None),
        "n_read_heads": Interval(int, 1, None),
        "n_write_heads": Interval(int, 1, None),
        "shift_range": Interval(int, 0, None),
        "memory_init": Options("constant", "random", "learned"),
        "output_activation": Options("auto", "sigmoid", "identity"),
    }
    # the options of the sequence scaffolding the NTM does not take: one controller
    # layer, causal, without dropout, full BPTT, every step real
    n_layers, bidirectional, dropout, bptt_steps, mask_value = 1, False, 0.0, None, None

    def __init__(
        self,
        hidden_size=16,
        controller="lstm",
        memory_slots=16,
        memory_width=8,
        n_read_heads=1,
        n_write_heads=1,
        shift_range=1,
        memory_init="constant",
        output="last",
        output_activation="auto",
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
        clip_norm=10.0,
        warm_start=False,
        random_state=None,
        verbose=False,
        dtype=np.float32,
        n_threads=None,
    ):
        self.hidden_size = hidden_size
        self.controller = controller
        self.memory_slots = memory_slots
        self.memory_width = memory_width
        self.n_read_heads = n_read_heads
        self.n_write_heads = n_write_heads
        self.shift_range = shift_range
        self.memory_init = memory_init
        self.output = output
        self.output_activation = output_activation
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

    def _check_params(self):
        super()._check_params()
        if 2 * self.shift_range + 1 > self.memory_slots:
            raise ValueError(
                f"shift_range must satisfy 2 * shift_range + 1 <= memory_slots "
                f"({self.memory_slots}); got {self.shift_range}"
            )

    def _recurrent_layer(self, return_sequences):
        return NTMLayer(
            self.hidden_size, self.memory_slots, self.memory_width,
            n_read_heads=self.n_read_heads, n_write_heads=self.n_write_heads,
            shift_range=self.shift_range, controller=self.controller,
            memory_init=self.memory_init, return_sequences=return_sequences,
        )

    def _fit_data(self, X, y, reset=True):
        X, y = super()._fit_data(X, y, reset)
        in_unit_interval = bool(np.all((y >= 0) & (y <= 1)))
        if reset:
            automatic = "sigmoid" if in_unit_interval else "identity"
            chosen = self.output_activation
            self.output_activation_ = automatic if chosen == "auto" else chosen
        if self.output_activation_ == "sigmoid" and not in_unit_interval:
            raise ValueError(
                "sigmoid outputs need targets in [0, 1]; y has values in "
                f"[{y.min():g}, {y.max():g}] (use output_activation='identity')"
            )
        return X, y

    @property
    def _squash(self):
        return expit if self.output_activation_ == "sigmoid" else None

    @property
    def _loss(self):
        return _per_step(binary_cross_entropy if self._squash else mse)

    @property
    def _validation_score(self):
        score = SequenceRegressor._validation_score
        if self._squash is None:
            return score
        return lambda targets, logits: score(targets, expit(logits))

    def predict(self, X):
        """Predicted values shaped like the y of fit: the probabilities of the bits
        with sigmoid outputs."""
        output = super().predict(X)
        return expit(output) if self._squash else output

    def _closed_loop(self, seed, n_steps, next_input):
        # generate feeds back what predict would return
        if self._squash is None:
            return super()._closed_loop(seed, n_steps, next_input)
        return super()._closed_loop(seed, n_steps, lambda output: next_input(expit(output)))

    @property
    def attention_history_(self):
        """The read and write weightings of the latest inference call (see Attributes)."""
        check_is_fitted(self)
        return self.network_.layers[0].attention


# ---------------------------------------------------------------- benchmark hooks


def bit_error(estimator, data):
    """Fraction of the answer bits predicted wrong on the test split: outputs above 0.5
    read as 1, over the steps ``data.info["answer_steps_test"]`` marks (every step
    when the dataset marks none)."""
    wrong = (np.asarray(estimator.predict(data.X_test)) > 0.5) != (data.y_test > 0.5)
    steps = data.info.get("answer_steps_test")
    return float(np.mean(wrong if steps is None else wrong[steps]))


def tape_figure(estimator, data, figure, sample=None):
    """Figure hook, "the tape": for one test sequence (default: the one with the
    longest answer), its input, target and output bits, and the write and read
    weightings over the memory slots at every step."""
    if sample is None:
        answer = data.info.get("answer_steps_test")
        sample = 0 if answer is None else int(np.argmax(answer.sum(axis=1)))
    X = np.asarray(data.X_test)[sample : sample + 1]
    output = np.asarray(estimator.predict(X))[0]
    attention = estimator.attention_history_
    panels = {
        "input": X[0].T,
        "target": np.asarray(data.y_test)[sample].T,
        "output": output.T,
        "write head": attention["write"][0, :, 0].T,
        "read head": attention["read"][0, :, 0].T,
    }
    heights = [len(image) for image in panels.values()]
    axes = figure.subplots(len(panels), 1, sharex=True, gridspec_kw={"height_ratios": heights})
    for ax, (title, image) in zip(axes, panels.items()):
        ax.imshow(image, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(title, fontsize=8, rotation=0, ha="right", va="center")
        ax.set_yticks([])
    axes[-1].set_xlabel("step (weightings: one row per memory slot)")
    axes[0].set_title(f"{type(estimator).__name__}: the tape of one test sequence")
