"""Markov chains of order k over any hashable symbols, and a classifier with one chain
per class.

The next symbol depends on the last k (the context): P(s | c) = (N(c, s) + alpha) /
(N(c) + alpha |S|), counts N from the training sequences, |S| the alphabet seen in fit
(alpha = 0: maximum likelihood; alpha = 1: Laplace). Markov (1906, 1913) counted the
vowel/consonant transitions of Eugene Onegin; Shannon (1948) generated English from
letter and word n-gram statistics; Chen & Goodman (1998) compare smoothing rules.

Conventions shared by both classes:

* Sequences: a str (of characters), a 1-D array or list of symbols (one sequence), a
  2-D array (each row one sequence), or a list of sequences (a list whose items are
  str, lists, tuples or arrays). A single list of word tokens is a sequence of str
  items and must be wrapped: ``[["the", "cat"]]``. Numbers and strings are encoded with
  ``np.unique`` (``symbols_`` sorted); other hashables (tuples, mixed types) through a
  dict, in the order first seen.
* Likelihoods are conditional on the first ``order`` symbols of each sequence: a
  sequence of length L contributes max(L - order, 0) transitions.
* A context never seen in training (or seen only at the end of a sequence, with no
  successor) predicts the uniform distribution over the alphabet.
* A symbol outside the alphabet (``symbols``, by default the one seen in fit) has
  probability 0 under a chain (log-likelihood -inf); a context containing one counts
  as unseen. The classifier leaves the
  transitions that involve such a symbol out of every class's likelihood.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from zoo.base import Interval, ZooClassifierMixin, ZooEstimator, check_is_fitted

__all__ = ["MarkovChain", "MarkovChainClassifier", "perplexity", "transition_heatmap"]

# context ids are mixed-radix numbers sum_j c_j |S|^(k-1-j); they must fit in int64
MAX_CONTEXT_ID = 2**62
# contexts of the sparse linear solve in stationary_distribution
MAX_STATIONARY_STATES = 2**17


class _Encoded:
    """Sequences as one array of symbol codes (-1: outside the alphabet) plus the index
    of the sequence each position belongs to and the position within it."""

    def __init__(self, codes, lengths):
        self.codes = codes
        self.lengths = lengths
        self.sequence = np.repeat(np.arange(len(lengths)), lengths)
        starts = np.cumsum(lengths) - lengths
        self.position = np.arange(len(codes)) - np.repeat(starts, lengths)


class _MarkovBase(ZooEstimator):
    _batch_only = False  # whether X must hold several sequences (the classifier)
    _constraints = {
        "order": Interval(int, 0, None),
        "alpha": Interval(float, 0, None),
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    @classmethod
    def _one_sequence_checks(cls):
        reason = "a 1-D X is one sequence of symbols, a valid input"
        return {"check_fit1d": reason, "check_fit2d_predict1d": reason}

    # ------------------------------------------------------------ input

    def _fit_symbols(self, X):
        """Encode the training sequences, setting ``symbols_``; returns ``_Encoded``."""
        arrays = _sequence_arrays(X, self._batch_only)
        flat = _concatenate(arrays)
        if flat.size == 0:
            raise ValueError(f"{type(self).__name__} needs at least one symbol to fit, got none")
        if self.symbols is not None:
            self.symbols_ = _alphabet(_concatenate([_one_array(self.symbols)]))
            codes = _codes_of(flat, self.symbols_)
            if (codes < 0).any():
                raise ValueError(
                    f"the training data hold symbols outside `symbols`, such as "
                    f"{flat[np.flatnonzero(codes < 0)[0]]!r}"
                )
        elif flat.dtype == object:
            index = {}
            codes = np.fromiter(
                (index.setdefault(s, len(index)) for s in flat), np.int64, flat.size
            )
            self.symbols_ = _object_array(index)
        else:
            self.symbols_, codes = np.unique(flat, return_inverse=True)
        self.n_symbols_ = len(self.symbols_)
        if self.n_symbols_ ** max(self.order, 1) >= MAX_CONTEXT_ID:
            raise ValueError(
                f"order={self.order} over {self.n_symbols_} symbols has too many contexts to "
                "index; lower the order"
            )
        if _array_width(X) is not None:
            self.n_features_in_ = _array_width(X)
        else:
            vars(self).pop("n_features_in_", None)
        return _Encoded(codes.astype(np.int64).ravel(), _lengths(arrays))

    def _encode(self, X):
        """Encode sequences with the fitted alphabet (-1 for a symbol outside it)."""
        check_is_fitted(self)
        arrays = _sequence_arrays(X, self._batch_only)
        width, expected = _array_width(X), getattr(self, "n_features_in_", None)
        if width is not None and expected is not None and width != expected:
            raise ValueError(
                f"X has {width} features, but {type(self).__name__} is expecting {expected} "
                "features as input (fitted on a 2-D array of sequences of that length; pass "
                "a list of sequences to score other lengths)"
            )
        return _Encoded(_codes_of(_concatenate(arrays), self.symbols_), _lengths(arrays))

    # ------------------------------------------------------------ contexts

    def _context_ids(self, data):
        """(id of the context before each position, whether it is complete and known):
        positions < order or with an unknown symbol in their context get False."""
        n_symbols, codes = self.n_symbols_, data.codes
        ids = np.zeros(len(codes), dtype=np.int64)
        valid = data.position >= self.order
        for lag in range(self.order, 0, -1):
            shifted = np.roll(codes, lag)
            ids = ids * n_symbols + np.maximum(shifted, 0)
            valid &= shifted >= 0
        return ids, valid

    def _rows(self, ids, known):
        """Row of each context id in the tables, -1 for a context never counted."""
        if self.order <= 1:
            return np.where(known, ids, -1)
        if len(self.context_ids_) == 0:
            return np.full(len(ids), -1)
        rows = np.searchsorted(self.context_ids_, ids)
        rows = np.minimum(rows, len(self.context_ids_) - 1)
        return np.where(known & (self.context_ids_[rows] == ids), rows, -1)

    def _transitions(self, data):
        """Positions that are predicted (at least ``order`` steps in), their context rows
        and their symbols (codes, -1 for unknown)."""
        ids, known = self._context_ids(data)
        predicted = data.position >= self.order
        known = known[predicted]
        return predicted, self._rows(ids[predicted], known), data.codes[predicted], known

    def _count(self, data, groups, n_groups):
        """Transition counts, shape (n_groups, n_contexts, n_symbols), by group of each
        sequence (the class for the classifier, 0 for a chain)."""
        ids, valid = self._context_ids(data)
        ids, targets = ids[valid], data.codes[valid]
        group = groups[data.sequence[valid]]
        if self.order <= 1:
            rows, n_contexts = ids, self.n_symbols_**self.order
        else:
            self.context_ids_, rows = np.unique(ids, return_inverse=True)
            n_contexts = len(self.context_ids_)
        flat = (group * n_contexts + rows) * self.n_symbols_ + targets
        counts = np.bincount(flat, minlength=n_groups * n_contexts * self.n_symbols_)
        return counts.reshape(n_groups, n_contexts, self.n_symbols_).astype(float)

    def _probabilities(self, counts):
        """Smoothed P(s | c) from counts; a row without counts is uniform."""
        totals = counts.sum(axis=-1, keepdims=True)
        smoothed = counts + self.alpha
        norm = totals + self.alpha * self.n_symbols_
        uniform = np.full_like(counts, 1.0 / self.n_symbols_)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(norm > 0, smoothed / np.where(norm > 0, norm, 1.0), uniform)

    def _decode_contexts(self):
        """The contexts of the table rows as symbols, shape (n_contexts, order)."""
        ids = np.arange(self.n_symbols_**self.order) if self.order <= 1 else self.context_ids_
        powers = self.n_symbols_ ** np.arange(self.order - 1, -1, -1, dtype=np.int64)
        return self.symbols_[(ids[:, None] // powers) % self.n_symbols_]


class MarkovChain(_MarkovBase):
    """Order-k Markov chain (Markov 1906, 1913; Shannon 1948) with additive smoothing
    (Chen & Goodman 1998).

    ``fit(X)`` counts transitions in one or many sequences; ``score``/``score_samples``
    give log-likelihoods, ``perplexity`` exp(-mean log-likelihood per transition),
    ``predict``/``predict_proba`` the next symbol after each sequence, ``sample``
    generates, ``stationary_distribution`` solves pi P = pi. See the module docstring for
    the input forms and the rules for unseen contexts and symbols.

    Parameters
    ----------
    order : int, default=1
        k, the number of previous symbols the next one depends on (0: independent symbols).
    alpha : float, default=1.0
        Additive smoothing delta: 0 is maximum likelihood, 1 Laplace.
    symbols : sequence or None, default=None
        The alphabet, when it holds symbols the training data lack (smoothing then
        gives them probability too); None: the symbols seen in fit.
    random_state : int, RandomState or None, default=None
        Default seed of ``sample``.

    Attributes
    ----------
    symbols_ : ndarray of shape (n_symbols,)
        The alphabet seen in fit.
    n_symbols_ : int
    transition_matrix_ : ndarray of shape (n_contexts, n_symbols)
        P(s | c), rows sum to 1. Order 1: square over ``symbols_``; order 0: one row;
        order >= 2: the contexts seen in fit, listed in ``contexts_``.
    counts_ : ndarray of shape (n_contexts, n_symbols)
        Transition counts N(c, s).
    contexts_ : ndarray of shape (n_contexts, order)
        The context of each row, as symbols.
    context_ids_ : ndarray of int64 (order >= 2 only)
        Mixed-radix codes of the contexts, sorted.
    n_features_in_ : int
        Length of the sequences, when fitted on a 2-D array (or a list of equal-length
        lists); such input given later must have as many columns (sequences of other
        lengths can be passed as a list of arrays or a ragged list).
    """

    @classmethod
    def _expected_failed_checks(cls):
        return cls._one_sequence_checks()

    def __init__(self, order=1, *, alpha=1.0, symbols=None, random_state=None):
        self.order = order
        self.alpha = alpha
        self.symbols = symbols
        self.random_state = random_state

    def fit(self, X, y=None):
        """Count the transitions of the sequences X."""
        self._check_params()
        data = self._fit_symbols(X)
        self.counts_ = self._count(data, np.zeros(len(data.lengths), dtype=np.int64), 1)[0]
        self.transition_matrix_ = self._probabilities(self.counts_)
        self.contexts_ = self._decode_contexts()
        return self

    # ------------------------------------------------------------ likelihood

    def _log_probabilities(self, data):
        """log P of every predicted position, and the sequence it belongs to."""
        predicted, rows, targets, _ = self._transitions(data)
        log_p = np.full(len(rows), -np.inf)
        known = targets >= 0
        with np.errstate(divide="ignore"):
            log_p[known] = np.log(self._table()[rows[known], targets[known]])
        return log_p, data.sequence[predicted]

    def _table(self):
        """``transition_matrix_`` with a uniform last row, the row -1 of unseen contexts."""
        uniform = np.full((1, self.n_symbols_), 1.0 / self.n_symbols_)
        return np.vstack([self.transition_matrix_, uniform])

    def score_samples(self, X):
        """Log-likelihood of each sequence given its first ``order`` symbols."""
        data = self._encode(X)
        log_p, sequence = self._log_probabilities(data)
        return _sum_by(sequence, log_p, len(data.lengths))

    def score(self, X, y=None):
        """Total log-likelihood of the sequences X."""
        return float(self.score_samples(X).sum())

    def perplexity(self, X):
        """exp(-(1/n) sum log P) over the n predicted symbols of X."""
        log_p, _ = self._log_probabilities(self._encode(X))
        if log_p.size == 0:
            raise ValueError(f"perplexity needs sequences longer than order={self.order}")
        return float(np.exp(-log_p.mean()))

    # ------------------------------------------------------------ prediction

    def predict_proba(self, X):
        """P(next symbol | last ``order`` symbols) after each sequence, shape
        (n_sequences, n_symbols), columns in the order of ``symbols_``."""
        rows = self._next_rows(self._encode(X))
        return self._table()[rows]

    def predict(self, X):
        """The most likely next symbol after each sequence (ties: the first in ``symbols_``)."""
        check_is_fitted(self)
        return self.symbols_[self.predict_proba(X).argmax(axis=1)]

    def _next_rows(self, data):
        short = data.lengths < self.order
        if short.any():
            raise ValueError(
                f"each sequence needs at least order={self.order} symbols to form a context; "
                f"sequence {int(np.flatnonzero(short)[0])} has {int(data.lengths[short][0])}"
            )
        # the context after the last symbol: append a placeholder symbol to each sequence
        ends = np.cumsum(data.lengths + 1) - 1
        codes = np.insert(data.codes, np.cumsum(data.lengths), 0)
        ids, known = self._context_ids(_Encoded(codes, data.lengths + 1))
        return self._rows(ids[ends], known[ends])

    # ------------------------------------------------------------ generation

    def sample(self, n_steps, n_sequences=None, random_state=None, start=None):
        """Generate sequences by ancestral sampling.

        The first ``order`` symbols are ``start`` if given, else a context drawn in
        proportion to how often it was followed by a symbol in training (an empirical
        estimate of the stationary law over contexts). Returns an array of ``n_steps``
        symbols, or of shape (n_sequences, n_steps).
        """
        check_is_fitted(self)
        count = 1 if n_sequences is None else n_sequences
        if count < 1 or n_steps < self.order:
            raise ValueError(f"need n_sequences >= 1 and n_steps >= order={self.order}")
        rng = self._rng() if random_state is None else np.random.RandomState(random_state)
        codes = np.zeros((count, n_steps), dtype=np.int64)
        codes[:, : self.order] = self._start_codes(count, rng, start)
        cumulative = np.cumsum(self._table(), axis=1)
        powers = self.n_symbols_ ** np.arange(self.order - 1, -1, -1, dtype=np.int64)
        for step in range(self.order, n_steps):
            ids = codes[:, step - self.order : step] @ powers
            rows = self._rows(ids, np.ones(count, dtype=bool))
            picks = (rng.random_sample(count)[:, None] > cumulative[rows]).sum(axis=1)
            codes[:, step] = np.minimum(picks, self.n_symbols_ - 1)
        symbols = self.symbols_[codes]
        return symbols[0] if n_sequences is None else symbols

    def _start_codes(self, count, rng, start):
        if self.order == 0:
            return np.zeros((count, 0), dtype=np.int64)
        if start is not None:
            codes = self._encode([_one_array(start)]).codes[-self.order :]
            if len(codes) < self.order or (codes < 0).any():
                raise ValueError(f"start must end with {self.order} symbols of the alphabet")
            return np.tile(codes, (count, 1))
        weights = self.counts_.sum(axis=1)
        if weights.sum() == 0:
            raise ValueError("the chain saw no transition in fit; pass start to sample")
        rows = rng.choice(len(weights), size=count, p=weights / weights.sum())
        powers = self.n_symbols_ ** np.arange(self.order - 1, -1, -1, dtype=np.int64)
        ids = rows if self.order == 1 else self.context_ids_[rows]
        return (ids[:, None] // powers) % self.n_symbols_

    # ------------------------------------------------------------ chain properties

    def stationary_distribution(self):
        """pi with pi P = pi and sum(pi) = 1.

        Order 0: the symbol probabilities. Order 1: over ``symbols_``. Order k >= 2: an
        order-k chain is a first-order chain over its contexts, (s_1..s_k) -> (s_2..s_k, s)
        with P(s | s_1..s_k) (uniform for a context never seen, as in ``sample``), so pi
        is over all ``n_symbols_ ** k`` contexts, in the order of
        ``itertools.product(symbols_, repeat=k)``; at most MAX_STATIONARY_STATES of them.
        Solved as the sparse linear system (P^T - I) pi = 0 with the last equation
        replaced by sum(pi) = 1. A chain without a unique pi raises ValueError.
        """
        check_is_fitted(self)
        if self.order == 0:
            return self.transition_matrix_[0].copy()
        n_states = self.n_symbols_**self.order
        if n_states > MAX_STATIONARY_STATES:
            raise ValueError(
                f"an order-{self.order} chain over {self.n_symbols_} symbols has {n_states} contexts; "
                f"stationary_distribution handles at most {MAX_STATIONARY_STATES}"
            )
        transitions = self._context_transitions(n_states)
        system = (transitions.T - scipy.sparse.identity(n_states, format="csr")).tocsr()[:-1]
        system = scipy.sparse.vstack([system, np.ones((1, n_states))], format="csc")
        rhs = np.zeros(n_states)
        rhs[-1] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("error", scipy.sparse.linalg.MatrixRankWarning)
            try:
                pi = scipy.sparse.linalg.spsolve(system, rhs)
            except (scipy.sparse.linalg.MatrixRankWarning, RuntimeError) as exc:
                raise ValueError(f"the chain has no unique stationary distribution: {exc}") from exc
        if not np.all(np.isfinite(pi)) or pi.min() < -1e-10:
            raise ValueError("the chain has no unique stationary distribution (it is reducible)")
        return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()

    def _context_transitions(self, n_states):
        """Sparse first-order transition matrix between context ids: context c moves to
        (c mod |S|^(k-1)) |S| + s with probability P(s | c)."""
        n = self.n_symbols_
        contexts = np.arange(n_states)
        probabilities = self._table()[self._rows(contexts, np.ones(n_states, dtype=bool))]
        successors = (contexts % (n_states // n))[:, None] * n + np.arange(n)
        return scipy.sparse.csr_matrix(
            (probabilities.ravel(), (np.repeat(contexts, n), successors.ravel())), shape=(n_states, n_states)
        )


class MarkovChainClassifier(ClassifierMixin, ZooClassifierMixin, _MarkovBase):
    """One Markov chain per class; a sequence goes to the class with the largest
    log-likelihood plus log prior (the sequence analogue of naive Bayes).

    All classes share the alphabet seen in fit and the contexts seen in any class.
    Transitions into or out of a symbol outside that alphabet are left out of every
    class's likelihood. With alpha = 0 a sequence can be impossible under every class;
    it then gets the class prior.

    Parameters
    ----------
    order : int, default=1
    alpha : float, default=1.0
        Additive smoothing of every class's chain.
    symbols : sequence or None, default=None
        The alphabet (None: the symbols seen in fit).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_log_prior_ : ndarray of shape (n_classes,)
    symbols_ : ndarray of shape (n_symbols,)
    n_symbols_ : int
    transition_matrices_ : ndarray of shape (n_classes, n_contexts, n_symbols)
        P(s | c, class).
    counts_ : ndarray of shape (n_classes, n_contexts, n_symbols)
    contexts_ : ndarray of shape (n_contexts, order)
    context_ids_ : ndarray of int64 (order >= 2 only)
    n_features_in_ : int
        Sequence length, when fitted on a 2-D array (as in ``MarkovChain``).
    """

    _batch_only = True

    def __init__(self, order=1, *, alpha=1.0, symbols=None):
        self.order = order
        self.alpha = alpha
        self.symbols = symbols

    def fit(self, X, y):
        """Fit one chain per class on the sequences X with labels y."""
        self._check_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        data = self._fit_symbols(X)
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        y = column_or_1d(y, warn=True)
        check_consistent_length(data.lengths, y)
        codes = self._encode_labels(y)
        self.class_log_prior_ = np.log(np.bincount(codes) / len(codes))
        self.counts_ = self._count(data, codes, len(self.classes_))
        self.transition_matrices_ = self._probabilities(self.counts_)
        self.contexts_ = self._decode_contexts()
        return self

    def _joint_log_likelihood(self, X):
        """log P(x | class) + log P(class), shape (n_sequences, n_classes)."""
        data = self._encode(X)
        predicted, rows, targets, context_known = self._transitions(data)
        used = (targets >= 0) & context_known
        rows, targets, sequence = rows[used], targets[used], data.sequence[predicted][used]
        with np.errstate(divide="ignore"):
            log_tables = np.log(self.transition_matrices_)
        seen = rows >= 0
        log_p = np.full((len(rows), len(self.classes_)), -np.log(self.n_symbols_))
        log_p[seen] = log_tables[:, rows[seen], targets[seen]].T
        n = len(data.lengths)
        totals = np.stack([_sum_by(sequence, column, n) for column in log_p.T], axis=1)
        return totals + self.class_log_prior_

    def _posterior_log(self, X):
        joint = self._joint_log_likelihood(X)
        impossible = ~np.isfinite(joint.max(axis=1))
        joint[impossible] = self.class_log_prior_
        return joint - joint.max(axis=1, keepdims=True)

    def predict_proba(self, X):
        """P(class | sequence), shape (n_sequences, n_classes)."""
        scores = np.exp(self._posterior_log(X))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """log P(class | sequence)."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class with the largest posterior."""
        check_is_fitted(self)
        return self.classes_[self._posterior_log(X).argmax(axis=1)]


# ------------------------------------------------------------ input helpers


def _sequence_arrays(X, batch=False):
    """A list of 1-D symbol arrays from any accepted form of X (see the module doc).
    ``batch``: X must be several sequences (a 2-D array or a list of sequences)."""
    if scipy.sparse.issparse(X):
        raise TypeError(
            "sparse input is not supported: pass sequences of symbols as a dense array or lists"
        )
    if isinstance(X, str):
        if batch:
            raise ValueError("expected a list of sequences or a 2-D array, got one str")
        return [_one_array(X)]
    nested = (str, list, tuple, np.ndarray)
    if isinstance(X, (list, tuple)) and any(isinstance(item, nested) for item in X):
        return [_one_array(item) for item in X]
    array = _checked_array(X, batch)
    return list(array) if array.ndim == 2 else [array]


def _checked_array(X, batch):
    """Validate an array of symbols: strings kept, numbers finite; 1-D or 2-D."""
    array = np.asarray(X)
    if array.dtype.kind in "US":
        if array.ndim not in ((2,) if batch else (1, 2)):
            raise ValueError(f"expected a 2-D array of sequences, got {array.ndim} dimension(s)")
        return array
    if array.dtype == object and array.size and all(isinstance(s, str) for s in array.ravel()):
        return array.astype(str)
    if array.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    dtype = None if array.dtype.kind in "iub" else np.float64
    if array.ndim == 1 and not batch:
        return check_array(array, ensure_2d=False, dtype=dtype)
    return check_array(X, dtype=dtype)


def _one_array(sequence):
    """One sequence as a 1-D array: a str as its characters, numbers kept, other
    hashables (or a mix of types) as an object array."""
    if isinstance(sequence, str):
        return np.frombuffer(sequence.encode("utf-32-le"), dtype="<U1")
    if isinstance(sequence, np.ndarray) and sequence.dtype != object:
        return _checked_array(sequence.ravel() if sequence.ndim == 0 else sequence, False)
    items = list(sequence)
    kinds = {type(item) for item in items}
    numeric = all(issubclass(k, (int, float, np.number)) and k is not bool for k in kinds)
    if kinds and (kinds <= {str} or numeric):
        return _checked_array(np.asarray(items), False)
    for item in items:
        hash(item)  # unhashable symbols raise TypeError here
    return _object_array(items)


def _concatenate(arrays):
    """All sequences as one array: strings, numbers, or objects when they mix."""
    kinds = {
        "U" if a.dtype.kind in "US" else "O" if a.dtype == object else "n"
        for a in arrays
        if a.size
    }
    if len(kinds) > 1 or kinds == {"O"}:
        return _object_array(item for a in arrays for item in a.tolist())
    non_empty = [a for a in arrays if a.size] or arrays
    return np.concatenate(non_empty) if non_empty else np.empty(0)


def _alphabet(symbols):
    """Distinct symbols: sorted (numbers, strings) or in first-seen order (objects)."""
    if symbols.dtype != object:
        return np.unique(symbols)
    return _object_array(dict.fromkeys(symbols.tolist()))


def _object_array(items):
    """A 1-D object array holding each item as one element (tuples included)."""
    return np.fromiter(items, dtype=object)


def _lengths(arrays):
    return np.array([a.size for a in arrays], dtype=np.int64)


def _array_width(X):
    """The number of columns when X is numeric and 2-D (an array, or a list of
    equal-length lists of numbers, as sklearn reads array-likes), else None: sequences
    of strings or other symbols may have any length."""
    if isinstance(X, (list, tuple)):
        rows = [row for row in X if isinstance(row, (list, tuple))]
        if not rows or len(rows) != len(X) or len({len(row) for row in rows}) != 1:
            return None
        numeric = all(isinstance(item, numbers.Number) for row in rows for item in row)
        return len(rows[0]) if numeric else None
    if isinstance(X, str) or not hasattr(X, "shape") or len(X.shape) != 2:
        return None
    is_text = getattr(X, "dtype", None) is not None and X.dtype.kind in "US"
    return None if is_text else X.shape[1]


def _codes_of(flat, symbols):
    """Codes of ``flat`` in the fitted alphabet, -1 where a symbol is not in it."""
    if symbols.dtype == object or flat.dtype == object:
        index = {symbol: code for code, symbol in enumerate(symbols.tolist())}
        return np.fromiter((index.get(s, -1) for s in flat.tolist()), np.int64, flat.size)
    if (flat.dtype.kind in "US") != (symbols.dtype.kind in "US"):
        return np.full(flat.size, -1, dtype=np.int64)
    positions = np.minimum(np.searchsorted(symbols, flat), len(symbols) - 1)
    return np.where(symbols[positions] == flat, positions, -1).astype(np.int64)


def _sum_by(groups, values, n_groups):
    """Sum of ``values`` per group index (-inf propagates)."""
    totals = np.zeros(n_groups)
    np.add.at(totals, groups, values)
    return totals


# ------------------------------------------------------------ benchmark metric and figure


def perplexity(estimator, data):
    """Benchmark metric "perplexity" (lower is better): exp of the mean negative
    log-likelihood per predicted symbol of the test sequence."""
    return estimator.perplexity(data.X_test)


def transition_heatmap(estimator, data, figure, n_shown=30):
    """Figure hook: P(next | current) among the ``n_shown`` most frequent symbols of the
    training data, as a heat map (order 1 chains; other orders show their first-order
    counterpart fitted on the same data)."""
    chain = estimator
    if getattr(estimator, "order", None) != 1:
        chain = MarkovChain(order=1, alpha=getattr(estimator, "alpha", 1.0)).fit(data.X_train)
    frequency = chain.counts_.sum(axis=1)
    shown = np.sort(np.argsort(-frequency, kind="stable")[:n_shown])
    matrix = chain.transition_matrix_[np.ix_(shown, shown)]
    labels = [_label(chain.symbols_[i], data) for i in shown]
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="viridis")
    figure.colorbar(image, ax=axes, label="P(next | current)")
    ticks = np.arange(len(shown))
    axes.set_xticks(ticks, labels, fontsize=6)
    axes.set_yticks(ticks, labels, fontsize=6)
    axes.set_xlabel("next symbol")
    axes.set_ylabel("current symbol")
    axes.set_title(f"first-order transitions of the {len(shown)} most frequent symbols")


def _label(symbol, data):
    """A readable tick label: the character a text dataset code stands for."""
    alphabet = getattr(data, "info", {}).get("alphabet")
    is_code = isinstance(symbol, (int, np.integer)) and alphabet is not None
    if is_code and 0 <= symbol < len(alphabet):
        symbol = alphabet[symbol]
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(str(symbol), str(symbol))
