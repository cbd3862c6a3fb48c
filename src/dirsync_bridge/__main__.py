"""The entry point (``dirsync-bridge``, ``python -m dirsync_bridge``): signals first.

SIGINT and SIGTERM are handled before anything else is imported, so that a command stopped
even during start-up says so in one line and exits 130 (``interrupt``).
"""

from __future__ import annotations

from .interrupt import install, stop


def main() -> None:
    """Install the signal handling, then run the command line."""
    install()
    try:
        from .cli import main as command_line
    except KeyboardInterrupt as exc:
        stop(exc)
    command_line()


if __name__ == "__main__":
    main()
