"""Forward + backward time of zoo's LSTM layer beside PyTorch's CPU ``nn.LSTM``.

One layer, float32, batch 32, 50 steps, 32 inputs, 128 units (``--batch``, ``--steps``,
``--inputs``, ``--units``), the whole output sequence returned and a fixed random
gradient fed back through it. Both run on one thread. The two are timed in interleaved
rounds (zoo, torch, zoo, torch, ...), each round the mean of ``--calls`` calls in a row; the ratio
zoo / torch is the median over ``--rounds`` rounds. Before timing, torch gets zoo's
weights and the outputs and every gradient (input, W, U, b) are checked equal within
float32 tolerances.

PyTorch is not a dependency of zoo; run this from a separate environment that has it:

    PYTHONPATH=. /path/to/venv-with-torch/bin/python scripts/measure_lstm_layer_vs_torch.py
"""

import argparse
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from zoo.core.recurrent import LSTM

ZOO_TO_TORCH_GATES = (0, 1, 3, 2)  # zoo's blocks i, f, o, g; torch's i, f, g, o


def build_zoo(args, rng):
    layer = LSTM(args.units, return_sequences=True)
    layer.build((args.steps, args.inputs), rng, np.float32)
    layer.params["b"][...] = rng.normal(0, 0.1, layer.params["b"].shape)
    return layer


def torch_gate_order(A, units):
    """Rows of zoo's gate blocks, (4 * units, ...), in torch's order."""
    blocks = [A[k * units : (k + 1) * units] for k in ZOO_TO_TORCH_GATES]
    return np.ascontiguousarray(np.concatenate(blocks))


def build_torch(torch, layer, args):
    module = torch.nn.LSTM(args.inputs, args.units, batch_first=True)
    weights = {
        "weight_ih_l0": layer.params["W"].T,
        "weight_hh_l0": layer.params["U"].T,
        "bias_ih_l0": layer.params["b"],
        "bias_hh_l0": np.zeros_like(layer.params["b"]),
    }
    with torch.no_grad():
        for name, value in weights.items():
            getattr(module, name).copy_(torch.from_numpy(torch_gate_order(value, args.units)))
    return module


def zoo_step(layer, x, dy):
    out = layer.forward(x, training=True)
    return out, layer.backward(dy)


def torch_step(module, x, dy):
    module.zero_grad(set_to_none=True)
    x.grad = None
    out, _ = module(x)
    out.backward(dy)
    return out


def check_equal(torch, layer, module, x, dy, units):
    out, dx = zoo_step(layer, x, dy)
    x_t = torch.from_numpy(x).requires_grad_(True)
    out_t = torch_step(module, x_t, torch.from_numpy(dy))
    pairs = {
        "output": (out, out_t.detach().numpy()),
        "input grad": (dx, x_t.grad.numpy()),
        "W grad": (torch_gate_order(layer.grads["W"].T, units), module.weight_ih_l0.grad.numpy()),
        "U grad": (torch_gate_order(layer.grads["U"].T, units), module.weight_hh_l0.grad.numpy()),
        "b grad": (torch_gate_order(layer.grads["b"], units), module.bias_ih_l0.grad.numpy()),
    }
    for name, (ours, theirs) in pairs.items():
        scale = np.abs(theirs).max()
        error = np.abs(ours - theirs).max() / scale
        print(f"  {name:10} max |zoo - torch| / max |torch| = {error:.1e}")
        if not np.allclose(ours, theirs, rtol=1e-4, atol=1e-4 * scale):
            sys.exit(f"zoo and torch disagree on the {name}")


def mean_of(run, calls):
    """Seconds per call over ``calls`` calls in a row (steady state: the memory costs of
    every call count, as in training)."""
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--inputs", type=int, default=32)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("This script compares zoo with PyTorch, which is not installed here; run it "
                 "from an environment with torch installed (it is not a zoo dependency).")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, args.steps, args.inputs)).astype(np.float32)
    dy = rng.normal(size=(args.batch, args.steps, args.units)).astype(np.float32)
    layer = build_zoo(args, rng)
    module = build_torch(torch, layer, args)
    x_t = torch.from_numpy(x).requires_grad_(True)
    dy_t = torch.from_numpy(dy)
    print(f"LSTM layer forward + backward: batch {args.batch}, {args.steps} steps, "
          f"{args.inputs} inputs, {args.units} units, float32, 1 thread")
    with threadpool_limits(limits=1):
        check_equal(torch, layer, module, x, dy, args.units)
        zoo_step(layer, x, dy), torch_step(module, x_t, dy_t)  # warm-up
        zoo_times, torch_times = [], []
        for _ in range(args.rounds):
            zoo_times.append(mean_of(lambda: zoo_step(layer, x, dy), args.calls))
            torch_times.append(mean_of(lambda: torch_step(module, x_t, dy_t), args.calls))
    ratios = [z / t for z, t in zip(zoo_times, torch_times)]
    print(f"zoo {1e3 * statistics.median(zoo_times):.2f} ms, torch "
          f"{1e3 * statistics.median(torch_times):.2f} ms (medians of {args.rounds} rounds, "
          f"each the mean of {args.calls} calls)")
    print(f"zoo / torch: median {statistics.median(ratios):.2f} "
          f"(rounds {min(ratios):.2f} .. {max(ratios):.2f})")


if __name__ == "__main__":
    main()
