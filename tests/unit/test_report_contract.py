"""The record JSON's two keys for live sources: ``source_kind`` and ``complete``."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.models import Rejected, Report, UnknownError

ORDER = [
    "source",
    "status",
    "reason",
    "message_id",
    "subject",
    "sender",
    "sent_at",
    "tenant",
    "sync_completed_at",
    "source_kind",
    "complete",
    "errors",
]


def test_an_email_report_says_email_and_complete_by_default() -> None:
    data = Report(source="x.eml").to_json_dict()
    assert list(data) == ORDER
    assert (data["source_kind"], data["complete"]) == ("email", True)


def test_an_export_report_carries_its_kind_and_completeness() -> None:
    data = Report(source="x.xml", source_kind="eventlog", complete=False).to_json_dict()
    assert (data["source_kind"], data["complete"]) == ("eventlog", False)


def test_a_rejection_has_the_same_keys_and_is_never_complete() -> None:
    rejected = Rejected(source="x.xml", source_kind="csexport", code="unsafe-xml", detail="DTD")
    data = rejected.to_json_dict()
    assert list(data) == ORDER
    assert (data["source_kind"], data["complete"], data["reason"]) == (
        "csexport",
        False,
        "unsafe-xml: DTD",
    )
    assert Rejected(source="y", code="empty", detail="x").to_json_dict()["source_kind"] == "email"


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_json_bytes_read_back_as_the_json_dict_whatever_the_text(text: str, name: str) -> None:
    # Quotes, backslashes, control characters, U+2028, astral characters: escaped or kept so
    # that any JSON reader gets the same strings back.
    error = UnknownError(kind="Unknown", message=text, identity=name, tracking_id=text)
    report = Report(source=name, tenant=text, errors=(error,))
    assert json.loads(report.to_json()) == report.to_json_dict()
    rejected = Rejected(source=name, subject=text, code="empty", detail=text)
    assert json.loads(rejected.to_json()) == rejected.to_json_dict()
    assert list(json.loads(rejected.to_json())) == ORDER
