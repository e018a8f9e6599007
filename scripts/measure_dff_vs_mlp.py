"""Fit time and accuracy of DFFClassifier beside scikit-learn's MLPClassifier.

Same data (standardized digits, 75/25 split, random_state 0), same architecture
(128, 64), solver Adam at 1e-3, batch 64, the same number of epochs (no early stop:
both run every epoch) and the same L2 penalty alpha (both add
(alpha / (2 n_batch)) ||W||^2 to the batch loss), under 1 and 2 BLAS threads. Prints
best-of-N fit times and the ratio.

    python scripts/measure_dff_vs_mlp.py [--epochs 100] [--repeats 3]
"""

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from zoo.datasets import load
from zoo.models.dff import DFFClassifier

ALPHA = 1e-4
BATCH = 64


def estimators(epochs, threads):
    zoo_dff = DFFClassifier(hidden_layer_sizes=(128, 64), learning_rate=1e-3, batch_size=BATCH,
                            alpha=ALPHA, max_iter=epochs, n_iter_no_change=epochs + 1,
                            random_state=0, n_threads=threads)
    mlp = MLPClassifier(hidden_layer_sizes=(128, 64), solver="adam", learning_rate_init=1e-3,
                        batch_size=BATCH, alpha=ALPHA, max_iter=epochs, n_iter_no_change=epochs + 1,
                        tol=0, random_state=0)
    return {"zoo": zoo_dff, "sklearn": mlp}


def best_fit(estimator, X, y, threads, repeats):
    times = []
    for _ in range(repeats):
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            estimator.fit(X, y)
            times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load("digits", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    X_train, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)
    for threads in (1, 2):
        results = {}
        for name, estimator in estimators(args.epochs, threads).items():
            seconds = best_fit(estimator, X_train, data.y_train, threads, args.repeats)
            results[name] = (seconds, estimator.score(X_test, data.y_test), estimator.n_iter_)
        (zt, za, zn), (st, sa, sn) = results["zoo"], results["sklearn"]
        print(f"{threads} thread(s): zoo {zt:.2f} s acc {za:.4f} ({zn} epochs) | "
              f"sklearn {st:.2f} s acc {sa:.4f} ({sn} epochs) | fit-time ratio {zt / st:.2f}")


if __name__ == "__main__":
    main()
