"""Parsing: raw bytes in, a typed ``Report`` or a ``Rejected`` out. Pure."""
