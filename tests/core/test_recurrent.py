"""Recurrent layers: float64 central-difference gradient checks of every cell and
option (every parameter randomised, biases included), one-way and bidirectional,
through masks, initial states and truncated BPTT; the structural properties of each
cell and of the bidirectional wrapper."""

import numpy as np
import pytest

from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.recurrent import GRU, LSTM, Bidirectional, JordanRNN, SimpleRNN

TOLERANCE = 1e-6
N, T, F, UNITS, OUTPUTS = 3, 5, 2, 4, 3

CELLS = {
    "rnn-tanh": lambda **o: SimpleRNN(UNITS, **o),
    "rnn-relu": lambda **o: SimpleRNN(UNITS, activation="relu", **o),
    "jordan": lambda **o: JordanRNN(UNITS, OUTPUTS, **o),
    "lstm": lambda **o: LSTM(UNITS, **o),
    "lstm-peepholes": lambda **o: LSTM(UNITS, peepholes=True, **o),
    "lstm-no-forget": lambda **o: LSTM(UNITS, forget_gate=False, **o),
    "lstm-no-forget-peepholes": lambda **o: LSTM(UNITS, forget_gate=False, peepholes=True, **o),
    "gru": lambda **o: GRU(UNITS, **o),
    "gru-reset-after": lambda **o: GRU(UNITS, reset_after=True, **o),
}


def _layer(name, seed=0, bidirectional=False, **options):
    rng = np.random.default_rng(seed)
    layer = CELLS[name](**options)
    if bidirectional:
        layer = Bidirectional(layer)
    layer.build((T, F), rng, np.float64)
    for param in layer.params.values():
        param[...] = 0.5 * rng.standard_normal(param.shape)
    return layer


def _mask(rng):
    """Padding at the end, at the start and a gap in the middle: every kind of masked step."""
    mask = np.ones((N, T))
    mask[0, 3:] = 0
    mask[1, :2] = 0
    mask[2, 2] = 0
    return mask


def _analytic(layer, x, projection, mask, state):
    layer.forward(x, training=True, mask=mask, initial_state=state)
    dx = layer.backward(projection)
    grads = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    grads.update({f"state{k}": g for k, g in enumerate(_flat(layer.initial_state_grad))})
    return grads


def _numeric(loss, layer, x, state):
    arrays = {"x": x, **layer.params, **{f"state{k}": s for k, s in enumerate(_flat(state))}}
    return {name: numerical_gradient(loss, array) for name, array in arrays.items()}


def _flat(state):
    """The arrays of a state: a tuple of arrays, or a bidirectional pair of such tuples."""
    return [a for part in state for a in ((part,) if isinstance(part, np.ndarray) else part)]


def _initial_state(layer, rng):
    if isinstance(layer, Bidirectional):
        halves = (layer.forward_layer, layer.backward_layer)
        return tuple(_initial_state(half, rng) for half in halves)
    return tuple(rng.standard_normal((N, layer.state_size)) for _ in range(layer.n_states))


def _errors(analytic, numeric):
    assert set(analytic) == set(numeric)
    return {name: relative_error(analytic[name], numeric[name]) for name in analytic}


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("name", CELLS)
def test_bptt_gradient(name, return_sequences, masked, bidirectional):
    rng = np.random.default_rng(1)
    layer = _layer(name, return_sequences=return_sequences, bidirectional=bidirectional)
    x = rng.standard_normal((N, T, F))
    mask = _mask(rng) if masked else None
    state = _initial_state(layer, rng)
    projection = rng.standard_normal(layer.forward(x, mask=mask, initial_state=state).shape)

    def loss():
        return float(np.sum(layer.forward(x, mask=mask, initial_state=state) * projection))

    errors = _errors(_analytic(layer, x, projection, mask, state), _numeric(loss, layer, x, state))
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("name", CELLS)
def test_truncated_bptt_is_the_gradient_of_the_truncated_graph(name, return_sequences, masked):
    """With bptt_steps=k the backward pass is the exact gradient of the graph in which
    the state entering each chunk [jk, (j+1)k) (j >= 1) is a constant: here the loss is
    rebuilt chunk by chunk from those states, frozen at the unperturbed parameters."""
    k = 2
    rng = np.random.default_rng(2)
    layer = _layer(name, return_sequences=return_sequences, bptt_steps=k)
    x = rng.standard_normal((N, T, F))
    mask = _mask(rng) if masked else None
    state = _initial_state(layer, rng)
    projection = rng.standard_normal(layer.forward(x, mask=mask, initial_state=state).shape)
    starts = list(range(0, T, k))
    frozen = [state]
    for start in starts[1:]:  # the true states at the chunk boundaries, then held fixed
        part = None if mask is None else mask[:, :start]
        layer.forward(x[:, :start], mask=part, initial_state=state)
        frozen.append(tuple(s.copy() for s in layer.final_state))

    def chunk_loss(j, initial):
        steps = slice(starts[j], starts[j] + k)
        part = None if mask is None else mask[:, steps]
        out = layer.forward(x[:, steps], mask=part, initial_state=initial)
        return float(np.sum(out * projection[:, steps])) if return_sequences else out

    def loss():
        if return_sequences:
            first = chunk_loss(0, state)  # the initial state stays a variable
            return first + sum(chunk_loss(j, frozen[j]) for j in range(1, len(starts)))
        return float(np.sum(chunk_loss(len(starts) - 1, frozen[-1] if len(starts) > 1 else state)
                            * projection))

    numeric = _numeric(loss, layer, x, state)
    errors = _errors(_analytic(layer, x, projection, mask, state), numeric)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("name", CELLS)
def test_truncation_at_least_the_length_is_full_bptt(name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, T, F))
    state = _initial_state(_layer(name), rng)
    projection = rng.standard_normal((N, T, state[0].shape[1]))
    grads = []
    for steps in (None, T, T + 3):
        layer = _layer(name, return_sequences=True, bptt_steps=steps)
        grads.append(_analytic(layer, x, projection, None, state))
    for other in grads[1:]:
        for key in grads[0]:
            np.testing.assert_array_equal(other[key], grads[0][key])


def test_truncation_changes_the_gradient():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((N, T, F))
    full, cut = _layer("lstm"), _layer("lstm", bptt_steps=2)
    full.forward(x)
    cut.forward(x)
    full.backward(np.ones((N, UNITS)))
    cut.backward(np.ones((N, UNITS)))
    assert not np.allclose(full.grads["U"], cut.grads["U"])
    np.testing.assert_array_equal(cut.initial_state_grad[0], 0)  # T = 5: chunk 0 is cut off


@pytest.mark.parametrize("name", CELLS)
def test_masked_steps_carry_the_state_and_emit_zeros(name):
    rng = np.random.default_rng(5)
    layer = _layer(name, return_sequences=True)
    x = rng.standard_normal((N, T, F))
    mask = _mask(rng)
    out = layer.forward(x, mask=mask)
    assert np.all(out[mask == 0] == 0)
    # sample 0 is padded after step 3: its final state is the state after its real steps
    final = [s.copy() for s in layer.final_state]
    layer.forward(x[:1, :3])
    for got, expected in zip(final, layer.final_state):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    # garbage in padded steps changes nothing
    noisy = x.copy()
    noisy[mask == 0] = 1e3
    np.testing.assert_allclose(layer.forward(noisy, mask=mask), out, rtol=1e-12)


@pytest.mark.parametrize("name", CELLS)
def test_initial_and_final_state_chain_two_halves(name):
    rng = np.random.default_rng(6)
    layer = _layer(name, return_sequences=True)
    x = rng.standard_normal((N, T, F))
    whole = layer.forward(x)
    last = [s.copy() for s in layer.final_state]
    first = layer.forward(x[:, :2])
    second = layer.forward(x[:, 2:], initial_state=layer.final_state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12)
    for a, b in zip(layer.final_state, last):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_parameter_counts():
    n_in, h = 7, 5
    rng = np.random.default_rng(0)

    def count(layer):
        layer.build((None, n_in), rng, np.float64)
        return sum(p.size for p in layer.params.values())

    assert count(SimpleRNN(h)) == h * (n_in + h) + h
    assert count(JordanRNN(h, 2)) == h * (n_in + 2) + h + 2 * h + 2
    assert count(LSTM(h)) == 4 * (h * (n_in + h) + h)
    assert count(LSTM(h, forget_gate=False)) == 3 * (h * (n_in + h) + h)
    assert count(LSTM(h, peepholes=True)) == 4 * (h * (n_in + h) + h) + 3 * h
    assert count(GRU(h)) == 3 * (h * (n_in + h) + h)
    assert count(GRU(h, reset_after=True)) == 3 * (h * (n_in + h) + h) + h
    assert count(Bidirectional(LSTM(h))) == 2 * count(LSTM(h))


@pytest.mark.parametrize("make, n_gates", [(SimpleRNN, 1), (GRU, 3), (LSTM, 4)])
def test_every_gate_block_of_the_recurrent_weights_is_orthogonal_by_default(make, n_gates):
    layer = make(6)
    layer.build((None, 3), np.random.default_rng(0), np.float64)
    assert layer.params["U"].shape == (6, 6 * n_gates)
    for k in range(n_gates):
        block = layer.params["U"][:, 6 * k : 6 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)


def test_recurrent_blocks_are_orthogonal_and_forget_bias_is_one():
    layer = LSTM(6)
    layer.build((None, 3), np.random.default_rng(0), np.float64)
    for k in range(4):
        block = layer.params["U"][:, 6 * k : 6 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)
    np.testing.assert_array_equal(layer.params["b"][6:12], 1.0)
    np.testing.assert_array_equal(np.delete(layer.params["b"], np.s_[6:12]), 0.0)


def test_lstm_without_forget_gate_adds_to_the_cell_exactly():
    rng = np.random.default_rng(7)
    layer = _layer("lstm-no-forget")
    x = rng.standard_normal((N, 1, F))
    c0 = rng.standard_normal((N, UNITS))
    layer.forward(x, initial_state=(np.zeros((N, UNITS)), c0))
    u = UNITS
    z = x[:, 0] @ layer.params["W"] + layer.params["b"]
    i, g = 1 / (1 + np.exp(-z[:, :u])), np.tanh(z[:, 2 * u :])
    np.testing.assert_allclose(layer.final_state[1], c0 + i * g, rtol=1e-12)


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_update_gate_one_copies_the_state(reset_after):
    rng = np.random.default_rng(8)
    layer = _layer("gru-reset-after" if reset_after else "gru")
    layer.params["b"][:UNITS] = 1e3  # z = sigma(large) = 1: h_t = h_{t-1}
    h0 = rng.standard_normal((N, UNITS))
    layer.forward(rng.standard_normal((N, T, F)), initial_state=h0)
    np.testing.assert_allclose(layer.final_state[0], h0, rtol=1e-12)


def test_jordan_feeds_back_its_output():
    rng = np.random.default_rng(10)
    layer = _layer("jordan", return_sequences=True)
    x = rng.standard_normal((N, 2, F))
    y = layer.forward(x)
    p = layer.params
    h1 = np.tanh(x[:, 1] @ p["W"] + y[:, 0] @ p["U"] + p["b"])
    np.testing.assert_allclose(y[:, 1], h1 @ p["V"] + p["c"], rtol=1e-12)


@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("name", ["rnn-tanh", "lstm", "gru"])
def test_bidirectional_halves_are_the_layers_on_the_sequence_and_reversed(name, return_sequences):
    rng = np.random.default_rng(11)
    layer = _layer(name, return_sequences=return_sequences, bidirectional=True)
    x = rng.standard_normal((N, T, F))
    out = layer.forward(x)
    ahead = layer.forward_layer.forward(x)
    back = layer.backward_layer.forward(x[:, ::-1])
    if return_sequences:  # step t: the backward state after x_{T-1} .. x_t
        back = back[:, ::-1]
    np.testing.assert_array_equal(out, np.concatenate([ahead, back], axis=-1))


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("name", ["rnn-tanh", "lstm", "gru"])
def test_bidirectional_backward_half_starts_at_the_last_real_step(name, side):
    """Padded rows: each half equals its layer run on the row's real steps alone (the
    backward one on them reversed), and garbage in the padding changes nothing."""
    rng = np.random.default_rng(12)
    sequences = _layer(name, return_sequences=True, bidirectional=True)
    last = _layer(name, bidirectional=True)
    x = rng.standard_normal((N, T, F))
    lengths = [T, 3, 1]
    mask = np.zeros((N, T))
    for i, length in enumerate(lengths):
        mask[i, :length] = 1
    if side == "left":
        mask = mask[:, ::-1].copy()
    x[mask == 0] = 1e3
    out, final = sequences.forward(x, mask=mask), last.forward(x, mask=mask)
    np.testing.assert_array_equal(out[mask == 0], 0)
    for i in range(N):
        real = x[i : i + 1, mask[i] == 1]
        ahead = sequences.forward_layer.forward(real)[0]
        back = sequences.backward_layer.forward(real[:, ::-1])[0, ::-1]
        expected = np.concatenate([ahead, back], axis=-1)
        np.testing.assert_allclose(out[i, mask[i] == 1], expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(final[i], np.concatenate([ahead[-1], back[0]]), rtol=1e-12)


def test_bidirectional_directions_are_built_independently():
    layer = Bidirectional(LSTM(UNITS, return_sequences=True))
    assert layer.build((T, F), np.random.default_rng(0), np.float64) == (T, 2 * UNITS)
    single = LSTM(UNITS)
    single.build((T, F), np.random.default_rng(0), np.float64)
    assert list(layer.params) == [f"{d}_{k}" for d in ("fw", "bw") for k in single.params]
    assert list(layer.grads) == list(layer.params)
    assert not np.allclose(layer.params["fw_W"], layer.params["bw_W"])
    assert layer.params["fw_U"] is layer.forward_layer.params["U"]
    with pytest.raises(ValueError, match="unbuilt recurrent layer"):
        Bidirectional(single)
    with pytest.raises(ValueError, match="pair"):
        layer.forward(np.zeros((N, T, F)), initial_state=(None, None, None))


def test_identity_recurrent_weights_carry_the_state_of_a_relu_rnn():
    """Le, Jaitly & Hinton (2015): with identity recurrent weights, zero biases and no
    input, a ReLU RNN keeps its (non-negative) state exactly."""
    rng = np.random.default_rng(13)
    layer = SimpleRNN(UNITS, activation="relu", recurrent_init="identity", return_sequences=True)
    layer.build((T, F), rng, np.float64)
    np.testing.assert_array_equal(layer.params["U"], np.eye(UNITS))
    layer.params["W"][...] = 0
    h0 = np.abs(rng.standard_normal((N, UNITS)))
    out = layer.forward(rng.standard_normal((N, T, F)), initial_state=h0)
    np.testing.assert_array_equal(out, np.broadcast_to(h0[:, None], out.shape))
    gated = GRU(UNITS, recurrent_init="identity")
    gated.build((T, F), rng, np.float64)
    np.testing.assert_array_equal(gated.params["U"], np.tile(np.eye(UNITS), 3))


def test_float32_stays_float32():
    rng = np.random.default_rng(9)
    for name in CELLS:
        layer = Bidirectional(CELLS[name](return_sequences=True))
        layer.build((T, F), rng, np.float32)
        x = rng.standard_normal((N, T, F)).astype(np.float32)
        out = layer.forward(x, training=True)
        dx = layer.backward(np.ones_like(out))
        assert out.dtype == dx.dtype == np.float32
        assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        SimpleRNN(3, activation="softmax")
    with pytest.raises(ValueError, match="bptt_steps"):
        LSTM(3, bptt_steps=0)
    layer = _layer("lstm")
    x = np.zeros((N, T, F))
    with pytest.raises(ValueError, match="2 initial state"):
        layer.forward(x, initial_state=np.zeros((N, UNITS)))
    with pytest.raises(ValueError, match="shape"):
        layer.forward(x, initial_state=(np.zeros((N, 1)), np.zeros((N, 1))))
    with pytest.raises(ValueError, match="mask"):
        layer.forward(x, mask=np.ones((N, T + 1)))
