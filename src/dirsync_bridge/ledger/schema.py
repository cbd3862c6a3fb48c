"""The ledger's schema, as named migrations applied in order, each once (``sqlite``).

Never edit a migration that has shipped: add the next one (at the end of ``schema_later``).
The migrations are kept in two modules, ``schema_original`` (0001 to 0007) and
``schema_later`` (0008 on); ``MIGRATIONS`` is the one list, in the order they apply.
"""

from __future__ import annotations

from .. import sqlite
from .schema_later import LATER
from .schema_original import ORIGINAL

MIGRATIONS: tuple[sqlite.Migration, ...] = (*ORIGINAL, *LATER)
