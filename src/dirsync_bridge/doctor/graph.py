"""``doctor``'s Graph checks: sign-in, the mailbox ``run`` reads, the provisioning errors
it scans, and the directory reads that enrichment makes.

The one write is setting a message's categories to what they already are, to prove
Mail.ReadWrite. The directory checks make the look-ups enrichment makes (users, groups and
contacts, one object each) and name the application permission a refusal means; the
provisioning checks read the tenant's name and one object of each type the scan reads,
with the scan's own filter (a refusal of the filter is a warning: the scan reads every
object instead).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Final

from ..config.settings import Config
from ..errors import DirsyncBridgeError, GraphError
from ..graph.client import GraphClient
from ..graph.credentials import graph_credential
from ..sources.mail_folder import MailFolder, MailItem
from ..sources.provisioning import FILTER, PERMISSION, SELECT, permission_refusal
from .report import Check, Progress, failed, quiet, step, waiting

DIRECTORY_PERMISSIONS: Final = (
    ("users", "User.Read.All"),
    ("groups", "Group.Read.All"),
    ("contacts", "OrgContact.Read.All"),
)
"""What enrichment reads, and the application permission each needs (or Directory.Read.All)."""


def graph_checks(
    config: Config,
    env: Mapping[str, str],
    *,
    progress: Progress = quiet,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Check]:
    """Sign-in; the mailbox, its folder, write access if ``after`` needs it; directory reads."""
    try:
        client = GraphClient(
            config.graph, graph_credential(config.graph, env), sleep=waiting(progress, sleep)
        )
    except DirsyncBridgeError as exc:
        yield failed("graph credentials", exc)
        return
    try:
        progress(f"checking graph sign-in at {client.login}")
        token = step(client.token)
        if isinstance(token, Check):
            yield token.renamed("graph sign-in")
            return
        yield Check("graph sign-in", "ok", f"token for {client.root} from {client.login}")
        yield from _mailbox_checks(config, client, progress)
        if config.source.provisioning_errors.enabled:
            yield from provisioning_checks(config, client, progress)
        if config.enrich.cloud.enabled or config.tickets.verify_with_graph:
            yield from directory_checks(client, progress)
    finally:
        client.close()


def _mailbox_checks(config: Config, client: GraphClient, progress: Progress) -> Iterator[Check]:
    settings = config.source.mailbox
    if settings is None:
        if not config.source.provisioning_errors.enabled:
            yield Check("graph mailbox", "warn", "no [source.mailbox]: `run` has nothing to read")
        return
    source = MailFolder(client, settings)
    progress(f"checking graph mailbox {settings.mailbox}")
    newest = step(functools.partial(_newest, source))
    if isinstance(newest, Check):
        yield newest.renamed("graph mailbox")
        return
    yield Check("graph mailbox", "ok", f"{settings.mailbox}: {settings.folder} can be read")
    actions = {a for a in (settings.after, settings.after_rejected) if a != "none"}
    if not actions:
        return
    if newest is None:
        yield Check(
            "graph write access",
            "warn",
            f"{', '.join(sorted(actions))} need Mail.ReadWrite: no message to check it on",
        )
        return
    # A write that changes nothing: the message's categories, set to what they are.
    done = step(functools.partial(_rewrite_categories, source, newest))
    if isinstance(done, Check):
        yield done.renamed("graph write access")
        return
    yield Check("graph write access", "ok", f"{', '.join(sorted(actions))} possible")
    for action in sorted(actions):
        if action.startswith("move:"):
            name = action.partition(":")[2]
            found = step(functools.partial(source.folder_id, name))
            if not isinstance(found, Check):
                yield Check(f"graph folder {name!r}", "ok", "exists")
            elif found.exit_code == 2 and "has no top-level folder" in found.detail:
                yield Check(f"graph folder {name!r}", "warn", "missing: the first run creates it")
            else:
                yield found.renamed(f"graph folder {name!r}")


def directory_checks(client: GraphClient, progress: Progress = quiet) -> Iterator[Check]:
    """One look-up of each kind enrichment makes; a refusal names the permission to grant."""
    for resource, permission in DIRECTORY_PERMISSIONS:
        name = f"graph directory {resource}"
        progress(f"checking that the app may read {resource}")
        try:
            query = {"$top": "1", "$select": "id"}
            client.get_json(f"/{resource}", what=f"read {resource}", params=query)
        except GraphError as exc:
            if exc.status != 403:
                yield failed(name, exc)
                continue
            yield Check(
                name,
                "fail",
                f"HTTP 403 {exc.code}: the app may not read {resource}, which [enrich.cloud] "
                f"looks holders up in: grant the application permission {permission} (or "
                "Directory.Read.All) with admin consent, or set [enrich.cloud] enabled = false",
                2,
            )
        except DirsyncBridgeError as exc:
            yield failed(name, exc)
        else:
            yield Check(name, "ok", f"{permission} (or Directory.Read.All) granted")


def provisioning_checks(
    config: Config, client: GraphClient, progress: Progress = quiet
) -> Iterator[Check]:
    """The tenant's name, and one object of each type ``[source.provisioning_errors]``
    reads, asked for as the scan asks; a refusal names the permission to grant."""
    progress("checking that the app may read the tenant's name")
    try:
        answer = client.get_json(
            "/organization", what="read the tenant's name", params={"$select": "id,displayName"}
        )
    except GraphError as exc:
        yield failed(
            "graph organization",
            permission_refusal(exc, "organization", "read the tenant's name (/organization)"),
        )
    except DirsyncBridgeError as exc:
        yield failed("graph organization", exc)
    else:
        found = answer.get("value") or [{}]
        name = found[0].get("displayName") if isinstance(found[0], dict) else None
        yield Check("graph organization", "ok", f"{name}: the tenant the scan's tickets name")
    for kind in config.source.provisioning_errors.objects:
        name = f"graph provisioning errors {kind}"
        progress(f"checking that the app may read the provisioning errors of {kind}")
        query = {"$filter": FILTER, "$select": SELECT[kind], "$top": "1"}
        granted = f"{PERMISSION[kind]} (or Directory.Read.All) granted"
        try:
            try:
                client.get_json(f"/{kind}", what=f"list {kind}", params=query)
            except GraphError as exc:
                if exc.status != 400:
                    raise
                del query["$filter"]
                client.get_json(f"/{kind}", what=f"list {kind}", params=query)
                yield Check(
                    name,
                    "warn",
                    f"{granted}; Graph refused the filter (HTTP 400 {exc.code}): `run` reads "
                    f"every {kind.rstrip('s')} instead, which takes longer in a large tenant",
                )
                continue
        except GraphError as exc:
            yield failed(name, permission_refusal(exc, kind, f"list {kind}"))
        except DirsyncBridgeError as exc:
            yield failed(name, exc)
        else:
            yield Check(name, "ok", f"{granted}; the filter works")


def _newest(source: MailFolder) -> MailItem | None:
    since = datetime.now(UTC) - source.settings.first_run_lookback
    return next(iter(source.list_since(since)), None)


def _rewrite_categories(source: MailFolder, item: MailItem) -> None:
    path = f"/users/{source.settings.mailbox}/messages/{item.id}"
    body = {"categories": list(item.categories)}
    source.client.request_json("PATCH", path, what="check write access", json=body)
