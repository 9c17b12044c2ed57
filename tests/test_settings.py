"""Settings: every documented variable is read, secrets never print, unset sources are skipped, bad values
are named."""

from __future__ import annotations

import re

import pytest

from connectors.registry import get, sources
from connectors.settings import SettingsError
from flows.settings import REPO_ROOT, load_settings, run_wide_env_names

DOCUMENTED = sorted(set(re.findall(r"^(SALESPIPE_[A-Z_]+)=", (REPO_ROOT / ".env.example").read_text(), re.M)))
READ_ELSEWHERE = {"SALESPIPE_REPO_DIR": "prefect.yaml"}  # the deployment's pull step, not the flow


def read_by_salespipe() -> set[str]:
    names = set(run_wide_env_names())
    for declaration in sources():
        names |= set(declaration.settings.env_names())
    return names


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_setting_is_read(name):
    if name in READ_ELSEWHERE:
        assert name in (REPO_ROOT / READ_ELSEWHERE[name]).read_text()
        return
    assert name in read_by_salespipe(), f"{name} is documented in .env.example but never read"


def test_every_read_setting_is_documented():
    assert read_by_salespipe() - set(DOCUMENTED) == set()


def test_sources_come_from_the_environment_and_secrets_never_print(monkeypatch):
    monkeypatch.setenv("SALESPIPE_HOME", "/tmp/sp-settings")
    monkeypatch.setenv("SALESPIPE_ONEC_URL", "http://1c.local/trade/odata/standard.odata/")
    monkeypatch.setenv("SALESPIPE_ONEC_USER", "odata")
    monkeypatch.setenv("SALESPIPE_ONEC_PASSWORD", "pw-1c-Секрет")
    monkeypatch.setenv("SALESPIPE_AMOCRM_URL", "https://shop.amocrm.ru")
    monkeypatch.setenv("SALESPIPE_AMOCRM_CLIENT_SECRET", "amo-client-secret-42")
    monkeypatch.setenv("SALESPIPE_AMOCRM_REFRESH_TOKEN", "def50200-refresh-42")
    monkeypatch.setenv("SALESPIPE_METRICA_COUNTER", "44147844")
    monkeypatch.setenv("SALESPIPE_METRICA_TOKEN", "y0_metrica-token-42")

    settings = load_settings(env_file=None)

    assert settings.section("onec").secret("PASSWORD") == "pw-1c-Секрет"
    assert settings.section("amocrm").secret("CLIENT_SECRET") == "amo-client-secret-42"
    metrica = settings.section("metrica")
    assert metrica.counter == "44147844" and metrica.url == "https://api-metrika.yandex.net"
    assert settings.section("website") is None, "a source without a URL is skipped"
    assert list(settings.sources) == ["onec", "amocrm", "metrica"], "registry order"
    printed = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("pw-1c-Секрет", "amo-client-secret-42", "def50200-refresh-42", "y0_metrica-token-42"):
        assert secret not in printed


def test_the_website_is_reconciled_by_version_scan_unless_switched_off(monkeypatch):
    website = get("website")
    monkeypatch.setenv("SALESPIPE_WEBSITE_URL", "https://shop.example.ru")
    options = website.landing_options(load_settings(env_file=None).section("website"))
    assert options == {"version_field": "date_modified_gmt", "reconcile": True}
    monkeypatch.setenv("SALESPIPE_WEBSITE_RECONCILE", "false")
    options = website.landing_options(load_settings(env_file=None).section("website"))
    assert options == {"version_field": "date_modified_gmt", "reconcile": False}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SALESPIPE_ONEC_PAGE_SIZE", "a thousand"),
        ("SALESPIPE_HTTP_TIMEOUT", "fast"),
        ("SALESPIPE_HTTP_MAX_RETRIES", "-1"),
        ("SALESPIPE_AS_OF_DATE", "31.12.2026"),
    ],
)
def test_a_bad_value_is_named_with_what_was_given(monkeypatch, variable, value):
    monkeypatch.setenv("SALESPIPE_ONEC_URL", "http://1c.local/trade/odata/standard.odata/")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert str(caught.value).startswith(f"{variable}: ") and repr(value) in str(caught.value)


def test_the_env_example_is_made_from_the_declarations():
    from flows.env_example import FILE, render

    assert FILE.read_text() == render(), "run: .venv/bin/python -m flows.env_example --write"
