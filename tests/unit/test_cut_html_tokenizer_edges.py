"""Edges of the HTML5-style cut check (parse/cuts.py ``Document``), from review rev30.

A self-closing ``<title/>`` or ``<style/>`` (inline SVG, where a tag closes itself) has no
raw text after it: the check waited for a ``</title`` that never came and refused a whole
report ``truncated``. The rest guard the reading: constructs straddling the 64 KiB feed
boundary, and random token soups read whole and piece by piece alike."""

from __future__ import annotations

import sys
from pathlib import Path

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))


def _outcome(raw: bytes) -> str:
    result = parse_message(raw, "x.eml", None)
    if isinstance(result, Rejected):
        return f"{result.code}: {result.reason}"
    return f"parsed:{len(result.errors)}"
