"""Connect Sync export files and object-id report emails made to order, for tests.

The shapes follow the reconstructed fixtures in ``fixtures/exports/`` (csexport ``/f:e``,
wevtutil RenderedXml of event 6941) and the Azure AD Connect emails with an "On-premises
object ID" column, so everything goes through the real parsers.
"""

from __future__ import annotations

import quopri
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

from .reportgen import DUPLICATE


def connector_dn(object_id: str) -> str:
    """The Azure AD connector-space DN that names an ImmutableId: ``CN={<hex of UTF-8>}``."""
    return "CN={" + object_id.encode("utf-8").hex().upper() + "}"


def csexport(objects: Sequence[tuple[str, str, str]], at: datetime) -> bytes:
    """A csexport ``/f:e`` file: each object (object id, UPN, conflicting UPN value) with an
    AttributeValueMustBeUnique export error that occurred at ``at``."""
    when = at.strftime("%Y-%m-%d %H:%M:%S.000")
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<cs-objects>\n']
    for number, (object_id, upn, value) in enumerate(objects):
        text = DUPLICATE.format(attribute="UserPrincipalName", values=value)
        parts.append(
            f' <cs-object cs-dn="{connector_dn(object_id)}" '
            f'id="{{5A0C3E71-BE27-EC11-A970-{number:012X}}}" object-type="user">\n'
            f'  <export-errordetail date-occurred="{when}" error-type="export-error">\n'
            "   <export-status><cd-error>\n"
            "    <error-name>AttributeValueMustBeUnique</error-name>\n"
            f"    <error-literal>{escape(text)}</error-literal>\n"
            "   </cd-error></export-status>\n  </export-errordetail>\n"
            "  <synchronized-hologram><entry>\n"
            f'   <attr name="userPrincipalName" type="string" multivalued="false">'
            f"<value>{escape(upn)}</value></attr>\n"
            "  </entry></synchronized-hologram>\n </cs-object>\n"
        )
    parts.append("</cs-objects>\n")
    return "".join(parts).encode("utf-8")


def events_6941(objects: Sequence[tuple[str, str]], at: datetime) -> bytes:
    """A wevtutil ``/f:RenderedXml /e:Events`` export: one event 6941 per object (object id,
    conflicting UPN value), AttributeValueMustBeUnique, logged at ``at``."""
    when = at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<Events>\n']
    for number, (object_id, value) in enumerate(objects):
        text = DUPLICATE.format(attribute="UserPrincipalName", values=value)
        message = (
            "ECMA2 MA export run caused an error.\n\n"
            f"DN: {connector_dn(object_id)}\nError Name: AttributeValueMustBeUnique\n\n"
            f"Error Detail: {text}"
        )
        parts.append(
            ' <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n'
            '  <System><Provider Name="ADSync"/><EventID Qualifiers="16384">6941</EventID>\n'
            f'   <TimeCreated SystemTime="{when}"/><EventRecordID>{1000 + number}'
            "</EventRecordID>\n   <Channel>Application</Channel></System>\n"
            f"  <EventData><Data>{escape(message)}</Data></EventData>\n"
            f'  <RenderingInfo Culture="en-US"><Message>{escape(message)}</Message>'
            "<Level>Error</Level></RenderingInfo>\n </Event>\n"
        )
    parts.append("</Events>\n")
    return "".join(parts).encode("utf-8")


def email_with_object_ids(
    tenant: str, at: datetime, rows: Sequence[tuple[str, str | None, str]], message_id: str
) -> bytes:
    """A report email whose table has an "On-premises object ID" column: rows of (identity,
    object id or None, conflicting UPN value)."""
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    cells = "".join(
        f"<tr><td>{escape(identity)}</td><td>{escape(object_id or '')}</td><td>"
        f"{escape(DUPLICATE.format(attribute='UserPrincipalName', values=value))}</td></tr>\n"
        for identity, object_id, value in rows
    )
    html = (
        "<html><body><p>Hello Admin,</p>\n"
        f"<p>The Directory Synchronization batch run was completed on {when} for tenant "
        f"{escape(tenant)}.</p>\n<p>The following errors occurred during synchronization:</p>\n"
        "<table><tr><th>Identity</th><th>On-premises object ID</th>"
        "<th>Error Description</th></tr>\n"
        f"{cells}</table></body></html>\n"
    )
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
    return head.encode("ascii") + quopri.encodestring(html.encode("utf-8"))
