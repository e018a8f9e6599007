"""zoo: the classic neural-network families, each from its paper, as scikit-learn estimators.

>>> import zoo
>>> zoo.list()[:3]                    # doctest: +SKIP
>>> rbm = zoo.get("rbm", n_components=64)
"""

from .registry import RegistryError, build_registry, import_object
from .persistence import load, save

__version__ = "0.1.0"
__all__ = ["get", "list", "info", "register", "unregister", "save", "load", "RegistryError", "__version__"]

_registry = None


def _catalogue():
    global _registry
    if _registry is None:
        _registry = build_registry()
    return _registry


def get(name, task=None, **params):
    """A new, unfitted estimator of family ``name`` (or an alias), with ``params`` set.

    ``task`` picks another task's class where a family has several (its registry
    ``variants``), e.g. ``zoo.get("elm", task="regressor")``.
    """
    entry = _catalogue().entry(name)
    path = entry.estimator if task is None else entry.variants.get(task)
    if path is None:
        valid = ", ".join(sorted(entry.variants)) or "none"
        raise ValueError(f"family {entry.name!r} has no task {task!r}; other tasks: {valid}")
    estimator_class = import_object(path)
    valid_params = estimator_class().get_params()
    unknown = sorted(set(params) - set(valid_params))
    if unknown:
        raise ValueError(
            f"{estimator_class.__name__} has no parameter(s) {unknown}; "
            f"valid: {', '.join(sorted(valid_params))}"
        )
    return estimator_class(**params)


def list():  # noqa: A001 - the public name the catalogue promises
    """The names of every registered family, sorted."""
    return _catalogue().names()


def info(name):
    """The validated registry entry (a pydantic model) of a family."""
    return _catalogue().entry(name)


def register(entry, replace=False):
    """Add a family at run time from an entry dict (validated like registry.yaml's)."""
    return _catalogue().add(entry, source="zoo.register()", replace=replace)


def unregister(name):
    """Remove a family registered at run time (or any family) from this session."""
    _catalogue().remove(name)
