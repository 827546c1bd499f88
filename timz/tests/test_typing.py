"""``make lint`` type-checks ``payments/`` with the project's mypy configuration; these tests
show that configuration refusing a Stripe request the SDK's parameter types do not allow.

mypy runs in a subprocess (its Django plugin sets Django up on its own) with the cache `make lint`
keeps (mypy's default, `.mypy_cache` in the repository): after a lint, or after the first of
these tests, the SDK's and Django's types are read from it instead of cold (about 20 s of CPU).
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO / ".mypy_cache"


def _mypy_errors(tmp_path: Path, source: str) -> str:
    """mypy's report on `source` under the project configuration; fails unless it found errors."""
    module = tmp_path / "stripe_call.py"
    module.write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")]
        + ["--cache-dir", str(CACHE_DIR), str(module)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def test_mypy_refuses_a_stripe_parameter_of_the_wrong_type(tmp_path):
    source = (
        "from stripe.params import RefundCreateParams\n"
        'params: RefundCreateParams = {"payment_intent": "pi_1", "amount": "1000"}\n'
    )

    errors = _mypy_errors(tmp_path, source)

    assert 'TypedDict item "amount" has type "int")  [typeddict-item]' in errors


def test_mypy_refuses_a_misspelt_stripe_parameter(tmp_path):
    source = (
        "from stripe.params.checkout import SessionCreateParams\n"
        'params: SessionCreateParams = {"mode": "payment", "sucess_url": "https://timz.test/"}\n'
    )

    errors = _mypy_errors(tmp_path, source)

    assert '"sucess_url"' in errors
    assert "[typeddict-unknown-key]" in errors
