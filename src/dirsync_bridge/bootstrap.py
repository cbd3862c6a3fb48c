"""The composition root: the one place that turns a configuration into working parts.

Every command gets what it needs from here: ``build`` opens what one pass needs (the ledger,
the sink, the ticket texts, the enricher, the run lock), and the ``*_source`` functions
make the pass's ``Source``. This is the only module that imports the heavy client libraries
(jira, msal, ldap3, the template engine), and it imports each one only when the
configuration asks for the part that needs it, so that ``parse`` starts with the parser
alone. Configuration errors that the adapters raise are given the loaded file's name here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config.settings import Config
from .errors import ConfigError, DirsyncBridgeError, Retriable
from .lifecycle import Policy
from .ports import Directory, Ledger, MailboxBook, Progress, Sink, Source
from .sources.files import FileSource
from .ticket_plan import TicketTexts

if TYPE_CHECKING:  # imported for real only where a configured part needs them
    from .enrich.enricher import Enricher
    from .graph.client import GraphClient
    from .ledger.store import Ledger as SqliteLedger
    from .sinks.jira import JiraSink
    from .ticket_text.render import Renderer


@dataclass(frozen=True, slots=True)
class Parts:
    """What one pass needs, opened by ``build`` and closed when its ``with`` block ends."""

    config: Config
    ledger: Ledger
    book: MailboxBook
    """The same ledger, for a mailbox source's own bookkeeping."""
    sink: Sink
    texts: TicketTexts
    policy: Policy
    enricher: Enricher | None
    """None: ``--no-enrich`` (no look-ups, no rule hits)."""
    verify: Callable[[Ledger, datetime], int] | None
    """``[tickets] verify_with_graph`` on a ``run``: resolve what Graph shows cleared."""
    graph: GraphClient | None
    """The run's one Graph client, when a part needs Graph (the mailbox, the cloud look-ups)."""
    progress: Progress | None
    """A bar on a terminal; None elsewhere."""
    dry_run: bool


@contextmanager
def build(
    config: Config,
    env: Mapping[str, str] = os.environ,
    *,
    dry_run: bool,
    enrich: bool = True,
    graph: bool = False,
    verify: bool = False,
    progress: Progress | None = None,
) -> Iterator[Parts]:
    """Open the parts of one pass: checked first, then the lock, the ledger and the sink.

    ``graph``: the pass reads a mailbox (a Graph client is made even without look-ups);
    ``verify``: it may resolve duplicate-family tickets Graph shows cleared. A dry run works
    on an in-memory copy of the ledger (and of the local store in it), takes no lock and
    writes nothing.
    """
    with _located(config), ExitStack() as stack:
        # A broken template or a missing secret stops the pass here, before anything is
        # opened or written.
        texts = ticket_texts(config)
        client = None
        if graph or (enrich and _cloud_enabled(config)):
            client = graph_client(config, env)
            stack.callback(client.close)
        enricher = None
        if enrich:
            enricher = enricher_for(config, env, client)
            stack.callback(enricher.close)
        sink = None
        if config.sink.kind == "jira":  # (a missing secret stops the pass here)
            sink = open_sink(config, env, None, dry_run=dry_run)
            stack.callback(sink.close)
        ledger = _open_ledger(config, stack, dry_run=dry_run)
        ledger.keep_with_sink(config.sink.kind)  # its tickets mean nothing to the other sink
        if sink is None:  # the local store, kept in the ledger's file
            sink = open_sink(config, env, ledger, dry_run=dry_run)
            stack.callback(sink.close)
        ledger.use_texts(texts.fingerprint)  # other templates: every ticket rendered again
        _check_store(ledger, sink)
        check = None
        if verify and config.tickets.verify_with_graph and enricher is not None:
            check = _verifier(enricher)
        yield Parts(
            config=config,
            ledger=ledger,
            book=ledger,
            sink=sink,
            texts=texts,
            policy=policy(config),
            enricher=enricher,
            verify=check,
            graph=client,
            progress=progress,
            dry_run=dry_run,
        )


def file_source(paths: Iterable[Path], config: Config, progress: Progress | None = None) -> Source:
    """Saved ``.eml`` files, directories of them, and mboxes."""
    return FileSource(paths, config.parse.max_message_bytes, progress)


def require_mailbox(config: Config) -> None:
    """A mailbox source needs ``[source.mailbox]``: say so before anything is opened."""
    if config.source.mailbox is None:
        raise ConfigError(
            config.file,
            "[source.mailbox] mailbox",
            "is not set: `run` reads a mailbox through Graph",
        )


def require_source(config: Config) -> None:
    """``run`` needs something to read: say so before anything is opened."""
    if not config.source.configured:
        raise ConfigError(
            config.file,
            "[source.mailbox] mailbox",
            "is not set, nor [source.provisioning_errors] enabled = true: `run` reads a "
            "mailbox, Graph's provisioning errors, or both, through Graph",
        )


def run_source(config: Config, parts: Parts, *, now: datetime | None = None) -> Source:
    """What ``run`` reads in one pass: the mailbox, Graph's provisioning errors, or both
    (the mailbox first), through the pass's one Graph client."""
    require_source(config)
    now = now or datetime.now(UTC)
    sources: list[Source] = []
    if config.source.mailbox is not None:
        sources.append(mailbox_source(config, parts, now=now))
    if config.source.provisioning_errors.enabled:
        sources.append(provisioning_source(config, parts, now=now))
    if len(sources) == 1:
        return sources[0]
    from .sources.chain import SourceChain

    return SourceChain(sources)


def provisioning_source(config: Config, parts: Parts, *, now: datetime) -> Source:
    """One scan of Graph's provisioning errors, as ``[source.provisioning_errors]`` says."""
    from .sources.provisioning import ProvisioningErrors

    assert parts.graph is not None  # build(graph=True) made it
    return ProvisioningErrors(
        parts.graph,
        config.source.provisioning_errors,
        now=now,
        progress=parts.progress,
        organization=parts.ledger.learn_organization,
    )


def mailbox_source(config: Config, parts: Parts, *, now: datetime | None = None) -> Source:
    """One pass over ``[source.mailbox]`` through the pass's Graph client."""
    from .sources.mail_folder import MailFolder
    from .sources.mailbox import MailboxSource

    require_mailbox(config)
    settings = config.source.mailbox
    assert settings is not None and parts.graph is not None  # build(graph=True) made it
    return MailboxSource(
        MailFolder(parts.graph, settings),
        parts.book,
        trusted=(*config.trust.senders, *config.trust.forwarders),
        max_message_bytes=config.parse.max_message_bytes,
        now=now or datetime.now(UTC),
        act=not parts.dry_run,
        progress=parts.progress,
    )


# ---------------------------------------------------------------------------------------------
# The parts, one by one (also what `doctor` and `parse --enrich` use)


def policy(config: Config) -> Policy:
    """The lifecycle's rules: ``[tickets]``, and ``never_reopen`` when tickets go to Jira."""
    never = config.jira.never_reopen if config.sink.kind == "jira" else ()
    return Policy(
        resolve_after_reports=config.tickets.resolve_after_reports,
        reopen_within=config.tickets.reopen_within,
        never_reopen=frozenset(never),
    )


def ticket_texts(config: Config) -> Renderer:
    """The ticket templates, compiled and tried on samples (a broken one fails here)."""
    from .ticket_text.render import Renderer

    with _located(config):
        return Renderer(
            config.tickets.templates, markup="jira" if config.sink.kind == "jira" else "plain"
        )


def open_sink(
    config: Config, env: Mapping[str, str], ledger: SqliteLedger | None, *, dry_run: bool
) -> Sink:
    """The configured sink; on a dry run, one that changes nothing. The local store is kept
    in ``ledger``'s file (a dry run's is a copy in memory): a separate store of an earlier
    release beside it is moved in first (``local_import``)."""
    with _located(config):
        if config.sink.kind == "jira":
            if dry_run:
                from .sinks.dry_run import PlanOnly

                return PlanOnly("jira")  # plans from the ledger; Jira is not contacted
            return jira_sink(config, env)
        from .sinks.local import LocalStore
        from .sinks.local_import import move_in

        assert ledger is not None, "the local store is kept in the ledger"
        store = LocalStore.in_ledger(ledger.conn, ledger.path)
        move_in(
            store,
            config.state.local_tickets_path,
            ledger.store_pairing(),
            set_aside=not dry_run,
        )
        if dry_run and store.untouched():
            _moved_meanwhile(config)
        return store


def _moved_meanwhile(config: Config) -> None:
    """A dry run takes no lock: its copy of the ledger can be from before a run moved the
    store in, and the file gone (renamed) by the time it looks for it, which would read as a
    store lost. ``Retriable`` when the ledger on disk says a store was moved in meanwhile."""
    from .ledger.store import Ledger
    from .sinks.local import LocalStore

    if config.state.local_tickets_path.is_file() or not config.state.path.is_file():
        return
    try:
        ledger = Ledger.open_readonly(config.state.path)
    except DirsyncBridgeError:
        return  # (the copy was read: what is wrong now is for the next run to say)
    try:
        store = LocalStore.in_ledger_readonly(ledger.conn, ledger.path)
        moved = store is not None and store.imported_from() is not None
    except DirsyncBridgeError:
        moved = False
    finally:
        ledger.close()
    if moved:
        raise Retriable(
            f"{config.state.path}: a run moved the local ticket store into the ledger while "
            "this dry run read it; run the dry run again"
        )


def jira_sink(config: Config, env: Mapping[str, str]) -> JiraSink:
    """The Jira sink of ``[jira]`` (nothing is sent until it is first used)."""
    from .sinks.jira import JiraSink, jira_token

    with _located(config):
        return JiraSink(config.jira, jira_token(config.jira, env))


def graph_client(config: Config, env: Mapping[str, str]) -> GraphClient:
    """The one Graph client of a run, signed in as ``[graph]`` says (on first use)."""
    from .graph.client import GraphClient
    from .graph.credentials import graph_credential

    with _located(config):
        return GraphClient(config.graph, graph_credential(config.graph, env))


def enricher_for(
    config: Config, env: Mapping[str, str], client: GraphClient | None = None
) -> Enricher:
    """The look-ups ``[enrich.*]`` enables and the configuration makes possible."""
    from .enrich.enricher import Enricher

    with _located(config):
        directories: list[Directory] = []
        if _cloud_enabled(config):
            from .enrich.cloud import CloudDirectory

            directories.append(CloudDirectory(client or graph_client(config, env)))
        if config.enrich.onprem.enabled:
            directories.append(onprem_directory(config, env))
        return Enricher(directories, config_file=config.file)


def onprem_directory(config: Config, env: Mapping[str, str]) -> Directory:
    """Active Directory over LDAP, as ``[enrich.onprem]`` says (connects on first use)."""
    from .enrich.onprem import OnPremDirectory

    settings = config.enrich.onprem
    with _located(config):
        return OnPremDirectory(
            settings.url,
            bind_dn=settings.bind_dn,
            password=env.get(settings.password_env),
            base_dn=settings.base_dn,
            ca_bundle=settings.ca_bundle,
            password_env=settings.password_env,
            config_path=config.file,
            timeout=settings.timeout,
        )


# ---------------------------------------------------------------------------------------------


def _cloud_enabled(config: Config) -> bool:
    return config.enrich.cloud.enabled and config.graph.configured


def _open_ledger(config: Config, stack: ExitStack, *, dry_run: bool) -> SqliteLedger:
    from .ledger.lock import RunLock
    from .ledger.store import Ledger as SqliteLedger

    if dry_run:
        # A copy in memory: the same code runs, and nothing on disk changes.
        ledger = SqliteLedger.open_copy(config.state.path)
        ledger.use_rules(policy(config))
    else:
        stack.enter_context(RunLock(config.state.lock_path))
        ledger = SqliteLedger.open(config.state.path)
        ledger.use_rules(policy(config))
    stack.callback(ledger.close)
    return ledger


def _check_store(ledger: SqliteLedger, sink: Sink) -> None:
    """A local store lost, or restored from an older backup than the ledger: stop here."""
    from .sinks.local import LocalStore
    from .store_rebuild import check_store

    if isinstance(sink, LocalStore):
        check_store(ledger, sink)


def _verifier(enricher: Enricher) -> Callable[[Ledger, datetime], int] | None:
    """Verification by the cloud look-ups, if they are configured."""
    from .enrich.cloud import CloudDirectory
    from .verify import verify_cleared

    cloud = next((d for d in enricher.directories if isinstance(d, CloudDirectory)), None)
    if cloud is None:
        return None
    found = cloud

    def verify(ledger: Ledger, now: datetime) -> int:
        return verify_cleared(ledger, found, now)

    return verify


@contextmanager
def _located(config: Config) -> Iterator[None]:
    """Configuration errors raised inside name the file that was loaded."""
    try:
        yield
    except ConfigError as exc:
        exc.located(config.file)
        raise
