"""``make lint`` type-checks ``payments/`` with the project's mypy configuration; these tests
show that configuration refusing a Stripe request the SDK's parameter types do not allow.

mypy runs in a subprocess (its Django plugin sets Django up on its own) with the cache `make lint`
keeps (mypy's default, `.mypy_cache` in the repository): after a lint the SDK's and Django's types
are read from it instead of cold (about 20 s of CPU). Each run still starts mypy and its Django
plugin (about 20 s of CPU on a loaded machine), so the module checks ONE file holding every
snippet, once, and each test reads the errors reported on its own snippet's lines.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

pytestmark = pytest.mark.waits  # mypy in a subprocess

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO / ".mypy_cache"

# name -> source; each snippet must be refused on its own. Imports first (mypy reports an import
# on its line), then one assignment per snippet, so an error's line names its snippet.
SNIPPETS = {
    "wrong_type": (
        "from stripe.params import RefundCreateParams",
        'wrong_type: RefundCreateParams = {"payment_intent": "pi_1", "amount": "1000"}',
    ),
    "misspelt": (
        "from stripe.params.checkout import SessionCreateParams",
        'misspelt: SessionCreateParams = {"mode": "payment", "sucess_url": "https://timz.test/"}',
    ),
}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory) -> dict[str, str]:
    """mypy's report under the project configuration, split by snippet: {name: its lines}."""
    module = tmp_path_factory.mktemp("typing") / "stripe_calls.py"
    imports = [imp for imp, _ in SNIPPETS.values()]
    lines = {name: len(imports) + i + 1 for i, name in enumerate(SNIPPETS)}
    module.write_text("\n".join(imports + [code for _, code in SNIPPETS.values()]) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")]
        + ["--cache-dir", str(CACHE_DIR), str(module)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    by_line: dict[int, list[str]] = {}
    for error in result.stdout.splitlines():
        if found := re.match(r"(?:.*/)?stripe_calls\.py:(\d+):", error):
            by_line.setdefault(int(found[1]), []).append(error)
    assert by_line, result.stdout
    assert set(by_line) <= set(lines.values()), result.stdout  # nothing else refused
    return {name: "\n".join(by_line.get(line, [])) for name, line in lines.items()}


def test_mypy_refuses_a_stripe_parameter_of_the_wrong_type(mypy_errors):
    errors = mypy_errors["wrong_type"]

    assert 'TypedDict item "amount" has type "int")  [typeddict-item]' in errors


def test_mypy_refuses_a_misspelt_stripe_parameter(mypy_errors):
    errors = mypy_errors["misspelt"]

    assert '"sucess_url"' in errors
    assert "[typeddict-unknown-key]" in errors
