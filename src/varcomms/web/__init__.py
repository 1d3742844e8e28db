"""The subscriber web app: sign-up with double opt-in, preference centre, unsubscribe.

``create_app(config_path)`` builds it for any WSGI server (waitress in production, see
the README); ``varcomms serve`` runs it for development and the demo.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
