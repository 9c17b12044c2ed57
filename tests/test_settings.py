"""Settings: every documented variable is read, secrets never print, unset sources are skipped."""

from __future__ import annotations

import re

import pytest

from flows.settings import REPO_ROOT, load_settings

DOCUMENTED = sorted(set(re.findall(r"^(SALESPIPE_[A-Z_]+)=", (REPO_ROOT / ".env.example").read_text(), re.M)))
READ_ELSEWHERE = {"SALESPIPE_REPO_DIR": "prefect.yaml"}  # the deployment's pull step, not the flow


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_setting_is_read(name):
    if name in READ_ELSEWHERE:
        assert name in (REPO_ROOT / READ_ELSEWHERE[name]).read_text()
        return
    read_as = name.removesuffix("_BLOCK")  # <NAME>_BLOCK is read by the secret lookup of <NAME>
    source = (REPO_ROOT / "flows" / "settings.py").read_text()
    assert f'"{read_as}"' in source, f"{name} is documented in .env.example but never read"


def test_every_read_setting_is_documented():
    source = (REPO_ROOT / "flows" / "settings.py").read_text()
    read = set(re.findall(r'"(SALESPIPE_[A-Z_]+)"', source))
    assert read - set(DOCUMENTED) == set()


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

    assert settings.onec.password.get() == "pw-1c-Секрет"
    assert settings.amocrm.client_secret.get() == "amo-client-secret-42"
    assert settings.metrica.counter == "44147844" and settings.metrica.url == "https://api-metrika.yandex.net"
    assert settings.website is None, "a source without a URL is skipped"
    printed = repr(settings) + str(settings)
    for secret in ("pw-1c-Секрет", "amo-client-secret-42", "def50200-refresh-42", "y0_metrica-token-42"):
        assert secret not in printed


def test_the_website_is_reconciled_by_version_scan_unless_switched_off(monkeypatch):
    from flows.sources import configured_sources

    monkeypatch.setenv("SALESPIPE_WEBSITE_URL", "https://shop.example.ru")
    [(_, _, options)] = configured_sources(load_settings(env_file=None))
    assert options == {"version_field": "date_modified_gmt", "reconcile": True}
    monkeypatch.setenv("SALESPIPE_WEBSITE_RECONCILE", "false")
    [(_, _, options)] = configured_sources(load_settings(env_file=None))
    assert options == {"version_field": "date_modified_gmt", "reconcile": False}
