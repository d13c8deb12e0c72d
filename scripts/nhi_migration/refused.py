"""The one base of every refusal the tool foresees.

A ``Refused`` is a one-line reason a command must not go on (what, where, what to do):
the CLI prints it as ``REFUSED: …``, audits it and exits 1. Each step raises its own
subclass (a damaged extract, an export without a passed validation, …).
"""

from __future__ import annotations


class Refused(Exception):
    """A foreseen reason to stop: one line, no personal data."""
