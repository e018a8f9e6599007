"""Safe persistence of fitted estimators: ``save(estimator, path)`` and ``load(path)``.

A file is one ``numpy.savez_compressed`` archive: the arrays under keys ``a0``,
``a1``, ... and, under ``json``, a UTF-8 JSON document stored as a uint8 array::

    {"format": "zoo-estimator", "version": 1, "zoo_version": "0.1.0",
     "class": "zoo.models.ff:FFClassifier",   # the registry's path of the class
     "params": {...},                          # get_params(deep=False)
     "state": {...}}                           # every other instance attribute

Values JSON holds exactly are written as they are; the others become tagged nodes,
JSON objects with one key of the form "__tag__":

    {"__array__": "a3"}       ({"__array__": "a4", "object_str": true}: object array of str/bytes)
    {"__scalar__": ["<f4", 0.5]}    numpy bool/int/float scalar (others: 0-d arrays, "scalar": true)
    {"__float__": "nan"}            nan, inf, -inf
    {"__tuple__": [...]}            {"__dict__": [[key, value], ...]} (keys not plain strings)
    {"__dtype__": "<f4"}            {"__type__": "<f4"} (np.float32), {"__type__": "float"}
    {"__function__": "zoo.core.losses:mse"}
    {"__namedtuple__": "zoo.models.perceptron:_Setup", "items": [...]}
    {"__object__": "zoo.core.layers:Dense", "ref": 2, "state": {...}}
    {"__generator__": state, "ref": 0}, {"__random_state__": state, "ref": 1}
    {"__ref__": 2}                  the object (or generator) written before with "ref": 2

Loading never unpickles (``allow_pickle=False``), builds the top-level class only if
a registered family names it, and nested objects and functions only from modules
under ``zoo`` (both checked before anything is imported). Objects are rebuilt with
``cls.__new__`` and ``__setstate__`` (or ``__dict__.update``) from the state their
``__getstate__`` gave, the hook pickle uses too.
"""

import importlib
import json
import math
import types
import zipfile
import zlib

import numpy as np
from sklearn.utils.validation import check_is_fitted

import zoo
from .registry import RegistryError, import_object

__all__ = ["save", "load", "CorruptFileError"]

FORMAT, VERSION, DOCUMENT_KEY = "zoo-estimator", 1, "json"
BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
BUILTIN_TYPES = {t.__name__: t for t in (bool, int, float, complex, str, bytes)}


class CorruptFileError(ValueError):
    """A file ``load`` refuses: not written by ``save``, damaged, or tampered with."""


def save(estimator, path):
    """Write a fitted estimator of a registered family to ``path`` as one .npz file.

    NotFittedError for an unfitted estimator, ValueError for an unregistered class,
    TypeError naming the attribute for a value that cannot be stored without pickle.
    """
    check_is_fitted(estimator)
    class_path = _registered_path(type(estimator))
    params = estimator.get_params(deep=False)
    state = {k: v for k, v in _state_of(estimator, "estimator").items() if k not in params}
    encoder = _Encoder()
    document = {
        "format": FORMAT, "version": VERSION, "zoo_version": zoo.__version__, "class": class_path,
        "params": encoder.attributes(params, "estimator"),
        "state": encoder.attributes(state, "estimator"),
    }
    arrays = {key: stored for key, (stored, _original) in encoder.arrays.items()}
    arrays[DOCUMENT_KEY] = np.frombuffer(json.dumps(document, allow_nan=False).encode(), np.uint8)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load(path):
    """The estimator ``save`` wrote to ``path``; CorruptFileError if the file is refused."""
    try:
        arrays = _read_arrays(path)
        document = _read_document(arrays.pop(DOCUMENT_KEY, None))
        cls = _registered_class(document.get("class"))
        decoder = _Decoder(arrays)
        params = decoder.attributes(document.get("params"), "params")
        state = decoder.attributes(document.get("state"), "state")
        unused = sorted(set(arrays) - decoder.used)
        if unused:
            raise CorruptFileError(f"it holds arrays {unused} that its JSON document never uses")
        try:
            estimator = cls(**params)
        except TypeError as exc:
            message = f"the saved parameters do not fit {cls.__name__}: {exc}"
            raise CorruptFileError(message) from exc
    except RecursionError as exc:
        raise CorruptFileError(f"cannot load {path}: its JSON document is nested too deeply") from exc
    except CorruptFileError as exc:
        exc.args = (f"cannot load {path}: {exc}",)
        raise
    _restore(estimator, state)
    return estimator


def _read_arrays(path):
    with open(path, "rb") as handle:
        try:
            archive = np.load(handle, allow_pickle=False)
            if isinstance(archive, np.lib.npyio.NpzFile):
                with archive:
                    return {key: archive[key] for key in archive.files}
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError) as exc:
            message = f"not a readable zoo file ({type(exc).__name__}: {exc})"
            raise CorruptFileError(message) from exc
    raise CorruptFileError("it holds one .npy array, not an .npz archive")


def _read_document(raw):
    if raw is None:
        raise CorruptFileError(f"the archive has no {DOCUMENT_KEY!r} entry: not from zoo.save")
    try:
        document = json.loads(raw.tobytes().decode("utf-8")) if raw.dtype == np.uint8 else None
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError
        raise CorruptFileError(f"the JSON document cannot be read: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CorruptFileError(f"the {DOCUMENT_KEY!r} entry is not a {FORMAT!r} document")
    if document.get("version") != VERSION:
        version = document.get("version")
        raise CorruptFileError(f"unsupported format version {version!r} (zoo reads {VERSION})")
    return document


def _registered_paths():
    entries = [zoo.info(name) for name in zoo.list()]
    return {path for entry in entries for path in (entry.estimator, *entry.variants.values())}


def _registered_path(cls):
    """The registry's 'module:Class' of ``cls``; ValueError if no family registers it."""
    paths = _registered_paths()
    if f"{cls.__module__}:{cls.__qualname__}" in paths:
        return f"{cls.__module__}:{cls.__qualname__}"
    for path in sorted(paths):  # registered under another name, e.g. re-exported by a plugin
        try:
            if import_object(path) is cls:
                return path
        except RegistryError:
            continue
    raise ValueError(f"{cls.__name__} is not the class of a registered zoo family; cannot save it")


def _registered_class(class_path):
    if not isinstance(class_path, str) or class_path not in _registered_paths():  # before importing
        raise CorruptFileError(f"class {class_path!r} is not the class of a registered zoo family")
    return import_object(class_path)


def _in_zoo(module):
    return isinstance(module, str) and module.split(".")[0] == "zoo"


def _resolve(path):
    """The class or function defined in zoo at 'zoo.module:Qual.name', else None.

    Nothing outside zoo is imported, nor a dunder module such as zoo.__main__.
    """
    module, _, qualname = path.partition(":") if isinstance(path, str) else ("", "", "")
    names = module.split(".") + qualname.split(".")
    if not _in_zoo(module) or not all(n.isidentifier() and not n.startswith("__") for n in names):
        return None
    try:
        obj = importlib.import_module(module)
        for name in qualname.split("."):
            obj = getattr(obj, name)
    except (ImportError, AttributeError):
        return None
    return obj if _in_zoo(getattr(obj, "__module__", None)) else None


def _zoo_path(obj, where, what):
    path = f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}"
    if _resolve(path) is not obj:
        raise TypeError(
            f"{where}: cannot save {what}; besides arrays, numbers, strings and containers "
            "only instances of classes and functions defined at the top level of zoo modules are"
        )
    return path


def _state_of(obj, where):
    getstate = getattr(obj, "__getstate__", None)
    state = getstate() if getstate else getattr(obj, "__dict__", None)
    if not isinstance(state, (dict, type(None))):
        raise TypeError(f"{where}: cannot save a {type(obj)}: its state is not a dict")
    return state or {}


def _restore(obj, state):
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)


def _dtype_string(dtype, where):
    if dtype.hasobject or np.dtype(dtype.str) != dtype:
        raise TypeError(f"{where}: cannot save the dtype {dtype!r}")
    return dtype.str


def _without_objects(array, where):
    """An object array of str (or of bytes) as a unicode (bytes) array; other objects refused."""
    if not array.dtype.hasobject:
        return array
    items = array.ravel().tolist()
    for kind in (str, bytes):
        if all(isinstance(item, kind) for item in items):
            return array.astype(kind)
    found = sorted({type(item).__name__ for item in items})
    raise TypeError(f"{where}: cannot save an object array holding {found} (only str or bytes)")


class _Encoder:
    """Values to JSON nodes, collecting ``arrays``: key -> (array to store, original)."""

    def __init__(self):
        self.arrays, self.array_keys, self.refs = {}, {}, {}

    def attributes(self, mapping, where):
        return {name: self.encode(value, f"{where}.{name}") for name, value in mapping.items()}

    def encode(self, value, where):
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if kind in (list, tuple):
            items = [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return items if kind is list else {"__tuple__": items}
        if kind is dict:
            if all(type(key) is str and not key.startswith("__") for key in value):
                return {key: self.encode(item, f"{where}[{key!r}]") for key, item in value.items()}
            return {"__dict__": [[self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                                 for k, v in value.items()]}
        if kind is np.ndarray:
            return self._array(value, where)
        if isinstance(value, np.generic):
            if value.dtype.kind in "biuf" and value.dtype.itemsize <= 8:
                return {"__scalar__": [value.dtype.str, self.encode(value.item(), where)]}
            return {**self._array(np.asarray(value), where), "scalar": True}
        if isinstance(value, np.dtype):
            return {"__dtype__": _dtype_string(value, where)}
        if isinstance(value, type) and value in BUILTIN_TYPES.values():
            return {"__type__": value.__name__}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"__type__": _dtype_string(np.dtype(value), where)}
        if kind is types.FunctionType:
            return {"__function__": _zoo_path(value, where, f"the function {value!r}")}
        if isinstance(value, tuple) and hasattr(kind, "_fields"):
            items = [self.encode(v, f"{where}.{name}") for name, v in zip(kind._fields, value)]
            return {"__namedtuple__": _zoo_path(kind, where, f"a {kind}"), "items": items}
        return self._shared(value, where)

    def _array(self, array, where):
        if id(array) not in self.array_keys:
            key = self.array_keys[id(array)] = f"a{len(self.array_keys)}"
            self.arrays[key] = (_without_objects(array, where), array)  # holding array keeps its id
        node = {"__array__": self.array_keys[id(array)]}
        return {**node, "object_str": True} if array.dtype.hasobject else node

    def _shared(self, value, where):
        """Generators and zoo objects: written once, referenced by number after that."""
        if id(value) in self.refs:
            return {"__ref__": self.refs[id(value)][0]}
        ref = len(self.refs)
        self.refs[id(value)] = (ref, value)
        if type(value) is np.random.Generator:
            return {"__generator__": self.encode(value.bit_generator.state, where), "ref": ref}
        if type(value) is np.random.RandomState:
            state = self.encode(value.get_state(legacy=False), where)
            return {"__random_state__": state, "ref": ref}
        path = _zoo_path(type(value), where, f"a {type(value)}")
        if type(value).__new__ is not object.__new__:
            raise TypeError(f"{where}: cannot save a {type(value)}: it is built by its own __new__")
        state = self.attributes(_state_of(value, where), where)
        return {"__object__": path, "ref": ref, "state": state}


class _Decoder:
    """JSON nodes back to values; a bad node raises CorruptFileError naming its place."""

    def __init__(self, arrays):
        self.arrays, self.used, self.refs = arrays, set(), {}

    def attributes(self, node, where):
        if not isinstance(node, dict):
            raise CorruptFileError(f"{where}: expected a JSON object of attributes")
        return {name: self.decode(value, f"{where}.{name}") for name, value in node.items()}

    def decode(self, node, where):
        if isinstance(node, list):
            return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        tags = [key for key in node if key.startswith("__")]
        if not tags:
            return {key: self.decode(item, f"{where}[{key!r}]") for key, item in node.items()}
        tag = tags[0]
        handler = getattr(self, f"_tag_{tag.strip('_')}", None) if tag.endswith("__") else None
        if len(tags) != 1 or handler is None:
            raise CorruptFileError(f"{where}: unknown node with keys {sorted(node)}")
        try:
            return handler(node, node[tag], where)
        except CorruptFileError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, OverflowError) as exc:
            message = f"{where}: malformed {tag} node ({type(exc).__name__}: {exc})"
            raise CorruptFileError(message) from exc

    def _tag_array(self, node, key, where):
        if not isinstance(key, str) or key not in self.arrays:
            raise CorruptFileError(f"{where}: refers to array {key!r}, which the file lacks")
        self.used.add(key)
        array = self.arrays[key]
        if node.get("object_str"):
            if array.dtype.kind not in "US":
                raise CorruptFileError(f"{where}: array {key!r} holds no str or bytes")
            array = array.astype(object)
        return array[()] if node.get("scalar") else array

    def _tag_scalar(self, node, value, where):
        dtype_string, item = value
        dtype = np.dtype(dtype_string)
        if dtype.kind not in "biuf":
            raise CorruptFileError(f"{where}: {dtype} is not a bool, int or float type")
        return dtype.type(self.decode(item, where))

    def _tag_float(self, node, text, where):
        if text not in ("nan", "inf", "-inf"):
            raise CorruptFileError(f"{where}: {text!r} is not one of nan, inf, -inf")
        return float(text)

    def _tag_tuple(self, node, items, where):
        return tuple(self.decode(list(items), where))

    def _tag_dict(self, node, pairs, where):
        return {self.decode(k, f"{where} key"): self.decode(v, f"{where}[{k!r}]") for k, v in pairs}

    def _tag_dtype(self, node, text, where):
        return np.dtype(str(text))

    def _tag_type(self, node, text, where):
        return BUILTIN_TYPES[text] if text in BUILTIN_TYPES else np.dtype(str(text)).type

    def _tag_generator(self, node, state, where):
        state = self.decode(state, where)
        if state["bit_generator"] not in BIT_GENERATORS:
            raise CorruptFileError(f"{where}: unknown bit generator {state['bit_generator']!r}")
        bit_generator = getattr(np.random, state["bit_generator"])()
        bit_generator.state = state
        return self._remember(node, np.random.Generator(bit_generator))

    def _tag_random_state(self, node, state, where):
        random_state = np.random.RandomState()
        random_state.set_state(self.decode(state, where))
        return self._remember(node, random_state)

    def _tag_function(self, node, path, where):
        function = _resolve(path)
        if type(function) is not types.FunctionType:
            raise CorruptFileError(f"{where}: {path!r} is not a function defined in zoo")
        return function

    def _tag_namedtuple(self, node, path, where):
        cls = _resolve(path)
        if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise CorruptFileError(f"{where}: {path!r} is not a namedtuple class defined in zoo")
        return cls(*self.decode(list(node["items"]), where))

    def _tag_object(self, node, path, where):
        cls = _resolve(path)
        if not isinstance(cls, type) or cls.__new__ is not object.__new__:
            raise CorruptFileError(f"{where}: {path!r} is not a class defined in zoo")
        obj = self._remember(node, cls.__new__(cls))
        _restore(obj, self.attributes(node["state"], where))
        return obj

    def _tag_ref(self, node, ref, where):
        if ref not in self.refs:
            raise CorruptFileError(f"{where}: refers to object {ref!r}, not written before it")
        return self.refs[ref]

    def _remember(self, node, obj):
        if not isinstance(node["ref"], int) or node["ref"] in self.refs:
            raise CorruptFileError(f"object number {node['ref']!r} is not a new int")
        self.refs[node["ref"]] = obj
        return obj
