"""Ticket texts: summaries, descriptions and comments from sandboxed templates."""
