import copy

import pytest
import yaml

import zoo
from zoo import registry
from zoo._resources import data_path

CELLS_SO_FAR = {"P", "FF", "DFF", "RBF", "ELM", "RNN", "LSTM", "GRU", "ESN", "LSM", "HN", "MC", "BM",
                "RBM", "DBN", "AE", "DAE", "SAE", "VAE"}


def _entries():
    return yaml.safe_load(data_path("registry.yaml").read_text())


def test_every_yaml_entry_is_listed_and_resolves_to_its_classes():
    names = [raw["name"] for raw in _entries()]
    assert zoo.list() == sorted(names)
    assert CELLS_SO_FAR <= {zoo.info(name).cell for name in names}
    for name in names:
        for cls in zoo.info(name).estimator_classes().values():
            assert cls.__doc__ and "(" in cls.__doc__, f"{cls.__name__} needs a docstring naming its paper"


def test_get_returns_a_new_unfitted_estimator_with_params():
    first, second = zoo.get("elm"), zoo.get("ELM")
    assert first is not second and type(first) is type(second)
    assert not hasattr(first, "n_features_in_")
    assert zoo.get("elm", n_hidden=7).n_hidden == 7


def test_aliases_and_variants():
    assert type(zoo.get("mlp")) is type(zoo.get("ff"))
    regressor = zoo.get("ff", task="regressor")
    assert type(regressor).__name__ == "FFRegressor"
    with pytest.raises(ValueError, match="other tasks: regressor"):
        zoo.get("ff", task="clusterer")
    assert zoo.get("perceptron", variant="voted").variant == "voted"  # a family's own parameter


def test_unknown_name_suggests_the_closest():
    with pytest.raises(zoo.RegistryError, match="Did you mean 'perceptron'"):
        zoo.get("perceptorn")
    with pytest.raises(ValueError):  # RegistryError is a ValueError
        zoo.info("no-such-family")
    with pytest.raises(TypeError):
        zoo.get(3)


def test_unknown_parameter_names_the_valid_ones():
    with pytest.raises(ValueError, match="n_hiden.*valid: .*n_hidden"):
        zoo.get("elm", n_hiden=5)


@pytest.mark.parametrize("field,value,message", [
    ("group", "nonsense", "field 'group'"),
    ("estimator", "not a path", "field 'estimator'"),
    ("references", [], "field 'references'"),
    ("colour", "red", "field 'colour'"),
])
def test_a_bad_entry_names_the_entry_and_the_field(field, value, message):
    raw = copy.deepcopy(_entries()[0])
    raw["name"] = "broken"
    raw[field] = value
    with pytest.raises(zoo.RegistryError, match=f"'broken'.*{message}"):
        registry.validate_entry(raw, "test")


def _with_benchmark(**fields):
    raw = copy.deepcopy(next(raw for raw in _entries() if raw.get("benchmark")))
    raw["name"] = "benched"
    raw["benchmark"].update(fields)
    return raw


@pytest.mark.parametrize("figure,hooks", [
    (None, []),
    ("zoo.bench.figures:confusion_matrix", ["zoo.bench.figures:confusion_matrix"]),
    (["zoo.models.dn:generated_digits_figure", "zoo.models.dn:edge_filters_figure"],
     ["zoo.models.dn:generated_digits_figure", "zoo.models.dn:edge_filters_figure"]),
])
def test_a_benchmark_figure_is_one_hook_or_a_list(figure, hooks):
    benchmark = registry.validate_entry(_with_benchmark(figure=figure), "test").benchmark
    assert benchmark.figure == figure and benchmark.figure_hooks() == hooks


def test_fit_params_from_info_map_fit_keywords_to_info_keys():
    raw = _with_benchmark(fit_params_from_info={"factors": "batch_factor", "_lengths": "lengths"})
    benchmark = registry.validate_entry(raw, "test").benchmark
    assert benchmark.fit_params_from_info == {"factors": "batch_factor", "_lengths": "lengths"}


@pytest.mark.parametrize("field,value,message", [
    ("figure", [], "List should have at least 1 item"),
    ("figure", ["zoo.bench.figures:confusion_matrix", "not a hook"], "should match pattern"),
    ("figure", ["a.one:draw", "a.two:draw"], "distinct function names"),
    ("figure", {"hook": "a:draw"}, "valid list"),
    ("fit_params_from_info", ["factors"], "valid dictionary"),
    ("fit_params_from_info", {"2factors": "batch_factor"}, "should match pattern"),
    ("fit_params_from_info", {"factors": 3}, "valid string"),
    ("fit_params_from_info", {"y": "labels"}, "not fit parameters"),
])
def test_bad_figure_lists_and_fit_params_name_the_entry_and_field(field, value, message):
    with pytest.raises(zoo.RegistryError, match=f"'benched'.*field 'benchmark.{field}.*{message}"):
        registry.validate_entry(_with_benchmark(**{field: value}), "test")


def test_a_missing_field_is_named():
    raw = copy.deepcopy(_entries()[0])
    del raw["cell"]
    with pytest.raises(zoo.RegistryError, match="field 'cell'"):
        registry.validate_entry(raw, "test")


def test_register_and_unregister_at_run_time():
    raw = copy.deepcopy(_entries()[0])
    raw.update(name="my-perceptron", aliases=["mine"])
    zoo.register(raw)
    try:
        assert "my-perceptron" in zoo.list()
        assert type(zoo.get("mine")).__name__ == "Perceptron"
        with pytest.raises(zoo.RegistryError, match="clashes"):
            zoo.register(raw)
    finally:
        zoo.unregister("my-perceptron")
    assert "my-perceptron" not in zoo.list()


def test_entry_point_plugins_are_loaded(monkeypatch):
    raw = copy.deepcopy(_entries()[0])
    raw.update(name="plugged", aliases=[])

    class FakePoint:
        name = "fake"

        def load(self):
            return lambda: [raw]

    monkeypatch.setattr(registry, "entry_points", lambda group: [FakePoint()] if group == "zoo.families" else [])
    assert "plugged" in registry.build_registry().names()


def test_a_bad_plugin_entry_is_reported_with_its_source(monkeypatch):
    class FakePoint:
        name = "bad-plugin"

        def load(self):
            return {"name": "half"}

    monkeypatch.setattr(registry, "entry_points", lambda group: [FakePoint()])
    with pytest.raises(zoo.RegistryError, match="entry point 'bad-plugin'.*'half'"):
        registry.build_registry()
