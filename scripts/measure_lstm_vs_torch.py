"""Seconds per training epoch of zoo's LSTM and GRU beside PyTorch's CPU LSTM and GRU.

Same data (the adding problem, T = 50 steps, 2 channels, 1500 training sequences),
same model (one recurrent layer of ``hidden`` units, a linear output on the last
hidden state), same training step (MSE, Adam at 1e-2, global gradient-norm clipping
at 1, minibatches of 64 in a fresh random order each epoch), float32, under 1 and 2
threads. zoo runs through its estimators (``LSTMRegressor`` / ``GRURegressor``, the
machinery every fit uses), ``max_iter`` epochs without early stopping, the fit time
divided by the epochs; PyTorch runs the same loop written out. Prints the best of
``--repeats`` timings after a warm-up, and the ratio zoo / torch.

PyTorch is not a dependency of zoo; run this from a separate environment that has it:

    PYTHONPATH=. /path/to/venv-with-torch/bin/python scripts/measure_lstm_vs_torch.py \
        [--epochs 2] [--repeats 3] [--hidden 32 64 128] [--threads 1 2]
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from zoo.datasets import load
from zoo.models.gru import GRURegressor
from zoo.models.lstm import LSTMRegressor

BATCH = 64
LEARNING_RATE = 1e-2
CLIP_NORM = 1.0
ZOO_MODELS = {"lstm": LSTMRegressor, "gru": GRURegressor}


def zoo_seconds_per_epoch(kind, hidden, X, y, epochs, threads, repeats):
    estimator = ZOO_MODELS[kind](
        hidden_size=hidden, batch_size=BATCH, learning_rate=LEARNING_RATE, clip_norm=CLIP_NORM,
        max_iter=epochs, n_iter_no_change=epochs + 1, random_state=0, n_threads=threads,
    )

    def fit():
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)

    return _best_of(fit, repeats) / epochs


def torch_seconds_per_epoch(torch, kind, hidden, X, y, epochs, threads, repeats):
    torch.manual_seed(0)
    cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    recurrent = cell(X.shape[2], hidden, batch_first=True)
    head = torch.nn.Linear(hidden, 1)
    params = [*recurrent.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    y_t = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)).reshape(-1, 1)
    generator = torch.Generator().manual_seed(0)

    def fit():
        for _ in range(epochs):
            order = torch.randperm(X_t.shape[0], generator=generator)
            for start in range(0, X_t.shape[0], BATCH):
                index = order[start : start + BATCH]
                sequence, _ = recurrent(X_t[index])
                loss = torch.nn.functional.mse_loss(head(sequence[:, -1]), y_t[index])
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, CLIP_NORM)
                optimizer.step()

    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        return _best_of(fit, repeats) / epochs


def _best_of(run, repeats):
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="+", choices=sorted(ZOO_MODELS), default=["lstm", "gru"])
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("This script compares zoo with PyTorch, which is not installed here; run it "
                 "from an environment with torch installed (it is not a zoo dependency).")
    data = load("adding", random_state=0, n_samples=2000, T=50, test_size=0.25)
    X, y = data.X_train.astype(np.float32), data.y_train.astype(np.float32)
    print(f"adding problem: {X.shape[0]} sequences x {X.shape[1]} steps x {X.shape[2]} features, "
          f"batch {BATCH}, float32, best of {args.repeats} x {args.epochs} epoch(s)")
    print(f"{'model':5} {'hidden':>6} {'threads':>7} {'zoo s/epoch':>12} {'torch s/epoch':>14} "
          f"{'zoo/torch':>9}")
    for threads in args.threads:
        for kind in args.models:
            for hidden in args.hidden:
                zoo_s = zoo_seconds_per_epoch(kind, hidden, X, y, args.epochs, threads,
                                              args.repeats)
                torch_s = torch_seconds_per_epoch(torch, kind, hidden, X, y, args.epochs,
                                                  threads, args.repeats)
                print(f"{kind:5} {hidden:6d} {threads:7d} {zoo_s:12.3f} {torch_s:14.3f} "
                      f"{zoo_s / torch_s:9.2f}", flush=True)


if __name__ == "__main__":
    main()
