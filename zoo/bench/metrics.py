"""Benchmark metrics: a table name -> ``Metric``, each scoring a fitted estimator on a
dataset's test split.

A metric function takes ``(estimator, data)`` where ``data`` is the preprocessed
``zoo.datasets.Dataset``, makes the predictions it needs (predict, transform,
score_samples, ...) and returns one float. A family that needs a new measure adds it
with the ``metric`` decorator::

    @metric("recall_rate", "higher", "fraction of corrupted patterns recalled exactly")
    def recall_rate(estimator, data): ...
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score

from zoo.core._choices import choose

DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Metric:
    """A named score with the direction in which it improves."""

    name: str
    direction: str
    description: str
    function: Callable

    def __call__(self, estimator, data):
        return float(self.function(estimator, data))

    def better(self, first, second):
        """Whether score ``first`` beats score ``second``."""
        return first > second if self.direction == "higher" else first < second


METRICS = {}


def metric(name, direction, description):
    """Decorator adding ``function(estimator, data) -> float`` to ``METRICS`` as ``name``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")

    def add(function):
        METRICS[name] = Metric(name, direction, description, function)
        return function

    return add


def get_metric(name):
    """The ``Metric`` called ``name``; an unknown name raises ValueError listing the valid ones."""
    return choose("metric", name, METRICS)


def _targets_and_predictions(estimator, data):
    y_true = np.asarray(data.y_test, dtype=float)
    y_pred = np.asarray(estimator.predict(data.X_test), dtype=float)
    return y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)


@metric("accuracy", "higher", "fraction of the test samples classified correctly")
def accuracy(estimator, data):
    return accuracy_score(data.y_test, estimator.predict(data.X_test))


@metric("r2", "higher", "coefficient of determination R^2 on the test split")
def r2(estimator, data):
    return r2_score(*_targets_and_predictions(estimator, data))


@metric("mse", "lower", "mean squared error on the test split")
def mse(estimator, data):
    return mean_squared_error(*_targets_and_predictions(estimator, data))


@metric("nrmse", "lower", "root mean squared error divided by the standard deviation of the target")
def nrmse(estimator, data):
    y_true, y_pred = _targets_and_predictions(estimator, data)
    return np.sqrt(np.mean((y_true - y_pred) ** 2)) / np.std(y_true)


def _defined_in(path):
    """A metric function that lives in a family module, imported on first use."""

    def score(estimator, data):
        from zoo.registry import import_object

        return import_object(path)(estimator, data)

    return score


# Metrics that a family defines beside its model: name -> (direction, function, description).
FAMILY_METRICS = {
    "reconstruction_mse": ("lower", "zoo.models.ae:reconstruction_mse",
                           "mean squared error of inverse_transform(transform(X_test)) per entry"),
    "pseudo_likelihood": ("higher", "zoo.models.rbm:pseudo_likelihood",
                          "mean pseudo-log-likelihood (score_samples) of the test split"),
    "log_likelihood": ("higher", "zoo.models.bm:log_likelihood",
                       "exact mean log p(v) of the test split"),
    "recall_rate": ("higher", "zoo.models.hopfield:recall_rate",
                    "fraction of test patterns recalled exactly from 10%-flipped copies"),
    "perplexity": ("lower", "zoo.models.markov:perplexity",
                   "per-symbol perplexity of the held-out sequence"),
    "series_nrmse": ("lower", "zoo.models.esn:series_nrmse",
                     "one-step NRMSE on the test part of a series predicted from its start"),
    "quantization_error": ("lower", "zoo.models.som:quantization_error",
                           "mean distance of a test sample to its nearest unit (or centre)"),
    "energy_distance": ("lower", "zoo.models.gan:sample_energy_distance",
                        "energy distance between the test split and as many generated samples"),
    "bit_error": ("lower", "zoo.models.ntm:bit_error",
                  "fraction of the answer bits of the test sequences predicted wrong"),
}
for _name, (_direction, _path, _description) in FAMILY_METRICS.items():
    metric(_name, _direction, _description)(_defined_in(_path))
