"""Fit time and quantisation error of zoo's SelfOrganizingMap beside MiniSom.

A 10 x 10 rectangular map, ``--iterations`` single-sample online updates (5000) on
iris (all 150 samples, standardized), gaussian neighbourhood, one BLAS thread. Two
settings, each run by both libraries:

* ``minisom-defaults``: MiniSom's defaults (sigma 1, learning rate 0.5, both decaying
  as x / (1 + t / (T / 2)), weights initialised from random samples, samples in
  random order); zoo runs the same schedule (decay="inverse" from 1 and from 0.5 to
  about a third, init="sample").
* ``zoo-defaults``: zoo's defaults (sigma 5 -> 0.5 and learning rate 0.5 -> 0.05,
  geometric decay, PCA initialisation); MiniSom with sigma 5, learning rate 0.5, its
  own decay and its PCA initialisation.

Each repeat fits zoo and MiniSom one after the other (the order alternating) with
the same seed, timing the whole fit (initialisation included); the script prints the
median fit time of each, the median of the per-repeat time ratios zoo / MiniSom, and
the median quantisation error on the training data. Last, a paired run of the first
setting: MiniSom's initial weights and one sample order for both (MiniSom stepped
through its ``winner`` and ``update`` methods), to show that the two learning rules
agree, and the maps differ only by their random starts and orders.

MiniSom is not a dependency of zoo; run this from a separate environment that has it:

    PYTHONPATH=. /path/to/venv-with-minisom/bin/python scripts/measure_som_vs_minisom.py \
        [--iterations 5000] [--repeats 15]
"""

import argparse
import statistics
import sys
import time

import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from zoo.models.som import SelfOrganizingMap

SIZE = 10


def settings(iterations):
    """{name: (zoo parameters, MiniSom parameters)}. MiniSom's x / (1 + t / (T / 2)) is
    zoo's decay="inverse" ending at x / (1 + 2 (T - 1) / T) on the last update."""
    last = 1 / (1 + 2 * (iterations - 1) / iterations)
    return {
        "minisom-defaults": (
            {"sigma0": 1.0, "sigma_end": last, "learning_rate0": 0.5,
             "learning_rate_end": 0.5 * last, "decay": "inverse", "init": "sample"},
            {"sigma": 1.0, "learning_rate": 0.5, "init": "random_weights_init"},
        ),
        "zoo-defaults": (
            {},
            {"sigma": 5.0, "learning_rate": 0.5, "init": "pca_weights_init"},
        ),
    }


def fit_zoo(X, iterations, seed, params):
    som = SelfOrganizingMap(SIZE, SIZE, n_iter=iterations, random_state=seed, n_threads=1,
                            **params)
    start = time.perf_counter()
    som.fit(X)
    return time.perf_counter() - start, som.quantization_error(X)


def fit_minisom(MiniSom, X, iterations, seed, params):
    start = time.perf_counter()
    som = MiniSom(SIZE, SIZE, X.shape[1], sigma=params["sigma"],
                  learning_rate=params["learning_rate"], random_seed=seed)
    getattr(som, params["init"])(X)
    som.train(X, iterations, random_order=True)
    return time.perf_counter() - start, som.quantization_error(X)


def paired_run(MiniSom, X, iterations):
    """(largest weight difference, zoo QE, MiniSom QE) from the same start and order."""
    minisom = MiniSom(SIZE, SIZE, X.shape[1], sigma=1.0, learning_rate=0.5, random_seed=0)
    minisom.random_weights_init(X)
    start = minisom.get_weights().reshape(SIZE * SIZE, X.shape[1]).copy()
    order = np.random.default_rng(0).integers(0, X.shape[0], iterations)
    for t, index in enumerate(order):
        minisom.update(X[index], minisom.winner(X[index]), t, iterations)
    params = {**settings(iterations)["minisom-defaults"][0], "init": start}
    som = SelfOrganizingMap(SIZE, SIZE, n_iter=iterations, **params).partial_fit(X[order])
    difference = np.abs(som.weights_ - minisom.get_weights().reshape(start.shape)).max()
    return difference, som.quantization_error(X), minisom.quantization_error(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    try:
        from minisom import MiniSom
    except ImportError:
        sys.exit("This script compares zoo with MiniSom, which is not installed here; run it "
                 "from an environment with minisom installed (it is not a zoo dependency).")
    X = StandardScaler().fit_transform(load_iris().data)
    print(f"iris {X.shape[0]} x {X.shape[1]} standardized, {SIZE} x {SIZE} map, "
          f"{args.iterations} online updates, 1 thread, {args.repeats} interleaved repeats")
    print(f"{'setting':17} {'zoo s':>8} {'MiniSom s':>10} {'zoo/MiniSom':>12} "
          f"{'zoo QE':>8} {'MiniSom QE':>11}")
    with threadpool_limits(limits=1):
        for name, (zoo_params, minisom_params) in settings(args.iterations).items():
            runs = {"zoo": [], "minisom": []}
            fit_zoo(X, args.iterations, 0, zoo_params)  # warm-up
            fit_minisom(MiniSom, X, args.iterations, 0, minisom_params)
            for seed in range(args.repeats):
                pair = [("zoo", lambda: fit_zoo(X, args.iterations, seed, zoo_params)),
                        ("minisom", lambda: fit_minisom(MiniSom, X, args.iterations, seed,
                                                        minisom_params))]
                for library, run in pair if seed % 2 == 0 else pair[::-1]:
                    runs[library].append(run())
            (zoo_times, zoo_qe), (mini_times, mini_qe) = (zip(*runs[k]) for k in ("zoo", "minisom"))
            ratio = statistics.median(z / m for z, m in zip(zoo_times, mini_times))
            print(f"{name:17} {statistics.median(zoo_times):8.4f} "
                  f"{statistics.median(mini_times):10.4f} {ratio:12.2f} "
                  f"{statistics.median(zoo_qe):8.4f} {statistics.median(mini_qe):11.4f}",
                  flush=True)
        difference, zoo_qe, minisom_qe = paired_run(MiniSom, X, args.iterations)
    print(f"paired (same start and order, minisom-defaults): largest weight difference "
          f"{difference:.2e}, QE zoo {zoo_qe:.5f}, MiniSom {minisom_qe:.5f}")


if __name__ == "__main__":
    main()
