"""An HTTP answer's JSON, read so that any body that is not usable JSON is a ValueError.

``response.json()`` raises ValueError for text that is not JSON, but RecursionError for JSON
nested deeper than the interpreter can recurse (``[[[...]]]`` 100,000 deep: a broken proxy,
a hostile or faulty plugin). Graph's and Jira's clients treat a ValueError as a bad answer
(retried, then exit 75); the RecursionError escaped them as an internal error (exit 70).

A ``\\ud800`` escape (an unpaired surrogate in an Active Directory attribute, written out
by .NET) decodes to a lone surrogate that no UTF-8 output can hold: made U+FFFD here, where
every answer's text comes in (``parse.surrogates``).
"""

from __future__ import annotations

from typing import Any

import requests

from .parse.surrogates import json_without_surrogates


class TooDeep(ValueError):
    """JSON nested past the recursion limit: as unreadable as a body that is not JSON."""


def answer_json(response: requests.Response) -> Any:
    """``response.json()``, lone surrogates made U+FFFD; ``TooDeep`` (a ValueError) for JSON
    nested past the recursion limit."""
    try:
        return json_without_surrogates(response.json())
    except RecursionError:
        raise TooDeep(f"HTTP {response.status_code} with JSON nested too deep to read") from None
