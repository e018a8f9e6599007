"""zoo.save / zoo.load: every registered estimator class round-trips exactly (read
from the registry, so a family is covered the moment it is registered); files that
are damaged, tampered with or name code outside zoo are refused before anything runs."""

import copy
import functools
import json
import pickle
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import zoo
from zoo.core.layers import Activation, Dense
from zoo.core.losses import mse
from zoo.core.network import Sequential
from zoo.core.optimizers import Adam
from zoo.core.schedules import ExponentialDecay
from zoo.persistence import CorruptFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples")
UNSUPERVISED_TASKS = {"transformer", "generator", "clusterer", "memory"}
REGISTERED = [
    (name, variant) for name in zoo.list() for variant in ("default", *zoo.info(name).variants)
]


def _assert_same(a, b, where="value"):
    """Equal values of the same types; arrays, numpy scalars and floats bit for bit."""
    assert type(a) is type(b), f"{where}: {type(a)} became {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype == object:
            _assert_same(a.tolist(), b.tolist(), where)
        else:
            assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), where
    elif isinstance(a, float):
        assert repr(a) == repr(b), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.random.Generator):
        _assert_same(a.bit_generator.state, b.bit_generator.state, where)
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(legacy=False), b.get_state(legacy=False), where)
    elif type(a).__module__.startswith("zoo."):
        state = getattr(type(a), "__getstate__", None)  # what pickle would keep
        _assert_same(state(a) if state else vars(a), state(b) if state else vars(b), where)
    else:
        assert a == b, where


def _outputs(estimator, X):
    return {m: getattr(estimator, m)(X) for m in OUTPUT_METHODS if hasattr(estimator, m)}


def _fit_args(estimator, tasks):
    X, labels = make_blobs(n_samples=60, n_features=4, centers=3, random_state=0)
    X = (X - X.min(axis=0)) / np.ptp(X, axis=0)  # in [0, 1], for the families that need it
    if is_classifier(estimator):
        return X, labels
    if is_regressor(estimator):
        X, y = make_regression(n_samples=60, n_features=4, noise=0.1, random_state=0)
        return X, (y - y.mean()) / y.std()
    if UNSUPERVISED_TASKS & set(tasks):
        return (X,)
    pytest.fail(f"{type(estimator).__name__}: no test data for the tasks {tasks}")


@functools.lru_cache(maxsize=None)
def _fitted(name, variant):
    """(fitted estimator, fit arguments) for a registered class; never mutate the estimator."""
    cls = zoo.info(name).estimator_classes()[variant]
    estimator = cls()
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    args = _fit_args(estimator, zoo.info(name).tasks)
    return estimator.fit(*args), args


@pytest.mark.parametrize("name,variant", REGISTERED)
def test_save_load_gives_the_same_estimator(name, variant, tmp_path):
    estimator, args = _fitted(name, variant)
    path = tmp_path / "model.npz"
    zoo.save(estimator, path)
    loaded = zoo.load(path)
    assert type(loaded) is type(estimator)
    _assert_same(loaded.get_params(), estimator.get_params(), "get_params()")
    expected = _outputs(estimator, args[0])
    assert "predict" in expected or "transform" in expected
    _assert_same(_outputs(loaded, args[0]), expected, "outputs")
    if hasattr(estimator, "partial_fit"):  # the training state (optimizer, generators) came back
        original = copy.deepcopy(estimator).partial_fit(*args)
        _assert_same(_outputs(loaded.partial_fit(*args), args[0]), _outputs(original, args[0]))


@pytest.mark.parametrize("name,variant", REGISTERED)
def test_pickle_round_trip(name, variant):
    estimator, args = _fitted(name, variant)
    loaded = pickle.loads(pickle.dumps(estimator))
    assert type(loaded) is type(estimator)
    _assert_same(_outputs(loaded, args[0]), _outputs(estimator, args[0]))


class Everything(BaseEstimator):
    """A test family whose fitted state holds every kind of value zoo.save stores (Nobody 2000)."""

    def __init__(self, dtype=np.float32, float_dtype=np.dtype("f4"), scale=np.nan, sizes=(3,)):
        self.dtype = dtype
        self.float_dtype = float_dtype
        self.scale = scale
        self.sizes = sizes

    def fit(self, X, y=None):
        network = Sequential([Dense(3), Activation("tanh"), Dense(2)])
        network.build((X.shape[1],), np.random.default_rng(0), np.dtype(np.float64))
        network.backward(network.forward(X, training=True))
        self.optimizer_ = Adam(learning_rate=ExponentialDecay(0.01))
        self.optimizer_.step(network.params, network.grads)  # state keyed by (index, name)
        self.network_, self.loss_ = network, mse
        shared = np.arange(6.0)
        self.arrays_ = {
            "f32": X.astype(np.float32), "i8": np.arange(-3, 3, dtype=np.int8), "bool": X > 0.5,
            "complex": np.array([1 + 2j]), "unicode": np.array(["a", "bé"]),
            "bytes": np.array([b"x"]), "empty": np.empty((0, 3)), "0-d": np.array(1.5),
            "fortran": np.asfortranarray(X), "big-endian": np.arange(3, dtype=">i4"),
        }
        self.labels_ = np.array(["cat", "dog"], dtype=object)
        self.raw_labels_ = np.array([b"x", b"yz"], dtype=object)
        self.scalars_ = [
            np.float32(np.nan), np.float32(0.1), np.float16(-0.0), np.uint64(2**64 - 1),
            np.int8(-5), np.bool_(True), np.str_("s"), np.complex64(1 - 1j), np.longdouble(1) / 3,
        ]
        self.floats_ = (float("nan"), float("inf"), -float("inf"), -0.0, 0.1, 2**100, True, None)
        self.nested_ = {(0, "m"): shared, "__array__": [shared, "a0"], 3: {"a": ()}, None: [[]]}
        self.types_ = [np.dtype(">i2"), np.float64, np.int32, np.str_, float, bool]
        self.generator_ = np.random.default_rng(1)
        self.generator_.random(3)
        self.same_generator_ = self.generator_
        self.mt_generator_ = np.random.Generator(np.random.MT19937(2))
        self.random_state_ = np.random.RandomState(3)
        self.random_state_.normal()  # leaves a cached gaussian in the state
        self.shared_ = shared
        self._private = "kept"
        return self


ENTRY = {
    "name": "persistence-everything", "cell": "EV", "title": "Everything", "group": "feedforward",
    "estimator": f"{Everything.__module__}:Everything", "tasks": ["transformer"],
    "references": [{"authors": "Nobody", "year": 2000, "title": "A test family"}],
}


@pytest.fixture
def everything():
    """A fitted ``Everything``, its class registered as a family for the test."""
    zoo.register(ENTRY)
    yield Everything(dtype=np.float64, sizes=[1, (2, 3)]).fit(np.linspace(0, 1, 12).reshape(4, 3))
    zoo.unregister(ENTRY["name"])


@pytest.fixture
def saved(everything, tmp_path):
    path = tmp_path / "everything.npz"
    zoo.save(everything, path)
    return path


def test_every_kind_of_value_round_trips_exactly(everything, saved):
    loaded = zoo.load(saved)
    _assert_same(loaded.get_params(), everything.get_params(), "get_params()")
    _assert_same(vars(loaded), vars(everything), "estimator")
    assert loaded.same_generator_ is loaded.generator_  # shared objects stay shared
    assert loaded.nested_[(0, "m")] is loaded.shared_
    assert loaded.nested_["__array__"][0] is loaded.shared_
    assert loaded.loss_ is mse
    for name in ("generator_", "mt_generator_"):  # generators go on with the same numbers
        _assert_same(getattr(loaded, name).random(5), getattr(everything, name).random(5))
    _assert_same(loaded.random_state_.normal(size=5), everything.random_state_.normal(size=5))


def _read(path):
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return json.loads(arrays.pop("json").tobytes()), arrays


def _write(path, document, arrays):
    encoded = json.dumps(document).encode() if isinstance(document, dict) else document
    with open(path, "wb") as handle:
        np.savez_compressed(handle, json=np.frombuffer(encoded, dtype=np.uint8), **arrays)


def _tamper(path, change):
    document, arrays = _read(path)
    change(document, arrays)
    _write(path, document, arrays)


def _flip_middle_bytes(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))


def _write_npy(path):
    with open(path, "wb") as handle:
        np.save(handle, np.arange(3))


def _write_without_json(path):
    with open(path, "wb") as handle:
        np.savez_compressed(handle, a0=np.zeros(3))


def _nest_deeply(path):
    document, arrays = _read(path)
    document["state"]["x_"] = "nested"
    text = json.dumps(document).replace('"nested"', "[" * 100_000 + "]" * 100_000)
    _write(path, text.encode(), arrays)


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _changed(change):
    """Damage: rewrite the file after ``change(document, arrays)``."""
    return lambda path: _tamper(path, change)


def _with_state(node):
    """Damage: an attribute x_ holding ``node`` added to the saved state."""
    return _changed(lambda document, arrays: document["state"].update(x_=node))


CORRUPTIONS = {
    "truncated": (_truncate, "not a readable zoo file"),
    "random bytes": (lambda p: p.write_bytes(np.random.default_rng(0).bytes(99)), "not a readable"),
    "empty": (lambda p: p.write_bytes(b""), "not a readable zoo file"),
    "flipped bytes": (_flip_middle_bytes, "not a readable zoo file"),
    "a .npy file": (_write_npy, "not an .npz archive"),
    "no JSON": (_write_without_json, "no 'json' entry"),
    "JSON not text": (lambda p: _write(p, b"\xff\xfe{", {}), "JSON document cannot be read"),
    "JSON not a document": (lambda p: _write(p, b"[1, 2]", {}), "not a 'zoo-estimator' document"),
    "JSON nested too deeply": (_nest_deeply, "nested too deeply"),
    "format version": (_changed(lambda d, a: d.update(version=2)), "unsupported format version 2"),
    "missing array": (_changed(lambda d, a: a.pop("a0")), "array 'a0', which the file lacks"),
    "unused array": (_changed(lambda d, a: a.update(extra=np.zeros(2))), r"arrays \['extra'\]"),
    "pickled array": (_changed(lambda d, a: a.update(a0=np.array([{}]))), "not a readable"),
    "unknown parameter": (_changed(lambda d, a: d["params"].update(colour=1)), "do not fit"),
    "state not an object": (_changed(lambda d, a: d.update(state=[1])), "expected a JSON object"),
    "unknown tag": (_with_state({"__eval__": "1"}), "unknown node"),
    "two tags": (_with_state({"__float__": "nan", "__ref__": 0}), "unknown node"),
    "bad float": (_with_state({"__float__": "1e999"}), "not one of nan"),
    "bad scalar": (_with_state({"__scalar__": ["<i1", 1000]}), r"state.x_: malformed __scalar__"),
    "object scalar": (_with_state({"__scalar__": ["|O", 1]}), "not a bool, int or float"),
    "bad dtype": (_with_state({"__dtype__": "<q9"}), "malformed __dtype__"),
    "dangling reference": (_with_state({"__ref__": 99}), "refers to object 99"),
    "bad generator": (_with_state({"__generator__": {"bit_generator": "X"}, "ref": 9}), "unknown"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_damaged_or_tampered_files_are_refused(saved, corruption):
    damage, message = CORRUPTIONS[corruption]
    damage(saved)
    with pytest.raises(CorruptFileError, match=message):
        zoo.load(saved)
    assert issubclass(CorruptFileError, ValueError)


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A module on sys.path that leaves a mark when it is imported."""
    mark = tmp_path / "imported"
    (tmp_path / "zoo_probe_module.py").write_text(
        f"open({str(mark)!r}, 'w').close()\nclass Thing:\n    pass\ndef run():\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield mark
    assert not mark.exists() and "zoo_probe_module" not in sys.modules


@pytest.mark.parametrize("class_path", [
    "collections:OrderedDict", "os:system", "zoo_probe_module:Thing", "zoo.core.layers:Dense",
    "sklearn.linear_model:Perceptron", ["zoo.models.ff:FFClassifier"],
])
def test_unregistered_class_is_refused_before_import(saved, probe_module, class_path):
    _tamper(saved, lambda document, arrays: document.update({"class": class_path}))
    with pytest.raises(ValueError, match="not the class of a registered zoo family"):
        zoo.load(saved)


@pytest.mark.parametrize("node,message", [
    *[({"__object__": path, "ref": 90, "state": {}}, "not a class defined in zoo") for path in (
        "zoo_probe_module:Thing", "collections:OrderedDict", "zoo.core.losses:mse",
        "zoo.core.layers:np.random.RandomState", "zoo.__main__:main",
        "zoo.core.layers:Dense.__init__.__globals__",
    )],
    *[({"__function__": path}, "not a function defined in zoo") for path in (
        "os:system", "zoo_probe_module:run", "zoo.core.layers:Dense", "zoo.core:np.load",
    )],
    ({"__namedtuple__": "collections:namedtuple", "items": []}, "not a namedtuple class defined"),
])
def test_nested_code_outside_zoo_is_refused(saved, probe_module, node, message):
    _tamper(saved, lambda document, arrays: document["state"].update(extra_=node))
    with pytest.raises(CorruptFileError, match=f"state.extra_: .*{message}"):
        zoo.load(saved)
    assert "zoo.__main__" not in sys.modules


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        zoo.load(tmp_path / "missing.npz")


def test_unfitted_estimator_is_not_saved(tmp_path):
    with pytest.raises(NotFittedError):
        zoo.save(zoo.get("ff"), tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


def test_unregistered_estimator_is_not_saved(tmp_path):
    estimator = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="LogisticRegression is not the class of a registered"):
        zoo.save(estimator, tmp_path / "model.npz")


@pytest.mark.parametrize("value,message", [
    ([1, {"k": object()}], r"estimator\.bad_\[1\]\['k'\]: cannot save a <class 'object'>"),
    (lambda x: x, r"estimator\.bad_: cannot save the function <function"),
    (np.array([1, "a"], dtype=object), r"bad_: cannot save an object array holding \['int', 'str"),
    (np.ma.masked_array([1.0]), r"estimator\.bad_: cannot save a <class 'numpy.ma"),
    ({1, 2}, r"estimator\.bad_: cannot save a <class 'set'>"),
    (LogisticRegression(), r"estimator\.bad_: cannot save a <class 'sklearn"),
])
def test_values_that_need_pickle_are_not_saved(everything, tmp_path, value, message):
    everything.bad_ = value
    with pytest.raises(TypeError, match=message):
        zoo.save(everything, tmp_path / "model.npz")


def test_a_nested_layer_attribute_is_named(everything, tmp_path):
    everything.network_.layers[2].foo = range(3)
    where = r"estimator\.network_\.layers\[2\]\.foo"
    with pytest.raises(TypeError, match=where + ": cannot save a <class 'range'>"):
        zoo.save(everything, tmp_path / "model.npz")
