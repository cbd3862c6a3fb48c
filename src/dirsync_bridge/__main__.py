"""``python -m dirsync_bridge`` runs the command line."""

from .cli import main

main()
