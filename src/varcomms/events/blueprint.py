"""The webhook endpoints as a Flask blueprint: ``POST /webhooks/<provider>``.

No CSRF, cookies or sessions here: providers authenticate by signature or credentials,
which :mod:`varcomms.events.receive` checks before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request

from varcomms.context import Context
from varcomms.events.receive import MAX_BODY_BYTES, receive_webhook
from varcomms.events.webhooks import WebhookRequest


def webhooks_blueprint(context: Callable[[], Context]) -> Blueprint:
    """``context`` gives the request's Context (the app decides how it is made)."""
    blueprint = Blueprint("webhooks", __name__)

    @blueprint.post("/webhooks/<provider>")
    def webhook(provider: str) -> Any:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return jsonify({"error": "body too large"}), 413
        auth = request.authorization
        incoming = WebhookRequest(
            body=request.get_data(cache=False),
            headers=dict(request.headers),
            authorization=(auth.username or "", auth.password or "")
            if auth is not None and auth.type == "basic"
            else None,
            query=request.args.to_dict(),
        )
        answer = receive_webhook(context(), provider, incoming)
        return jsonify(answer.body), answer.status

    return blueprint
