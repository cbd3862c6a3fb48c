"""Report emails made to order, for tests and benchmarks: a tenant, a time, some rows.

The bytes follow the Azure AD Connect era shape (an HTML table with Identity and Error
Description headers, the batch-run sentence naming the tenant), quoted-printable encoded
as Exchange sent them, so every report goes through the real parser.

For unit tests that hand-build one odd report: ``html_report``/``table_report`` put a table
of the test's own into that shape and ``parse_html`` reads it; ``plain_head``/``parse_plain``
do the same for a 2013 plain-text body (``PLAIN_INTRO`` then the test's rows); ``errors_of``
and ``read_plain`` give what the parser read as (identity, kind) pairs; ``read_both`` reads
an HTML body by the stream and by the whole tree, for tests that the two read it alike, and
``read_streamed`` by the stream alone, counting any fall-back to the whole tree.
"""

from __future__ import annotations

import quopri
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from html import escape
from typing import TYPE_CHECKING

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse import tables
from dirsync_bridge.parse.body import BodyFacts
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.tables import read_html_pieces

if TYPE_CHECKING:
    import pytest

DUPLICATE = (
    "Unable to update this object because the following attributes associated with this "
    "object have values that may already be associated with another object in your local "
    "directory services: [{attribute} {values};]. Correct or remove the duplicate values in "
    "your local directory. Please refer to http://support.microsoft.com/kb/2647098 for more "
    "information on identifying objects with duplicate attribute values."
)
QUARANTINE = (
    "This object has been updated in your Azure Active Directory, but with some modified "
    "properties, because the following attributes are associated with another object "
    "[{attribute} {values};]. Please refer to https://aka.ms/duplicateattributeresiliency for "
    "steps on how to resolve this issue."
)
LARGE = (
    "The provisioned object is too large. Trim the number of attribute values on this object. "
    "The operation will be retried in the next synchronization cycle..."
)


# The time of every HTML report a unit test builds by hand (``html_report``, ``parse_html``).
AT = datetime(2020, 1, 1, tzinfo=UTC)
# The error table's header row as ``report_html`` writes it (without its newline), and the
# whole table of a report with no rows: what a test replaces to put its own table in.
HEADER_ROW = "<tr><th>Identity</th><th>Error Description</th></tr>"
EMPTY_TABLE = f"<table>{HEADER_ROW}\n</table>"
# The kind the parser gives a ``duplicate`` (or ``PROXY_DUP``) message.
DUPLICATE_KIND = "AttributeValueMustBeUnique"

# Plain-text reports, the 2013 shape: no table, the batch-run sentence, the errors sentence,
# then each row an identity paragraph and its message paragraph.
PLAIN_INTRO = (
    "Hello,\n\nThe Directory Synchronization batch run was\n"
    "completed on Thursday, 26 September 2013 19:05:31 GMT for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
)
PROXY_DUP = (
    "A synchronized object with the same proxy address already exists in your "
    "Microsoft Online Services directory."
)
NOT_FOUND = "Unable to update this object because the user ID is not found."
QUOTA = (
    "Synchronization has been stopped. The company has exceeded the number of objects that "
    "can be synchronized. Contact Technical Support and ask for an increase in your "
    "company's quota.."
)


# Plain-text reports of the 2012 shape: the greeting names the admin, and Microsoft's message
# is wrapped where its line was (a text written with ``head_2012`` as its first lines).
INTRO_2012 = (
    "Hello Pat Coleman,\n\nThe Directory Synchronization batch run was\n"
    "completed on Tuesday, 03 January 2012 23:54:02 GMT for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
)
PROXY_DUP_2012 = (
    "A synchronized object with the same proxy address already exists in your\n"
    "Microsoft Online Services directory."
)


def duplicate(attribute: str, *values: str) -> str:
    """An AttributeValueMustBeUnique message for these values."""
    return DUPLICATE.format(attribute=attribute, values=",".join(values))


# Ann's, Ben's and Cat's proxy-address duplicates: the messages of the rows most hand-built
# tables hold.
ANN_DUP = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
BEN_DUP = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
CAT_DUP = duplicate("ProxyAddresses", "smtp:cat@contoso.com")


def quarantine(attribute: str, *values: str) -> str:
    """A QuarantinedAttributeValueMustBeUnique message for these values."""
    return QUARANTINE.format(attribute=attribute, values=",".join(values))


def report_html(tenant: str, at: datetime, rows: Sequence[tuple[str, str]]) -> str:
    """The HTML body: greeting, batch-run sentence, one table row per (identity, message)."""
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    cells = "".join(
        f"<tr><td>{escape(identity)}</td><td>{escape(message)}</td></tr>\n"
        for identity, message in rows
    )
    return (
        "<html><body><p>Hello Admin,</p>\n"
        f"<p>The Directory Synchronization batch run was completed on {when} for tenant "
        f"{escape(tenant)}.</p>\n<p>The following errors occurred during synchronization:</p>\n"
        "<table><tr><th>Identity</th><th>Error Description</th></tr>\n"
        f"{cells}</table></body></html>\n"
    )


def report_email(
    tenant: str, at: datetime, rows: Sequence[tuple[str, str]], message_id: str
) -> bytes:
    """A whole report email, as MicrosoftOnline sent it."""
    return _email(report_html(tenant, at, rows), at, message_id)


def id_report_email(
    tenant: str, at: datetime, rows: Sequence[tuple[str, str, str]], message_id: str
) -> bytes:
    """A report email whose table also has an Object ID column: (identity, object id,
    message) rows."""
    cells = "".join(
        f"<tr><td>{escape(i)}</td><td>{escape(o)}</td><td>{escape(m)}</td></tr>\n"
        for i, o, m in rows
    )
    html = report_html(tenant, at, []).replace(
        "<th>Identity</th><th>Error Description</th></tr>\n",
        f"<th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n{cells}",
    )
    return _email(html, at, message_id)


def table_report(rows: str, header: str = HEADER_ROW + "\n") -> str:
    """The HTML body of a Contoso report at ``AT`` whose error table holds ``header`` (the
    usual header row unless told; "" for none) then ``rows``."""
    return html_report(f"<table>{header}{rows}</table>")


def html_report(table: str) -> str:
    """The HTML body of a Contoso report at ``AT`` whose error table is ``table`` (whole
    ``<table>`` markup, put where ``report_html`` writes its empty table)."""
    return report_html("Contoso", AT, []).replace(EMPTY_TABLE, table)


def parse_html(html: str, message_id: str) -> Report | Rejected:
    """What the real parser makes of ``html`` sent as a report email at ``AT``."""
    return parse_message(_email(html, AT, message_id), "x.eml", None)


def read_both(html: str, size: int) -> tuple[BodyFacts, BodyFacts]:
    """What the stream reads of ``html`` handed over in pieces of ``size`` characters, and what
    the whole tree reads of it: the two a stream-vs-tree test compares."""
    streamed = read_html_pieces(lambda: (html[i : i + size] for i in range(0, len(html), size)))
    return streamed, tables._read_tree(iter([html]))


def read_streamed(html: str, size: int, monkeypatch: pytest.MonkeyPatch) -> tuple[BodyFacts, int]:
    """What the stream reads of ``html`` in pieces of ``size`` characters, and how many times it
    gave up and read the whole tree instead (a large report read so is held whole in memory)."""
    whole_reads = 0
    tree = tables._read_tree

    def counted(pieces: Iterable[str]) -> BodyFacts:
        nonlocal whole_reads
        whole_reads += 1
        return tree(pieces)

    monkeypatch.setattr(tables, "_read_tree", counted)
    streamed = read_html_pieces(lambda: (html[i : i + size] for i in range(0, len(html), size)))
    return streamed, whole_reads


def head_2013(message_id: str) -> bytes:
    """The header lines of a 2013 report email up to MIME-Version (no Content-Type)."""
    return (
        b"Date: Thu, 26 Sep 2013 19:05:31 +0000\n"
        b"From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        b"To: admin@contoso.onmicrosoft.com\n"
        b"Subject: Directory Synchronization Error Report\n"
        b"Message-ID: <" + message_id.encode() + b">\n"
        b"MIME-Version: 1.0\n"
    )


def plain_head(message_id: str) -> bytes:
    """The header block of a 2013 plain-text report email, up to its blank line."""
    return head_2013(message_id) + b'Content-Type: text/plain; charset="utf-8"\n\n'


def head_2012(message_id: str) -> str:
    """The header lines of a 2012 report email up to MIME-Version (its Content-Type and the
    blank line are the test's: plain text or HTML)."""
    return (
        "Date: Tue, 3 Jan 2012 23:55:10 +0000\n"
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "To: admin@contoso.onmicrosoft.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Message-ID: <{message_id}>\n"
        "MIME-Version: 1.0\n"
    )


def parse_plain(body: str, message_id: str) -> Report | Rejected:
    """What the real parser makes of ``body`` sent as a plain-text report email."""
    return parse_message(plain_head(message_id) + body.encode(), "x.eml", None)


def errors_of(report: Report) -> list[tuple[str | None, str]]:
    """The (identity, kind) of each error the report read, in order."""
    return [(error.identity, error.kind) for error in report.errors]


def read_plain(body: str, message_id: str) -> Rejected | list[tuple[str | None, str]]:
    """``parse_plain``'s refusal, or the (identity, kind) of each error it read."""
    result = parse_plain(body, message_id)
    return result if isinstance(result, Rejected) else errors_of(result)


def dated_plain_email(at: datetime, errors: str, message_id: str) -> bytes:
    """A whole plain-text report email of Contoso's, sent and completed ``at``: the greeting,
    the batch-run and errors sentences, then ``errors`` (the rows' text) and a newline."""
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    return (
        f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
        "From: MSOnlineServicesTeam@MicrosoftOnline.com\nTo: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Message-ID: <{message_id}>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Hello,\n\nThe Directory Synchronization batch run was\ncompleted on {when} "
        "for tenant Contoso.\n\nThe following errors occurred during synchronization:\n\n"
        + errors
        + "\n"
    ).encode()


def _email(html: str, at: datetime, message_id: str) -> bytes:
    body = quopri.encodestring(html.encode("utf-8"))
    head = (
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "To: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Date: {format_datetime(at)}\n"
        f"Message-ID: <{message_id}>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    )
    return head.encode("ascii") + body


def multipart_report(kind: str, parts: Sequence[tuple[str, str]], message_id: str) -> bytes:
    """A report email from Microsoft's sender at ``AT``, a multipart/``kind`` (``mixed``,
    ``alternative``) of these ``(subtype, text)`` parts in order (``plain``, ``html``)."""
    message = MIMEMultipart(kind)
    message["From"] = "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>"
    message["To"] = "admin@contoso.com"
    message["Subject"] = "Directory Synchronization Error Report"
    message["Date"] = AT.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Message-ID"] = f"<{message_id}>"
    for subtype, text in parts:
        message.attach(MIMEText(text, subtype, "utf-8"))
    return message.as_bytes()
