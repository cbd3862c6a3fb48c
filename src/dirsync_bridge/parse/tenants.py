"""Which tenant a report speaks for (design.md section 9, ``[tenants]``). Pure.

A tenant is named in many ways: the report email's "for tenant Contoso Ltd." sentence, Graph's
``/organization`` display name, a person on the command line. ``aliases`` maps each spelling
to one canonical name before fingerprints are made, so that the same object in the same
tenant is one problem whichever source named it. A name no alias lists is kept exactly as it
was (so fingerprints made before ``[tenants]`` existed stay the same).

Export files (csexport, event logs) never name a tenant: they take ``--tenant``, else
``default``, else they are refused (``no-tenant``): filed under no tenant they would be counted
against the wrong reports. An email that names none keeps none, as it always has: filing
archived reports under a default now would change the fingerprints of their open problems.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..models import Rejected, Report, SourceKind

_UNNAMED: frozenset[SourceKind] = frozenset({"csexport", "eventlog"})
"""The sources whose files never name their tenant."""


def _key(name: str) -> str:
    # Spellings are compared case- and space-blind, as the ledger compares tenants.
    return " ".join(name.split()).casefold()


class TenantRules(BaseModel):
    """The ``[tenants]`` section: the tenant of inputs that name none, and other names of one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: str | None = None
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Canonical name -> the other names it goes by (display names, GUIDs, domains)."""

    @field_validator("default")
    @classmethod
    def _named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty: name the tenant, or leave the key out")
        return value

    @model_validator(mode="after")
    def _one_canonical_each(self) -> TenantRules:
        seen: dict[str, str] = {}
        for canonical, names in self.aliases.items():
            if not canonical.strip():
                raise ValueError("aliases: a tenant's name is empty")
            for name in (canonical, *names):
                owner = seen.setdefault(_key(name), canonical)
                if owner != canonical:
                    raise ValueError(
                        f"aliases: {name!r} is listed for both {owner!r} and {canonical!r}"
                    )
        return self

    def with_default(self, name: str | None) -> TenantRules:
        """These rules with ``name`` (``--tenant``) as the default, when given."""
        return self if name is None else self.model_copy(update={"default": name})

    def canonical(self, name: str | None) -> str | None:
        """The one name ``name`` stands for; unchanged when no alias lists it."""
        if name is None:
            return None
        wanted = _key(name)
        for canonical, names in self.aliases.items():
            if wanted in {_key(n) for n in (canonical, *names)}:
                return canonical
        return name

    def apply(self, report: Report) -> Report | Rejected:
        """``report`` filed under its canonical tenant, or refused for naming none."""
        tenant = report.tenant
        if tenant is None and report.source_kind in _UNNAMED:
            tenant = self.default
            if tenant is None:
                return Rejected(
                    source=report.source,
                    source_kind=report.source_kind,
                    code="no-tenant",
                    detail=f"a {report.source_kind} file names no tenant: give --tenant NAME "
                    "or set [tenants] default",
                )
        tenant = self.canonical(tenant)
        return report if tenant == report.tenant else report.model_copy(update={"tenant": tenant})
