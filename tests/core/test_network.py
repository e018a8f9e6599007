import numpy as np
import pytest

from zoo.core.callbacks import Callback, EarlyStopping
from zoo.core.layers import Activation, Dense
from zoo.core.losses import mse, softmax_cross_entropy
from zoo.core.network import Sequential, TrainingDivergedError, train
from zoo.core.optimizers import SGD, Adam


def _net(seed=0, n_in=2, hidden=8, n_out=1):
    net = Sequential([Dense(hidden), Activation("tanh"), Dense(n_out)])
    net.build((n_in,), np.random.default_rng(seed), np.float64)
    return net


def _regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, (X[:, :1] * X[:, 1:]) + 0.5 * X[:, :1]


@pytest.mark.parametrize("batch_size", [None, 1, 32])
def test_full_online_and_minibatch_training_reduce_the_loss(batch_size):
    X, y = _regression()
    net = _net()
    history = train(net, X, y, mse, SGD(0.02 if batch_size == 1 else 0.3), epochs=30,
                    batch_size=batch_size, rng=0)
    assert history.n_epochs == 30
    assert history.loss_curve[-1] < 0.3 * history.loss_curve[0]


def test_same_seed_same_weights_and_different_seed_differs():
    X, y = _regression()
    runs = []
    for seed in (0, 0, 1):
        net = _net()
        train(net, X, y, mse, SGD(0.1), epochs=3, batch_size=16, rng=seed)
        runs.append(net.params[0].copy())
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 2)), rng.standard_normal((40, 1))  # noise: overfits
    X_val, y_val = rng.standard_normal((40, 2)), rng.standard_normal((40, 1))
    net = _net(hidden=64)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            snapshots.append(state["network"].get_weights())

    stopper = EarlyStopping(patience=5, tol=0)
    history = train(net, X, y, mse, Adam(0.05), epochs=300, batch_size=8, rng=0,
                    validation_data=(X_val, y_val), callbacks=[stopper, Snapshot()])
    assert stopper.stopped and history.n_epochs < 300
    best = int(np.argmax(history.validation_scores))
    assert history.n_epochs == best + 1 + 5
    for restored, kept in zip(net.params, snapshots[best]):
        assert np.array_equal(restored, kept)


def test_callbacks_see_every_hook_and_can_stop():
    X, y = _regression(n=20)
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, state): calls.append("train_begin")
        def on_epoch_begin(self, state): calls.append("epoch_begin")
        def on_batch_begin(self, state): calls.append("batch_begin")
        def on_batch_end(self, state): calls.append("batch_end")
        def on_epoch_end(self, state):
            calls.append("epoch_end")
            state["stop"] = state["epoch"] == 1
        def on_train_end(self, state): calls.append("train_end")

    history = train(_net(), X, y, mse, SGD(0.1), epochs=10, batch_size=10, callbacks=[Recorder()])
    assert history.n_epochs == 2
    epoch = ["epoch_begin", "batch_begin", "batch_end", "batch_begin", "batch_end", "epoch_end"]
    assert calls == ["train_begin", *epoch, *epoch, "train_end"]


def test_divergence_raises_and_keeps_the_last_finite_weights():
    X, y = _regression()
    net = Sequential([Dense(1)])  # linear, so a too-large step grows without bound
    net.build((2,), np.random.default_rng(0), np.float64)
    kept = []

    class Keep(Callback):
        def on_epoch_end(self, state):
            if all(np.isfinite(p).all() for p in state["network"].params):
                kept[:] = state["network"].get_weights()

    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError, match="loss became"):
        train(net, X, y, mse, SGD(100.0), epochs=500, batch_size=200, callbacks=[Keep()])
    assert kept and all(np.isfinite(p).all() for p in net.params)
    assert all(np.array_equal(a, b) for a, b in zip(net.params, kept))


def test_validation_score_function_is_used():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = (X[:, 0] > 0).astype(int)
    net = _net(n_out=2)
    accuracy = lambda y_true, out: np.mean(out.argmax(1) == y_true)  # noqa: E731
    history = train(net, X, y, softmax_cross_entropy, Adam(0.05), epochs=20, batch_size=20,
                    validation_data=(X, y), validation_score=accuracy, rng=0)
    assert len(history.validation_scores) == 20
    assert history.validation_scores[-1] >= 0.95


def test_pickled_networks_leave_out_the_forward_caches():
    import pickle

    X, y = _regression(n=50)
    net = _net()
    train(net, X, y, mse, SGD(0.1), epochs=2, batch_size=10)
    copy = pickle.loads(pickle.dumps(net))
    assert not any(key.startswith("_") for layer in copy.layers for key in vars(layer))
    assert np.array_equal(copy.predict(X), net.predict(X))


def test_predict_in_chunks_equals_one_pass():
    X, _ = _regression(n=100)
    net = _net()
    assert np.allclose(net.predict(X, batch_size=7), net.forward(X))
