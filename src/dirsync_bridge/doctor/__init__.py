"""``dirsync-bridge doctor``: every check of the configuration against the real services."""
