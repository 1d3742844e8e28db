"""F8 and F13: secrets never reach the terminal, with or without --verbose.

Any exception a library raises can quote a secret (requests shows the header value of an
API key with a stray CR; a driver its connection string). The CLI's one error edge and
its log handler mask the environment's secrets and database passwords, wherever in a URL
they sit.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from varcomms.redact import MASK, Redactor, mask_url

KEYS = {
    "VARCOMMS_SENDGRID_API_KEY": "SG.SECRET-SENDGRID-KEY-123\r",
    "VARCOMMS_POSTMARK_SERVER_TOKEN": "pm-SECRET-POSTMARK-TOKEN\n",
    "VARCOMMS_BREVO_API_KEY": "xkeysib-SECRET-BREVO",
    "VARCOMMS_SIGNING_KEY": "SECRETVALUE-123-signing",
    "VARCOMMS_SMTP_PASSWORD": "smtp-SECRET-pw",
}
DB_URL = "postgresql://varcomms:db-SECRET-pw@127.0.0.1:1/varcomms?password=q-SECRET-pw"
SECRET_PARTS = ("SECRET",)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    text = text.replace('data = "data"', f'data = "{tmp_path / "data"}"')
    (tmp_path / "varcomms.toml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "newsletters" / "2022-01", tmp_path / "newsletters" / "2022-01")
    return tmp_path


def run(cli, project: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli("--config", str(project / "varcomms.toml"), *args, env={**KEYS, **(env or {})})


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert "SECRET" not in text, text


def _explode(*_args: object, **_kwargs: object) -> None:
    key = KEYS["VARCOMMS_SENDGRID_API_KEY"]
    token = KEYS["VARCOMMS_POSTMARK_SERVER_TOKEN"].strip()
    raise requests.exceptions.InvalidHeader(
        f"Invalid leading whitespace, reserved character(s), or return character(s) "
        f"in header value: 'Bearer {key}' (also {token}, {DB_URL})"
    )


@pytest.mark.parametrize("verbose", [False, True])
def test_f8_unexpected_errors_are_masked_at_the_edge(
    cli, project: Path, monkeypatch: pytest.MonkeyPatch, verbose: bool
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("varcomms.cli.edition.list_editions", _explode)
    args = ("--verbose",) if verbose else ()
    result = run(cli, project, *args, "edition", "list")
    assert result.code == 1
    assert_no_secret(result.stdout, result.stderr)
    assert "unexpected InvalidHeader" in result.stderr and MASK in result.stderr
    if verbose:
        assert "Traceback (most recent call last)" in result.stderr
        assert "_explode" in result.stderr
    else:
        assert "Traceback" not in result.stderr and "--verbose" in result.stderr


def test_f8_project_errors_are_masked_too(
    cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from varcomms.errors import ProviderError

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ProviderError(
            f"refused key {KEYS['VARCOMMS_BREVO_API_KEY']}",
            provider="brevo",
            hint=f"signing key {KEYS['VARCOMMS_SIGNING_KEY']}",
        )

    monkeypatch.setattr("varcomms.cli.edition.list_editions", refuse)
    result = run(cli, project, "--verbose", "edition", "list")
    assert result.code == 1
    assert_no_secret(result.stdout, result.stderr)
    assert "brevo: refused key ***" in result.stderr


def test_f8_log_records_are_masked(cli, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from varcomms.editions import list_editions

    def chatty(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        log = logging.getLogger("varcomms.test")
        log.debug("using key %s and %s", KEYS["VARCOMMS_SMTP_PASSWORD"], DB_URL)
        try:
            _explode()
        except requests.RequestException:
            log.warning("request failed", exc_info=True)
        return list_editions(*args, **kwargs)

    monkeypatch.setattr("varcomms.cli.edition.list_editions", chatty)
    result = run(cli, project, "--verbose", "edition", "list")
    assert result.code == 0, result
    assert "using key ***" in result.stderr and "request failed" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


LIBPQ = "postgresql:///db?host=localhost&password=s3cret-SECRET"


def test_f13_config_check_masks_database_passwords(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    config = project / "varcomms.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(f'database_url = "{LIBPQ}"\n' + text, encoding="utf-8")
    for args in (("config", "check", "--json"), ("config", "check")):
        result = run(cli, project, *args)
        assert result.code == 0, result
        assert_no_secret(result.stdout, result.stderr)
    shown = json.loads(run(cli, project, "config", "check", "--json").stdout)["database"]
    assert shown == "postgresql:///db?host=localhost&password=***"


def test_f13_database_url_from_the_environment_is_used_and_masked(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"VARCOMMS_DATABASE_URL": DB_URL}
    checked = run(cli, project, "config", "check", "--json", env=env)
    assert json.loads(checked.stdout)["database"] == (
        "postgresql://varcomms:***@127.0.0.1:1/varcomms?password=***"
    )
    # Port 1 refuses: a clean one-line error, masked, and no traceback.
    for args in (("db", "status"), ("--verbose", "db", "status"), ("edition", "list")):
        result = run(cli, project, *args, env=env)
        if args[-1] == "list":
            assert result.code == 0  # listing editions needs no database
            continue
        assert result.code != 0
        assert "cannot open the database postgresql" in result.stderr
        assert_no_secret(result.stdout, result.stderr)
        if "--verbose" not in args:
            assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw-x@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql:///db?host=h&password=p%40ss", "postgresql:///db?host=h&password=***"),
        (
            "postgresql://u:a%3Ab@h/db?sslpassword=k&x=1",
            "postgresql://u:***@h/db?sslpassword=***&x=1",
        ),
        ("sqlite:////tmp/data/varcomms.db", "sqlite:////tmp/data/varcomms.db"),
    ],
)
def test_f13_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_f13_redactor_masks_urls_and_values_in_free_text() -> None:
    redact = Redactor.from_environment(
        {
            "VARCOMMS_DATABASE_URL": "postgresql://u:pa%24%24word@h/db",
            "VARCOMMS_TODAY": "2022-02-01",
        }
    )
    text = redact("connect postgresql://u:pa%24%24word@h/db failed; pa$$word; on 2022-02-01")
    assert "pa%24%24word" not in text and "pa$$word" not in text
    assert "2022-02-01" in text  # not a secret: dates stay
