"""varcomms — the newsletter toolkit of the VAR and the RIEC Rotterdam."""

__version__ = "0.1.0"
