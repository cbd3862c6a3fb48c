"""Which tenant a report speaks for (design.md section 9, ``[tenants]``). Pure.

A tenant is named in many ways: the report email's "for tenant Contoso Ltd." sentence, Graph's
``/organization`` display name, a person on the command line. ``aliases`` maps each spelling
to one canonical name before fingerprints are made, so that the same object in the same
tenant is one problem whichever source named it. A name no alias lists is kept exactly as it
was (so fingerprints made before ``[tenants]`` existed stay the same).

Names are matched as fingerprints match them (``fingerprint.tenant_normal``: NFKC, case-folded,
whitespace collapsed), so "Contosö" typed composed or decomposed, or typed in full-width letters,
is one tenant; a name no alias lists is shown in its NFKC form, whitespace collapsed (its
fingerprint is the one it always had: NFKC changes no ASCII name). Bidi controls are taken
out of names (they change how a name shows, not what it names), and a name of format
characters only (a zero-width space) is blank: refused where a name is required.

Export files (csexport, event logs) never name a tenant, and a Graph scan whose
``/organization`` has no display name names none: they take ``--tenant``, else ``default``,
else they are refused (``no-tenant``): filed under no tenant they would be counted against the
wrong reports. An email that names none keeps none, as it always has: filing
archived reports under a default now would change the fingerprints of their open problems.
"""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..fingerprint import tenant_normal
from ..models import Rejected, Report, SourceKind

_HOW: dict[SourceKind, str] = {
    "graph-provisioning": "the Graph scan names no tenant (/organization has no display "
    "name): set [tenants] default"
}
_UNNAMED: frozenset[SourceKind] = frozenset({"csexport", "eventlog", "graph-provisioning"})
"""The sources whose reports may name no tenant (a Graph scan: a blank display name)."""

BLANK: str = "is empty: name the tenant"


_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
"""The bidi embeddings, overrides and isolates: they reorder how a name is displayed (a
"\u202eContoso" shows reversed), never what it names, so they are taken out of names."""


def _visible(name: str) -> bool:
    # A name of format characters only (zero-width space, joiners, bidi controls, a BOM)
    # looks empty wherever it is shown: it names no one, like an empty one.
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in name)


def _key(name: str) -> str:
    # Spellings are compared as the ledger and the fingerprints compare tenants.
    return tenant_normal(name.translate(_BIDI)) if _visible(name) else ""


def blank(name: str) -> bool:
    """Whether a name names no one: empty, spaces, or format characters only."""
    return not _visible(name)


def shown(name: str) -> str:
    """The display form of a name no alias lists: format characters (bidi controls,
    zero-width spaces, a BOM) out, NFKC, whitespace collapsed."""
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", visible).split())


class TenantRules(BaseModel):
    """The ``[tenants]`` section: the tenant of inputs that name none, and other names of one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str | None = None
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Canonical name -> the other names it goes by (display names, GUIDs, domains)."""

    @field_validator("default")
    @classmethod
    def _named(cls, value: str | None) -> str | None:
        if value is not None and not _key(value):
            raise ValueError(f"{BLANK}, or leave the key out")
        return value

    @model_validator(mode="after")
    def _one_canonical_each(self) -> TenantRules:
        seen: dict[str, str] = {}
        for canonical, names in self.aliases.items():
            if not _key(canonical):
                raise ValueError("aliases: a tenant's name is empty")
            if any(not _key(name) for name in names):
                raise ValueError(f"aliases: {canonical!r} lists an empty name")
            for name in (canonical, *names):
                owner = seen.setdefault(_key(name), canonical)
                if owner != canonical:
                    raise ValueError(
                        f"aliases: {name!r} is listed for both {owner!r} and {canonical!r}"
                    )
        return self

    def with_default(self, name: str | None) -> TenantRules:
        """These rules with ``name`` (``--tenant``) as the default, when given.

        Raises ``ValueError`` (``BLANK``) for a blank name: ``model_copy`` validates nothing,
        and a blank default would file exports under a tenant no one can name."""
        if name is not None and not _key(name):
            raise ValueError(BLANK)
        return self if name is None else self.model_copy(update={"default": name})

    def canonical(self, name: str | None) -> str | None:
        """The one name ``name`` stands for; when no alias lists it, its display form
        (``shown``). None for none, or for a blank name."""
        if name is None or not _key(name):
            return None
        wanted = _key(name)
        for canonical, names in self.aliases.items():
            if wanted in {_key(n) for n in (canonical, *names)}:
                return canonical
        return shown(name)

    def spellings(self, name: str | None) -> tuple[str, ...]:
        """Every name ``name``'s tenant goes by: its canonical name first, then its aliases;
        none for none."""
        canonical = self.canonical(name)
        if canonical is None:
            return ()
        return (canonical, *self.aliases.get(canonical, ()))

    def apply(self, report: Report) -> Report | Rejected:
        """``report`` filed under its canonical tenant, or refused for naming none."""
        tenant = self.canonical(report.tenant)
        if tenant is None and report.source_kind in _UNNAMED:
            tenant = self.default
            if tenant is None:
                return Rejected(
                    source=report.source,
                    source_kind=report.source_kind,
                    code="no-tenant",
                    detail=_HOW.get(report.source_kind)
                    or f"a {report.source_kind} file names no tenant: give --tenant NAME "
                    "or set [tenants] default",
                )
        tenant = self.canonical(tenant)
        return report if tenant == report.tenant else report.model_copy(update={"tenant": tenant})
