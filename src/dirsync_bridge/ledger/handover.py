"""Whose tickets a merged problem's survivor keeps (``IdentityLedger._retire_into``).

The ticket stays the first one (design.md section 9): a survivor without a ticket takes
the retired problem's; where both have tickets, the one made first stays with the survivor,
unless a person closed it and not the other, and the other is resolved as merged into it.

Mixed into ``IdentityLedger``.
"""

from __future__ import annotations

import sqlite3

from ..lifecycle import VERIFIED, FoldState, reopens


class TicketHandover:
    """The hand-over and trade of tickets in a merge, over the ledger's connection."""

    conn: sqlite3.Connection

    def _hand_over_tickets(self, source: str, target: str) -> None:
        """The ticket stays the first one (design.md section 9): a survivor that has no
        ticket yet, nor a write on its way, takes the retired problem's tickets (key, name
        and label unchanged), with what is unfinished on them and the resolutions people
        gave them. Where both have tickets, the one made first stays (``_keep_the_first``);
        the other is resolved, superseded, naming it.
        """
        busy = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE fingerprint = ?1) "
            "OR EXISTS (SELECT 1 FROM intents WHERE fingerprint = ?1)",
            (target,),
        ).fetchone()[0]
        if busy:
            self._keep_the_first(source, target)
            return
        for table in ("tickets", "intents", "resolutions"):
            self.conn.execute(
                f"UPDATE {table} SET fingerprint = ? WHERE fingerprint = ?",
                (target, source),
            )

    def _load(self, fingerprint: str) -> FoldState | None:
        raise NotImplementedError  # pragma: no cover  (StateLedger's)

    def _closed_by_a_person(self, fingerprint: str) -> bool:
        """Whether the current ticket of ``fingerprint`` (its latest episode's) stands
        resolved by a person: resolved as its history has it now, and its latest event
        outside the reports is a resolution, not a reopening (a person's, or the re-check's
        withdrawal) nor this tool's own verification."""
        # Only the current ticket, and only while it stays resolved (review rev36's
        # follow-up: a person's resolution of any episode counted for the whole problem,
        # though a newer ticket had opened since, or the reports had reopened that one).
        state = self._load(fingerprint)
        current: int | None = None
        if state is not None and state.episodes:
            if state.episodes[-1].status != "resolved":
                return False
            current = state.episodes[-1].number
        names = [
            str(name)
            for (name,) in self.conn.execute(
                "SELECT name FROM resolutions WHERE fingerprint = ?1 AND episode = "
                "COALESCE(?2, (SELECT MAX(episode) FROM tickets WHERE fingerprint = ?1)) "
                "ORDER BY at",
                (fingerprint, current),
            )
        ]
        return bool(names) and not reopens(names[-1]) and not names[-1].startswith(VERIFIED)

    def _keep_the_first(self, source: str, target: str) -> None:
        """The retired problem ``source`` and the survivor ``target`` both have tickets: if
        the retired one's first ticket was made before the survivor's (or a person closed the
        survivor's and not the retired one's), and no person closed the retired one's, they
        trade tickets, so that the survivor keeps the ticket the helpdesk has worked in
        longest (its key, label and comments, and the resolutions people gave it), and its
        own newer ticket is the one resolved as merged into it.

        "First" is the order the ledger recorded the creates in: a ticket's row is inserted
        once, when its create is recorded, and only updated since (a hand-over moves the row,
        keeping its rowid), so the least rowid is the ticket that existed first. Not the
        first sighting's report time: an archive read late brings old sightings and a new
        ticket, and what people have been working in is the ticket that was there first.
        """
        # A write of unknown outcome on either side is settled against the (fingerprint,
        # episode) it was begun for, which a trade would give to the other ticket: left as
        # before (safe), the survivor's ticket stays and the other is superseded.
        if self.conn.execute(
            "SELECT 1 FROM intents WHERE fingerprint IN (?, ?) LIMIT 1", (source, target)
        ).fetchone():
            return
        firsts = {
            str(fp): int(first)
            for fp, first in self.conn.execute(
                "SELECT fingerprint, MIN(rowid) FROM tickets WHERE fingerprint IN (?, ?) "
                "GROUP BY fingerprint",
                (source, target),
            )
        }
        if len(firsts) < 2:
            return
        # An older ticket a person closed (Won't Do, say) is not the one being worked: the
        # open one stays (review rev33: it was resolved as merged into the closed one, and a
        # third ticket opened), whichever problem the closed one was made for (review rev36:
        # the identity's closed ticket, made first, still displaced the object id's open
        # one). Closed by the reports alone, or by this tool's own verification, it is still
        # the first: the ticket kept must not hang on the order the reports were read in.
        closed = {fp: self._closed_by_a_person(fp) for fp in (source, target)}
        if closed[source] == closed[target]:
            if firsts[source] > firsts[target]:
                return
        elif closed[source]:
            return
        # Problems merged into the survivor before now hold tickets resolved as merged into
        # the one it kept, which it is about to trade away (and resolve as merged too): they
        # are flagged, so that theirs name the ticket that stays (a chain of merges).
        self.conn.execute("UPDATE problems SET dirty = 1 WHERE merged_into = ?", (target,))
        episodes = {
            fp: {
                int(e)
                for (e,) in self.conn.execute(
                    "SELECT episode FROM tickets WHERE fingerprint = ?", (fp,)
                )
            }
            for fp in (source, target)
        }
        # Episode for episode: where both have a ticket they trade; one only the retired
        # problem has goes over (as in a hand-over); one only the survivor has stays, so
        # that a ticket the survivor creates later (``target:n``, an episode neither had)
        # has a key no superseded ticket holds. (The kept ticket deleted by a person: its
        # episode takes back the survivor's own, ``TicketLedger.forget_ticket``.) The
        # survivor's traded rows are parked at negative episodes meanwhile (no key clash).
        both = sorted(episodes[source] & episodes[target])
        marks = ",".join("?" * len(both))
        for table in ("tickets", "resolutions"):
            self.conn.execute(
                f"UPDATE {table} SET episode = -1 - episode WHERE fingerprint = ? "
                f"AND episode IN ({marks})",
                (target, *both),
            )
            moved = sorted(episodes[source])
            self.conn.execute(
                f"UPDATE OR IGNORE {table} SET fingerprint = ? WHERE fingerprint = ? "
                f"AND episode IN ({','.join('?' * len(moved))})",
                (target, source, *moved),
            )
            self.conn.execute(
                f"UPDATE OR IGNORE {table} SET fingerprint = ?, episode = -1 - episode "
                "WHERE fingerprint = ? AND episode < 0",
                (source, target),
            )
