"""Hostile review rev48 of ae4d9e9: tab-indented named rows under an unindented header.

ae4d9e9 prepends an empty identity cell to every data line that starts with a tab under a
header row not itself indented. A table whose data rows are indented by a tab (named, two
cells after the indent, as wide as the header) now reads each identity as the error text:
every row an Unknown error naming no object, which may be the tenant's, so the report is
accepted as complete. Replayed, the object's real ticket is resolved as absent and an
"(tenant-level)" Unknown ticket opens. Before ae4d9e9 these rows read right.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..reportgen import duplicate
from .conftest import cli_with_config_file, replay_after_anns_report

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
VALUE = duplicate("ProxyAddresses", "SMTP:a@contoso.com")


def test_tab_indented_named_rows_never_resolve_the_real_ticket(tmp_path: Path) -> None:
    rows = f"Identity\tError\n\tann@contoso.com\t{VALUE}"
    done, config = replay_after_anns_report(tmp_path, AT, VALUE, rows, "tab")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    opened = cli_with_config_file(config, "tickets", cwd=tmp_path, timeout=120)
    assert opened.returncode == 0, opened.stderr
    # Before ae4d9e9: ann's ticket stays open (her error in each report). Now: "1 resolved".
    assert "0 resolved" in done.stdout, done.stdout
    assert "(tenant-level)" not in opened.stdout, opened.stdout
