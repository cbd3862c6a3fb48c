"""The pipeline, top-down: sources -> parse (-> enrich -> decide -> sinks, in later stages).

This is the only module that sequences I/O. Today it reads saved mail and parses it; each
later stage plugs in here, in the order of design.md section 1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from .config import Config
from .models import ParseResult, Rejected
from .parse import parse_message
from .sources.files import read_paths

log = logging.getLogger(__name__)


def parse_paths(paths: Iterable[Path], config: Config) -> Iterator[ParseResult]:
    """Parse every message under ``paths``, one at a time, in path order."""
    for item in read_paths(paths, config.parse.max_message_bytes):
        if isinstance(item, Rejected):
            result: ParseResult = item
        else:
            result = parse_message(item.data, item.source, config.trust, config.parse)
        if isinstance(result, Rejected):
            log.info("rejected %s: %s", result.source, result.reason)
        else:
            log.debug("parsed %s: %d error(s)", result.source, len(result.errors))
        yield result
