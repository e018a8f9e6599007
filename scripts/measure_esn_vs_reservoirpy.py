"""Fit time and NRMSE of zoo's ESNRegressor beside reservoirpy's Reservoir >> Ridge.

Same task (one-step prediction of Mackey-Glass, ``zoo.datasets.load("mackey_glass")``,
the first ``--steps`` training steps), same model: ``--units`` reservoir units, spectral
radius 0.9, leak rate 0.3, input scaling 1, recurrent density 0.1, no bias, a ridge
readout (penalty 1e-8, with intercept) on the states alone after a washout of 100 steps.
The weight distributions differ (zoo: uniform W_in and W; reservoirpy: Bernoulli W_in,
normal W), so the NRMSEs agree in size, not digit for digit. Each timing is a complete
fit of a fresh model (drawing and rescaling the reservoir, the run, the ridge solve),
under one thread (threadpoolctl), the two libraries interleaved for ``--repeats``
rounds after a warm-up; printed are the medians and the median of the per-round ratios
zoo / reservoirpy. The NRMSE (RMSE / std of the target) is that of the one-step
predictions of the rest of the series (the training steps after ``--steps``, then the
test part), each model continuing from the end of its training run.

reservoirpy is not a dependency of zoo; run this from a separate environment that has it:

    PYTHONPATH=. /path/to/venv-with-reservoirpy/bin/python scripts/measure_esn_vs_reservoirpy.py \
        [--units 500] [--steps 2000] [--repeats 21]
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from zoo.datasets import load
from zoo.models.esn import ESNRegressor

SPECTRAL_RADIUS = 0.9
LEAK_RATE = 0.3
INPUT_SCALING = 1.0
DENSITY = 0.1
RIDGE = 1e-8
WASHOUT = 100


def zoo_fit(units, X, y, seed):
    return ESNRegressor(
        units, spectral_radius=SPECTRAL_RADIUS, leak_rate=LEAK_RATE,
        input_scaling=INPUT_SCALING, bias_scaling=0.0, density=DENSITY, washout=WASHOUT,
        alpha=RIDGE, include_input=False, random_state=seed, n_threads=1,
    ).fit(X, y)


def zoo_test_predictions(model, X_test):
    return model.predict(X_test, initial_state="fit")


def reservoirpy_fit(units, X, y, seed):
    from reservoirpy.nodes import Reservoir, Ridge

    reservoir = Reservoir(
        units, lr=LEAK_RATE, sr=SPECTRAL_RADIUS, input_scaling=INPUT_SCALING,
        rc_connectivity=DENSITY, input_connectivity=1.0, bias=0.0, seed=seed,
    )
    return (reservoir >> Ridge(ridge=RIDGE)).fit(X, y.reshape(-1, 1), warmup=WASHOUT)


def reservoirpy_test_predictions(model, X_test):
    return model.run(X_test)


def nrmse(truth, predicted):
    truth = np.ravel(truth)
    return float(np.sqrt(np.mean((truth - np.ravel(predicted)) ** 2)) / np.std(truth))


def timed(fit, *args):
    start = time.perf_counter()
    model = fit(*args)
    return time.perf_counter() - start, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    data = load("mackey_glass")
    series = np.concatenate([np.asarray(data.X_train), np.asarray(data.X_test)])
    targets = np.concatenate([np.asarray(data.y_train), np.asarray(data.y_test)])
    X, y = series[: args.steps], targets[: args.steps]
    X_test, y_test = series[args.steps :], targets[args.steps :]
    libraries = {
        "zoo": (zoo_fit, zoo_test_predictions),
        "reservoirpy": (reservoirpy_fit, reservoirpy_test_predictions),
    }
    seconds = {name: [] for name in libraries}
    errors = {name: [] for name in libraries}
    with threadpool_limits(limits=1):
        for name, (fit, _) in libraries.items():
            fit(args.units, X, y, 0)  # warm-up
        for round_ in range(args.repeats):
            for name, (fit, predict) in libraries.items():
                elapsed, model = timed(fit, args.units, X, y, round_)
                seconds[name].append(elapsed)
                errors[name].append(nrmse(y_test, predict(model, X_test)))
    ratios = np.array(seconds["zoo"]) / np.array(seconds["reservoirpy"])
    print(f"ESN fit, {args.units} units, {args.steps} Mackey-Glass steps, 1 thread, "
          f"{args.repeats} interleaved rounds (seeds 0..{args.repeats - 1})")
    for name in libraries:
        print(f"  {name:12s} median fit {np.median(seconds[name]) * 1e3:7.1f} ms   "
              f"test NRMSE median {np.median(errors[name]):.2e} "
              f"(range {min(errors[name]):.2e} .. {max(errors[name]):.2e})")
    print(f"  ratio zoo / reservoirpy: median {np.median(ratios):.2f} "
          f"(range {ratios.min():.2f} .. {ratios.max():.2f})")


if __name__ == "__main__":
    main()
