"""The providers' own OpenAPI descriptions, read in place from ../shared/provider-specs."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator

from tests.conftest import shared_path


@cache
def _load(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with shared_path("provider-specs", name).open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506 - safe loader
    return spec


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    # Keep the components beside the schema so "#/components/..." references resolve.
    return OAS31Validator({**schema, "components": spec["components"]})


def mailgun_messages_validator() -> OAS31Validator:
    spec = _load("mailgun-openapi.yaml")
    body = spec["paths"]["/v3/{domain_name}/messages"]["post"]["requestBody"]
    return _validator(spec, body["content"]["multipart/form-data"]["schema"])


def sendgrid_mail_send_validator() -> OAS31Validator:
    spec = _load("sendgrid-mail-v3.yaml")
    body = spec["paths"]["/v3/mail/send"]["post"]["requestBody"]
    if "$ref" in body:
        body = spec["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[1]]
    return _validator(spec, body["content"]["application/json"]["schema"])


def mailgun_form_as_object(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """A multipart form as the schema sees it: repeated fields of array type are lists."""
    spec = _load("mailgun-openapi.yaml")
    name = "POST-v3-domain_name-messages-multipart-form-data-RequestBody"
    properties = spec["components"]["schemas"][name]["properties"]
    result: dict[str, Any] = {}
    for key, value in fields:
        if properties.get(key, {}).get("type") == "array":
            result.setdefault(key, []).append(value)
        else:
            assert key not in result, f"{key} given twice but is not an array"
            result[key] = value
    return result
