"""Fit each family and its baseline on the family's registry benchmark.

``run_family(entry, settings)`` does one family: it loads and preprocesses the
benchmark dataset, then fits the zoo estimator and the baseline one after the other
in the same process on the same split, each under the same BLAS/OpenMP thread limit,
and returns a JSON-ready record (plus the PNGs of the family's own figures, if its
registry entry names hooks). The zoo estimator's ``fit`` also gets the keyword
arguments the benchmark takes from the dataset's ``info`` (``fit_params_from_info``).
``run(entries, settings, out)`` spreads the families over joblib workers and writes
one ``results/<family>.json`` per family as each finishes; a failed or diverged run
is recorded with its error and the rest go on.
"""

import dataclasses
import datetime
import json
import math
import numbers
import os
import platform
import time
import tracemalloc
import warnings
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_limits

import zoo
from zoo.datasets import load
from zoo.registry import import_object

from . import figures
from .metrics import get_metric

SCHEMA_VERSION = 1
RESULTS_DIR = "results"
FIGURES_DIR = "figures"
SCALERS = {"standardize": StandardScaler, "minmax": MinMaxScaler}
# fitted arrays that describe the data, not the model
NOT_PARAMETERS = {"classes_", "class_weight_"}
MAX_WARNINGS = 5
# what a record holds for each of its two runs, "zoo" and "baseline"
RUN_FIELDS = (
    "estimator", "params", "status", "error", "score", "fit_time", "predict_time", "n_params",
    "predict_peak_mib", "n_iter", "loss_curve", "warnings",
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """How a benchmark run is done; recorded in every result."""

    quick: bool = False
    seed: int = 0
    threads: int = 1
    n_jobs: int = 1


def run(entries, settings, out, progress=print):
    """Benchmark ``entries`` (registry entries with a benchmark) into ``out/results``.

    Writes each record as soon as its family finishes and calls ``progress`` with a
    one-line summary; returns the records in the order they finished.
    """
    results_dir = Path(out) / RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    jobs = [joblib.delayed(run_family)(entry, settings) for entry in entries]
    parallel = _parallel(settings.n_jobs)
    records = []
    started = time.perf_counter()
    for done, (record, pngs) in enumerate(parallel(jobs), start=1):
        write_record(results_dir, record, pngs)
        records.append(record)
        progress(progress_line(done, len(jobs), record, time.perf_counter() - started))
    return records


def _parallel(n_jobs):
    """joblib's Parallel under the active backend, giving results as they finish where
    the backend can (loky, threading, dask), else all at the end (multiprocessing, ray)."""
    try:
        return joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:
        return joblib.Parallel(n_jobs=n_jobs)


def run_family(entry, settings):
    """(record, {figure path: PNG bytes}) for one family: its run and its baseline's."""
    started = time.perf_counter()
    bench = entry.benchmark
    record = _describe(entry, settings)
    zoo_params = _budget(bench.params, bench.quick_params, settings)
    baseline_spec = bench.baseline.estimator, _budget(
        bench.baseline.params, bench.baseline.quick_params, settings
    )
    pngs = {}
    try:
        metric = get_metric(bench.metric)
        zoo_path = _benchmarked_class(entry)
        data = prepare_data(bench, settings.seed)
    except Exception as exc:  # a bad benchmark entry fails this family only
        record["zoo"] = _failed(entry.estimator, zoo_params, exc)
        record["baseline"] = _failed(*baseline_spec, exc)
    else:
        record["direction"] = metric.direction
        record["n_train"], record["n_test"] = len(data.X_train), len(data.X_test)
        record["zoo"], estimator = run_estimator(
            zoo_path, zoo_params, metric, data, settings, bench.fit_params_from_info
        )
        record["baseline"], _ = run_estimator(*baseline_spec, metric, data, settings)
        if bench.figure and estimator is not None:
            pngs, record["figure_error"] = draw_family_figures(entry.name, bench, estimator, data)
            drawn = list(pngs)  # the record lists a list's figures, names a single one
            record["figure"] = drawn if isinstance(bench.figure, list) else next(iter(drawn), None)
    record["baseline"]["note"] = bench.baseline.note
    record["wall_time"] = time.perf_counter() - started
    return record, pngs


def prepare_data(bench, seed):
    """The benchmark dataset, scaled as the registry says (the scaler fitted on train)."""
    data = load(bench.dataset, random_state=seed, **bench.dataset_options)
    if bench.preprocess == "none":
        return data
    scaler = SCALERS[bench.preprocess]()
    n_features = data.X_train.shape[-1]
    scaler.fit(data.X_train.reshape(-1, n_features))

    def scale(X):
        return scaler.transform(X.reshape(-1, n_features)).reshape(X.shape)

    return dataclasses.replace(data, X_train=scale(data.X_train), X_test=scale(data.X_test))


def run_estimator(path, params, metric, data, settings, fit_params_from_info=None):
    """Fit the estimator at ``path`` and score it: (result dict, fitted estimator or None).
    ``fit_params_from_info`` ({fit keyword: key of ``data.info``}) adds fit arguments."""
    result = _result(path, params)
    fitted = None
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=settings.threads):
        warnings.simplefilter("always")
        try:
            estimator, result["params"] = build_estimator(path, params, settings)
            fit_args = (data.X_train,) if data.y_train is None else (data.X_train, data.y_train)
            fit_params = info_fit_params(fit_params_from_info or {}, data)
            result["fit_time"] = _timed(estimator.fit, *fit_args, **fit_params)
            fitted = estimator
            score, result["predict_time"] = _timed_value(metric, estimator, data)
            if not math.isfinite(score):
                raise FloatingPointError(f"the {metric.name} is {score} (the fit diverged)")
            result.update(
                status="ok",
                score=score,
                n_params=count_parameters(estimator),
                predict_peak_mib=_peak_memory_mib(metric, estimator, data),
            )
        except Exception as exc:  # recorded: one family's failure must not stop the others
            result["error"] = _message(exc)
    if fitted is not None:
        result["n_iter"], result["loss_curve"] = _history(fitted)
    result["warnings"] = _warning_messages(caught)
    return result, fitted if result["status"] == "ok" else None


def info_fit_params(fit_params_from_info, data):
    """{fit keyword: value} from the dataset's ``info`` as ``fit_params_from_info`` maps them."""
    missing = sorted(set(fit_params_from_info.values()) - set(data.info))
    if missing:
        raise ValueError(
            f"fit_params_from_info names {missing}, not in the info of dataset {data.name!r} "
            f"(it holds: {', '.join(sorted(data.info)) or 'nothing'})"
        )
    return {keyword: data.info[key] for keyword, key in fit_params_from_info.items()}


def build_estimator(path, params, settings):
    """A new estimator from ``path`` with ``params``, its seed and thread count set by the
    run where it has those parameters; returns it with the parameters it was given."""
    estimator = import_object(path)(**params)
    pinned = {"random_state": settings.seed, "n_threads": settings.threads}
    accepted = estimator.get_params(deep=False)
    pinned = {key: value for key, value in pinned.items() if key in accepted}
    estimator.set_params(**pinned)
    return estimator, {**params, **pinned}


def count_parameters(estimator):
    """``n_params_`` where the estimator has it, else the total size of its fitted
    floating-point arrays (attributes ending in ``_``, lists of arrays included)."""
    declared = getattr(estimator, "n_params_", None)
    if isinstance(declared, numbers.Integral):
        return int(declared)
    total = 0
    for name, value in vars(estimator).items():
        if not name.endswith("_") or name.startswith("_") or name in NOT_PARAMETERS:
            continue
        for array in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(array, np.ndarray) and np.issubdtype(array.dtype, np.floating):
                total += array.size
    return total


def figure_paths(family, bench):
    """{path under results/: hook} of a benchmark's figures: ``figures/<family>.png`` for
    a single hook, ``figures/<family>.<function>.png`` for each hook of a list."""
    if isinstance(bench.figure, str):
        return {f"{FIGURES_DIR}/{family}.png": bench.figure}
    return {
        f"{FIGURES_DIR}/{family}.{hook.rpartition(':')[2]}.png": hook
        for hook in bench.figure_hooks()
    }


def draw_family_figures(family, bench, estimator, data):
    """({figure path: PNG bytes} of the hooks that drew, the errors of the others or None)."""
    pngs, errors = {}, []
    for path, hook in figure_paths(family, bench).items():
        png, error = draw_family_figure(hook, estimator, data)
        if png is None:
            errors.append(error)
        else:
            pngs[path] = png
    return pngs, "; ".join(dict.fromkeys(errors)) or None


def draw_family_figure(hook_path, estimator, data):
    """(PNG bytes, None) from the family's figure hook, or (None, why not)."""
    Figure = figures.figure_class()
    if Figure is None:
        return None, figures.NO_MATPLOTLIB
    try:
        figure = Figure(figsize=(6.4, 4.0), dpi=100)
        import_object(hook_path)(estimator, data, figure)
        return figures.png_bytes(figure), None
    except Exception as exc:  # a broken picture must not lose the run's numbers
        return None, f"figure hook {hook_path!r} failed: {_message(exc)}"


def write_record(results_dir, record, pngs):
    """Write ``<family>.json`` and its figures ({path under ``results_dir``: PNG bytes})
    under ``results_dir``, removing the family's stale figures."""
    family, figures_dir = record["family"], results_dir / FIGURES_DIR
    # family names hold no dot, so "<family>.*.png" matches this family's files only
    for stale in [figures_dir / f"{family}.png", *figures_dir.glob(f"{family}.*.png")]:
        if stale.exists() and f"{FIGURES_DIR}/{stale.name}" not in pngs:
            stale.unlink()
    for path, png in pngs.items():
        (results_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (results_dir / path).write_bytes(png)
    text = json.dumps(_finite(record), indent=2, allow_nan=False, default=_jsonable)
    (results_dir / f"{record['family']}.json").write_text(text + "\n", encoding="utf-8")


def progress_line(done, total, record, elapsed):
    """'3/5 dff done in 2.1 s: accuracy 0.975 (baseline 0.972, fit-time ratio 0.8x)'."""
    head = f"{done}/{total} {record['family']}"
    zoo_run, baseline = record["zoo"], record["baseline"]
    if zoo_run["status"] != "ok":
        return f"{head} FAILED after {record['wall_time']:.1f} s: {zoo_run['error']}"
    if baseline["status"] == "ok":
        ratio = fit_time_ratio(record)
        versus = f"baseline {format_score(baseline['score'])}, fit-time ratio {format_ratio(ratio)}"
    else:
        versus = f"baseline failed: {baseline['error']}"
    return (
        f"{head} done in {record['wall_time']:.1f} s: {record['metric']} "
        f"{format_score(zoo_run['score'])} ({versus}) [{elapsed:.1f} s elapsed]"
    )


def fit_time_ratio(record):
    """zoo fit time / baseline fit time, or None when either run failed."""
    zoo_run, baseline = record["zoo"], record["baseline"]
    if zoo_run["status"] != "ok" or baseline["status"] != "ok" or not baseline["fit_time"]:
        return None
    return zoo_run["fit_time"] / baseline["fit_time"]


def format_score(score):
    return "n/a" if score is None else f"{score:.4g}"


def format_ratio(ratio):
    if ratio is None:
        return "n/a"
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x"


def versions():
    """Versions of Python and of the packages the numbers depend on."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "joblib": joblib.__version__,
        "zoo": zoo.__version__,
    }


def _describe(entry, settings):
    bench = entry.benchmark
    return {
        "schema": SCHEMA_VERSION,
        "family": entry.name,
        "cell": entry.cell,
        "title": entry.title,
        "dataset": bench.dataset,
        "dataset_options": bench.dataset_options,
        "fit_params_from_info": bench.fit_params_from_info,
        "preprocess": bench.preprocess,
        "metric": bench.metric,
        "direction": None,
        "seed": settings.seed,
        "quick": settings.quick,
        "threads": settings.threads,
        "n_jobs": settings.n_jobs,
        "versions": versions(),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "n_train": None,
        "n_test": None,
        "figure": None,
        "figure_error": None,
    }


def _benchmarked_class(entry):
    """Path of the class the benchmark fits: the entry's estimator, or its class for the
    benchmark's ``task``."""
    task = entry.benchmark.task
    if task is None:
        return entry.estimator
    if task not in entry.variants:
        valid = ", ".join(sorted(entry.variants)) or "none"
        raise ValueError(
            f"benchmark task {task!r} is not among {entry.name!r}'s other tasks: {valid}"
        )
    return entry.variants[task]


def _budget(params, quick_params, settings):
    """The registry parameters, with the quick ones on top under ``--quick``."""
    return {**params, **(quick_params if settings.quick else {})}


def _result(path, params):
    return {
        **dict.fromkeys(RUN_FIELDS),
        "estimator": path,
        "params": params,
        "status": "failed",
        "warnings": [],
    }


def _failed(path, params, exc):
    return {**_result(path, params), "error": _message(exc)}


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def _timed_value(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def _peak_memory_mib(metric, estimator, data):
    """Peak memory allocated while scoring the test split again, traced by tracemalloc
    (a second pass: tracing would slow the timed one); None if something else traces."""
    if tracemalloc.is_tracing():
        return None
    tracemalloc.start()
    try:
        metric(estimator, data)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _history(estimator):
    """(``n_iter_``, ``loss_curve_``) where the estimator has them as numbers, else None."""
    n_iter, curve = getattr(estimator, "n_iter_", None), getattr(estimator, "loss_curve_", None)
    try:
        n_iter = None if n_iter is None else int(np.max(n_iter))
    except (TypeError, ValueError):
        n_iter = None
    try:
        curve = None if curve is None else [float(f"{value:.6g}") for value in curve]
    except (TypeError, ValueError):
        curve = None
    return n_iter, curve


def _message(exc):
    return f"{type(exc).__name__}: {exc}".strip()


def _warning_messages(caught):
    messages = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
    return [message[:300] for message in list(messages)[:MAX_WARNINGS]]


def _finite(value):
    """``value`` with non-finite floats replaced by None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value):
    """Numpy scalars and arrays as plain numbers and lists; anything else by its repr."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return repr(value)

