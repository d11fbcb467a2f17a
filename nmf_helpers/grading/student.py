"""The student's notebook as the hidden checks see it: something that answers calls.

A check never touches the student's objects. It asks for calls (``call("update_h",
X, Z, H)``) or values (``get("rat_df")``) and receives plain data back (see
:mod:`nmf_helpers.grading._wire`), decoded here, in the checking process:

- when grading, a :class:`Student` of the grader sends the calls into the
  notebook's kernel, which runs in a sandbox; the verdict is decided outside it
  (``nmf_kit.grading.trusted``);
- under ``nbgrader validate`` on the source notebook, :class:`InProcessStudent`
  answers from the kernel's own namespace, through the same wire format.
"""

import json
import secrets
from dataclasses import dataclass, field

from . import _wire

__all__ = ["Call", "CheckFailed", "InProcessStudent", "Outcome", "Student", "call", "get", "result_of"]


class CheckFailed(AssertionError):
    """A hidden check failed; the message is shown to the student."""


@dataclass(frozen=True)
class Call:
    """A call of a function of the notebook (``kind="call"``) or a look-up of a value (``"get"``)."""

    kind: str
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def call(name, *args, **kwargs):
    """``name(*args, **kwargs)`` in the notebook."""
    return Call("call", name, args, kwargs)


def get(name):
    """The value of the notebook's variable ``name``."""
    return Call("get", name)


@dataclass(frozen=True)
class _ResultOf:
    call: int
    item: int | None = None


def result_of(index, item=None):
    """As an argument: what call ``index`` of the same batch returned (or its item ``item``),
    passed on inside the notebook as it is."""
    return _ResultOf(index, item)


@dataclass
class Outcome:
    """What one call gave: a plain value, or the error it raised."""

    ok: bool
    value: object = None
    error: str = ""
    #: The call's arguments as they were after it returned: ``(args, kwargs)``, or a str
    #: saying why they could not be read back; None for a look-up or an older notebook side.
    after: object = None

    def unwrap(self, what):
        """The value, or :class:`CheckFailed` saying that ``what`` raised."""
        if not self.ok:
            raise CheckFailed(f"{what} raised {self.error}")
        return self.value


class _RequestEncoder(_wire.Encoder):
    def encode(self, value, depth=0):
        if isinstance(value, _ResultOf):
            node = {"t": "result", "call": value.call}
            return node if value.item is None else {**node, "item": value.item}
        return super().encode(value, depth)


def request(calls, nonce):
    """The JSON text that asks a notebook for ``calls``."""
    encoder = _RequestEncoder()
    payload = {
        "nonce": nonce,
        "calls": [
            {
                "kind": c.kind,
                "name": c.name,
                "args": [encoder.encode(a) for a in c.args],
                "kwargs": {k: encoder.encode(v) for k, v in c.kwargs.items()},
            }
            for c in calls
        ],
    }
    return json.dumps(_wire.pack(payload, encoder.arrays))


def answer(messages, nonce, n_calls):
    """The outcomes of a request from the kernel's ``display_data`` messages.

    Raises :class:`~nmf_helpers.grading._wire.WireError` when no well-formed
    answer to this request is among them.
    """
    for message in messages:
        try:
            payload, arrays = _wire.unpack(message)
        except _wire.WireError:
            raise
        except Exception as exc:  # noqa: BLE001 -- a malformed archive or array: the same as no answer
            raise _wire.WireError(f"an unreadable answer ({type(exc).__name__})") from None
        if not isinstance(payload, dict) or payload.get("nonce") != nonce:
            continue
        results = payload.get("results")
        if not isinstance(results, list) or len(results) != n_calls:
            raise _wire.WireError("the answer does not hold one result per call")
        outcomes = []
        for result in results:
            if not isinstance(result, dict):
                raise _wire.WireError("a malformed result")
            if result.get("ok") is True:
                try:
                    outcomes.append(
                        Outcome(True, _wire.decode(result.get("value"), arrays), after=_after(result, arrays))
                    )
                except (_wire.WireError, KeyError, TypeError, ValueError, AttributeError) as exc:
                    outcomes.append(Outcome(False, error=f"an answer that is not plain data ({exc})"))
            else:
                outcomes.append(Outcome(False, error=str(result.get("error", "an error"))[:500]))
        return outcomes
    raise _wire.WireError("no answer came back from the notebook")


def _after(result, arrays):
    """``(args, kwargs)`` of a result's ``after`` node, or the reason they could not be sent."""
    after = result.get("after")
    if after is None:
        return None
    if not isinstance(after, dict):
        raise _wire.WireError("a malformed result")
    if "error" in after:
        return str(after["error"])[:500]
    args = tuple(_wire.decode(node, arrays) for node in after["args"])
    return args, {str(key): _wire.decode(node, arrays) for key, node in after["kwargs"].items()}


class Student:
    """Something that runs calls in the student's notebook and returns their outcomes."""

    def run(self, calls):
        """A list of :class:`Outcome`, one per call, in order."""
        raise NotImplementedError

    def one(self, c):
        return self.run([c])[0]


class InProcessStudent(Student):
    """The notebook's functions in this very process (``nbgrader validate``), through the wire format."""

    def __init__(self, namespace):
        self.namespace = namespace

    def run(self, calls):
        nonce = secrets.token_hex(8)
        shown = []
        _wire.serve(
            request(calls, nonce), self.namespace, lambda data, raw=True: shown.append(data[_wire.MIME])
        )
        return answer(shown, nonce, len(calls))
