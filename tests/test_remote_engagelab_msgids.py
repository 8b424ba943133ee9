"""msg-ids parsing: MsgIds and legacy msgids, elements as JSON strings or objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.remote.engagelab import ApiError, MalformedResponse, Run
from reconciler.remote.engagelab._models import runs_from_json

WHERE = "GET /v4/schedules/x/msg-ids"

# Verbatim from the English document.
DOC_ELEMENTS = [
    '{"msg_id":"1088009","error":{"code":0,"message":""},"needRetry":false,"ts":1707278411611}',
    '{"msg_id":"0","error":{"code":1011,"message":"Cannot find sending target"},'
    '"needRetry":false,"ts":1707278411611}',
]
DOC_ANSWER = {"count": 1, "MsgIds": DOC_ELEMENTS}
TS = datetime(2024, 2, 7, 4, 0, 11, 611000, tzinfo=UTC)


def test_documented_answer_parses_into_runs() -> None:
    runs = runs_from_json(DOC_ANSWER, where=WHERE)
    assert runs == [
        Run("1088009", 0, "", False, TS),
        Run("0", 1011, "Cannot find sending target", False, TS),
    ]
    assert runs[0].timestamp.tzinfo is not None


def test_objects_and_legacy_key_parse_alike() -> None:
    objects = [json.loads(element) for element in DOC_ELEMENTS]
    assert runs_from_json({"count": 2, "MsgIds": objects}, where=WHERE) == runs_from_json(
        DOC_ANSWER, where=WHERE
    )
    assert runs_from_json({"count": 2, "msgids": objects}, where=WHERE) == runs_from_json(
        DOC_ANSWER, where=WHERE
    )


def test_mixed_elements_and_loose_types() -> None:
    answer = {
        "count": 2,
        "MsgIds": [
            {
                "msg_id": 42,
                "error": {"code": "1011", "message": "x"},
                "needRetry": True,
                "ts": "1707278411611",
            },
            json.dumps({"msg_id": "7", "ts": 1707278411}),  # seconds, no error: a success
        ],
    }
    first, second = runs_from_json(answer, where=WHERE)
    assert first == Run("42", 1011, "x", True, TS)
    assert second == Run("7", 0, "", False, datetime(2024, 2, 7, 4, 0, 11, tzinfo=UTC))


def test_no_runs_yet() -> None:
    assert runs_from_json({"count": 0, "MsgIds": []}, where=WHERE) == []
    assert runs_from_json({"count": 0}, where=WHERE) == []


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ({"count": 1, "MsgIds": ["not json"]}, "neither an object nor a JSON-encoded object"),
        ({"count": 1, "MsgIds": ["[1, 2]"]}, "expected an object"),
        ({"count": 1, "MsgIds": [{"error": {}, "ts": 1}]}, "no msg_id"),
        ({"count": 1, "MsgIds": [{"msg_id": "1", "ts": "soon"}]}, "not a number"),
        ({"count": 1, "MsgIds": [{"msg_id": "1"}]}, "ts is missing"),
        ({"count": 1, "MsgIds": [{"msg_id": "1", "ts": 1, "needRetry": "no"}]}, "needRetry"),
        ({"count": 1, "MsgIds": [{"msg_id": "1", "ts": 1, "error": {"code": "x"}}]}, "error.code"),
        ({"count": 1, "MsgIds": "abc"}, "not an array"),
        ({"count": 3}, "neither MsgIds nor msgids"),
        (["x"], "expected an object"),
    ],
)
def test_unparseable_answers_raise_a_clear_api_error(answer: Any, fragment: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        runs_from_json(answer, where=WHERE)
    assert isinstance(caught.value, ApiError)
    assert fragment in str(caught.value)
    assert WHERE in str(caught.value)
    assert "\n" not in str(caught.value)
