"""The catalogue of families: ``registry.yaml``, plugins and run-time registrations.

Each entry is validated by the pydantic model ``Entry``; a bad entry raises
``RegistryError`` naming the entry and the field. Installed packages add families
through the entry-point group ``zoo.families``: each entry point loads to an entry
(a dict), a list of entries, or a callable returning either.
"""

import difflib
import importlib
from importlib.metadata import entry_points
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._resources import data_path

ENTRY_POINT_GROUP = "zoo.families"

Group = Literal[
    "feedforward", "recurrent", "reservoir", "autoencoder", "energy", "convolutional",
    "generative", "competitive", "kernel", "memory", "probabilistic",
]
Task = Literal["classifier", "regressor", "transformer", "generator", "clusterer", "memory"]


class RegistryError(ValueError):
    """A registry entry is invalid or a name is unknown."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Strict):
    authors: str
    year: int = Field(ge=1800, le=2100)
    title: str
    venue: str | None = None


class Baseline(_Strict):
    estimator: str = Field(pattern=r"^[\w.]+:\w+$")
    params: dict = {}
    quick_params: dict = {}
    note: str | None = None


class Benchmark(_Strict):
    """What ``zoo bench`` fits: ``params`` (``quick_params`` on top under ``--quick``) on
    ``dataset``, scored by ``metric`` (a name in ``zoo.bench.metrics.METRICS``).
    ``task`` picks the class to fit among the entry's ``variants`` (default: its
    ``estimator``), as ``zoo.get(name, task=...)`` does; ``figure``
    names a hook ``"module:function"`` drawing the fitted estimator,
    ``function(estimator, data, figure)``."""

    dataset: str
    metric: str
    params: dict = {}
    quick_params: dict = {}
    dataset_options: dict = {}
    preprocess: Literal["none", "standardize", "minmax"] = "none"
    task: str | None = None
    figure: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    baseline: Baseline


class Entry(_Strict):
    """One family of the catalogue."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    aliases: list[str] = []
    cell: str
    title: str
    group: Group
    estimator: str = Field(pattern=r"^[\w.]+:\w+$")
    variants: dict[str, str] = {}
    tasks: list[Task] = Field(min_length=1)
    references: list[Reference] = Field(min_length=1)
    benchmark: Benchmark | None = None

    @field_validator("variants")
    @classmethod
    def _variant_paths(cls, variants):
        for variant, path in variants.items():
            if ":" not in path:
                raise ValueError(f"variant {variant!r} must be 'module:Class', got {path!r}")
        return variants

    def estimator_classes(self):
        """{variant: class} with the default estimator under 'default'."""
        paths = {"default": self.estimator, **self.variants}
        return {variant: import_object(path) for variant, path in paths.items()}


def import_object(path):
    """Import ``'package.module:Name'``."""
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"cannot import {path!r}: {exc}") from exc


def validate_entry(raw, source):
    """An ``Entry`` from a dict; errors name the entry and the field."""
    if isinstance(raw, Entry):
        return raw
    name = raw.get("name", "<unnamed>") if isinstance(raw, dict) else "<not a mapping>"
    try:
        return Entry.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(map(str, err['loc'])) or '(entry)'}': {err['msg']}"
            for err in exc.errors()
        )
        raise RegistryError(f"{source}: invalid registry entry {name!r}: {problems}") from None


class Registry:
    """Entries by name and alias, from registry.yaml, plugins and ``register``."""

    def __init__(self):
        self._entries = {}
        self._aliases = {}

    def add(self, raw, source="register()", replace=False):
        entry = validate_entry(raw, source)
        taken = [key for key in (entry.name, *entry.aliases) if key in self._aliases]
        if taken and not replace:
            raise RegistryError(
                f"{source}: family {entry.name!r} clashes with registered name(s) {taken}; "
                "pass replace=True to override"
            )
        if replace and entry.name in self._entries:
            self.remove(entry.name)
        self._entries[entry.name] = entry
        for key in (entry.name, *entry.aliases):
            self._aliases[key] = entry.name
        return entry

    def remove(self, name):
        entry = self.entry(name)
        del self._entries[entry.name]
        self._aliases = {k: v for k, v in self._aliases.items() if v != entry.name}

    def entry(self, name):
        if not isinstance(name, str):
            raise TypeError(f"a family name must be a str, got {type(name).__name__}")
        key = name.lower()
        if key not in self._aliases:
            close = difflib.get_close_matches(key, self._aliases, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise RegistryError(
                f"unknown family {name!r}.{hint} zoo.list() shows the {len(self._entries)} "
                "registered families."
            )
        return self._entries[self._aliases[key]]

    def names(self):
        return sorted(self._entries)

    def entries(self):
        return [self._entries[name] for name in self.names()]


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or []
    if not isinstance(raw, list):
        raise RegistryError(f"{path}: expected a list of family entries at the top level")
    return raw


def build_registry():
    """The registry from registry.yaml plus every installed plugin."""
    registry = Registry()
    path = data_path("registry.yaml")
    for raw in load_yaml(path):
        registry.add(raw, source=str(path))
    for point in entry_points(group=ENTRY_POINT_GROUP):
        provided = point.load()
        provided = provided() if callable(provided) else provided
        for raw in provided if isinstance(provided, list) else [provided]:
            registry.add(raw, source=f"entry point {point.name!r}")
    return registry
