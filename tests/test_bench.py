"""`zoo bench` and `zoo report`: the JSON records, failures, threads, figures, the report."""

import functools
import json
import math
import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

import zoo
from zoo.bench import metrics, runner
from zoo.bench.metrics import Metric, get_metric
from zoo.cli import main
from zoo.datasets import load

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _entry(name, estimator="zoo.models.elm:ELMClassifier", **benchmark):
    """A cheap registry entry: an ELM on iris beside a chance baseline."""
    return {
        "name": name,
        "cell": "T",
        "title": f"Test family {name}",
        "group": "feedforward",
        "estimator": estimator,
        "variants": {"regressor": "zoo.models.elm:ELMRegressor"},
        "tasks": ["classifier", "regressor"],
        "references": [{"authors": "Tester", "year": 2024, "title": "A test entry"}],
        "benchmark": {
            "dataset": "iris",
            "metric": "accuracy",
            "preprocess": "standardize",
            "params": {"n_hidden": 20},
            "baseline": {
                "estimator": "sklearn.dummy:DummyClassifier",
                "params": {"strategy": "most_frequent"},
                "note": "chance: always the most frequent class",
            },
            **benchmark,
        },
    }


@pytest.fixture
def registered():
    """Register test entries for one test; unregister them afterwards."""
    names = []

    def add(name, **kwargs):
        zoo.register(_entry(name, **kwargs))
        names.append(name)

    yield add
    for name in names:
        zoo.unregister(name)


class _InfoProbe(PCA):
    """A PCA whose fit takes the factor labels of the glyphs and keeps them."""

    def fit(self, X, y=None, factors=None):
        self.factors_seen_ = factors
        return super().fit(X)


def _title_only(estimator, data, figure):
    """A second figure hook: a titled, empty plot."""
    figure.subplots().set_title(type(estimator).__name__)


PROBES = {"probe:InfoProbe": _InfoProbe, "probe:title_only": _title_only}


@pytest.fixture
def probes(monkeypatch):
    """Let registry paths 'probe:...' import the test objects above."""
    real_import = runner.import_object
    monkeypatch.setattr(runner, "import_object", lambda path: PROBES.get(path) or real_import(path))


def _read(out, family):
    return json.loads((out / "results" / f"{family}.json").read_text())


def _bench(out, *args):
    return main(["bench", *args, "--quick", "--out", str(out)])


def test_bench_records_every_field_and_writes_the_report(tmp_path, capsys):
    assert _bench(tmp_path, "perceptron", "--seed", "3") == 0
    record = _read(tmp_path, "perceptron")
    assert record["family"] == "perceptron" and record["cell"] == "P"
    assert record["dataset"] == "breast_cancer"
    assert (record["metric"], record["direction"]) == ("accuracy", "higher")
    assert (record["seed"], record["quick"], record["threads"], record["n_jobs"]) == (3, True, 1, 1)
    assert {"python", "numpy", "scipy", "sklearn", "zoo"} <= set(record["versions"])
    assert record["n_train"] + record["n_test"] == 569
    paths = {"zoo": "zoo.models.perceptron:Perceptron", "baseline": "sklearn.linear_model:Perceptron"}
    for side, path in paths.items():
        run = record[side]
        assert run["estimator"] == path and run["status"] == "ok" and run["error"] is None
        assert 0.85 < run["score"] <= 1
        assert run["fit_time"] > 0 and run["predict_time"] > 0 and run["predict_peak_mib"] > 0
        assert run["params"]["random_state"] == 3
    # the sklearn Perceptron learns coef_ (1 x 30) and intercept_ (1)
    assert record["baseline"]["n_params"] == 31

    out = capsys.readouterr().out
    progress = r"^1/1 perceptron done in [\d.]+ s: accuracy 0\.\d+ \(baseline 0\.\d+, fit-time ratio [\d.]+x\)"
    assert re.search(progress, out, re.M)
    readme = (tmp_path / "README.md").read_text()
    row = r"^\| `perceptron` \| P \| breast_cancer \| accuracy ↑ \| (.+?) \| (.+?) \| ([\d.]+)x \| 31 / 31 \|$"
    row = re.search(row, readme, re.M)
    assert row, readme
    ratio = record["zoo"]["fit_time"] / record["baseline"]["fit_time"]
    assert float(row.group(3)) == pytest.approx(ratio, rel=0.05, abs=0.01)  # shown to 2 digits
    page = (tmp_path / "index.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<td><code>perceptron</code></td>" in page


@pytest.mark.slow
def test_every_registered_family_benchmarks_quickly_and_draws_its_figure(tmp_path):
    """Read from the registry: every family's quick benchmark runs beside its baseline,
    and every figure hook named there draws a PNG."""
    pytest.importorskip("matplotlib")
    names = zoo.list()
    assert _bench(tmp_path, *names, "--threads", "1") == 0
    for name in names:
        record = _read(tmp_path, name)
        assert record["zoo"]["status"] == "ok" and record["baseline"]["status"] == "ok", name
        hooks = zoo.info(name).benchmark.figure_hooks()
        if hooks:
            assert record["figure_error"] is None, (name, record["figure_error"])
            drawn = record["figure"] if isinstance(record["figure"], list) else [record["figure"]]
            assert len(drawn) == len(hooks), (name, drawn)
            for path in drawn:
                assert (tmp_path / "results" / path).read_bytes().startswith(PNG_MAGIC)


def test_report_rebuilds_from_the_json_without_refitting(tmp_path, monkeypatch, registered):
    registered("tiny")
    assert _bench(tmp_path, "tiny") == 0
    written = (tmp_path / "README.md").read_text()
    (tmp_path / "README.md").unlink()
    (tmp_path / "index.html").unlink()

    def no_refit(*args, **kwargs):
        raise AssertionError("zoo report must not refit")

    monkeypatch.setattr(runner, "run_estimator", no_refit)
    monkeypatch.setattr(runner, "run_family", no_refit)
    assert main(["report", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "README.md").read_text() == written
    assert "Test family tiny" in (tmp_path / "index.html").read_text()


def test_failed_and_diverged_runs_are_recorded_and_the_others_go_on(
    tmp_path, monkeypatch, registered, capsys
):
    nan_metric = Metric("always_nan", "higher", "blows up", lambda estimator, data: math.nan)
    monkeypatch.setitem(metrics.METRICS, "always_nan", nan_metric)
    registered("broken", params={"n_hidden": -1})
    registered("diverged", metric="always_nan")
    registered("unknown-metric", metric="no_such_metric")
    registered("tiny")
    assert _bench(tmp_path, "broken", "diverged", "unknown-metric", "tiny") == 0

    broken = _read(tmp_path, "broken")
    assert broken["zoo"]["status"] == "failed" and "n_hidden" in broken["zoo"]["error"]
    assert broken["zoo"]["score"] is None
    assert broken["baseline"]["status"] == "ok"
    diverged = _read(tmp_path, "diverged")
    assert diverged["zoo"]["status"] == "failed" and "diverged" in diverged["zoo"]["error"]
    assert diverged["zoo"]["fit_time"] > 0
    unknown = _read(tmp_path, "unknown-metric")
    assert "unknown metric 'no_such_metric'" in unknown["zoo"]["error"]
    assert unknown["baseline"]["status"] == "failed"
    assert _read(tmp_path, "tiny")["zoo"]["status"] == "ok"

    out = capsys.readouterr().out
    assert re.search(r"^\d/4 broken FAILED after [\d.]+ s: ValueError: .*n_hidden", out, re.M)
    assert "runs failed in: " in out
    readme = (tmp_path / "README.md").read_text()
    row = r"^\| `broken` \| T \| iris \| accuracy ↑ \| failed \| [\d.]+ \| n/a \|"
    assert re.search(row, readme, re.M)
    assert "Error (zoo): `ValueError:" in readme


class _ThreadProbe(MLPClassifier):
    """Records the BLAS thread limit in force while it fits."""

    def fit(self, X, y):
        blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
        self.blas_threads_ = {info["num_threads"] for info in blas}
        return super().fit(X, y)


def test_threads_and_seed_are_pinned_for_every_run(monkeypatch):
    monkeypatch.setattr(runner, "import_object", lambda path: _ThreadProbe)
    entry = zoo.registry.validate_entry(_entry("probe"), "test")
    data = runner.prepare_data(entry.benchmark, seed=0)
    settings = runner.Settings(seed=7, threads=1)
    accuracy = get_metric("accuracy")
    result, fitted = runner.run_estimator("probe:Probe", {"max_iter": 5}, accuracy, data, settings)
    assert result["status"] == "ok"
    assert fitted.blas_threads_ == {1}
    assert fitted.random_state == 7 and result["params"] == {"max_iter": 5, "random_state": 7}
    assert len(result["loss_curve"]) == result["n_iter"] == 5
    assert any("ConvergenceWarning" in message for message in result["warnings"])


def test_standardize_fits_the_scaler_on_train_only():
    entry = zoo.registry.validate_entry(_entry("scaled"), "test")
    data = runner.prepare_data(entry.benchmark, seed=0)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1)
    assert np.abs(data.X_test.mean(axis=0)).max() > 1e-3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_parameter_count_rule():
    X, y = load_iris(return_X_y=True)
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3).fit(X, y.astype(float))
    assert mlp.classes_.dtype == float
    assert runner.count_parameters(mlp) == 4 * 5 + 5 + 5 * 3 + 3  # weights, biases; not classes_
    mlp.n_params_ = 11
    assert runner.count_parameters(mlp) == 11


class _Shifted:
    """Predicts the truth plus one."""

    def predict(self, X):
        return X[:, 0] + 1.0


def test_metric_values_and_directions():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    data = SimpleNamespace(X_test=y[:, None], y_test=y)
    assert get_metric("mse")(_Shifted(), data) == pytest.approx(1.0)
    assert get_metric("nrmse")(_Shifted(), data) == pytest.approx(1.0 / np.std(y))
    assert get_metric("r2")(_Shifted(), data) == pytest.approx(1 - 4 / 5)
    assert get_metric("accuracy")(_Shifted(), data) == 0.0
    assert {name: get_metric(name).direction for name in ("accuracy", "r2", "mse", "nrmse")} == {
        "accuracy": "higher", "r2": "higher", "mse": "lower", "nrmse": "lower",
    }
    with pytest.raises(ValueError, match="unknown metric 'acuracy'.*Did you mean 'accuracy'"):
        get_metric("acuracy")


def test_family_figure_hook_is_saved_and_embedded(tmp_path, registered):
    pytest.importorskip("matplotlib")
    registered("drawn", figure="zoo.bench.figures:confusion_matrix")
    registered("badly-drawn", figure="zoo.bench.figures:figure_class")
    ff_params = {"hidden_layer_size": 8, "max_iter": 5}
    registered("curved", estimator="zoo.models.ff:FFClassifier", params=ff_params)
    assert _bench(tmp_path, "drawn", "badly-drawn", "curved") == 0

    png = (tmp_path / "results" / "figures" / "drawn.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and _read(tmp_path, "drawn")["figure"] == "figures/drawn.png"
    badly = _read(tmp_path, "badly-drawn")
    assert badly["zoo"]["status"] == "ok" and "TypeError" in badly["figure_error"]
    assert badly["figure"] is None
    assert len(_read(tmp_path, "curved")["zoo"]["loss_curve"]) == 5

    page = (tmp_path / "index.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2  # the confusion matrix and the learning curve
    assert runner.figures.NO_MATPLOTLIB not in page
    assert "Training loss per epoch" in page.split('id="curved"')[1]


def test_without_matplotlib_the_markdown_is_written_and_the_html_says_why(
    tmp_path, monkeypatch, registered, capsys
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    registered("drawn", figure="zoo.bench.figures:confusion_matrix")
    assert _bench(tmp_path, "drawn") == 0
    assert "| `drawn` | T | iris |" in (tmp_path / "README.md").read_text()
    page = (tmp_path / "index.html").read_text()
    assert 'Figures need the <code>report</code> extra: <code>pip install "zoo[report]"</code>' in page
    assert "base64" not in page
    record = _read(tmp_path, "drawn")
    assert record["zoo"]["status"] == "ok" and "report extra" in record["figure_error"]
    assert "report extra" in capsys.readouterr().err


def test_a_rerun_without_a_figure_removes_the_stale_one(tmp_path, registered):
    pytest.importorskip("matplotlib")
    registered("drawn", figure="zoo.bench.figures:confusion_matrix")
    assert _bench(tmp_path, "drawn") == 0
    zoo.register(_entry("drawn"), replace=True)
    assert _bench(tmp_path, "drawn") == 0
    assert not (tmp_path / "results" / "figures" / "drawn.png").exists()
    assert "base64" not in (tmp_path / "index.html").read_text()


def test_a_benchmark_task_picks_the_family_class_for_it(tmp_path, registered):
    registered(
        "tiny-regressor", dataset="sine_mixture", metric="nrmse", task="regressor",
        params={"n_hidden": 50},
        baseline={"estimator": "sklearn.dummy:DummyRegressor", "note": "the training mean"},
    )
    registered("no-such-task", task="clusterer")
    assert _bench(tmp_path, "tiny-regressor", "no-such-task") == 0
    record = _read(tmp_path, "tiny-regressor")
    assert record["zoo"]["estimator"] == "zoo.models.elm:ELMRegressor"
    assert record["direction"] == "lower"
    # no constant beats the test variance, so predicting the training mean scores >= 1
    assert record["baseline"]["score"] >= 1
    assert record["zoo"]["score"] < 0.5
    assert "| nrmse ↓ |" in (tmp_path / "README.md").read_text()
    failed = _read(tmp_path, "no-such-task")
    assert "benchmark task 'clusterer'" in failed["zoo"]["error"]


def test_every_hook_of_a_figure_list_is_saved_and_embedded(tmp_path, registered, probes):
    pytest.importorskip("matplotlib")
    hooks = [
        "zoo.bench.figures:confusion_matrix", "probe:title_only", "zoo.bench.figures:figure_class",
    ]
    registered("twice-drawn", figure=hooks)
    assert _bench(tmp_path, "twice-drawn") == 0

    record = _read(tmp_path, "twice-drawn")
    names = ["twice-drawn.confusion_matrix.png", "twice-drawn.title_only.png"]
    assert record["figure"] == [f"figures/{name}" for name in names]
    assert "figure_class" in record["figure_error"] and "TypeError" in record["figure_error"]
    for name in names:
        assert (tmp_path / "results" / "figures" / name).read_bytes().startswith(PNG_MAGIC)
    assert not (tmp_path / "results" / "figures" / "twice-drawn.figure_class.png").exists()
    section = (tmp_path / "index.html").read_text().split('id="twice-drawn"')[1]
    assert len(re.findall(r'src="data:image/png;base64,', section)) == 2
    assert all(f"The family&#x27;s figure ({name})" in section for name in names)

    zoo.register(_entry("twice-drawn", figure="zoo.bench.figures:confusion_matrix"), replace=True)
    assert _bench(tmp_path, "twice-drawn") == 0
    assert sorted(path.name for path in (tmp_path / "results" / "figures").iterdir()) == [
        "twice-drawn.png"
    ]


GLYPH_PROBE = dict(
    estimator="probe:InfoProbe", dataset="glyphs", metric="reconstruction_mse",
    preprocess="none", dataset_options={"n_batches": 10, "n_test": 20},
    params={"n_components": 4},
    baseline={"estimator": "sklearn.decomposition:PCA", "params": {"n_components": 4}},
)


def test_fit_params_from_info_reach_the_zoo_fit_only(probes):
    data = load("glyphs", n_batches=10, n_test=20)
    labels = data.info["batch_factor"]
    assert len(labels) == 160
    assert set(labels) == {"rotation", "shift_x", "shift_y", "brightness", "intrinsic"}
    run = functools.partial(
        runner.run_estimator, metric=get_metric("reconstruction_mse"), data=data,
        settings=runner.Settings(),
    )
    factors = {"factors": "batch_factor"}
    result, fitted = run("probe:InfoProbe", {"n_components": 2}, fit_params_from_info=factors)
    assert result["status"] == "ok" and fitted.factors_seen_ is labels
    result, fitted = run("probe:InfoProbe", {"n_components": 2})
    assert result["status"] == "ok" and fitted.factors_seen_ is None


def test_a_benchmark_records_its_fit_params_from_info_and_fails_on_a_missing_key(
    tmp_path, registered, probes
):
    registered("info-fed", fit_params_from_info={"factors": "batch_factor"}, **GLYPH_PROBE)
    registered("info-missing", fit_params_from_info={"factors": "no_such_key"}, **GLYPH_PROBE)
    assert _bench(tmp_path, "info-fed", "info-missing") == 0
    record = _read(tmp_path, "info-fed")
    # sklearn's PCA.fit takes no factors: the baseline ran, so it was not given them
    assert record["zoo"]["status"] == "ok" and record["baseline"]["status"] == "ok"
    assert record["fit_params_from_info"] == {"factors": "batch_factor"}
    assert "fitted with `factors=info['batch_factor']`" in (tmp_path / "README.md").read_text()
    missing = _read(tmp_path, "info-missing")
    assert missing["zoo"]["status"] == "failed" and missing["baseline"]["status"] == "ok"
    assert "['no_such_key'], not in the info of dataset 'glyphs'" in missing["zoo"]["error"]
