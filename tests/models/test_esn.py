"""Echo state networks: Mackey-Glass one-step and free-running accuracy (Jaeger & Haas
2004), the exact spectral radius, the echo state property, the ridge readout (normal
equations, exact partial_fit), sequence classification, bad input and persistence."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import RidgeClassifier

import zoo
import zoo.datasets
from zoo.models.esn import ESNClassifier, ESNRegressor, forecast_figure, series_nrmse

ESN_ENTRY = {
    "name": "esn",
    "cell": "ESN",
    "title": "Echo State Network",
    "group": "reservoir",
    "estimator": "zoo.models.esn:ESNRegressor",
    "variants": {"classifier": "zoo.models.esn:ESNClassifier"},
    "tasks": ["regressor", "classifier", "generator"],
    "references": [{"authors": "Jaeger", "year": 2001, "title": "The echo state approach"}],
}


def nrmse(predicted, truth):
    return np.sqrt(np.mean((np.asarray(predicted) - truth) ** 2)) / np.std(truth)


@pytest.fixture(scope="module")
def mackey_glass():
    return zoo.datasets.load("mackey_glass")


@pytest.fixture(scope="module")
def mg_esn(mackey_glass):
    """500 units, leak 0.3 (Jaeger et al. 2007), 100 washout steps, ridge 1e-8."""
    esn = ESNRegressor(
        500, spectral_radius=0.9, leak_rate=0.3, washout=100, alpha=1e-8, random_state=0
    )
    return esn.fit(mackey_glass.X_train, mackey_glass.y_train)


def test_mackey_glass_one_step_nrmse(mg_esn, mackey_glass):
    predicted = mg_esn.predict(mackey_glass.X_test, initial_state="fit")
    assert predicted.shape == mackey_glass.y_test.shape
    assert nrmse(predicted, mackey_glass.y_test) < 2e-3
    # the benchmark metric runs the whole series in one pass: the same numbers
    assert series_nrmse(mg_esn, mackey_glass) == pytest.approx(
        nrmse(predicted, mackey_glass.y_test), rel=1e-6
    )


def test_mackey_glass_closed_loop(mg_esn, mackey_glass):
    generated = mg_esn.generate(500)
    truth = mackey_glass.X_test[:, 0]
    assert generated.shape == (500,)
    assert nrmse(generated[:84], truth[:84]) < 0.05
    # bounded: stays within the attractor's range widened by half its width
    low, high = truth.min(), truth.max()
    assert np.all(np.isfinite(generated))
    assert np.all((generated > low - 0.5 * (high - low)) & (generated < high + 0.5 * (high - low)))


def test_generate_from_warmup_series_matches_continuation(mg_esn, mackey_glass):
    """Warming up on the training series from the zero state is the fitted run."""
    from_fit = mg_esn.generate(20)
    from_warmup = mg_esn.generate(20, mackey_glass.X_train)
    np.testing.assert_allclose(from_warmup, from_fit, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_reservoir, radius", [(50, 0.95), (350, 1.25)])
def test_exact_spectral_radius(n_reservoir, radius):
    """Dense LAPACK path (50 units) and ARPACK path (350 units), checked densely."""
    esn = ESNRegressor(n_reservoir, spectral_radius=radius, density=0.1, random_state=1)
    esn.fit(np.random.default_rng(0).normal(size=(30, 2)), np.zeros(30))
    eigenvalues = np.linalg.eigvals(esn.reservoir_matrix().toarray())
    assert abs(np.abs(eigenvalues).max() - radius) < 1e-10


def test_echo_state_property():
    """rho = 0.9, a = 1: two different initial states driven by the same input converge."""
    rng = np.random.default_rng(0)
    esn = ESNRegressor(200, spectral_radius=0.9, leak_rate=1.0, random_state=0)
    u = rng.uniform(-1, 1, size=(600, 1))
    esn.fit(u, np.roll(u[:, 0], -1))
    start = rng.uniform(-1, 1, 200)
    first = esn.reservoir_states(u, initial_state=None)
    second = esn.reservoir_states(u, initial_state=start)
    distance = np.linalg.norm(first - second, axis=1)
    assert distance[0] > 0.1
    assert distance[499] < 1e-6
    assert distance[499] < 1e-4 * distance[9]


def assert_solves_ridge_normal_equations(esn, H, T, alpha):
    """(H_c^T H_c + alpha I) W_out = H_c^T T_c on the centred features H and targets T,
    and the unpenalised intercept c = mean(T) - mean(H) W_out."""
    Hc, Tc = H - H.mean(axis=0), T - T.mean(axis=0)
    residual = (Hc.T @ Hc + alpha * np.eye(H.shape[1])) @ esn.coef_ - Hc.T @ Tc
    assert np.abs(residual).max() < 1e-8 * np.abs(Hc.T @ Tc).max()
    np.testing.assert_allclose(esn.intercept_, T.mean(axis=0) - H.mean(axis=0) @ esn.coef_)


def test_readout_solves_the_ridge_normal_equations():
    """(H_c^T H_c + alpha I) W = H_c^T Y_c on the centred post-washout features [u; x]."""
    rng = np.random.default_rng(2)
    U = rng.normal(size=(3, 60, 2))
    Y = np.stack([U[:, :, 0] * U[:, :, 1], np.roll(U[:, :, 0], 2, axis=1)], axis=-1)
    esn = ESNRegressor(40, washout=10, alpha=1e-3, random_state=0).fit(U, Y)
    states = esn.reservoir_states(U)
    H = np.concatenate([U, states], axis=-1)[:, 10:].reshape(-1, 42)
    T = Y[:, 10:].reshape(-1, 2)
    assert_solves_ridge_normal_equations(esn, H, T, alpha=1e-3)


def test_partial_fit_on_chunks_equals_fit():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(4, 50, 1))
    Y = np.tanh(np.cumsum(U[:, :, 0], axis=1) / 5)
    whole = ESNRegressor(60, washout=5, random_state=0).fit(U, Y)
    chunked = ESNRegressor(60, washout=5, random_state=0)
    chunked.partial_fit(U[:1], Y[:1]).partial_fit(U[1:3], Y[1:3]).partial_fit(U[3:], Y[3:])
    np.testing.assert_allclose(chunked.coef_, whole.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(chunked.predict(U), whole.predict(U), rtol=1e-7, atol=1e-10)
    assert whole.predict(U).shape == (4, 50)


def test_same_seed_same_reservoir_and_predictions(mackey_glass):
    X, y = mackey_glass.X_train[:300], mackey_glass.y_train[:300]
    a = ESNRegressor(80, noise=1e-3, random_state=7).fit(X, y)
    b = ESNRegressor(80, noise=1e-3, random_state=7).fit(X, y)
    c = ESNRegressor(80, noise=1e-3, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.reservoir_data_, b.reservoir_data_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.input_weights_, c.input_weights_)


def test_output_feedback_teacher_forced_fit(mackey_glass):
    """With output feedback the fit is teacher-forced (with state noise, which keeps the
    readout from leaning on the feedback, equal to the input while teacher-forced) and
    both the input-driven and the free run track the series."""
    esn = ESNRegressor(
        300,
        spectral_radius=0.9,
        leak_rate=0.3,
        washout=100,
        alpha=1e-8,
        output_feedback=True,
        feedback_scaling=0.5,
        noise=1e-4,
        random_state=0,
    ).fit(mackey_glass.X_train, mackey_glass.y_train)
    assert esn.feedback_weights_.shape == (1, 300)
    one_step = esn.predict(mackey_glass.X_test, initial_state="fit")
    assert nrmse(one_step, mackey_glass.y_test) < 1e-2
    generated = esn.generate(84)
    assert nrmse(generated, mackey_glass.X_test[:84, 0]) < 0.1


def sine_classes(n_sequences, rng, n_steps=40):
    """Two classes: sines of 0.05 or 0.07 cycles per step, random phase, noise 0.3."""
    y = rng.integers(0, 2, n_sequences)
    frequency = np.where(y == 0, 0.05, 0.07)[:, None]
    phase = rng.uniform(0, 2 * np.pi, (n_sequences, 1))
    X = np.sin(2 * np.pi * frequency * np.arange(n_steps) + phase)
    return X + 0.3 * rng.standard_normal(X.shape), np.where(y == 0, "slow", "fast")


def test_classifier_sine_frequencies():
    rng = np.random.default_rng(0)
    X, y = sine_classes(200, rng)
    X_test, y_test = sine_classes(400, rng)
    esn = ESNClassifier(100, random_state=0).fit(X, y)
    assert esn.score(X_test, y_test) >= 0.95
    # the phase is random: a linear model of the raw samples is near chance
    assert RidgeClassifier().fit(X, y).score(X_test, y_test) < 0.7
    # the same sequences as 3-D input (one channel) give the same predictions
    np.testing.assert_array_equal(esn.predict(X_test[:, :, None]), esn.predict(X_test))
    assert esn.decision_function(X_test).shape == (400,)


def test_classifier_logistic_readout():
    """The same reservoir features read out by multinomial logistic regression: as
    accurate on the sine frequencies, with probabilities; no partial_fit (no
    sufficient statistics make chunked fits exact)."""
    rng = np.random.default_rng(0)
    X, y = sine_classes(200, rng)
    X_test, y_test = sine_classes(400, rng)
    esn = ESNClassifier(100, readout="logistic", random_state=0).fit(X, y)
    assert esn.score(X_test, y_test) >= 0.95
    proba = esn.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(esn.classes_[proba.argmax(axis=1)], esn.predict(X_test))
    assert esn.coef_ is esn.readout_.coef_
    assert not hasattr(ESNClassifier(), "predict_proba")
    assert not hasattr(ESNClassifier(readout="logistic"), "partial_fit")
    # the second has readout="ridge" again, but its fitted readout is the logistic one
    for unavailable in (ESNClassifier(readout="logistic"), esn.set_params(readout="ridge")):
        with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as error:
            unavailable.partial_fit(X, y, classes=["fast", "slow"])
        assert "only available with readout='ridge'" in str(error.value.__cause__)


def test_classifier_partial_fit_equals_fit():
    rng = np.random.default_rng(1)
    X, y = sine_classes(60, rng)
    whole = ESNClassifier(50, random_state=0).fit(X, y)
    chunked = ESNClassifier(50, random_state=0).partial_fit(
        X[:25], y[:25], classes=["fast", "slow"]
    )
    chunked.partial_fit(X[25:], y[25:])
    np.testing.assert_allclose(chunked.coef_, whole.coef_, rtol=1e-7, atol=1e-10)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, match",
    [
        ({"spectral_radius": -0.5}, "spectral_radius"),
        ({"leak_rate": 0.0}, "leak_rate"),
        ({"density": 0.0}, "density"),
        ({"washout": -1}, "washout"),
        ({"include_input": "yes"}, "include_input"),
        ({"output_feedback": 1}, "output_feedback"),
        ({"alpha": -1.0}, "alpha"),
    ],
)
def test_invalid_hyperparameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ESNRegressor(**params).fit(np.zeros((20, 1)), np.zeros(20))


def test_invalid_classifier_hyperparameter():
    with pytest.raises(ValueError, match="state_readout"):
        ESNClassifier(state_readout="max").fit(np.zeros((4, 5)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="readout must be one of"):
        ESNClassifier(readout="softmax").fit(np.zeros((4, 5)), [0, 1, 0, 1])


def test_bad_inputs_regressor():
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.zeros(30)
    esn = ESNRegressor(20, random_state=0)
    with pytest.raises(NotFittedError):
        esn.predict(X)
    with pytest.raises(NotFittedError):
        esn.generate(5)
    with pytest.raises(ValueError, match="NaN"):
        esn.fit(np.where(X > 1.5, np.nan, X), y)
    with pytest.raises(ValueError, match="washout"):
        ESNRegressor(20, washout=30).fit(X, y)
    with pytest.raises(ValueError, match="y must have shape"):
        esn.fit(X.reshape(3, 10, 2), np.zeros((3, 9)))
    esn.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        esn.predict(X[:, :1])
    with pytest.raises(ValueError, match="features"):
        esn.predict(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="infinity|NaN"):
        esn.predict(np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match="initial_state"):
        esn.predict(X, initial_state=np.zeros(3))
    with pytest.raises(ValueError, match="next-step"):
        esn.generate(5)  # 2 input features, 1 output
    with pytest.raises(ValueError, match="outputs"):
        esn.partial_fit(X, np.zeros((30, 2)))


def test_bad_inputs_generate():
    esn = ESNRegressor(20, random_state=0).fit(np.zeros((30, 1)) + 0.1, np.zeros(30))
    with pytest.raises(ValueError, match="n_steps"):
        esn.generate(0)
    with pytest.raises(ValueError, match="features"):
        esn.generate(5, np.zeros((10, 2)))


def test_bad_inputs_classifier():
    X = np.random.default_rng(0).normal(size=(10, 6))
    with pytest.raises(ValueError, match="one class"):
        ESNClassifier(20).fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="classes must be passed"):
        ESNClassifier(20).partial_fit(X, np.arange(10) % 2)
    esn = ESNClassifier(20, random_state=0).fit(X, np.arange(10) % 2)
    with pytest.raises(ValueError, match="features"):
        esn.predict(X[:, :4])
    with pytest.raises(ValueError, match="NaN"):
        esn.predict(np.full((2, 6), np.nan))
    with pytest.raises(ValueError, match="not among the classes"):
        esn.partial_fit(X, np.arange(10) % 3)


# ---------------------------------------------------------------- persistence, figure


@pytest.fixture
def registered():
    added = "esn" not in zoo.list()
    if added:
        zoo.register(ESN_ENTRY)
    yield
    if added:
        zoo.unregister("esn")


def test_save_load_round_trip(registered, tmp_path, mackey_glass):
    X, y = mackey_glass.X_train[:400], mackey_glass.y_train[:400]
    esn = ESNRegressor(60, output_feedback=True, random_state=0).fit(X, y)
    zoo.save(esn, tmp_path / "esn.npz")
    loaded = zoo.load(tmp_path / "esn.npz")
    np.testing.assert_array_equal(loaded.predict(X), esn.predict(X))
    np.testing.assert_array_equal(loaded.generate(30), esn.generate(30))
    classifier = ESNClassifier(30, random_state=0).fit(
        np.sin(np.arange(40.0)).reshape(8, 5), [0, 1] * 4
    )
    zoo.save(classifier, tmp_path / "esn_classifier.npz")
    np.testing.assert_array_equal(
        zoo.load(tmp_path / "esn_classifier.npz").decision_function(np.ones((3, 5))),
        classifier.decision_function(np.ones((3, 5))),
    )
    logistic = ESNClassifier(30, readout="logistic", random_state=0).fit(
        np.sin(np.arange(40.0)).reshape(8, 5), [0, 1] * 4
    )
    zoo.save(logistic, tmp_path / "esn_logistic.npz")
    np.testing.assert_array_equal(
        zoo.load(tmp_path / "esn_logistic.npz").predict_proba(np.ones((3, 5))),
        logistic.predict_proba(np.ones((3, 5))),
    )


def test_forecast_figure(mg_esn, mackey_glass):
    figure_module = pytest.importorskip("matplotlib.figure")
    figure = figure_module.Figure()
    forecast_figure(mg_esn, mackey_glass, figure, n_steps=100)
    assert len(figure.axes) == 1 and len(figure.axes[0].lines) >= 2


def memory_capacity(n_reservoir, spectral_radius, seed=0, n_train=4000, n_test=2000, washout=200):
    """Jaeger's (2001, GMD report 152) short-term memory capacity: readouts trained to
    output the i.i.d. input delayed by k = 1..2N; MC = sum_k r^2(u(n - k), y_k(n)) on
    held-out steps (the reservoir continues from the training run)."""
    rng = np.random.RandomState(seed)
    delays = np.arange(1, 2 * n_reservoir + 1)
    u = rng.uniform(-0.5, 0.5, size=delays[-1] + washout + n_train + n_test)
    steps = np.arange(delays[-1], len(u))
    X, Y = u[steps][:, None], np.stack([u[steps - k] for k in delays], axis=1)
    cut = washout + n_train
    esn = ESNRegressor(n_reservoir, spectral_radius=spectral_radius, input_scaling=0.1, bias_scaling=0.0,
                       washout=washout, alpha=1e-8, random_state=seed).fit(X[:cut], Y[:cut])
    predicted = esn.predict(X[cut:], initial_state="fit")
    return sum(np.corrcoef(predicted[:, j], Y[cut:, j])[0, 1] ** 2 for j in range(len(delays)))


def test_memory_capacity_is_bounded_by_the_reservoir_size_and_grows_with_it_and_the_radius():
    """Jaeger (2001): MC <= N for i.i.d. input; a larger reservoir remembers more, and a
    small spectral radius (fast-fading echoes) remembers little."""
    small, large, fading = memory_capacity(20, 0.9), memory_capacity(50, 0.9), memory_capacity(50, 0.3)
    assert small <= 20 and large <= 50 and fading <= 50
    assert large >= 1.5 * small  # measured 23.4 vs 12.1
    assert large >= 2 * fading  # measured 23.4 vs 8.6


# ---------------------------------------------------------------- state equation, noise, readout features


def test_reservoir_states_follow_the_leaky_update_equation():
    """x(n) = (1 - a) x(n-1) + a tanh(W_in [1; u(n)] + W x(n-1)), written here in the
    module's row form u W_in + b + x W, reproduced by hand to 1e-12 on a 6-unit
    reservoir with a = 0.3, from the zero state and from a given one. W_in and b are
    uniform within input_scaling and bias_scaling; bias_scaling=0 gives b = 0, and
    then zero input keeps the zero state at zero."""
    rng = np.random.default_rng(4)
    U = rng.uniform(-1, 1, size=(8, 2))
    esn = ESNRegressor(
        6, spectral_radius=0.8, leak_rate=0.3, input_scaling=0.4, bias_scaling=0.7,
        density=0.5, random_state=0,
    ).fit(U, U[:, 0])
    assert np.abs(esn.input_weights_).max() <= 0.4 and np.abs(esn.bias_).max() <= 0.7
    assert np.abs(esn.bias_).max() > 0.1
    W = esn.reservoir_matrix().toarray()
    start = rng.uniform(-1, 1, 6)
    for initial_state in (None, start):
        x, by_hand = np.zeros(6) if initial_state is None else start, []
        for u in U:
            x = 0.7 * x + 0.3 * np.tanh(u @ esn.input_weights_ + esn.bias_ + x @ W)
            by_hand.append(x)
        states = esn.reservoir_states(U, initial_state=initial_state)
        np.testing.assert_allclose(states, by_hand, rtol=0, atol=1e-12)
    unbiased = ESNRegressor(6, bias_scaling=0.0, density=0.5, random_state=0).fit(U, U[:, 0])
    assert np.all(unbiased.bias_ == 0)
    assert np.all(unbiased.reservoir_states(np.zeros((5, 2))) == 0)


def test_readout_without_the_input_sees_the_states_only():
    """include_input=False: W_out has n_reservoir rows (not n_inputs + n_reservoir), it
    solves the ridge normal equations on the centred post-washout states alone, and
    predict is x(n) W_out + c."""
    rng = np.random.default_rng(5)
    U = rng.normal(size=(2, 50, 3))
    Y = np.tanh(np.cumsum(U[:, :, 0], axis=1) / 4)
    esn = ESNRegressor(30, washout=8, alpha=1e-2, include_input=False, random_state=0).fit(U, Y)
    assert esn.coef_.shape == (30, 1)
    states = esn.reservoir_states(U)
    H, T = states[:, 8:].reshape(-1, 30), Y[:, 8:].reshape(-1, 1)
    assert_solves_ridge_normal_equations(esn, H, T, alpha=1e-2)
    np.testing.assert_allclose(esn.predict(U), (states @ esn.coef_)[..., 0] + esn.intercept_)
    with_input = ESNRegressor(30, washout=8, alpha=1e-2, random_state=0).fit(U, Y)
    assert with_input.coef_.shape == (33, 1)


def test_state_noise_enters_the_fit_only(mackey_glass):
    """noise=1e-2 perturbs the training run only: the same seed draws the same
    reservoir as noise=0 but the readout differs; predict is deterministic and
    noise-free (its states are the noise-free run's, read out by W_out); the fitted
    run's last state is off the noise-free trajectory (measured by 1.8e-2; the largest
    readout weight changes by 100 %)."""
    X, y = mackey_glass.X_train[:500], mackey_glass.y_train[:500]
    quiet = ESNRegressor(50, washout=50, random_state=0).fit(X, y)
    noisy = ESNRegressor(50, washout=50, noise=1e-2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(noisy.input_weights_, quiet.input_weights_)
    np.testing.assert_array_equal(noisy.reservoir_data_, quiet.reservoir_data_)
    assert np.abs(noisy.coef_ - quiet.coef_).max() > 0.1 * np.abs(quiet.coef_).max()
    np.testing.assert_array_equal(noisy.predict(X), noisy.predict(X))
    states = noisy.reservoir_states(X)
    np.testing.assert_array_equal(states, quiet.reservoir_states(X))
    features = np.concatenate([X, states], axis=1)
    np.testing.assert_allclose(noisy.predict(X), (features @ noisy.coef_)[:, 0] + noisy.intercept_)
    np.testing.assert_allclose(quiet.last_state_, states[-1], rtol=0, atol=1e-12)
    assert np.abs(noisy.last_state_ - states[-1]).max() > 1e-3


def test_state_noise_regularises_the_readout_and_stabilises_generation(mackey_glass):
    """Jaeger (2002, the ESN tutorial); Lukosevicius (2012): state noise while fitting
    acts as a regulariser. 100 units, leak 0.3, ridge alpha only 1e-8, seeds 0-5:
    noise=1e-3 shrinks ||W_out|| by more than 10x (measured 20-29x) and every 1000-step
    closed-loop run stays within the attractor's range widened by half its width
    (measured within 0.41-1.3; 12 of 12 seeds at alpha=1e-12, 8 of 8 at 1e-10, 1e-8). Without
    noise 3 of these 6 seeds (1, 3, 4) leave that range; that count moves with alpha
    (0 of 8 seeds at alpha=1e-10, 7 of 12 at 1e-12), so it is not asserted."""
    truth = mackey_glass.X_test[:, 0]
    low, high = truth.min() - 0.5 * np.ptp(truth), truth.max() + 0.5 * np.ptp(truth)
    for seed in range(6):
        quiet, noisy = (
            ESNRegressor(
                100, leak_rate=0.3, washout=100, alpha=1e-8, noise=noise, random_state=seed
            ).fit(mackey_glass.X_train, mackey_glass.y_train)
            for noise in (0.0, 1e-3)
        )
        assert np.linalg.norm(noisy.coef_) < 0.1 * np.linalg.norm(quiet.coef_)
        generated = noisy.generate(1000)
        assert np.all((generated > low) & (generated < high)), seed
