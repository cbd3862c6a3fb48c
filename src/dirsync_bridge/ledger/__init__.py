"""The state ledger (SQLite): what the tool has seen, decided and written."""
