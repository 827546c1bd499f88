"""The suite's third-party pytest plugins, registered by hand (pyproject's addopts loads this
module with `-p` and turns off pytest's automatic loading of installed plugins).

Why: for every installed plugin it loads by itself, pytest also marks the plugin's whole
distribution for assertion rewriting. That is every module of hypothesis, schemathesis and anyio,
parsed and rewritten again in each test process (three per `make test`) whenever compiled files
are not kept (PYTHONDONTWRITEBYTECODE): about 3 s of CPU per process, for assertions that are not
the suite's. Registered here, the plugins keep their usual names, so `-p no:xdist`,
`-p no:schemathesis` and `-p no:hypothesispytest` still leave them out (unimported), and the
test files and conftests are rewritten as before.

A plugin the suite starts to need is added to PLUGINS (its entry point name and module, as
`importlib.metadata.entry_points(group="pytest11")` lists them).

It also sets the test processes' garbage collector (`pytest_configure`) and ends each xdist
worker without tearing down its interpreter (`_exit_at_once`).
"""

import atexit
import gc
import importlib
import os
import sys

import pytest

# Entry point name -> module, for the plugins of requirements-dev.txt.
PLUGINS = {
    "django": "pytest_django.plugin",
    "xdist": "xdist.plugin",
    "xdist.looponfail": "xdist.looponfail",
    "time_machine": "time_machine",
    "hypothesispytest": "_hypothesis_pytestplugin",
    "schemathesis": "schemathesis.pytest.plugin",
    "anyio": "anyio.pytest_plugin",
}


def _left_out(args) -> set[str]:
    """The plugin names the command line blocks with `-p no:NAME` (or `-pno:NAME`). They come
    after addopts, so they are not blocked yet when this module registers the others."""
    names = set()
    for previous, arg in zip(["", *args], args, strict=False):
        value = arg if previous == "-p" else arg[2:] if arg.startswith("-p") else ""
        if value.startswith("no:"):
            names.add(value[3:])
    return names


def pytest_addhooks(pluginmanager):
    config = pluginmanager.get_plugin("pytestconfig")
    left_out = _left_out(config.invocation_params.args if config else ())
    for name, module in PLUGINS.items():
        if name in left_out or pluginmanager.is_blocked(name) or pluginmanager.has_plugin(name):
            continue
        pluginmanager.register(importlib.import_module(module), name)


# The test processes' collector thresholds: a young-generation pass every 20,000 allocations
# instead of 2,000, and the older generations after 20 of the younger's instead of 10. The suite
# allocates millions of short-lived objects (requests, querysets, rendered templates) on top of
# a large, long-lived heap (Django, the apps, the collected tests), which the default thresholds
# traversed again and again: 4.1-4.5 s of each worker's run in the collector, 2.3-2.5 s with
# these. Cycles are still collected; the old generation is simply examined less often.
GC_THRESHOLDS = (20_000, 20, 20)


def pytest_configure(config):
    gc.set_threshold(*GC_THRESHOLDS)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):  # an xdist worker, not the process that reports
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    """An xdist worker's last step: once its results are sent and pytest has unconfigured,
    it runs the other exit handlers (registered before this one, so still to come) and leaves
    without the interpreter's teardown. That teardown frees every object a whole share of the
    suite left behind, one by one: 1-2.5 s during which the run waited for the worker to end.
    """
    atexit.unregister(_exit_at_once)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
