"""Time of zoo's convolution beside PyTorch's CPU convolution, one thread each.

1. One layer: forward + backward of a 3x3 convolution, 16 -> 32 channels, 28 x 28
   images, padding 1, batch 64, float32 (zoo's Conv2D in NHWC, torch's Conv2d in
   NCHW, each in its native layout). Before timing, the two are given the same
   weights and their outputs and gradients compared.
2. A whole epoch of the digits DCN (conv 8@3x3 - ReLU - max-pool 2 - conv 16@3x3 -
   ReLU - dense 64 - ReLU - dense 10, 'same' padding, Adam 1e-3, batches of 32):
   zoo through ``DCNClassifier.fit`` (the fit time over the epochs), torch the same
   loop written out.

Rounds are interleaved (zoo, torch, zoo, torch, ...) and the median of the per-round
ratios zoo / torch is printed.

PyTorch is not a dependency of zoo; run this from a separate environment that has it:

    PYTHONPATH=. /path/to/venv-with-torch/bin/python scripts/measure_conv_vs_torch.py \
        [--rounds 15] [--epochs 3]

zoo's time is numpy's BLAS: an OPENBLAS_CORETYPE set in the environment (some machines
pin an older kernel) slows it, so compare with and without it. Measured on a 2-core
Skylake-X machine, one thread, 21 rounds: layer 13.0 ms vs 8.5 ms (1.54x) and DCN epoch
0.038 s vs 0.039 s (0.97x) on OpenBLAS's SkylakeX kernel; 2.2x and 0.8x with the
Haswell kernel forced.
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from zoo.core.conv import Conv2D
from zoo.datasets import load
from zoo.models.dcn import DCNClassifier


def _seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _interleaved(zoo_run, torch_run, rounds):
    zoo_run(), torch_run()  # warm-up
    pairs = [(_seconds(zoo_run), _seconds(torch_run)) for _ in range(rounds)]
    zoo_times, torch_times = zip(*pairs)
    ratio = statistics.median(z / t for z, t in pairs)
    return statistics.median(zoo_times), statistics.median(torch_times), ratio


def layer_comparison(torch, rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 28, 28, 16)).astype(np.float32)
    layer = Conv2D(32, 3, padding=1)
    layer.build(x.shape[1:], rng, np.float32)
    dy = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)

    reference = torch.nn.Conv2d(16, 32, 3, padding=1)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.params["W"].transpose(3, 2, 0, 1).copy()))
        reference.bias.copy_(torch.from_numpy(layer.params["b"]))
    x_t = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_()
    dy_t = torch.from_numpy(dy.transpose(0, 3, 1, 2).copy())

    def zoo_step():
        layer.forward(x, training=True)
        return layer.backward(dy)

    def torch_step():
        x_t.grad = None
        reference.zero_grad()
        y_t = reference(x_t)
        y_t.backward(dy_t)
        return y_t

    dx, y_t = zoo_step(), torch_step()
    y = layer.forward(x)
    differences = {
        "output": np.abs(y - y_t.detach().numpy().transpose(0, 2, 3, 1)).max(),
        "input gradient": np.abs(dx - x_t.grad.numpy().transpose(0, 2, 3, 1)).max(),
        "kernel gradient": np.abs(
            layer.grads["W"] - reference.weight.grad.numpy().transpose(2, 3, 1, 0)).max(),
    }
    print("same weights, largest float32 differences: "
          + ", ".join(f"{name} {value:.1e}" for name, value in differences.items()))
    return _interleaved(zoo_step, torch_step, rounds)


def dcn_epoch_comparison(torch, rounds, epochs):
    data = load("digits", random_state=0)
    scaler = MinMaxScaler().fit(data.X_train)
    X = scaler.transform(data.X_train).astype(np.float32)
    y = data.y_train
    estimator = DCNClassifier(max_iter=epochs, n_iter_no_change=epochs + 1, random_state=0,
                              n_threads=1)

    def zoo_fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)

    torch.manual_seed(0)
    nn = torch.nn
    network = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    X_t = torch.from_numpy(X.reshape(-1, 1, 8, 8))
    y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
    generator = torch.Generator().manual_seed(0)

    def torch_fit():
        for _ in range(epochs):
            order = torch.randperm(X_t.shape[0], generator=generator)
            for start in range(0, X_t.shape[0], 32):
                index = order[start : start + 32]
                loss = nn.functional.cross_entropy(network(X_t[index]), y_t[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    zoo_s, torch_s, ratio = _interleaved(zoo_fit, torch_fit, rounds)
    return zoo_s / epochs, torch_s / epochs, ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("This script compares zoo with PyTorch, which is not installed here; run it "
                 "from an environment with torch installed (it is not a zoo dependency).")
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        zoo_s, torch_s, ratio = layer_comparison(torch, args.rounds)
        print(f"conv layer fwd+bwd (64 x 28 x 28, 16 -> 32, 3x3): zoo {zoo_s * 1e3:.1f} ms, "
              f"torch {torch_s * 1e3:.1f} ms, median ratio zoo/torch {ratio:.2f}")
        zoo_s, torch_s, ratio = dcn_epoch_comparison(torch, max(3, args.rounds // 3), args.epochs)
        print(f"digits DCN epoch (1347 images, batch 32): zoo {zoo_s:.3f} s, torch {torch_s:.3f} s, "
              f"median ratio zoo/torch {ratio:.2f}")


if __name__ == "__main__":
    main()
