"""docs/deploy.md stays in sync with the code: every environment variable and every command it
tells the operator to run exists."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.urls import reverse

DOC = Path(settings.BASE_DIR, "docs", "deploy.md")


def _settings_variables() -> set[str]:
    source = Path(settings.BASE_DIR, "timz", "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', source))


def _env_example_variables() -> set[str]:
    source = Path(settings.BASE_DIR, ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", source, flags=re.MULTILINE))


def _documented() -> set[str]:
    return set(re.findall(r"`([A-Z][A-Z0-9_]*)`", DOC.read_text()))


def test_settings_read_variables_at_all():
    # Guards the regex: if settings stopped matching it, the next tests would pass vacuously.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"} <= _settings_variables()


def test_every_variable_read_by_the_settings_is_documented():
    assert sorted(_settings_variables() - _documented()) == []


def test_every_variable_of_env_example_is_documented():
    assert sorted(_env_example_variables() - _documented()) == []


@pytest.mark.parametrize(
    "command",
    [
        "migrate",
        "collectstatic",
        "check",
        "createsuperuser",
        "db_worker",
        "prune_db_task_results",
        "clearsessions",
        "payments_retry",
        "fee_report",
        "process_due",
    ],
)
def test_commands_named_in_the_guide_exist(command):
    # Written "manage.py <command>" or, in cron lines, through the "bin/manage" wrapper.
    assert re.search(rf"\bmanage(\.py)? {command}\b", DOC.read_text())
    assert command in get_commands()


def test_urls_named_in_the_guide_exist():
    text = DOC.read_text()

    for name, path in [
        ("healthz", "/healthz"),
        ("payments:stripe_webhook", "/payments/stripe/webhook/"),
    ]:
        assert reverse(name) == path
        assert path in text
