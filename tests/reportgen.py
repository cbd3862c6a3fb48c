"""Report emails made to order, for tests and benchmarks: a tenant, a time, some rows.

The bytes follow the Azure AD Connect era shape (an HTML table with Identity and Error
Description headers, the batch-run sentence naming the tenant), quoted-printable encoded
as Exchange sent them, so every report goes through the real parser.
"""

from __future__ import annotations

import quopri
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

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


def duplicate(attribute: str, *values: str) -> str:
    """An AttributeValueMustBeUnique message for these values."""
    return DUPLICATE.format(attribute=attribute, values=",".join(values))


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
