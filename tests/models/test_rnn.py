"""Elman RNN: the temporal XOR of Elman (1990), the adding problem the plain RNN
cannot learn on the LSTM's budget, and the sequence-estimator behaviour shared with
the LSTM and GRU (2-D and 3-D input, sequence output, generation, bidirectional
layers, dropout, bad input)."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from zoo.datasets import load
from zoo.core.gradcheck import check_network
from zoo.core.layers import Dense, Dropout
from zoo.core.losses import mse
from zoo.core.recurrent import LSTM
from zoo.models.gru import GRUClassifier, GRURegressor
from zoo.models.lstm import LSTMClassifier, LSTMRegressor
from zoo.models.rnn import RNNClassifier, RNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _xor_streams(rng, n_sequences, n_triples):
    """Bit streams a, b, a XOR b, ...: inputs are the bits, targets the next bits."""
    a = rng.integers(0, 2, (n_sequences, n_triples))
    b = rng.integers(0, 2, (n_sequences, n_triples))
    bits = np.stack([a, b, a ^ b], axis=2).reshape(n_sequences, -1)
    return bits[:, :-1, None].astype(float), bits[:, 1:]


def test_temporal_xor_predicts_only_the_xor_bits():
    """Elman (1990): next-bit prediction is right at every third bit (the XOR of the two
    before) and at chance elsewhere; nothing leaks from the future."""
    rng = np.random.default_rng(0)
    X, y = _xor_streams(rng, 500, 10)
    X_test, y_test = _xor_streams(rng, 500, 10)
    model = RNNClassifier(hidden_size=8, output="sequence", max_iter=60, random_state=0)
    correct = model.fit(X, y).predict(X_test) == y_test
    predictable = np.arange(X.shape[1]) % 3 == 1  # the input is the 2nd bit of a triple
    assert correct[:, predictable].mean() >= 0.95
    assert correct[:, ~predictable].mean() <= 0.60


@pytest.mark.slow
def test_adding_problem_is_out_of_reach_of_the_plain_rnn():
    """Bengio, Simard & Frasconi (1994): on the budget that lets the LSTM and GRU solve
    the adding problem with T = 50 (test MSE < 0.01, see test_lstm/test_gru), the plain
    RNN stays near the mean predictor (measured: test MSE 0.19, 7% within 0.04; the
    LSTM 0.0006 and 92%, the GRU 0.0003 and 98%)."""
    data = load("adding", T=50, random_state=0)
    model = RNNRegressor(hidden_size=32, batch_size=64, max_iter=41, random_state=0)
    error = model.fit(data.X_train, data.y_train).predict(data.X_test) - data.y_test
    assert np.mean(error**2) > 0.05
    assert np.mean(np.abs(error) < 0.04) < 0.5


# ---------------------------------------------------------------- shared behaviour


def test_2d_input_is_a_univariate_sequence():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 2, 40)
    flat = RNNClassifier(max_iter=3, random_state=0).fit(X, y)
    deep = RNNClassifier(max_iter=3, random_state=0).fit(X[:, :, None], y)
    np.testing.assert_array_equal(flat.predict_proba(X), deep.predict_proba(X[:, :, None]))
    assert (flat.n_features_in_, flat.n_step_features_, flat.n_steps_in_) == (6, 1, 6)
    assert (deep.n_features_in_, deep.n_step_features_, deep.n_steps_in_) == (1, 1, None)
    with pytest.raises(ValueError, match="6 features"):
        flat.predict(X[:, :5])
    assert deep.predict(rng.standard_normal((3, 9, 1))).shape == (3,)  # any length


def test_n_features_per_step_cuts_rows_into_steps():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((30, 12)), rng.standard_normal(30)
    rows = RNNRegressor(n_features_per_step=4, max_iter=3, random_state=0).fit(X, y)
    deep = RNNRegressor(max_iter=3, random_state=0).fit(X.reshape(30, 3, 4), y)
    np.testing.assert_array_equal(rows.predict(X), deep.predict(X.reshape(30, 3, 4)))
    with pytest.raises(ValueError, match="multiple of the 5"):
        RNNRegressor(n_features_per_step=5).fit(X, y)


def test_sequence_output_shapes():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 7, 2))
    labels = RNNClassifier(output="sequence", max_iter=2).fit(X, rng.integers(0, 3, (20, 7)))
    assert labels.predict(X).shape == (20, 7)
    assert labels.predict_proba(X).shape == (20, 7, 3)
    values = RNNRegressor(output="sequence", max_iter=2).fit(X, rng.standard_normal((20, 7, 2)))
    assert values.predict(X).shape == (20, 7, 2)
    one = RNNRegressor(output="sequence", max_iter=2, bptt_steps=3).fit(X, X[:, :, 0])
    assert one.predict(X[:, :4]).shape == (20, 4)


def test_generate_continues_a_sine_wave_in_closed_loop():
    t = np.arange(0, 60, 0.5)
    wave = np.sin(t)
    X = np.stack([wave[i : i + 20] for i in range(80)])[:, :, None]
    y = np.stack([wave[i + 1 : i + 21] for i in range(80)])
    model = RNNRegressor(hidden_size=16, output="sequence", max_iter=200, random_state=0)
    model.fit(X, y)
    continued = model.generate(10, wave[:20])
    assert continued.shape == (10,)
    np.testing.assert_allclose(continued, wave[20:30], atol=0.1)


def test_generate_samples_labels_of_a_next_symbol_model():
    """A model fed the one-hot code of each symbol and trained on the next one
    reproduces the cycle a -> b -> c -> a in closed loop."""
    cycle = np.array(list("abc") * 8)
    codes = np.searchsorted(np.array(list("abc")), cycle)
    X = np.stack([np.eye(3)[codes[i : i + 6]] for i in range(15)])
    y = np.stack([cycle[i + 1 : i + 7] for i in range(15)])
    model = RNNClassifier(output="sequence", max_iter=100, random_state=0).fit(X, y)
    assert "".join(model.generate(6, list("ab"), temperature=0)) == "cabcab"
    sampled = model.generate(30, ["a"], temperature=1.0, random_state=0)
    assert set(sampled) <= {"a", "b", "c"} and len(sampled) == 30


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
@pytest.mark.parametrize("cls", [RNNRegressor, LSTMRegressor, GRURegressor])
@pytest.mark.parametrize("output", ["last", "sequence"])
def test_stacked_layers_backpropagate_exactly(cls, output, bidirectional):
    """n_layers = 3: the whole stack's float64 gradients match central differences."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((5, 4, 2))
    y = rng.standard_normal((5, 4) if output == "sequence" else 5)
    model = cls(hidden_size=3, n_layers=3, output=output, bidirectional=bidirectional,
                max_iter=1, dtype=np.float64, random_state=0)
    model.fit(X, y)
    recurrent = model.network_.layers[:-1]
    assert [layer.return_sequences for layer in recurrent] == [True, True, output == "sequence"]
    # the layers above read the states below
    W = recurrent[1].params["fw_W" if bidirectional else "W"]
    assert W.shape[0] == (6 if bidirectional else 3)
    targets = y.reshape(*model.network_.forward(X).shape)
    assert max(check_network(model.network_, mse, X, targets)) < 1e-6


def test_stacked_layers_generate_in_closed_loop():
    """Generation carries every layer's state: a 2-layer model continues a sine wave."""
    t = np.arange(0, 60, 0.5)
    wave = np.sin(t)
    X = np.stack([wave[i : i + 20] for i in range(80)])[:, :, None]
    y = np.stack([wave[i + 1 : i + 21] for i in range(80)])
    model = GRURegressor(hidden_size=16, n_layers=2, output="sequence", max_iter=200, random_state=0)
    continued = model.fit(X, y).generate(10, wave[:20])
    np.testing.assert_allclose(continued, wave[20:30], atol=0.1)
    teacher_forced = model.predict(wave[None, :30, None])[0, 19:29]
    np.testing.assert_allclose(continued[:1], teacher_forced[:1], atol=1e-6)


@pytest.mark.parametrize("cls", [RNNRegressor, LSTMRegressor, GRURegressor])
def test_partial_fit_epochs_equal_fit_epochs(cls):
    """Without shuffling, three partial_fit calls are exactly three epochs of fit."""
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((40, 6, 2)), rng.standard_normal((40, 6))
    options = dict(hidden_size=5, output="sequence", shuffle=False, batch_size=16, random_state=0)
    fitted = cls(max_iter=3, tol=0.0, **options).fit(X, y)
    online = cls(**options)
    for _ in range(3):
        online.partial_fit(X, y)
    assert online.n_iter_ == fitted.n_iter_ == 3
    for a, b in zip(online.network_.params, fitted.network_.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(online.predict(X), fitted.predict(X))


def test_partial_fit_of_a_classifier_learns_and_checks_its_input():
    rng = np.random.default_rng(8)
    X, _ = _xor_streams(rng, 300, 4)
    y = X[:, 0, 0].astype(int)  # the class is the first bit: it must be carried to the end
    model = LSTMClassifier(hidden_size=8, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=[0, 1])
    first = model.score(X, y)
    for _ in range(9):
        model.partial_fit(X, y)
    assert model.n_iter_ == 10 and model.score(X, y) >= 0.95 > first
    with pytest.raises(ValueError, match="classes of the previous fit"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not among the classes"):
        model.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="features per step"):
        model.partial_fit(np.concatenate([X, X], axis=2), y)
    with pytest.raises(ValueError, match="outputs"):
        GRURegressor().partial_fit(X, y.astype(float)).partial_fit(X, np.ones((300, 2)))


@pytest.mark.parametrize("param,value", [
    ("n_layers", 2), ("bidirectional", True), ("dropout", 0.5), ("recurrent_init", "identity"),
])
def test_jordan_network_is_a_single_causal_layer(param, value):
    with pytest.raises(ValueError, match=f"architecture='jordan'.* only {param}=.*got {param}="):
        RNNRegressor(architecture="jordan", **{param: value}).fit(np.zeros((6, 3)), np.arange(6.0))


# ---------------------------------------------------------------- bidirectional, dropout


def _next_bits(rng, n_sequences, n_steps=10):
    """Random bit sequences; the target at step t is the input at step t + 1 (at the
    last step a bit not in the input)."""
    bits = rng.integers(0, 2, (n_sequences, n_steps + 1))
    return bits[:, :n_steps, None].astype(float), bits[:, 1:]


@pytest.mark.parametrize("cls", [RNNClassifier, LSTMClassifier, GRUClassifier])
def test_bidirectional_model_reads_the_next_input(cls):
    """Schuster & Paliwal (1997): the next input is out of reach of a causal model
    (chance; measured: 0.53, 0.51, 0.52 for RNN, LSTM, GRU) and in reach of a
    bidirectional one, whose backward layer has just read it (measured: 1.0 for all)."""
    rng = np.random.default_rng(9)
    X, y = _next_bits(rng, 300)
    X_test, y_test = _next_bits(rng, 300)
    options = dict(hidden_size=8, output="sequence", max_iter=30, random_state=0)
    accuracy = {}
    for bidirectional in (False, True):
        model = cls(bidirectional=bidirectional, **options).fit(X, y)
        accuracy[bidirectional] = np.mean((model.predict(X_test) == y_test)[:, :-1])
    assert accuracy[False] <= 0.6 and accuracy[True] >= 0.95, accuracy


@pytest.mark.parametrize("cls", [RNNRegressor, LSTMRegressor, GRURegressor])
def test_bidirectional_doubles_the_recurrent_parameters(cls):
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((20, 5, 2)), rng.standard_normal(20)
    h = 4
    one_way = cls(hidden_size=h, max_iter=1).fit(X, y)
    both = cls(hidden_size=h, bidirectional=True, max_iter=1).fit(X, y)
    recurrent = one_way.n_params_ - (h + 1)  # without the output layer on h states
    assert both.n_params_ == 2 * recurrent + (2 * h + 1)
    assert both.network_.layers[1].params["W"].shape == (2 * h, 1)


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
def test_generate_refuses_a_bidirectional_model(cls):
    X = np.eye(2)[np.arange(24) % 2].reshape(4, 6, 2)
    model = cls(output="sequence", bidirectional=True, max_iter=2)
    model.fit(X, X.argmax(axis=2) if cls is RNNClassifier else X)
    with pytest.raises(ValueError, match="causal model.*bidirectional=True"):
        model.generate(3, [0, 1] if cls is RNNClassifier else X[0])


def test_dropout_trains_with_seeded_masks_and_is_off_at_inference():
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((40, 6, 1)), rng.standard_normal((40, 6))
    options = dict(hidden_size=5, n_layers=2, output="sequence", max_iter=5, random_state=0)
    model = LSTMRegressor(dropout=0.5, **options).fit(X, y)
    layers = [type(layer) for layer in model.network_.layers]
    assert layers == [LSTM, Dropout, LSTM, Dropout, Dense]
    again = LSTMRegressor(dropout=0.5, **options).fit(X, y)
    plain = LSTMRegressor(**options).fit(X, y)
    assert again.loss_curve_ == model.loss_curve_ != plain.loss_curve_
    for a, b in zip(again.network_.params, model.network_.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(X), model.predict(X))
    # generation runs in inference mode: its first value is the teacher-forced prediction
    first = model.generate(3, X[0, :, 0])[0]
    assert first == pytest.approx(model.predict(X[:1])[0, -1], abs=1e-6)


def test_dropout_between_stacked_layers_still_learns_digits():
    """Two GRU layers with dropout 0.3 read digits row by row: test accuracy >= 0.95
    (measured: 0.973; without dropout 0.958)."""
    data = load("digits", random_state=0)
    model = GRUClassifier(hidden_size=32, n_layers=2, dropout=0.3, max_iter=30, random_state=0)
    model.fit(data.X_train.reshape(-1, 8, 8) / 16, data.y_train)
    assert model.score(data.X_test.reshape(-1, 8, 8) / 16, data.y_test) >= 0.95


def test_identity_recurrent_init_reaches_the_layers():
    X, y = np.random.default_rng(12).standard_normal((10, 4, 2)), np.arange(10.0)
    model = RNNRegressor(hidden_size=3, n_layers=2, activation="relu", recurrent_init="identity",
                         bidirectional=True, max_iter=1, learning_rate=1e-9).fit(X, y)
    for layer in model.network_.layers[:-1]:
        for direction in ("fw_U", "bw_U"):
            np.testing.assert_allclose(layer.params[direction], np.eye(3), atol=1e-6)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
def test_bad_input_to_fit_and_predict(cls):
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((12, 5, 2)), rng.integers(0, 2, 12)
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[0, 1, 1] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            cls().fit(X_bad, y)
    with pytest.raises(ValueError, match="4-D"):
        cls().fit(X[..., None], y)
    with pytest.raises(ValueError, match="2D array"):
        cls().fit(X[:, 0, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cls().fit(X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        cls().fit(X, None)
    with pytest.raises(NotFittedError):
        cls().predict(X)
    model = cls(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="3 features per step, but .* expecting 2"):
        model.predict(rng.standard_normal((4, 5, 3)))
    X_nan = X.copy()
    X_nan[2, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X_nan)
    with pytest.raises(ValueError, match="one target per step"):
        cls(output="sequence").fit(X, rng.integers(0, 2, (12, 4)))


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
@pytest.mark.parametrize("param,value,message", [
    ("hidden_size", 0, "hidden_size"),
    ("activation", "softmax", "activation must be one of 'relu', 'tanh'"),
    ("output", "all", "output must be one of"),
    ("architecture", "hopfield", "architecture must be one of"),
    ("bptt_steps", 0, "bptt_steps"),
    ("n_features_per_step", 0, "n_features_per_step"),
    ("n_layers", 0, "n_layers"),
    ("dropout", 1.0, "dropout must be a real number in \\[0, 1\\)"),
    ("dropout", -0.1, "dropout"),
    ("recurrent_init", "zeros", "recurrent_init must be one of 'identity', 'orthogonal'"),
    ("learning_rate", -1.0, "learning_rate"),
    ("clip_norm", 0.0, "clip_norm"),
    ("optimizer", "adamw", "optimizer"),
])
def test_invalid_hyperparameters(cls, param, value, message):
    X, y = np.zeros((6, 3)), np.arange(6) % 2
    with pytest.raises(ValueError, match=message):
        cls(**{param: value}).fit(X, y)


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="only one class"):
        RNNClassifier().fit(np.zeros((6, 3)), np.ones(6))


def test_bad_input_to_generate():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((10, 4, 2))
    with pytest.raises(NotFittedError):
        RNNClassifier().generate(3, [0])
    model = RNNClassifier(max_iter=2).fit(X, np.arange(10) % 2)
    model_3 = RNNClassifier(max_iter=2).fit(X, np.arange(10) % 3)
    with pytest.raises(ValueError, match="needs 3 features per step"):
        model_3.generate(3, [0])
    with pytest.raises(ValueError, match="temperature"):
        model.generate(3, [0], temperature=-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        model.generate(0, [0])
    with pytest.raises(ValueError, match="not among the classes"):
        model.generate(3, [7])
    with pytest.raises(ValueError, match="1-D"):
        model.generate(3, [[0, 1]])
    regressor = RNNRegressor(max_iter=2).fit(X, X[:, -1])
    with pytest.raises(ValueError, match="shape \\(n_seed, 2\\)"):
        regressor.generate(3, [0.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        regressor.generate(3, [[0.0, np.nan]])
    with pytest.raises(ValueError, match="as many outputs"):
        RNNRegressor(max_iter=2).fit(X, X[:, -1, 0]).generate(3, [[0.0, 1.0]])


def test_jordan_architecture_feeds_back_the_output():
    """Jordan (1986): the network is one recurrent layer whose output is its state; it
    learns the temporal XOR too and runs in closed loop."""
    rng = np.random.default_rng(6)
    X, y = _xor_streams(rng, 300, 10)
    X_test, y_test = _xor_streams(rng, 300, 10)
    model = RNNClassifier(hidden_size=8, architecture="jordan", output="sequence",
                          max_iter=60, random_state=0).fit(X, y)
    assert len(model.network_.layers) == 1
    correct = model.predict(X_test) == y_test
    assert correct[:, np.arange(X.shape[1]) % 3 == 1].mean() >= 0.95
    values = RNNRegressor(architecture="jordan", output="sequence", max_iter=2).fit(X, X[..., 0])
    assert values.generate(4, [0.0, 1.0]).shape == (4,)
