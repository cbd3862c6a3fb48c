"""Where messages come from: the adapters behind the ``Source`` port (``ports.Source``)."""
