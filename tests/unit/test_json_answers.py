"""``answer_json``: any body that is not usable JSON is a ValueError, JSON nested past the
recursion limit included (``response.json()`` raises RecursionError for it)."""

from __future__ import annotations

import pytest
import requests

from dirsync_bridge.json_answers import TooDeep, answer_json


def response(body: bytes, status: int = 200) -> requests.Response:
    out = requests.Response()
    out.status_code, out._content = status, body
    out.headers["Content-Type"] = "application/json"
    return out


def test_json_nested_past_the_recursion_limit_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="HTTP 502 with JSON nested too deep") as raised:
        answer_json(response(b"[" * 100_000 + b"]" * 100_000, 502))
    assert isinstance(raised.value, TooDeep)


def test_json_that_is_read_is_returned_and_text_that_is_not_is_a_plain_value_error() -> None:
    assert answer_json(response(b'{"a": [[1]]}')) == {"a": [[1]]}
    with pytest.raises(ValueError) as raised:
        answer_json(response(b"<html>"))
    assert not isinstance(raised.value, TooDeep)
