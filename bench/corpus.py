"""Synthetic report emails for the benchmarks: realistic rows, any size."""

from __future__ import annotations

import base64
import quopri
from collections.abc import Iterator

_MESSAGES = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [ProxyAddresses SMTP:user{n}@contoso.com,smtp:user{n}@contoso.mail.onmicrosoft.com"
    ",Mail user{n}@contoso.com;]. Correct or remove the duplicate values in your local directory. "
    "Please refer to http://support.microsoft.com/kb/2647098 for more information on identifying "
    "objects with duplicate attribute values.",
    "This object has been updated in your Azure Active Directory, but with some modified "
    "properties, because the following attributes are associated with another object "
    "[UserPrincipalName user{n}@contoso.com;]. Please refer to "
    "https://aka.ms/duplicateattributeresiliency for steps on how to resolve this issue.",
    "Unable to update this object in Azure Active Directory, because the attribute "
    "[FederatedUser.UserPrincipalName], is not valid. Update the value in your local directory "
    "services.",
    "The provisioned object is too large. Trim the number of attribute values on this object. "
    "The operation will be retried in the next synchronization cycle...",
)


def report_html(rows: int, seed: int = 0) -> str:
    """An HTML report body with ``rows`` error rows."""
    cells = []
    for n in range(seed, seed + rows):
        message = _MESSAGES[n % len(_MESSAGES)].format(n=n)
        anchor = base64.b64encode(n.to_bytes(16, "big")).decode()
        cells.append(f"<tr><td>user{n}@contoso.com</td><td>{anchor}</td><td>{message}</td></tr>\n")
    return (
        "<html><body><p>Hello Admin,</p><p>The Directory Synchronization batch run was "
        "completed on Tuesday, 24 November 2015 10:00:00 GMT for tenant Contoso.</p>"
        "<table><thead><tr><th>Identity</th><th>On-premises object ID</th>"
        "<th>Error Description</th></tr></thead><tbody>\n"
        + "".join(cells)
        + "</tbody></table></body></html>\n"
    )


def report_email(rows: int, seed: int = 0) -> bytes:
    """A whole report email (quoted-printable HTML, as Exchange sends it)."""
    body = quopri.encodestring(report_html(rows, seed).encode("utf-8"))
    head = (
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "To: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report: Tuesday, 24 November 2015 10:00:00 GMT\n"
        "Date: Tue, 24 Nov 2015 10:05:00 +0000\n"
        f"Message-ID: <bench-{seed}-{rows}@microsoftonline.com>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    )
    return head.encode("ascii") + body


def mbox_messages(count: int, rows: int = 20) -> Iterator[bytes]:
    """``count`` report emails framed for an mbox file."""
    for index in range(count):
        yield (
            b"From MAILER-DAEMON Tue Nov 24 10:05:00 2015\n"
            + report_email(rows, index * rows)
            + b"\n"
        )
