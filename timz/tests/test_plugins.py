"""timz/tests/plugins.py registers the installed pytest plugins itself: none may be missed."""

from importlib.metadata import entry_points

from timz.tests.plugins import PLUGINS, _left_out


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
