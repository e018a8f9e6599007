import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression

from zoo.datasets import load
from zoo.models.dbn import DBNClassifier, LabelledRBM


@pytest.fixture(scope="module")
def digits():
    """Digits scaled to [0, 1] (X / 16), the 75/25 stratified split of random_state 0."""
    data = load("digits", random_state=0)
    return data.X_train / 16, data.y_train, data.X_test / 16, data.y_test


@pytest.fixture(scope="module")
def digits_dbn(digits):
    X_train, y_train, _, _ = digits
    model = DBNClassifier((256, 128), rbm_n_iter=20, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train)


@pytest.mark.slow
def test_digits_accuracy_with_fine_tuning(digits, digits_dbn):
    _, _, X_test, y_test = digits
    assert digits_dbn.visible_ == "bernoulli"
    assert isinstance(digits_dbn.rbms_[-1], LabelledRBM)
    assert digits_dbn.score(X_test, y_test) >= 0.96


@pytest.mark.slow
def test_every_rbm_reconstruction_error_falls_during_pretraining(digits_dbn):
    for rbm in digits_dbn.rbms_:
        assert len(rbm.loss_curve_) == 20
        assert rbm.loss_curve_[-1] < rbm.loss_curve_[0]


@pytest.mark.slow
def test_label_clamped_samples_are_recognised_by_an_independent_classifier(digits, digits_dbn):
    X_train, y_train, _, _ = digits
    judge = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    labels = np.repeat(np.arange(10), 20)
    samples = digits_dbn.sample(len(labels), label=labels, n_steps=500, random_state=0)
    assert samples.shape == (200, 64)
    assert np.all((samples >= 0) & (samples <= 1))
    assert np.mean(judge.predict(samples) == labels) >= 0.7


@pytest.fixture(scope="module")
def small_digits(digits):
    X_train, y_train, X_test, y_test = digits
    return X_train[:400], y_train[:400], X_test, y_test


def test_unrolled_network_before_fine_tuning_is_the_stack_of_up_passes(small_digits):
    X, y = small_digits[:2]
    model = DBNClassifier((32, 16), label_units=False, fine_tune=False, rbm_n_iter=3, random_state=0).fit(X, y)
    expected = model.rbms_[1].transform(model.rbms_[0].transform(X))
    np.testing.assert_allclose(model.transform(X), expected, rtol=1e-12)


def test_unrolled_output_layer_starts_from_the_label_weights(small_digits):
    """With label units, p(label | top features) of the top RBM's softmax group is the
    softmax of h U + b_label: the initial output layer."""
    X, y = small_digits[:2]
    model = DBNClassifier((32, 16), fine_tune=False, rbm_n_iter=3, random_state=0).fit(X, y)
    top = model.rbms_[-1]
    network = model._unroll(X.shape[1])
    hidden = np.random.RandomState(0).uniform(size=(5, 16))
    label_probabilities = top._visible_mean(hidden)[:, -10:]
    output = network.layers[-1].forward(hidden)
    expected = np.exp(output - output.max(axis=1, keepdims=True))
    np.testing.assert_allclose(label_probabilities, expected / expected.sum(axis=1, keepdims=True), rtol=1e-10)


def test_without_fine_tuning_the_ridge_readout_classifies(small_digits):
    X, y, X_test, y_test = small_digits
    model = DBNClassifier((128,), fine_tune=False, rbm_n_iter=10, random_state=0).fit(X, y)
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    assert model.score(X_test, y_test) >= 0.85


def test_gaussian_first_layer_on_standardized_data(small_digits):
    X, y, X_test, y_test = small_digits
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-8
    model = DBNClassifier((64,), rbm_n_iter=5, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit((X - mean) / std, y)
    assert model.visible_ == "gaussian"
    assert model.score((X_test - mean) / std, y_test) >= 0.85
    proba = model.predict_proba((X_test - mean) / std)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_free_sampling_and_same_seed_same_model(small_digits):
    X, y = small_digits[:2]
    first = DBNClassifier((16, 8), rbm_n_iter=2, max_iter=2, random_state=0)
    second = DBNClassifier((16, 8), rbm_n_iter=2, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first.fit(X, y), second.fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    free = first.sample(7, n_steps=10, random_state=0)
    assert free.shape == (7, 64)
    np.testing.assert_array_equal(free, first.sample(7, n_steps=10, random_state=0))


def test_bad_input(small_digits):
    X, y = small_digits[:2]
    with pytest.raises(NotFittedError):
        DBNClassifier().predict(X)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        DBNClassifier(hidden_layer_sizes=()).fit(X, y)
    with pytest.raises(ValueError, match="rbm_learning_rate"):
        DBNClassifier(rbm_learning_rate=0.0).fit(X, y)
    with pytest.raises(ValueError, match="visible"):
        DBNClassifier(visible="softmax").fit(X, y)
    with pytest.raises(ValueError, match="one class"):
        DBNClassifier((4,), rbm_n_iter=1, max_iter=1).fit(X, np.zeros(len(X)))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DBNClassifier((4,)).fit(bad, y)
    model = DBNClassifier((4,), rbm_n_iter=1, fine_tune=False, random_state=0).fit(X, y)
    for method in (model.predict, model.predict_proba, model.transform, model.decision_function):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :5])
        with pytest.raises(ValueError, match="NaN"):
            method(bad)
    with pytest.raises(ValueError, match="not among the classes"):
        model.sample(2, label=11)
    unlabelled = DBNClassifier((4,), label_units=False, rbm_n_iter=1, fine_tune=False).fit(X, y)
    with pytest.raises(ValueError, match="label_units"):
        unlabelled.sample(2, label=1)
