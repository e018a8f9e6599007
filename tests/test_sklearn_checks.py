"""sklearn's estimator checks for every class of every registered family, read from
the registry, so a family is checked the moment it is registered."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import zoo


def _registered_estimators():
    estimators = []
    for name in zoo.list():
        for cls in zoo.info(name).estimator_classes().values():
            estimators.append(cls())
    return estimators


@parametrize_with_checks(
    _registered_estimators(),
    expected_failed_checks=lambda estimator: estimator._expected_failed_checks(),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
