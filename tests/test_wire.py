"""The plain-data wire between the grader and a notebook's kernel, and the in-process student."""

import base64
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from nmf_helpers.grading import _wire as wire
from nmf_helpers.grading.student import CheckFailed, InProcessStudent, answer, call, get, request, result_of


def _round_trip(value):
    encoder = wire.Encoder()
    node = encoder.encode(value)
    payload, arrays = wire.unpack(json.loads(json.dumps(wire.pack({"v": node}, encoder.arrays))))
    return wire.decode(payload["v"], arrays)


def test_plain_values_cross_unchanged():
    frame = pd.DataFrame(
        {"movie id": [3, 1], "movie title": ["Été (1990)", "B"], "predicted rating": [0.5, 0.25]},
        index=pd.Index([7, 9], name="rank"),
    )
    value = (np.arange(6.0).reshape(2, 3), frame, [1, 2.5, "x", None, True], {"k": np.float32(1.5)})
    got = _round_trip(value)
    assert isinstance(got, tuple)
    np.testing.assert_array_equal(got[0], value[0])
    pd.testing.assert_frame_equal(got[1], frame)
    assert got[2] == [1, 2.5, "x", None, True]
    assert got[3] == {"k": 1.5}


def test_float32_arrays_keep_their_dtype_and_objects_of_strings_become_strings():
    assert _round_trip(np.ones(3, np.float32)).dtype == np.float32
    assert _round_trip(np.array(["a", "b"], dtype=object)).dtype.kind == "U"


@pytest.mark.parametrize(
    "value",
    [
        lambda: 1,
        object(),
        np.array([1, "a", None], dtype=object),
        pd.DataFrame([[1]], columns=pd.MultiIndex.from_tuples([("a", "b")])),
    ],
)
def test_objects_that_are_not_plain_data_are_refused(value):
    with pytest.raises(wire.WireError, match="cannot be checked"):
        wire.Encoder().encode(value)


def test_a_pickled_array_is_never_loaded():
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a0.npy", buffer.getvalue())
    message = {"payload": {}, "npz": base64.b64encode(archive.getvalue()).decode()}
    with pytest.raises(ValueError, match="pickle"):
        wire.unpack(message)


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a0.npy", b"\0" * (wire.MAX_BYTES + 1))
    message = {"payload": {}, "npz": base64.b64encode(archive.getvalue()).decode()}
    with pytest.raises(wire.WireError, match="exceed"):
        wire.unpack(message)


def test_calls_run_in_order_chained_on_their_own_results():
    namespace = {"double": lambda x: 2 * x, "value": np.arange(3)}
    outcomes = InProcessStudent(namespace).run(
        [call("double", np.ones(2)), call("double", result_of(0)), get("value"), call("missing", 1)]
    )
    np.testing.assert_array_equal(outcomes[1].value, [4.0, 4.0])
    np.testing.assert_array_equal(outcomes[2].value, [0, 1, 2])
    assert not outcomes[3].ok
    assert "missing is not defined" in outcomes[3].error


def test_each_call_gets_fresh_inputs():
    def spoil(x):
        x[:] = -1
        return x.sum()

    outcomes = InProcessStudent({"spoil": spoil, "total": np.sum}).run(
        [call("spoil", np.ones(3)), call("total", np.ones(3))]
    )
    assert outcomes[1].value == 3.0


def test_errors_are_reported_not_raised_and_unwrap_names_the_call():
    def broken(x):
        raise ZeroDivisionError("boom")

    outcome = InProcessStudent({"broken": broken}).one(call("broken", 1))
    assert not outcome.ok
    with pytest.raises(CheckFailed, match="broken\\(1\\) raised ZeroDivisionError: boom"):
        outcome.unwrap("broken(1)")


def test_an_answer_to_another_request_or_none_is_refused():
    nonce = "abc"
    text = request([call("f", 1)], nonce)
    shown = []
    wire.serve(text, {"f": lambda x: x}, lambda data, raw=True: shown.append(data[wire.MIME]))
    assert answer(shown, nonce, 1)[0].value == 1
    with pytest.raises(wire.WireError, match="no answer"):
        answer(shown, "another", 1)
    with pytest.raises(wire.WireError, match="one result per call"):
        answer(shown, nonce, 2)


def test_each_call_sends_back_its_arguments_as_they_are_after_it():
    def spoil(x, frame, scale=None):
        x[0] = -1
        frame.loc[frame.index[0], "a"] = 9.0
        return 0

    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index([5, 6], name="user id"))
    calls = [call("spoil", np.ones(2), frame, scale=np.ones(1)), get("value")]
    outcomes = InProcessStudent({"spoil": spoil, "value": 3}).run(calls)
    (x, changed), kwargs = outcomes[0].after
    np.testing.assert_array_equal(x, [-1.0, 1.0])
    assert changed.loc[5, "a"] == 9.0
    assert changed.index.name == "user id"
    np.testing.assert_array_equal(kwargs["scale"], [1.0])
    assert outcomes[1].after is None  # a look-up has no arguments


def test_arguments_that_cannot_be_sent_back_say_why():
    def spoil(frame):
        frame["a"] = [object(), "x"]
        return 0

    outcome = InProcessStudent({"spoil": spoil}).one(call("spoil", pd.DataFrame({"a": [1.0, 2.0]})))
    assert outcome.ok
    assert isinstance(outcome.after, str)
    assert "cannot be checked" in outcome.after
