"""The entry point (``dirsync-bridge``, ``python -m dirsync_bridge``): signals first.

SIGINT and SIGTERM are handled before anything else is imported, so that a command stopped
even during start-up says so in one line and exits 130 (``interrupt``); what comes before
is the interpreter's own start-up (10-15 ms), when the signals' default actions apply.
``exits.run_command`` runs the command line and turns every way it can end into one exit
code; a signal after that changes nothing.
"""

from __future__ import annotations

import gc
import sys

from . import interrupt


def main() -> None:
    """Install the signal handling, then run the command line and exit with its code.

    (Not annotated ``NoReturn``: ``typing`` would load before the handlers.)
    """
    try:
        interrupt.install()
        from . import crashpoints  # after the handlers: it loads ``signal`` (and ``enum``)

        crashpoints.crash_point("start-up")
        # Importing builds thousands of objects (pydantic's schemas) that live as long as the
        # process: the cyclic collector would scan them again and again for nothing. It
        # waits until the command line is loaded (``exits._invoke`` freezes them, then
        # turns it back on).
        gc.disable()
        from .exits import run_command

        code = run_command(sys.argv[1:])
    except KeyboardInterrupt as exc:  # stopped while the command's modules were loading
        code = interrupt.stopped(exc)
    except Exception:
        signal = interrupt.signalled()
        if signal is None:
            raise
        code = interrupt.stopped(signal)  # an import the signal broke (``signalled``)
    interrupt.done()
    from . import crashpoints

    crashpoints.at_exit("interpreter-exit")
    sys.exit(code)


if __name__ == "__main__":
    main()
