import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from zoo.datasets import load
from zoo.models.markov import MarkovChain, MarkovChainClassifier, perplexity

TRUE_P = np.array(
    [
        [0.5, 0.2, 0.2, 0.1],
        [0.1, 0.6, 0.2, 0.1],
        [0.3, 0.1, 0.4, 0.2],
        [0.25, 0.25, 0.25, 0.25],
    ]
)


def simulate(P, n_steps, rng, start=0):
    """A path of the chain with transition matrix P (independent of the code under test)."""
    cumulative = P.cumsum(axis=1)
    draws = rng.random(n_steps)
    path = np.empty(n_steps, dtype=int)
    path[0] = start
    for t in range(1, n_steps):
        path[t] = min(np.searchsorted(cumulative[path[t - 1]], draws[t], side="right"), len(P) - 1)
    return path


@pytest.fixture(scope="module")
def long_path():
    return simulate(TRUE_P, 100_000, np.random.default_rng(0))


@pytest.fixture(scope="module")
def text():
    return load("text", max_chars=100_000)


# ---------------------------------------------------------------- paper properties


def test_transition_matrix_from_a_long_run(long_path):
    chain = MarkovChain(alpha=0.0).fit(long_path)
    assert chain.transition_matrix_.shape == (4, 4)
    assert np.allclose(chain.transition_matrix_.sum(axis=1), 1.0)
    assert np.abs(chain.transition_matrix_ - TRUE_P).max() <= 0.02
    # each entry within 4 standard errors sqrt(p (1 - p) / n_i) of the truth
    visits = np.bincount(long_path[:-1], minlength=4)[:, None]
    standard_error = np.sqrt(TRUE_P * (1 - TRUE_P) / visits)
    assert np.all(np.abs(chain.transition_matrix_ - TRUE_P) <= 4 * standard_error + 1e-12)
    assert np.array_equal(chain.symbols_, [0, 1, 2, 3])


def test_stationary_distribution(long_path):
    chain = MarkovChain(alpha=0.0).fit(long_path)
    pi = chain.stationary_distribution()
    power = np.full(4, 0.25)
    for _ in range(1000):
        power = power @ chain.transition_matrix_
    assert np.abs(pi - power).max() <= 1e-10
    assert np.abs(pi - np.bincount(long_path) / len(long_path)).max() <= 0.01


def test_reducible_chain_has_no_unique_stationary_distribution():
    chain = MarkovChain(alpha=0.0).fit([[0, 0, 0, 0], [1, 1, 1, 1]])
    with pytest.raises(ValueError, match="no unique stationary"):
        chain.stationary_distribution()


def test_order_2_stationary_distribution_is_the_context_chain_law():
    """An order-2 chain is a first-order chain over symbol pairs: its stationary law
    equals power iteration on the 9 x 9 pair chain built here from transition_matrix_,
    and the pair frequencies of a long sample."""
    rng = np.random.RandomState(3)
    conditional = rng.dirichlet(np.ones(3), size=(3, 3))  # P(s | a, b)
    path = [0, 1]
    for u in rng.uniform(size=60000):
        path.append(int(np.searchsorted(np.cumsum(conditional[path[-2], path[-1]]), u)))
    chain = MarkovChain(2, alpha=0.5, random_state=0).fit(np.array(path))
    pi = chain.stationary_distribution()
    pair_chain = np.zeros((9, 9))
    for row, (a, b) in enumerate(chain.contexts_):
        pair_chain[3 * a + b, 3 * b + np.arange(3)] = chain.transition_matrix_[row]
    power = np.full(9, 1 / 9)
    for _ in range(2000):
        power = power @ pair_chain
    assert np.abs(pi - power).max() <= 1e-10
    sample = chain.sample(200000)
    pairs = np.bincount(3 * sample[:-1] + sample[1:], minlength=9) / (len(sample) - 1)
    assert np.abs(pi - pairs).max() <= 0.01


def test_stationary_distribution_needs_a_bounded_context_space():
    chain = MarkovChain(3).fit(np.arange(60) % 60)
    with pytest.raises(ValueError, match="contexts"):
        chain.stationary_distribution()


@pytest.mark.parametrize("order", [1, 2, 3])
def test_without_smoothing_generated_ngrams_occur_in_training(order):
    corpus = load("zen").info["text_train"]
    chain = MarkovChain(order, alpha=0.0, random_state=0).fit(corpus)
    generated = "".join(chain.sample(3000))
    size = order + 1
    training = {corpus[i : i + size] for i in range(len(corpus) - size + 1)}
    produced = {generated[i : i + size] for i in range(len(generated) - size + 1)}
    assert produced <= training
    assert len(produced) > 50


def test_held_out_perplexity_falls_with_order(text):
    alphabet = np.arange(len(text.info["alphabet"]))
    scores = [
        MarkovChain(order, alpha=0.1, symbols=alphabet).fit(text.X_train).perplexity(text.X_test)
        for order in (0, 1, 2)
    ]
    assert scores[0] > scores[1] > scores[2]
    assert scores[2] < 0.6 * scores[1] < 0.4 * scores[0]


def test_score_is_the_sum_of_smoothed_log_probabilities():
    corpus = ["abracadabra", "cadabra"]
    chain = MarkovChain(order=1, alpha=0.5).fit(corpus)
    # counts by hand: symbols a b c d r, |S| = 5
    pairs = [x + y for word in corpus for x, y in zip(word, word[1:])]
    def p(x, y):
        n_xy = pairs.count(x + y)
        n_x = sum(pair[0] == x for pair in pairs)
        return (n_xy + 0.5) / (n_x + 0.5 * 5)
    expected = np.log(p("d", "a")) + np.log(p("a", "b")) + np.log(p("b", "r"))
    assert np.isclose(chain.score("dabr"), expected, atol=1e-12)
    assert np.isclose(chain.perplexity("dabr"), np.exp(-expected / 3), atol=1e-12)
    assert np.allclose(chain.score_samples(["dabr", "ab"]), [expected, np.log(p("a", "b"))])


def test_words_and_other_hashables_as_symbols():
    sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat", "ran"]]
    chain = MarkovChain(alpha=0.0).fit(sentences)
    assert list(chain.symbols_) == ["cat", "dog", "ran", "sat", "the"]
    row = list(chain.symbols_).index("the")
    assert np.isclose(chain.transition_matrix_[row, list(chain.symbols_).index("cat")], 2 / 3)
    assert chain.predict([["the"]])[0] == "cat"
    points = [[(0, 0), (0, 1), (0, 0), (0, 1)], [(0, 1), (0, 0)]]
    tuples = MarkovChain(alpha=0.0).fit(points)
    assert tuples.predict([[(0, 0)]])[0] == (0, 1)
    assert tuples.score([[(0, 0), (5, 5)]]) == -np.inf


def test_higher_order_contexts_and_predictions():
    chain = MarkovChain(order=2, alpha=0.0).fit("abcabdabcabd" * 3)
    assert chain.transition_matrix_.shape == (len(chain.contexts_), 4)
    assert {"".join(c) for c in chain.contexts_} == {"ab", "bc", "bd", "ca", "da"}
    assert list(chain.predict(["xxca", "zzbd", "bc"])) == ["b", "a", "a"]
    proba = chain.predict_proba(["ab"])[0]
    assert np.allclose(proba, [0, 0, 0.5, 0.5])


def test_unseen_contexts_are_uniform_and_unseen_symbols_impossible():
    chain = MarkovChain(order=2, alpha=0.0).fit("aabab")
    assert np.allclose(chain.predict_proba(["bb"]), 0.5)
    assert chain.score("abz") == -np.inf
    smoothed = MarkovChain(alpha=1.0, symbols=list("abz")).fit("aabab")
    assert np.isfinite(smoothed.score("abz"))
    assert np.allclose(smoothed.transition_matrix_.sum(axis=1), 1.0)


def test_sampling_is_seeded_and_vectorised_over_chains(long_path):
    chain = MarkovChain(alpha=0.0, random_state=0).fit(long_path[:20_000])
    assert np.array_equal(chain.sample(50), chain.sample(50))
    batch = chain.sample(2000, n_sequences=8, random_state=1)
    assert batch.shape == (8, 2000)
    # sampled transitions follow the fitted matrix
    refit = MarkovChain(alpha=0.0).fit(batch)
    assert np.abs(refit.transition_matrix_ - chain.transition_matrix_).max() < 0.05
    assert list(chain.sample(3, start=[2])[:1]) == [2]


def test_classifier_reaches_the_bayes_rate_on_two_chains():
    other = TRUE_P[:, [1, 0, 3, 2]]  # same kind of chain, symbols relabelled
    rng = np.random.default_rng(1)
    def sequences(P, n):
        return np.array([simulate(P, 40, rng, start=rng.integers(4)) for _ in range(n)])
    X_train = np.vstack([sequences(TRUE_P, 300), sequences(other, 300)])
    X_test = np.vstack([sequences(TRUE_P, 300), sequences(other, 300)])
    y = np.repeat(["first", "second"], 300)
    model = MarkovChainClassifier(alpha=1.0).fit(X_train, y)
    accuracy = np.mean(model.predict(X_test) == y)
    # the Bayes classifier knows both true chains
    def log_likelihood(P, X):
        return np.log(P[X[:, :-1], X[:, 1:]]).sum(axis=1)
    first_is_likelier = log_likelihood(TRUE_P, X_test) >= log_likelihood(other, X_test)
    bayes = np.mean(np.where(first_is_likelier, "first", "second") == y)
    assert accuracy >= bayes - 0.02
    assert np.allclose(model.predict_proba(X_test).sum(axis=1), 1.0)
    assert list(model.classes_) == ["first", "second"]


def test_classifier_uses_the_order_of_symbols(text):
    """Text against the same text with its characters shuffled: equal symbol frequencies,
    so only the transitions tell them apart."""
    rng = np.random.default_rng(2)
    def chunks(codes, size=80):
        return codes[: len(codes) // size * size].reshape(-1, size)
    shuffled_train = rng.permutation(text.X_train[:40_000])
    shuffled_test = rng.permutation(text.X_test[:8_000])
    X_train = np.vstack([chunks(text.X_train[:40_000]), chunks(shuffled_train)])
    X_test = np.vstack([chunks(text.X_test[:8_000]), chunks(shuffled_test)])
    y_train = np.repeat(["text", "shuffled"], len(X_train) // 2)
    y_test = np.repeat(["text", "shuffled"], len(X_test) // 2)
    first_order = MarkovChainClassifier(order=1, alpha=0.1).fit(X_train, y_train)
    unigram = MarkovChainClassifier(order=0, alpha=0.1).fit(X_train, y_train)
    assert np.mean(first_order.predict(X_test) == y_test) >= 0.95
    assert np.mean(unigram.predict(X_test) == y_test) <= 0.75


def test_classifier_without_smoothing_falls_back_to_the_prior():
    X = [[0, 1, 0, 1], [1, 1, 1, 1], [0, 1, 0, 1]]
    model = MarkovChainClassifier(alpha=0.0).fit(X, [0, 1, 0])
    # 1 -> 0 is impossible under class 1 and 0 -> 0 under class 0
    assert np.allclose(model.predict_proba([[1, 0, 0, 1]]), [[2 / 3, 1 / 3]])
    assert model.predict([[1, 0, 0, 1]])[0] == 0
    assert model.predict([[1, 1, 1, 1]])[0] == 1
    assert model.predict([[0, 1, 0, 1]])[0] == 0


def test_perplexity_metric_and_unigram_baseline(text):
    alphabet = np.arange(len(text.info["alphabet"]))
    chain = MarkovChain(order=2, alpha=0.1, symbols=alphabet).fit(text.X_train)
    unigram = MarkovChain(order=0, alpha=0.1, symbols=alphabet).fit(text.X_train)
    assert perplexity(chain, text) == chain.perplexity(text.X_test) < perplexity(unigram, text)


def test_figure_hook_draws(text):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from zoo.models.markov import transition_heatmap

    figure = Figure()
    transition_heatmap(MarkovChain(order=2, alpha=0.1).fit(text.X_train), text, figure)
    assert figure.axes[0].get_images()[0].get_array().shape == (30, 30)


# ---------------------------------------------------------------- bad input


METHODS = ["fit", "score", "score_samples", "perplexity", "predict", "predict_proba"]


@pytest.mark.parametrize("method", METHODS)
def test_chain_methods_reject_nan(method):
    chain = MarkovChain().fit([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN"):
        getattr(chain, method)(np.array([[0.0, np.nan, 1.0]]))


def test_wrong_width_and_too_short_contexts():
    chain = MarkovChain(order=2).fit(np.array([[0, 1, 2], [2, 1, 0]]))
    with pytest.raises(ValueError, match="expecting 3 features"):
        chain.predict(np.array([[0, 1]]))
    with pytest.raises(ValueError, match="at least order=2"):
        chain.predict([np.array([0])])
    with pytest.raises(ValueError, match="longer than order"):
        chain.perplexity([np.array([0, 1])])


def test_classifier_bad_input():
    with pytest.raises(ValueError, match="only one class"):
        MarkovChainClassifier().fit([[0, 1], [1, 0]], [3, 3])
    with pytest.raises(ValueError, match="requires y"):
        MarkovChainClassifier().fit([[0, 1], [1, 0]], None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MarkovChainClassifier().fit([[0, 1], [1, 0]], [0, 1, 0])
    with pytest.raises(ValueError, match="list of sequences"):
        MarkovChainClassifier().fit("abc", [0])
    model = MarkovChainClassifier().fit([[0, 1], [1, 0]], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        model.predict([[0, np.nan]])
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse

        model.predict(scipy.sparse.csr_matrix([[0.0, 1.0]]))


@pytest.mark.parametrize(
    "params, match",
    [({"order": -1}, "order"), ({"alpha": -0.5}, "alpha"), ({"order": 1.5}, "order")],
)
@pytest.mark.parametrize("cls", [MarkovChain, MarkovChainClassifier])
def test_invalid_hyperparameters(cls, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cls(**params).fit([[0, 1, 0], [1, 0, 1]], [0, 1])


def test_too_many_contexts_and_empty_data():
    with pytest.raises(ValueError, match="too many contexts"):
        MarkovChain(order=40).fit(np.arange(100))
    with pytest.raises(ValueError, match="at least one symbol"):
        MarkovChain().fit("")
    with pytest.raises(ValueError, match="outside `symbols`"):
        MarkovChain(symbols=["a"]).fit("ab")


def test_unfitted_methods_raise():
    for method in ("predict", "score", "perplexity"):
        with pytest.raises(NotFittedError):
            getattr(MarkovChain(), method)("ab")
    with pytest.raises(NotFittedError):
        MarkovChain().sample(3)
    with pytest.raises(NotFittedError):
        MarkovChainClassifier().predict([[0, 1]])
