"""timz/tests/plugins.py registers the installed pytest plugins itself: none may be missed."""

import gc
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from timz.tests.plugins import GC_THRESHOLDS, PLUGINS, _left_out


def test_every_installed_pytest_plugin_is_registered_under_its_entry_point_name():
    installed = {ep.name: ep.value for ep in entry_points(group="pytest11")}

    assert installed == PLUGINS


def test_every_plugin_the_command_line_does_not_block_is_active(pytestconfig):
    blocked = _left_out(pytestconfig.invocation_params.args)
    manager = pytestconfig.pluginmanager

    inactive = [name for name in PLUGINS if name not in blocked and not manager.has_plugin(name)]

    assert inactive == []


def test_plugins_blocked_on_the_command_line_are_left_out_in_both_spellings():
    args = ["-q", "-p", "no:xdist", "-pno:schemathesis", "-p", "hypothesispytest", "tests"]

    assert _left_out(args) == {"xdist", "schemathesis"}


WORKER_EXIT = """
import atexit, sys
from types import SimpleNamespace
from timz.tests import plugins

class Heap:
    def __del__(self):
        print("torn down", flush=True)

heap = Heap()
atexit.register(print, "exit handler", flush=True)
config = SimpleNamespace(workerinput={}) if sys.argv[1] == "worker" else SimpleNamespace()
plugins.pytest_unconfigure(config)
print("unconfigured", flush=True)
"""


@pytest.mark.parametrize(
    ("process", "printed"),
    [
        # The other exit handlers still run; the interpreter's teardown does not.
        ("worker", ["unconfigured", "exit handler"]),
        ("controller", ["unconfigured", "exit handler", "torn down"]),
    ],
)
def test_an_xdist_worker_ends_without_the_interpreters_teardown(process, printed):
    result = subprocess.run(
        [sys.executable, "-c", WORKER_EXIT, process],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == printed


def test_the_test_processes_collect_garbage_less_often_than_pythons_default():
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] > 2_000
