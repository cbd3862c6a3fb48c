"""Where tickets live: the adapters behind the ``Sink`` port (``ports.Sink``).

Every write names what it writes with a key the tool chooses (the ticket's idempotency key,
a comment's key), so that a write repeated after a crash can be recognised: the local
store makes such repeats no-ops, and a sink that cannot (Jira) is asked what it has before
anything is written again.
"""
