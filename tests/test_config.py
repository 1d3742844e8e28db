"""Configuration: the sample file is valid, and a broken file names file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from varcomms.config import Secrets, load_config, parse_config
from varcomms.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def sample_raw() -> dict:
    return tomllib.loads((ROOT / "varcomms.toml").read_text(encoding="utf-8"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "varcomms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_config_is_valid_and_complete() -> None:
    config = load_config(ROOT / "varcomms.toml")
    assert set(config.brands) == {"var", "riec"}
    assert config.timezone == "Europe/Amsterdam"
    assert config.provider.name == "outbox"
    assert len(config.themes) == 13
    assert config.theme_labels["verward-gedrag"] == "Personen met verward gedrag"
    assert config.db_url.startswith("sqlite:///") and config.db_url.endswith("data/varcomms.db")
    for brand in config.brands.values():
        assert config.resolve(brand.logo_path).is_file()


def test_config_is_frozen() -> None:
    config = load_config(ROOT / "varcomms.toml")
    with pytest.raises(ValueError, match="frozen"):
        config.timezone = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (
            lambda raw: raw["delivery"].update(rate_per_second="fast"),
            "delivery.rate_per_second",
            "number",
        ),
        (
            lambda raw: raw["provider"].update(name="carrier-pigeon"),
            "provider.name",
            "carrier-pigeon",
        ),
        (lambda raw: raw["brands"].pop("riec"), "brands", "missing brand 'riec'"),
        (
            lambda raw: raw["brands"]["var"].pop("logo_url"),
            "brands.var.logo_url",
            "required key is missing",
        ),
        (
            lambda raw: raw["brands"]["var"].update(accent_colour="blue"),
            "brands.var.accent_colour",
            "colour",
        ),
        (lambda raw: raw.update(timezone="Mars/Olympus"), "timezone", "unknown time zone"),
        (lambda raw: raw["sender"].update(colour="red"), "sender.colour", "unknown key"),
        (lambda raw: raw["sources"][0].update(themes=["astrologie"]), "(top level)", "astrologie"),
        (
            lambda raw: raw["sources"][1].pop("path"),
            "sources['riec-nieuws']",
            "needs 'url' or 'path'",
        ),
        (
            lambda raw: raw["urls"].update(web_base="http://insecure.example.org"),
            "urls.web_base",
            "https",
        ),
    ],
    ids=[
        "wrong-type",
        "unknown-provider",
        "missing-brand",
        "missing-key",
        "bad-colour",
        "bad-timezone",
        "unknown-key",
        "unknown-theme",
        "source-without-location",
        "http-url",
    ],
)
def test_broken_config_names_file_and_key(mutate, key: str, words: str, tmp_path: Path) -> None:
    raw = sample_raw()
    mutate(raw)
    path = tmp_path / "varcomms.toml"
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, source_file=path)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: ")
    assert words in message


@pytest.mark.parametrize("key", ["accent_colour", "accent_color"])
def test_accent_colour_is_read_in_either_spelling(key: str, tmp_path: Path) -> None:
    """``accent_colour`` is the key; ``accent_color``, its first spelling, still works."""
    raw = sample_raw()
    raw["brands"]["var"].pop("accent_colour")
    raw["brands"]["var"][key] = "#ABCDEF"
    config = parse_config(raw, source_file=tmp_path / "varcomms.toml")
    assert config.brands["var"].accent_colour == "#abcdef"


def test_accent_colour_given_twice_is_refused(tmp_path: Path) -> None:
    raw = sample_raw()
    raw["brands"]["var"]["accent_color"] = "#000000"
    with pytest.raises(ConfigError, match=r"brands\.var\.accent_color: unknown key"):
        parse_config(raw, source_file=tmp_path / "varcomms.toml")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone = \n")
    with pytest.raises(ConfigError, match=r"varcomms\.toml: not valid TOML"):
        load_config(path)


def test_missing_file_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "not found" in caught.value.message
    assert caught.value.hint


def test_secrets_come_from_environment_and_never_show() -> None:
    secrets = Secrets({"VARCOMMS_MAILGUN_API_KEY": "key-s3cr3t", "PATH": "/bin"})
    assert secrets.get("mailgun_api_key") == "key-s3cr3t"
    assert "s3cr3t" not in repr(secrets) and "s3cr3t" not in str(secrets)
    with pytest.raises(ConfigError, match="VARCOMMS_SENDGRID_API_KEY"):
        secrets.require("sendgrid_api_key", purpose="the sendgrid provider")


def test_cli_reports_broken_config_in_one_line(cli, tmp_path: Path) -> None:
    raw_text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    path = write(tmp_path, raw_text.replace('name = "outbox"', 'name = "pigeon"'))
    result = cli("--config", str(path), "config", "check")
    assert result.code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and "provider.name" in first and str(path) in first
    assert "Traceback" not in result.stderr


def test_cli_verbose_shows_traceback(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "timezone = 3\n")
    result = cli("--verbose", "--config", str(path), "config", "check")
    assert result.code == 2
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("[editions]", "[edition]", "edition: unknown key; did you mean 'editions'?"),
        (
            "agenda_window_days",
            "agenda_windows_days",
            "editions.agenda_windows_days: unknown key; did you mean 'agenda_window_days'?",
        ),
        ("[editions]", "[zzz]", "zzz: unknown key"),
    ],
)
def test_an_unknown_key_suggests_the_near_known_one(
    tmp_path: Path, before: str, after: str, message: str
) -> None:
    raw_text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    path = write(tmp_path, raw_text.replace(before, after, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.endswith(message)
