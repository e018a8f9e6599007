"""The dataset cards and loaders: fields, shapes, determinism and each set's defining property."""

import re
from itertools import product

import numpy as np
import pytest
import yaml

from zoo._resources import data_path
from zoo.datasets import CARD_FIELDS, Dataset, card, load, names

TASKS = {
    "classification", "regression", "sequence-regression", "sequence-classification",
    "unsupervised", "patterns", "text",
}
ALL = names()
RANDOM = [name for name in ALL if card(name)["random"]]
FIXED = [name for name in ALL if not card(name)["random"]]


def _arrays(ds):
    return [ds.X_train, ds.X_test, ds.y_train, ds.y_test]


def _same(a, b):
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in zip(_arrays(a), _arrays(b))
    )


def test_every_card_file_is_listed_and_has_the_required_fields():
    paths = sorted(data_path("datasets").glob("*.yaml"))
    assert [path.stem for path in paths] == ALL
    assert len(ALL) >= 16
    for path in paths:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(CARD_FIELDS) <= set(spec), path.name
        assert spec["name"] == path.stem
        assert spec["task"] in TASKS, path.name
        assert spec["source"] in {"sklearn", "generated", "file", "stdlib"}, path.name
        assert spec["split"] in {"stratified", "random", "contiguous", "none"}, path.name
        assert isinstance(spec["random"], bool), path.name
        assert spec["provenance"].strip() and spec["description"].strip(), path.name


@pytest.mark.parametrize("name", ALL)
def test_every_card_loads_with_consistent_shapes(name):
    spec = card(name)
    ds = load(name)
    assert isinstance(ds, Dataset)
    assert (ds.name, ds.task) == (name, spec["task"])
    assert ds.description == spec["description"].strip()
    assert ds.options == spec["options"]
    assert ds.X_train.shape[1:] == ds.X_test.shape[1:]
    assert len(ds.X_train) > 0 and len(ds.X_test) > 0
    assert (ds.y_train is None) == (ds.y_test is None)
    if ds.y_train is not None:
        assert len(ds.y_train) == len(ds.X_train) and len(ds.y_test) == len(ds.X_test)
    if spec["split"] == "none":
        assert np.array_equal(ds.X_train, ds.X_test)
        assert ds.X_test is not ds.X_train
        n_samples = len(ds.X_train)
    else:
        n_samples = len(ds.X_train) + len(ds.X_test)
    declared = re.match(r"\d+(?: x \d+)*", spec["shapes"])
    if declared:
        dims = tuple(int(d) for d in declared.group().split(" x "))
        assert (n_samples, *ds.X_train.shape[1:]) == dims


@pytest.mark.parametrize("name", ALL)
def test_same_seed_gives_identical_arrays(name):
    assert _same(load(name, random_state=3), load(name, random_state=3))


@pytest.mark.parametrize("name", RANDOM)
def test_another_seed_gives_other_arrays(name):
    assert not _same(load(name, random_state=0), load(name, random_state=1))


@pytest.mark.parametrize("name", FIXED)
def test_fixed_sets_ignore_the_seed(name):
    assert _same(load(name, random_state=0), load(name, random_state=1))


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer", "moons", "blobs"])
def test_classification_splits_are_stratified(name):
    ds = load(name)
    classes, train_counts = np.unique(ds.y_train, return_counts=True)
    test_classes, test_counts = np.unique(ds.y_test, return_counts=True)
    assert np.array_equal(classes, test_classes)
    ratio = test_counts / (train_counts + test_counts)
    assert np.all(np.abs(ratio - 0.25) < 0.05)


@pytest.mark.parametrize("signed, low", [(False, 0.0), (True, -1.0)])
def test_xor(signed, low):
    ds = load("xor", signed=signed)
    assert set(ds.X_train.ravel()) == {low, 1.0}
    positive = ds.X_train > (low + 1) / 2
    assert np.array_equal(ds.y_train, positive[:, 0] ^ positive[:, 1])
    assert len({tuple(row) for row in ds.X_train}) == 4


@pytest.mark.parametrize("n_bits", [2, 5])
def test_parity_labels_every_vector_by_its_parity(n_bits):
    ds = load("parity", n_bits=n_bits)
    assert {tuple(row) for row in ds.X_train} == set(product((0.0, 1.0), repeat=n_bits))
    for row, label in zip(ds.X_train, ds.y_train):
        assert label == int(row.sum()) % 2


def _is_bar_or_stripe(image):
    rows_constant = np.all(image == image[:, :1])
    columns_constant = np.all(image == image[:1, :])
    return rows_constant or columns_constant


@pytest.mark.parametrize("n, count", [(3, 14), (4, 30)])
def test_bars_and_stripes_are_all_the_distinct_valid_patterns(n, count):
    ds = load("bars_and_stripes", n=n)
    assert ds.X_train.shape == (count, n * n) and ds.y_train is None
    assert set(np.unique(ds.X_train)) == {0.0, 1.0}
    assert len({tuple(row) for row in ds.X_train}) == count
    assert all(_is_bar_or_stripe(row.reshape(n, n)) for row in ds.X_train)


def test_bar_or_stripe_check_rejects_other_images():
    assert not _is_bar_or_stripe(np.array([[1, 0], [0, 1]]))


def test_random_patterns_are_plus_minus_one():
    ds = load("random_patterns", n_patterns=7, n_units=30)
    assert ds.X_train.shape == (7, 30)
    assert set(np.unique(ds.X_train)) == {-1.0, 1.0}


@pytest.mark.parametrize("n_features, margin", [(2, 0.1), (5, 0.3)])
def test_blobs_respect_the_margin_of_a_unit_vector(n_features, margin):
    ds = load("blobs", n_samples=300, n_features=n_features, margin=margin, random_state=4)
    w_star = ds.info["w_star"]
    assert np.isclose(np.linalg.norm(w_star), 1.0) and ds.info["margin"] == margin
    assert len(ds.X_train) + len(ds.X_test) == 300
    for X, y in [(ds.X_train, ds.y_train), (ds.X_test, ds.y_test)]:
        assert set(np.unique(y)) == {-1, 1}
        assert np.all(y * (X @ w_star) >= margin)
        assert np.all(np.abs(X) <= 1)


def test_adding_problem_marks_one_step_in_each_half_and_sums_them():
    T = 20
    ds = load("adding", n_samples=200, T=T)
    for X, y in [(ds.X_train, ds.y_train), (ds.X_test, ds.y_test)]:
        values, markers = X[:, :, 0], X[:, :, 1]
        assert np.all((values >= 0) & (values <= 1))
        assert set(np.unique(markers)) == {0.0, 1.0}
        assert np.all(markers[:, : T // 2].sum(axis=1) == 1)
        assert np.all(markers[:, T // 2 :].sum(axis=1) == 1)
        first = values[np.arange(len(X)), markers[:, : T // 2].argmax(axis=1)]
        second = values[np.arange(len(X)), T // 2 + markers[:, T // 2 :].argmax(axis=1)]
        assert np.allclose(y, first + second)


def test_copy_task_targets_repeat_the_inputs_after_the_delimiter():
    ds = load("copy_task", n_samples=60, width=4, min_length=2, max_length=6)
    assert ds.X_train.shape[1:] == (13, 5) and ds.y_train.shape[1:] == (13, 4)
    for X, Y, lengths in [
        (ds.X_train, ds.y_train, ds.info["lengths_train"]),
        (ds.X_test, ds.y_test, ds.info["lengths_test"]),
    ]:
        assert len(lengths) == len(X) and lengths.min() >= 2 and lengths.max() <= 6
        for x, y, length in zip(X, Y, lengths):
            assert np.array_equal(np.flatnonzero(x[:, 4]), [length])
            assert not x[length + 1 :].any() and not x[:length, 4].any()
            assert not y[: length + 1].any() and not y[2 * length + 1 :].any()
            assert np.array_equal(y[length + 1 : 2 * length + 1], x[:length, :4])


def _series(ds):
    return np.concatenate([ds.X_train[:, 0], ds.X_test[:, 0], ds.y_test[-1:]])


@pytest.mark.parametrize("name", ["mackey_glass", "sine_mixture"])
def test_series_targets_are_the_next_value_and_split_contiguously(name):
    ds = load(name, n_steps=400, test_size=0.25)
    assert (len(ds.X_train), len(ds.X_test)) == (300, 100)
    series = _series(ds)
    assert np.array_equal(np.concatenate([ds.y_train, ds.y_test]), series[1:])


def test_mackey_glass_stays_on_its_chaotic_attractor():
    series = _series(load("mackey_glass"))
    assert np.all((series > 0.2) & (series < 1.5))
    assert series.std() > 0.1
    longer = _series(load("mackey_glass", n_steps=5000))
    assert np.array_equal(longer[: len(series)], series)


def test_mackey_glass_agrees_with_a_fine_euler_integration():
    h, lag, n_units = 0.005, 3400, 60
    x = [1.2] * (lag + 1)
    for k in range(lag, lag + n_units * 200):
        past = x[k - lag]
        x.append(x[k] + h * (0.2 * past / (1 + past**10) - 0.1 * x[k]))
    reference = np.array(x[lag::200])
    series = _series(load("mackey_glass", n_steps=n_units, washout=0))
    assert np.allclose(series, reference, atol=2e-3)


def test_mackey_glass_with_a_short_delay_settles_to_a_fixed_point():
    series = _series(load("mackey_glass", tau=2, n_steps=500))
    assert series[-100:].std() < 1e-3


def test_sine_mixture_noise_option_adds_noise():
    clean = _series(load("sine_mixture", n_steps=500))
    noisy = _series(load("sine_mixture", n_steps=500, noise=0.5))
    assert 0.3 < np.std(noisy - clean) < 0.7


@pytest.mark.parametrize("name, min_chars", [("text", 400_000), ("zen", 800)])
def test_text_corpora_decode_back_to_their_strings(name, min_chars):
    ds = load(name)
    info = ds.info
    assert len(info["text_train"]) + len(info["text_test"]) > min_chars
    assert info["alphabet"] == sorted(set(info["text_train"] + info["text_test"]))
    for codes, text in [(ds.X_train, info["text_train"]), (ds.X_test, info["text_test"])]:
        assert "".join(info["alphabet"][i] for i in codes) == text
    assert len(ds.X_test) == pytest.approx(0.1 * (len(ds.X_train) + len(ds.X_test)), abs=1)


def test_zen_is_decoded_and_max_chars_truncates():
    ds = load("zen", max_chars=100, test_size=0.2)
    assert ds.info["text_train"].startswith("The Zen of Python")
    assert (len(ds.X_train), len(ds.X_test)) == (80, 20)


def test_unknown_name_suggests_the_closest_and_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Did you mean 'digits'") as error:
        load("digit")
    assert "mackey_glass" in str(error.value)


def test_unknown_option_lists_the_valid_options():
    with pytest.raises(ValueError, match="'n_bit'.*valid options: n_bits.*Did you mean 'n_bits'"):
        load("parity", n_bit=3)
    with pytest.raises(ValueError, match="test_size"):
        load("iris", noise=0.1)


@pytest.mark.parametrize(
    "name, options, option",
    [
        ("parity", {"n_bits": 1}, "n_bits"),
        ("parity", {"n_bits": 3.0}, "n_bits"),
        ("moons", {"n_samples": -5}, "n_samples"),
        ("moons", {"noise": -0.1}, "noise"),
        ("digits", {"test_size": 1.0}, "test_size"),
        ("mackey_glass", {"test_size": 0}, "test_size"),
        ("blobs", {"margin": 1.5}, "margin"),
        ("bars_and_stripes", {"n": 1}, "n"),
        ("random_patterns", {"n_units": 0}, "n_units"),
        ("mackey_glass", {"washout": -1}, "washout"),
        ("mackey_glass", {"tau": 0.5}, "tau"),
        ("adding", {"T": 1}, "T"),
        ("copy_task", {"min_length": 4, "max_length": 3}, "max_length"),
        ("xor", {"signed": "yes"}, "signed"),
        ("text", {"max_chars": 0}, "max_chars"),
    ],
)
def test_bad_option_values_name_the_option(name, options, option):
    with pytest.raises(ValueError, match=rf"^{option} "):
        load(name, **options)
