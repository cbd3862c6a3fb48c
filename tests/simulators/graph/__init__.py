"""A Microsoft Graph + Entra token endpoint simulator for tests: `GraphSimulator()`.

See `server` (endpoints, modes, the request pipeline), `tenant` (set-up helpers), `login`
(what msal calls), `mail` and `delta` (mailboxes), `directory` (users, groups, contacts),
`batch` (`$batch`), `odata` (the query subset), `model` (stored state) and `faults` (fault
switches, the concurrency gauge and the request log). `fixtures` has the pytest fixtures.
"""

from .faults import Faults, Record, RequestLog
from .model import Message
from .server import GRAPH_SCOPE, GraphSimulator
from .tenant import CLIENT_ID, CLIENT_SECRET, MAILBOX, TENANT_ID
from .wire import GraphError

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "GRAPH_SCOPE",
    "MAILBOX",
    "TENANT_ID",
    "Faults",
    "GraphError",
    "GraphSimulator",
    "Message",
    "Record",
    "RequestLog",
]
