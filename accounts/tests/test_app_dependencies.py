"""Apps depend one way: accounts, the lowest app, never imports bookings, chat or payments.

When accounts needs their part of a user's data it sends a signal (accounts.signals) and each
app answers for its own rows. This test reads accounts' source with `ast`, so an import written
inside a function, or a model fetched by name with `apps.get_model`, is caught as well.
"""

import ast
from pathlib import Path

import pytest

ACCOUNTS = Path(__file__).resolve().parent.parent
HIGHER_APPS = frozenset({"bookings", "chat", "payments"})

# Demo data seeds every app on purpose, and tests exercise every app.
NOT_CHECKED = ("tests/", "demo.py")

# Imports of a higher app still to invert, each with its reason. Remove an entry once its module
# is clean: from then on this test keeps it clean.
KNOWN_EXCEPTIONS = {
    "selectors.py": "the directory search filters and prices pros by their active bookings "
    "services",
}


def _modules() -> list[str]:
    return sorted(
        path.relative_to(ACCOUNTS).as_posix()
        for path in ACCOUNTS.rglob("*.py")
        if not path.relative_to(ACCOUNTS).as_posix().startswith(NOT_CHECKED)
    )


def _app_label(dotted: str) -> str:
    return dotted.split(".")[0]


def higher_app_uses(source: str) -> list[str]:
    """Every `import`, `from ... import` and `get_model(...)` of a higher app in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _app_label(a.name) in HIGHER_APPS]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _app_label(node.module) in HIGHER_APPS:
                found.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _app_label(node.args[0].value) in HIGHER_APPS
        ):
            found.append(f"get_model({node.args[0].value!r})")
    return found


def _uses_of(module: str) -> list[str]:
    return higher_app_uses((ACCOUNTS / module).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "source",
    [
        "import bookings.models",
        "from chat.models import Message",
        "def f():\n    from payments import services",
        "apps.get_model('payments', 'Payment')",
        "get_model('bookings.Booking')",
    ],
)
def test_the_check_sees_every_way_of_reaching_a_higher_app(source):
    assert higher_app_uses(source)


def test_the_check_leaves_accounts_and_third_party_imports_alone():
    source = (
        "from accounts.models import User\nimport django.apps\nfrom allauth import app_settings"
    )
    assert higher_app_uses(source) == []


@pytest.mark.parametrize("module", [m for m in _modules() if m not in KNOWN_EXCEPTIONS])
def test_accounts_module_does_not_import_a_higher_app(module):
    assert _uses_of(module) == [], f"accounts/{module} reaches into a higher app"


@pytest.mark.parametrize("module", sorted(KNOWN_EXCEPTIONS))
def test_known_exceptions_are_still_needed(module):
    assert _uses_of(module), f"accounts/{module} is clean now: drop it from KNOWN_EXCEPTIONS"
