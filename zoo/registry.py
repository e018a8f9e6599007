"""The catalogue of families: ``registry.yaml``, plugins and run-time registrations.

Each entry is validated by the pydantic model ``Entry``; a bad entry raises
``RegistryError`` naming the entry and the field. Installed packages add families
through the entry-point group ``zoo.families``: each entry point loads to an entry
(a dict), a list of entries, or a callable returning either.
"""

import difflib
import importlib
from importlib.metadata import entry_points
from typing import Annotated, Literal

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


HookPath = Annotated[str, Field(pattern=r"^[\w.]+:\w+$")]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_]\w*$")]


class Benchmark(_Strict):
    """What ``zoo bench`` fits: ``params`` (``quick_params`` on top under ``--quick``) on
    ``dataset``, scored by ``metric`` (a name in ``zoo.bench.metrics.METRICS``).
    ``task`` picks the class to fit among the entry's ``variants`` (default: its
    ``estimator``), as ``zoo.get(name, task=...)`` does. ``fit_params_from_info``
    maps keyword arguments of the zoo estimator's ``fit`` to keys of the dataset's
    ``info`` (e.g. ``{factors: batch_factor}`` calls ``fit(X, y,
    factors=data.info["batch_factor"])``); the baseline is fitted without them.
    ``figure`` names a hook ``"module:function"``, or a list of hooks with distinct
    function names, each drawing the fitted estimator, ``function(estimator, data,
    figure)``."""

    dataset: str
    metric: str
    params: dict = {}
    quick_params: dict = {}
    dataset_options: dict = {}
    fit_params_from_info: dict[Identifier, str] = {}
    preprocess: Literal["none", "standardize", "minmax"] = "none"
    task: str | None = None
    figure: HookPath | Annotated[list[HookPath], Field(min_length=1)] | None = None
    baseline: Baseline

    @field_validator("figure")
    @classmethod
    def _distinct_hooks(cls, figure):
        if isinstance(figure, list):
            functions = [hook.rpartition(":")[2] for hook in figure]
            if len(set(functions)) < len(functions):
                raise ValueError(
                    f"the hooks of a list need distinct function names (they name the "
                    f"figure files), got {figure}"
                )
        return figure

    @field_validator("fit_params_from_info")
    @classmethod
    def _not_the_data(cls, fit_params):
        taken = sorted({"X", "y"} & set(fit_params))
        if taken:
            raise ValueError(f"{taken} are the data fit() gets anyway, not fit parameters")
        return fit_params

    def figure_hooks(self):
        """The figure hooks as a list (empty without any)."""
        if self.figure is None:
            return []
        return [self.figure] if isinstance(self.figure, str) else list(self.figure)


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
