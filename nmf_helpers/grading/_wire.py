"""Plain data between the grader and a notebook's kernel: JSON plus arrays in an ``.npz``.

The hidden checks never hand the student's kernel an object and never take one
back: inputs go in, and results come out, as a tree of JSON nodes whose arrays
travel in a compressed ``.npz`` (loaded with ``allow_pickle=False``). What can
cross: None, bools, numbers, strings, numeric / boolean / string arrays,
tuples, lists, dicts, pandas Series, DataFrames and (non-Multi) Indexes.
Anything else (a function, a generator, an object array of mixed things) is
refused with a message the student can act on.

This module's source is also sent, as text, into the kernel that runs the
notebook (``serve`` answers a request there), so it must stay self-contained:
the standard library, numpy and pandas, nothing of the kit.
"""

import base64
import io
import json
import zipfile

import numpy as np
import pandas as pd

#: The MIME type of the kernel's answer (a ``display_data`` output).
MIME = "application/vnd.nmf-kit.result+json"

# Bounds on what the grader accepts back from a kernel.
MAX_BYTES = 256 * 2**20  # all arrays of one answer, uncompressed
MAX_MESSAGE = 400 * 2**20  # the base64 text of one answer
MAX_NODES = 200_000
MAX_DEPTH = 16
MAX_TEXT = 100_000
_KINDS = "biufcUSMm?"  # numbers, bools, strings, datetimes: never objects


class WireError(ValueError):
    """A value that cannot be sent or was not received as plain data."""


# --------------------------------------------------------------------------- encoding
class Encoder:
    """Turn values into JSON nodes; arrays are collected for one ``.npz``."""

    def __init__(self):
        self.arrays = {}
        self.nodes = 0

    def _array(self, values):
        values = np.asarray(values)
        if values.dtype.kind == "O":
            values = _plain_array(values)
        if values.dtype.kind not in _KINDS:
            raise WireError(f"an array of dtype {values.dtype} cannot be checked")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.array(values, order="C", copy=True)  # later calls may change it in place
        return key

    def encode(self, value, depth=0):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise WireError("the value is too large or too deeply nested to be checked")
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"t": "int", "v": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, str):
            return {"t": "str", "v": value[:MAX_TEXT]}
        if isinstance(value, np.ndarray):
            return {"t": "array", "ref": self._array(value)}
        if isinstance(value, pd.DataFrame):
            if isinstance(value.columns, pd.MultiIndex):
                raise WireError("a DataFrame with MultiIndex columns cannot be checked")
            return {
                "t": "frame",
                "columns": [self.encode(_scalar(c), depth + 1) for c in value.columns],
                "columns_name": self.encode(_scalar(value.columns.name), depth + 1),
                "data": [self._array(value.iloc[:, k].to_numpy()) for k in range(value.shape[1])],
                "index": self.encode(value.index, depth + 1),
            }
        if isinstance(value, pd.Series):
            return {
                "t": "series",
                "values": self._array(value.to_numpy()),
                "index": self.encode(value.index, depth + 1),
                "name": self.encode(_scalar(value.name), depth + 1),
            }
        if isinstance(value, pd.Index):
            if isinstance(value, pd.MultiIndex):
                raise WireError("a MultiIndex cannot be checked")
            return {
                "t": "index",
                "ref": self._array(value.to_numpy()),
                "name": self.encode(_scalar(value.name)),
            }
        if isinstance(value, (tuple, list)):
            return {"t": type(value).__name__, "items": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            return {
                "t": "dict",
                "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()],
            }
        raise WireError(f"a value of type {type(value).__name__} cannot be checked")


def _scalar(label):
    """A column or index label as a plain scalar (labels may be numpy scalars)."""
    if label is None or isinstance(label, (bool, int, float, str)):
        return label
    if isinstance(label, (np.integer, np.floating, np.bool_)):
        return label.item()
    return str(label)


def _plain_array(values):
    """An object array of strings or numbers as a str or float array."""
    flat = values.ravel()
    if all(isinstance(v, str) for v in flat):
        return values.astype(str)
    if all(isinstance(v, (bool, int, float, np.number, np.bool_)) and not isinstance(v, str) for v in flat):
        return values.astype(float)
    raise WireError("an array holds Python objects (mixed types) that cannot be checked")


def pack(payload, arrays):
    """A JSON-able message: the payload and the arrays as base64 ``.npz``."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return {"payload": payload, "npz": base64.b64encode(buffer.getvalue()).decode("ascii")}


# --------------------------------------------------------------------------- decoding
def unpack(message):
    """The payload and the arrays of a message made by :func:`pack`, checked on the way."""
    if not isinstance(message, dict) or not isinstance(message.get("npz"), str):
        raise WireError("the answer is not a message of the grader's format")
    if len(message["npz"]) > MAX_MESSAGE:
        raise WireError("the answer is too large")
    raw = base64.b64decode(message["npz"].encode("ascii"), validate=True)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:  # refuse a zip bomb before inflating it
        if sum(info.file_size for info in archive.infolist()) > MAX_BYTES:
            raise WireError(f"the arrays of the answer exceed {MAX_BYTES // 2**20} MB")
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for array in arrays.values():
        if array.dtype.kind not in _KINDS:
            raise WireError(f"the answer holds an array of dtype {array.dtype}")
    return message.get("payload"), arrays


def decode(node, arrays, resolve=None):
    """The value of a node; every array is a fresh copy. ``resolve`` maps a
    ``{"t": "result"}`` node (an earlier call's raw return value, used only in
    the kernel) to its value."""
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise WireError("a malformed node")
    kind = node["t"]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(node["v"])
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float(node["v"])
    if kind == "str":
        return str(node["v"])
    if kind == "array":
        return np.array(_lookup(arrays, node["ref"]), copy=True)
    if kind == "index":
        return pd.Index(_lookup(arrays, node["ref"]).copy(), name=decode(node["name"], arrays))
    if kind == "series":
        index = decode(node["index"], arrays)
        return pd.Series(
            _lookup(arrays, node["values"]).copy(), index=index, name=decode(node["name"], arrays)
        )
    if kind == "frame":
        columns = [decode(c, arrays) for c in node["columns"]]
        data = [_lookup(arrays, ref).copy() for ref in node["data"]]
        if len(columns) != len(data):
            raise WireError("a malformed DataFrame")
        index = decode(node["index"], arrays)
        frame = pd.DataFrame(dict(zip(range(len(data)), data, strict=True)), index=index)
        frame.columns = pd.Index(columns, name=decode(node["columns_name"], arrays))
        return frame
    if kind in ("tuple", "list"):
        items = [decode(item, arrays, resolve) for item in node["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {decode(k, arrays): decode(v, arrays, resolve) for k, v in node["items"]}
    if kind == "result" and resolve is not None:
        return resolve(node)
    raise WireError(f"a node of unknown type {kind!r}")


def _lookup(arrays, key):
    if not isinstance(key, str) or key not in arrays:
        raise WireError("a node names an array that is not in the answer")
    return arrays[key]


# --------------------------------------------------------------------------- the kernel side
def describe(exc):
    """An exception as one line: its type and message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}".rstrip(": ")


def _after(encoder, args, kwargs):
    """A call's arguments as they are after it ran (a function may have changed them in place)."""
    try:
        return {
            "args": [encoder.encode(arg) for arg in args],
            "kwargs": {key: encoder.encode(arg) for key, arg in kwargs.items()},
        }
    except WireError as exc:  # e.g. a column turned into Python objects
        return {"error": str(exc)}


def serve(request, namespace, display):
    """Answer a request inside the kernel: run each call, display the results.

    ``request`` is the JSON text of a message whose payload is ``{"nonce",
    "calls": [{"kind": "call" | "get", "name", "args", "kwargs"}]}``; an
    argument may be ``{"t": "result", "call": j[, "item": k]}``, the raw value
    returned by call ``j`` (or its item ``k``), so that a chain of calls feeds
    a function its own outputs. The answer is one ``display_data`` of
    :data:`MIME`: ``{"nonce", "results": [{"ok": true, "value": node, "after":
    {"args": [node], "kwargs": {key: node}}} | {"ok": false, "error": text}]}``.
    ``after`` holds a call's arguments as they are once it returned, so that the
    grader can tell whether the function changed its inputs (``"error": text``
    instead when they can no longer be sent).
    """
    payload, arrays = unpack(json.loads(request))
    returned, results = [], []
    encoder = Encoder()

    def resolve(node):
        value = returned[node["call"]]
        return value[node["item"]] if "item" in node else value

    for call in payload["calls"]:
        value = None
        try:
            if call["name"] not in namespace:
                raise NameError(f"{call['name']} is not defined in the notebook")
            value = namespace[call["name"]]
            if call["kind"] == "call":
                args = [decode(arg, arrays, resolve) for arg in call["args"]]
                kwargs = {key: decode(arg, arrays, resolve) for key, arg in call["kwargs"].items()}
                value = value(*args, **kwargs)
                result = {"ok": True, "value": encoder.encode(value), "after": _after(encoder, args, kwargs)}
            else:
                result = {"ok": True, "value": encoder.encode(value)}
            results.append(result)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - the student's error is the answer
            results.append({"ok": False, "error": describe(exc)})
        returned.append(value)
    display({MIME: pack({"nonce": payload["nonce"], "results": results}, encoder.arrays)}, raw=True)
