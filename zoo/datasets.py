"""Benchmark datasets described by the YAML cards in ``datasets/``.

``load(name, random_state=0, **options)`` returns a :class:`Dataset` with train and
test arrays. Each card names the dataset, its task, its provenance and the default
options; the arrays come from scikit-learn's bundled sets, from a generator below,
or from the text that ships with CPython. Nothing downloads. The same
``random_state`` gives identical arrays.
"""

import codecs
import contextlib
import copy
import difflib
import functools
import importlib
import io
import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import yaml
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ._resources import data_path
from .core._choices import choose

CARD_FIELDS = ("name", "title", "source", "task", "shapes", "provenance", "description", "options")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: train and test arrays plus what its card says about it.

    ``y_train`` and ``y_test`` are None for unsupervised sets. ``info`` holds what a
    generator knows beyond the arrays (the separating vector of ``blobs``, the
    sequence lengths of ``copy_task``, the alphabet of ``text``); ``options`` the
    option values the arrays were made with.
    """

    name: str
    task: str
    description: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None
    info: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)


def names():
    """Sorted names of the datasets that have a card."""
    return sorted(_cards())


def card(name):
    """The card of dataset ``name`` as a dict (a copy)."""
    return copy.deepcopy(choose("dataset", name, _cards()))


def load(name, random_state=0, **options):
    """Load dataset ``name``; ``options`` override the defaults written on its card.

    An unknown name or option, or an option value out of range, raises ValueError.
    """
    spec = choose("dataset", name, _cards())
    unknown = sorted(set(options) - set(spec["options"]))
    if unknown:
        close = difflib.get_close_matches(unknown[0], spec["options"], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        valid = ", ".join(sorted(spec["options"])) or "none"
        raise ValueError(
            f"unknown option {', '.join(map(repr, unknown))} for dataset {name!r}; "
            f"valid options: {valid}.{hint}"
        )
    values = {**spec["options"], **options}
    rng = check_random_state(random_state)
    X_train, X_test, y_train, y_test, info = _GENERATORS[name](rng, **values)
    return Dataset(
        name=name,
        task=spec["task"],
        description=spec["description"].strip(),
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        info=info,
        options=values,
    )


@functools.cache
def _cards():
    """Read and check every ``datasets/*.yaml`` card once: name -> card."""
    cards = {}
    for path in sorted(data_path("datasets").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        missing = [key for key in CARD_FIELDS if key not in spec]
        if missing:
            raise ValueError(f"dataset card {path.name} lacks {', '.join(missing)}")
        if spec["name"] != path.stem or spec["name"] not in _GENERATORS:
            raise ValueError(f"dataset card {path.name} names unknown dataset {spec['name']!r}")
        spec["options"] = spec["options"] or {}
        cards[spec["name"]] = spec
    return cards


# ---------------------------------------------------------------- option checks


def _check_int(name, value, low, high=None):
    """``value`` must be an int in ``[low, high]``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def _check_real(name, value, low, high=math.inf, *, open_low=False, open_high=False):
    """``value`` must be a finite real number in the interval from ``low`` to ``high``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = value <= low if open_low else value < low
    too_high = value >= high if open_high else value > high
    if too_low or too_high:
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return float(value)


def _check_fraction(value):
    """``test_size`` must lie strictly between 0 and 1."""
    return _check_real("test_size", value, 0, 1, open_low=True, open_high=True)


def _check_bool(name, value):
    """``value`` must be True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# ---------------------------------------------------------------- splits


def _random_split(rng, test_size, X, y, *rest, stratify=False):
    """Shuffled split; stratified on ``y`` when asked. Returns the arrays as tuples."""
    parts = train_test_split(
        X, y, *rest,
        test_size=_check_fraction(test_size),
        random_state=rng,
        stratify=y if stratify else None,
    )
    return parts[0::2], parts[1::2]


def _contiguous_split(n, test_size):
    """Index where the test part of ``n`` ordered samples starts (its last ``test_size``)."""
    n_test = math.ceil(_check_fraction(test_size) * n)
    if n_test >= n:
        raise ValueError(f"test_size={test_size} leaves no training sample out of {n}")
    return n - n_test


def _same_set(X, y=None):
    """Train and test are the whole set (separate copies)."""
    y_test = None if y is None else y.copy()
    return X, X.copy(), y, y_test, {}


def _series(values, cut, info):
    """One-step-ahead layout of a series: X[t] = x[t] as a column, y[t] = x[t + 1];
    samples before ``cut`` train, the rest test."""
    X, y = values[:-1, None], values[1:]
    return X[:cut], X[cut:], y[:cut], y[cut:], info


def _characters(text, max_chars, test_size):
    """Integer codes of a text into its sorted alphabet, split contiguously."""
    if max_chars is not None:
        text = text[: _check_int("max_chars", max_chars, 2)]
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    alphabet, codes = np.unique(points, return_inverse=True)
    cut = _contiguous_split(len(text), test_size)
    info = {
        "alphabet": [chr(c) for c in alphabet],
        "text_train": text[:cut],
        "text_test": text[cut:],
    }
    return codes[:cut], codes[cut:], None, None, info


# ---------------------------------------------------------------- bundled sets


def _bundled(loader, rng, test_size):
    """A scikit-learn bundled set, raw values, split stratified."""
    X, y = loader(return_X_y=True)
    (X_train, y_train), (X_test, y_test) = _random_split(rng, test_size, X, y, stratify=True)
    return X_train, X_test, y_train, y_test, {}


def _digits(rng, test_size):
    """8x8 handwritten digits (Alpaydin & Kaynak 1998, UCI optdigits), 10 classes."""
    return _bundled(sk_datasets.load_digits, rng, test_size)


def _iris(rng, test_size):
    """Fisher's iris (Fisher 1936): 4 measurements, 3 species."""
    return _bundled(sk_datasets.load_iris, rng, test_size)


def _wine(rng, test_size):
    """Wine recognition (Forina et al., UCI): 13 chemical measurements, 3 cultivars."""
    return _bundled(sk_datasets.load_wine, rng, test_size)


def _breast_cancer(rng, test_size):
    """Wisconsin diagnostic breast cancer (Street, Wolberg & Mangasarian 1993): 30 features."""
    return _bundled(sk_datasets.load_breast_cancer, rng, test_size)


# ---------------------------------------------------------------- boolean functions


def _all_bit_vectors(n_bits):
    """The 2**n_bits binary vectors in counting order, one per row."""
    return (np.arange(2**n_bits)[:, None] >> np.arange(n_bits)[::-1]) & 1


def _xor(rng, signed):
    """The four points of XOR, not linearly separable (Minsky & Papert 1969)."""
    bits = _all_bit_vectors(2)
    y = bits[:, 0] ^ bits[:, 1]
    X = 2.0 * bits - 1.0 if _check_bool("signed", signed) else bits.astype(float)
    return _same_set(X, y)


def _parity(rng, n_bits):
    """All n-bit vectors labelled by their parity (Minsky & Papert 1969; Rumelhart,
    Hinton & Williams 1986)."""
    bits = _all_bit_vectors(_check_int("n_bits", n_bits, 2, 20))
    return _same_set(bits.astype(float), bits.sum(axis=1) % 2)


# ---------------------------------------------------------------- point clouds


def _moons(rng, n_samples, noise, test_size):
    """Two interleaving half circles (scikit-learn's ``make_moons``)."""
    X, y = sk_datasets.make_moons(
        n_samples=_check_int("n_samples", n_samples, 8),
        noise=_check_real("noise", noise, 0),
        random_state=rng,
    )
    (X_train, y_train), (X_test, y_test) = _random_split(rng, test_size, X, y, stratify=True)
    return X_train, X_test, y_train, y_test, {}


def _blobs(rng, n_samples, n_features, margin, test_size):
    """Linearly separable points with a known margin, the setting of the perceptron
    convergence theorem (Novikoff 1962): uniform in [-1, 1]^d, labelled by the sign
    of a random unit vector w*, with the slab |w*.x| < margin left empty."""
    n_samples = _check_int("n_samples", n_samples, 8)
    n_features = _check_int("n_features", n_features, 1)
    margin = _check_real("margin", margin, 0, 1, open_high=True)
    w_star = rng.standard_normal(n_features)
    w_star /= np.linalg.norm(w_star)
    kept, n_kept, accept = [], 0, 1.0
    while n_kept < n_samples:
        # draw about twice what the acceptance rate seen so far says is missing
        size = int(2 * (n_samples - n_kept) / accept) + 1
        batch = rng.uniform(-1.0, 1.0, size=(size, n_features))
        keep = np.abs(batch @ w_star) >= margin
        accept = max(keep.mean(), 1e-3)
        kept.append(batch[keep])
        n_kept += int(keep.sum())
    X = np.concatenate(kept)[:n_samples]
    y = np.where(X @ w_star >= 0, 1, -1)
    (X_train, y_train), (X_test, y_test) = _random_split(rng, test_size, X, y, stratify=True)
    return X_train, X_test, y_train, y_test, {"w_star": w_star, "margin": margin}


# ---------------------------------------------------------------- binary patterns


def _bars_and_stripes(rng, n):
    """Every n x n image whose rows are all constant or whose columns are all
    constant (MacKay 2003): 2**n + 2**n - 2 distinct patterns, flattened."""
    rows = _all_bit_vectors(_check_int("n", n, 2, 12))
    stripes = np.repeat(rows[:, :, None], n, axis=2)
    bars = stripes.transpose(0, 2, 1)
    images = np.concatenate([stripes, bars]).reshape(-1, n * n)
    return _same_set(np.unique(images, axis=0).astype(float))


def _random_patterns(rng, n_patterns, n_units):
    """Independent random +-1 patterns, the memories of a Hopfield network (Hopfield 1982)."""
    shape = (_check_int("n_patterns", n_patterns, 1), _check_int("n_units", n_units, 1))
    return _same_set(2.0 * rng.randint(0, 2, size=shape) - 1.0)


# ---------------------------------------------------------------- time series


def _mackey_glass(rng, n_steps, tau, washout, test_size):
    """The Mackey-Glass delay equation (Mackey & Glass 1977), chaotic for tau = 17,
    the benchmark of echo state networks (Jaeger & Haas 2004).

    dx/dt = 0.2 x(t - tau) / (1 + x(t - tau)**10) - 0.1 x(t), integrated by RK4
    with step 0.1 from the constant history x = 1.2, sampled every unit of time.
    """
    n_steps = _check_int("n_steps", n_steps, 2)
    tau = _check_real("tau", tau, 1)
    washout = _check_int("washout", washout, 0)
    cut = _contiguous_split(n_steps, test_size)
    h, per_unit = 0.1, 10
    lag = round(tau / h, 9)
    # the delayed value at stage offset c (0, 1/2, 1 step) interpolates two stored
    # values at a fixed offset behind the current one
    (o0, f0), (o_half, f_half), (o1, f1) = (
        (math.floor(c - lag), c - lag - math.floor(c - lag)) for c in (0.0, 0.5, 1.0)
    )
    history = math.ceil(lag) + 1
    x = [1.2] * (history + 1)

    def rate(now, past):
        return 0.2 * past / (1 + past**10) - 0.1 * now

    for k in range(history, history + (washout + n_steps) * per_unit):
        now = x[k]
        d0 = (1 - f0) * x[k + o0] + f0 * x[k + o0 + 1]
        d_half = (1 - f_half) * x[k + o_half] + f_half * x[k + o_half + 1]
        d1 = (1 - f1) * x[k + o1] + f1 * x[k + o1 + 1]
        k1 = rate(now, d0)
        k2 = rate(now + 0.5 * h * k1, d_half)
        k3 = rate(now + 0.5 * h * k2, d_half)
        k4 = rate(now + h * k3, d1)
        x.append(now + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    series = np.array(x[history + washout * per_unit :: per_unit])
    return _series(series, cut, {})


def _sine_mixture(rng, n_steps, n_components, noise, test_size):
    """A sum of sines with random frequencies (0.01 to 0.1 cycles per step) and phases,
    plus optional Gaussian noise of standard deviation ``noise``."""
    n_steps = _check_int("n_steps", n_steps, 2)
    n_components = _check_int("n_components", n_components, 1)
    noise = _check_real("noise", noise, 0)
    cut = _contiguous_split(n_steps, test_size)
    frequencies = rng.uniform(0.01, 0.1, n_components)
    phases = rng.uniform(0, 2 * np.pi, n_components)
    t = np.arange(n_steps + 1)[:, None]
    series = np.sin(2 * np.pi * frequencies * t + phases).sum(axis=1)
    series += noise * rng.standard_normal(n_steps + 1)
    return _series(series, cut, {"frequencies": frequencies, "phases": phases})


# ---------------------------------------------------------------- sequence tasks


def _adding(rng, n_samples, T, test_size):
    """The adding problem (Hochreiter & Schmidhuber 1997), in the form of Le, Jaitly &
    Hinton 2015: channel 0 holds uniform [0, 1] values, channel 1 marks one step in
    the first half and one in the second; the target is the sum of the marked values."""
    n_samples = _check_int("n_samples", n_samples, 2)
    T = _check_int("T", T, 2)
    rows = np.arange(n_samples)
    X = np.zeros((n_samples, T, 2))
    X[:, :, 0] = rng.uniform(0, 1, size=(n_samples, T))
    X[rows, rng.randint(0, T // 2, n_samples), 1] = 1.0
    X[rows, rng.randint(T // 2, T, n_samples), 1] = 1.0
    y = (X[:, :, 0] * X[:, :, 1]).sum(axis=1)
    (X_train, y_train), (X_test, y_test) = _random_split(rng, test_size, X, y)
    return X_train, X_test, y_train, y_test, {}


def _copy_task(rng, n_samples, width, min_length, max_length, test_size):
    """The copy task of the Neural Turing Machine (Graves, Wayne & Danihelka 2014).

    Input: L random binary vectors, then a delimiter on the extra channel ``width``,
    then blanks; target: zeros up to the delimiter, then the L vectors again. All
    sequences are padded to T = 2 * max_length + 1 steps.
    """
    n_samples = _check_int("n_samples", n_samples, 2)
    width = _check_int("width", width, 1)
    min_length = _check_int("min_length", min_length, 1)
    max_length = _check_int("max_length", max_length, min_length)
    lengths = rng.randint(min_length, max_length + 1, n_samples)
    present = np.arange(max_length) < lengths[:, None]
    bits = rng.randint(0, 2, size=(n_samples, max_length, width)) * present[:, :, None]
    T = 2 * max_length + 1
    X = np.zeros((n_samples, T, width + 1))
    Y = np.zeros((n_samples, T, width))
    X[:, :max_length, :width] = bits
    X[np.arange(n_samples), lengths, width] = 1.0
    sample, step = np.nonzero(present)
    Y[sample, lengths[sample] + 1 + step] = bits[sample, step]
    answer = np.zeros((n_samples, T), dtype=bool)
    answer[sample, lengths[sample] + 1 + step] = True
    return _sequence_task(rng, test_size, X, Y, answer, lengths=lengths)


def _sequence_task(rng, test_size, X, Y, answer, **per_sample):
    """Random split of a generated sequence task; ``info`` holds ``answer_steps_train``
    and ``answer_steps_test``, (n, T) masks of the steps whose targets are the answer,
    and each ``per_sample`` array as ``<name>_train`` and ``<name>_test``."""
    arrays = {"answer_steps": answer, **per_sample}
    (X_train, Y_train, *train), (X_test, Y_test, *test) = _random_split(
        rng, test_size, X, Y, *arrays.values()
    )
    info = {}
    for name, train_part, test_part in zip(arrays, train, test):
        info[f"{name}_train"], info[f"{name}_test"] = train_part, test_part
    return X_train, X_test, Y_train, Y_test, info


def _repeat_copy(rng, n_samples, width, min_length, max_length, min_repeats, max_repeats,
                 test_size):
    """The repeat-copy task of the Neural Turing Machine (Graves, Wayne & Danihelka 2014).

    Input: L random binary vectors, then one step with a delimiter on channel ``width``
    and the repeat count R / max_repeats on channel ``width + 1``, then blanks; target:
    zeros up to the delimiter, the L vectors R times over, then an end marker on the
    extra output channel ``width``. Padded to T = max_length (max_repeats + 1) + 2 steps.
    """
    n_samples = _check_int("n_samples", n_samples, 2)
    width = _check_int("width", width, 1)
    min_length = _check_int("min_length", min_length, 1)
    max_length = _check_int("max_length", max_length, min_length)
    min_repeats = _check_int("min_repeats", min_repeats, 1)
    max_repeats = _check_int("max_repeats", max_repeats, min_repeats)
    lengths = rng.randint(min_length, max_length + 1, n_samples)
    repeats = rng.randint(min_repeats, max_repeats + 1, n_samples)
    present = np.arange(max_length) < lengths[:, None]
    bits = rng.randint(0, 2, size=(n_samples, max_length, width)) * present[:, :, None]
    T = max_length * (max_repeats + 1) + 2
    rows = np.arange(n_samples)
    X = np.zeros((n_samples, T, width + 2))
    Y = np.zeros((n_samples, T, width + 1))
    X[:, :max_length, :width] = bits
    X[rows, lengths, width] = 1.0
    X[rows, lengths, width + 1] = repeats / max_repeats
    # output k = 0, 1, .. after the delimiter repeats input step k mod L while k < R L
    k = np.arange(T)[None, :] - lengths[:, None] - 1
    answer = (k >= 0) & (k < (repeats * lengths)[:, None])
    sample, step = np.nonzero(answer)
    Y[sample, step, :width] = bits[sample, k[sample, step] % lengths[sample]]
    end = lengths + 1 + repeats * lengths
    Y[rows, end, width] = 1.0
    answer[rows, end] = True
    return _sequence_task(rng, test_size, X, Y, answer, lengths=lengths, repeats=repeats)


def _associative_recall(rng, n_samples, width, item_length, min_items, max_items, test_size):
    """The associative-recall task of the Neural Turing Machine (Graves, Wayne &
    Danihelka 2014).

    Input: K items of ``item_length`` random binary vectors, each after a delimiter
    step (channel ``width``); then a query delimiter (channel ``width + 1``), a copy of
    one of the first K - 1 items, and the query delimiter again. Target: the item that
    followed the queried one, in the ``item_length`` steps after that; zeros elsewhere.
    Padded at the end to T = (max_items + 2)(item_length + 1) steps.
    """
    n_samples = _check_int("n_samples", n_samples, 2)
    width = _check_int("width", width, 1)
    item_length = _check_int("item_length", item_length, 1)
    min_items = _check_int("min_items", min_items, 2)
    max_items = _check_int("max_items", max_items, min_items)
    counts = rng.randint(min_items, max_items + 1, n_samples)
    queries = (rng.random_sample(n_samples) * (counts - 1)).astype(int)
    items = rng.randint(0, 2, size=(n_samples, max_items, item_length, width))
    period = item_length + 1
    T = (max_items + 2) * period
    rows = np.arange(n_samples)[:, None]
    X = np.zeros((n_samples, T, width + 2))
    Y = np.zeros((n_samples, T, width))
    # the items phase: step s belongs to item s // period, a delimiter where s % period == 0
    item, position = np.divmod(np.arange(max_items * period), period)
    real = item[None, :] < counts[:, None]
    X[:, : max_items * period, width] = real & (position == 0)
    filled = (real & (position > 0))[:, :, None]
    X[:, : max_items * period, :width] = items[:, item, np.maximum(position - 1, 0)] * filled
    query_start = counts * period
    inside = np.arange(item_length)[None, :]
    X[rows[:, 0], query_start, width + 1] = 1.0
    X[rows, query_start[:, None] + 1 + inside, :width] = items[rows, queries[:, None], inside]
    X[rows[:, 0], query_start + period, width + 1] = 1.0
    answer_steps = query_start[:, None] + period + 1 + inside
    Y[rows, answer_steps] = items[rows, queries[:, None] + 1, inside]
    answer = np.zeros((n_samples, T), dtype=bool)
    answer[rows, answer_steps] = True
    return _sequence_task(rng, test_size, X, Y, answer, n_items=counts, queries=queries)


# ---------------------------------------------------------------- text


def _text(rng, max_chars, test_size):
    """The English help topics that ship with CPython (``pydoc_data.topics``),
    concatenated in sorted key order, as a character corpus."""
    from pydoc_data.topics import topics

    return _characters("".join(topics[key] for key in sorted(topics)), max_chars, test_size)


def _zen(rng, max_chars, test_size):
    """The Zen of Python (Peters, PEP 20), decoded from the rot13 text of ``this``."""
    with contextlib.redirect_stdout(io.StringIO()):
        this = importlib.import_module("this")
    return _characters(codecs.decode(this.s, "rot13"), max_chars, test_size)


def jittered_templates(
    n_samples,
    n_templates=2,
    n_inputs=1,
    duration_ms=500,
    rate_hz=20.0,
    jitter_ms=4.0,
    random_state=None,
    dt=1.0,
):
    """Spike-train classification data after Maass et al. (2002): ``n_templates``
    Poisson spike trains (``n_inputs`` channels at ``rate_hz``), and ``n_samples``
    noisy copies of them whose every spike is moved by Gaussian jitter of standard
    deviation ``jitter_ms`` (kept inside the trial). Templates are assigned in turn and
    shuffled. Returns (X, y, templates): X binary of shape (n_samples, n_steps,
    n_inputs) with n_steps = duration_ms / dt, y the template index, templates the spike
    times (a list per template of a list per channel, ms).
    """
    rng = check_random_state(random_state)
    n_steps = int(round(duration_ms / dt))
    templates = [
        [
            np.sort(rng.uniform(0, duration_ms, rng.poisson(rate_hz * duration_ms / 1000.0)))
            for _ in range(n_inputs)
        ]
        for _ in range(n_templates)
    ]
    y = rng.permutation(np.arange(n_samples) % n_templates)
    X = np.zeros((n_samples, n_steps, n_inputs))
    for sample, label in enumerate(y):
        for channel, times in enumerate(templates[label]):
            moved = np.clip(
                times + jitter_ms * rng.standard_normal(times.size), 0, duration_ms - 1e-9
            )
            X[sample, (moved / dt).astype(int), channel] = 1.0
    return X, y, templates



def _spike_templates(rng, n_samples, n_templates, n_inputs, duration_ms, rate_hz, jitter_ms,
                     test_size):
    """Jittered Poisson spike-train templates (Maass, Natschlager & Markram 2002).
    With one input channel X is 2-D (n_samples, n_steps) of 1 ms bins."""
    X, y, templates = jittered_templates(
        _check_int("n_samples", n_samples, 4),
        _check_int("n_templates", n_templates, 2),
        _check_int("n_inputs", n_inputs, 1),
        _check_real("duration_ms", duration_ms, 1),
        _check_real("rate_hz", rate_hz, 0),
        _check_real("jitter_ms", jitter_ms, 0),
        rng,
    )
    if X.shape[2] == 1:
        X = X[:, :, 0]
    (X_train, y_train), (X_test, y_test) = _random_split(rng, test_size, X, y, stratify=True)
    return X_train, X_test, y_train, y_test, {"templates": templates}


def _sample_patches(rng, n_patches, patch_size, test_size):
    """Grey patches of the two photographs bundled with scikit-learn (needs Pillow),
    each patch minus its mean, all divided by the standard deviation of the set."""
    images = sk_datasets.load_sample_images().images
    size = _check_int("patch_size", patch_size, 2, 64)
    count = _check_int("n_patches", n_patches, 2)
    grey = [image.mean(axis=2) / 255 for image in images]
    source = rng.randint(len(grey), size=count)
    patches = np.empty((count, size * size))
    for index, image in enumerate(grey):
        chosen = np.flatnonzero(source == index)
        rows = rng.randint(image.shape[0] - size + 1, size=len(chosen))
        columns = rng.randint(image.shape[1] - size + 1, size=len(chosen))
        windows = np.lib.stride_tricks.sliding_window_view(image, (size, size))
        patches[chosen] = windows[rows, columns].reshape(len(chosen), -1)
    patches -= patches.mean(axis=1, keepdims=True)
    patches /= patches.std()
    cut = _contiguous_split(count, test_size)  # the positions are random: a random split
    return patches[:cut], patches[cut:], None, None, {"patch_shape": (size, size)}


GLYPH_FACTORS = ("rotation", "shift_x", "shift_y", "brightness")
GLYPH_SHAPES = ("triangle", "ell", "flag")
INTRINSIC = "intrinsic"
# rotation in radians, shifts in pixels, brightness a multiplier of the ink
_GLYPH_RANGES = {"rotation": (0.0, math.pi), "shift_x": (-2.0, 2.0), "shift_y": (-2.0, 2.0),
                 "brightness": (0.35, 1.0)}
_GLYPH_SIZE, _GLYPH_SCALE, _SUPERSAMPLE = 16, 6.5, 3


def _glyph_inside(shape, u, v):
    """Whether the points (u, v) of the glyph's own frame (units of _GLYPH_SCALE pixels,
    v up) lie inside ``shape``; none of the glyphs has a rotational symmetry."""
    if shape == "triangle":  # isosceles, apex up
        return (v >= -0.7) & (np.abs(u) <= 0.4 * (0.8 - v))
    if shape == "ell":
        return ((np.abs(u + 0.35) <= 0.25) & (np.abs(v) <= 0.8)) | (
            (np.abs(v + 0.55) <= 0.25) & (np.abs(u) <= 0.6))
    return ((np.abs(u + 0.35) <= 0.22) & (np.abs(v) <= 0.85)) | (  # flag: pole and pennant
        (u >= -0.15) & (v >= 0.15) & (np.abs(v - 0.5) <= 0.4 * (0.6 - u)))


def render_glyphs(shapes, factors):
    """16 x 16 grey renders, flattened to rows of 256 values in [0, 1].

    ``shapes`` holds indices into GLYPH_SHAPES, ``factors`` one row per glyph of the
    GLYPH_FACTORS values: rotation (radians, counter-clockwise), horizontal and
    vertical shift (pixels, right and down) and brightness. Each pixel is the covered
    fraction of a 3 x 3 grid of points inside it, times the brightness.
    """
    shapes, factors = np.asarray(shapes), np.asarray(factors, dtype=float)
    offsets = (np.arange(_GLYPH_SIZE * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - _GLYPH_SIZE / 2
    x, y = np.meshgrid(offsets, offsets)  # pixel units from the centre, y down
    rotation, shift_x, shift_y, brightness = (factors[:, [i]] for i in range(4))
    px, py = x.ravel() - shift_x, shift_y - y.ravel()  # y up
    cos, sin = np.cos(rotation), np.sin(rotation)
    u, v = (cos * px + sin * py) / _GLYPH_SCALE, (cos * py - sin * px) / _GLYPH_SCALE
    covered = np.zeros(u.shape)
    for index, shape in enumerate(GLYPH_SHAPES):
        rows = shapes == index
        covered[rows] = _glyph_inside(shape, u[rows], v[rows])
    side = _GLYPH_SIZE
    fine = covered.reshape(-1, side, _SUPERSAMPLE, side, _SUPERSAMPLE)
    return fine.mean(axis=(2, 4)).reshape(-1, side * side) * brightness


def random_glyph_factors(n, rng):
    """(shapes, factors) of ``n`` glyphs drawn independently and uniformly."""
    shapes = rng.randint(len(GLYPH_SHAPES), size=n)
    factors = np.column_stack([rng.uniform(*_GLYPH_RANGES[name], size=n) for name in GLYPH_FACTORS])
    return shapes, factors


def glyph_factor_batches(n_batches, batch_size, random_state=None):
    """Training batches of glyphs in which exactly one thing varies (Kulkarni et al. 2015).

    Each batch draws one glyph at random and copies it ``batch_size`` times; then one of
    GLYPH_FACTORS takes a new uniform value in every row, or (label "intrinsic") the
    shape changes while the four factors stay fixed. The labels cycle through the five
    kinds in a random order each round, so the kinds are interleaved. Returns (X,
    shapes, factors, labels), one row per glyph, the batches one after the other;
    ``labels`` names the varying kind of each row's batch.
    """
    rng = check_random_state(random_state)
    kinds = (*GLYPH_FACTORS, INTRINSIC)
    rounds = -(-n_batches // len(kinds))
    order = np.concatenate([rng.permutation(len(kinds)) for _ in range(rounds)])[:n_batches]
    base_shapes, base_factors = random_glyph_factors(n_batches, rng)
    shapes = np.repeat(base_shapes, batch_size)
    factors = np.repeat(base_factors, batch_size, axis=0)
    for batch, kind in enumerate(order):
        rows = slice(batch * batch_size, (batch + 1) * batch_size)
        if kinds[kind] == INTRINSIC:
            shapes[rows] = rng.permutation(np.arange(batch_size) % len(GLYPH_SHAPES))
        else:
            factors[rows, kind] = rng.uniform(*_GLYPH_RANGES[kinds[kind]], size=batch_size)
    labels = np.repeat(np.array(kinds)[order], batch_size)
    return render_glyphs(shapes, factors), shapes, factors, labels


def _glyphs(rng, n_batches, batch_size, n_test):
    """Factor batches of glyph renders for training, independent random renders to test."""
    X_train, shapes_train, y_train, labels = glyph_factor_batches(
        _check_int("n_batches", n_batches, 1), _check_int("batch_size", batch_size, 2), rng
    )
    shapes_test, y_test = random_glyph_factors(_check_int("n_test", n_test, 1), rng)
    info = {"factors": GLYPH_FACTORS, "shapes": GLYPH_SHAPES, "batch_size": batch_size,
            "batch_factor": labels, "shape_train": shapes_train, "shape_test": shapes_test,
            "image_shape": (_GLYPH_SIZE, _GLYPH_SIZE)}
    return X_train, render_glyphs(shapes_test, y_test), y_train, y_test, info


def _gaussian_ring(rng, n_samples, n_modes, radius, sigma, test_size):
    """Equal mixture of ``n_modes`` isotropic Gaussians (standard deviation ``sigma``)
    centred evenly on a circle of ``radius``, the mode-dropping test of GANs (Metz et
    al. 2016; Srivastava et al. 2017; Lin et al. 2018). ``info`` holds the centres and
    sigma; the samples are independent, so the split is contiguous."""
    count = _check_int("n_samples", n_samples, 2)
    modes = _check_int("n_modes", n_modes, 1)
    angles = 2 * np.pi * np.arange(modes) / modes
    centers = _check_real("radius", radius, 0, open_low=True) * np.c_[np.cos(angles), np.sin(angles)]
    X = centers[rng.randint(modes, size=count)]
    X += _check_real("sigma", sigma, 0, open_low=True) * rng.standard_normal(X.shape)
    cut = _contiguous_split(count, test_size)
    return X[:cut], X[cut:], None, None, {"centers": centers, "sigma": float(sigma)}


_GENERATORS = {
    "gaussian_ring": _gaussian_ring,
    "glyphs": _glyphs,
    "spike_templates": _spike_templates,
    "digits": _digits,
    "iris": _iris,
    "wine": _wine,
    "breast_cancer": _breast_cancer,
    "xor": _xor,
    "parity": _parity,
    "moons": _moons,
    "blobs": _blobs,
    "bars_and_stripes": _bars_and_stripes,
    "random_patterns": _random_patterns,
    "mackey_glass": _mackey_glass,
    "sine_mixture": _sine_mixture,
    "adding": _adding,
    "copy_task": _copy_task,
    "repeat_copy": _repeat_copy,
    "associative_recall": _associative_recall,
    "text": _text,
    "zen": _zen,
    "sample_patches": _sample_patches,
}
