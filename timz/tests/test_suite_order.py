"""The order in which `make test` (`-n 2 --dist loadfile`) hands files to its workers: files
marked `waits` first, then by number of tests (conftest.pytest_collection_modifyitems and
pytest_xdist_make_scheduler), driven through xdist's own scheduler."""

from pathlib import Path
from types import SimpleNamespace

import pytest

import conftest

pytest.importorskip("xdist")


class _Item:
    def __init__(self, path: str, name: str, *, waits: bool = False):
        self.path = Path(path)
        self.nodeid = f"{path}::{name}"
        self._waits = waits

    def get_closest_marker(self, name):
        return object() if name == "waits" and self._waits else None


class _Worker:
    """What the scheduler sees of an xdist worker; `handed` records the files sent to any
    worker, in order."""

    def __init__(self, name: str, collection: list[str], handed: list[str]):
        self.gateway = SimpleNamespace(id=name)
        self.collection = collection
        self.handed = handed
        self.shutting_down = False

    def send_runtest_some(self, indices):
        for index in indices:
            path = self.collection[index].split("::")[0]
            if path not in self.handed:
                self.handed.append(path)

    def shutdown(self):
        self.shutting_down = True


def _items():
    return [
        _Item("a/test_small.py", "one"),
        _Item("a/test_large.py", "one"),
        _Item("a/test_large.py", "two"),
        _Item("a/test_large.py", "three"),
        _Item("b/test_server.py", "one", waits=True),
        _Item("b/test_medium.py", "one"),
        _Item("b/test_medium.py", "two"),
    ]


def test_waiting_files_come_first_then_the_files_with_most_tests():
    items = _items()

    conftest.pytest_collection_modifyitems(None, items)

    assert [item.nodeid for item in items] == [
        "b/test_server.py::one",
        "a/test_large.py::one",
        "a/test_large.py::two",
        "a/test_large.py::three",
        "b/test_medium.py::one",
        "b/test_medium.py::two",
        "a/test_small.py::one",
    ]


def test_the_workers_are_handed_the_files_in_that_order():
    items = _items()
    conftest.pytest_collection_modifyitems(None, items)
    collection = [item.nodeid for item in items]
    config = SimpleNamespace(
        option=SimpleNamespace(loadscopereorder=True),  # xdist's default: by number of tests
        getvalue=lambda name: {"dist": "loadfile", "tx": ["2*popen"]}[name],
    )
    scheduler = conftest.pytest_xdist_make_scheduler(config, None)
    handed: list[str] = []
    workers = [_Worker(name, collection, handed) for name in ("gw0", "gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)

    scheduler.schedule()

    # The first files go out at once, the waiting one first; the last one waits its turn.
    assert handed == ["b/test_server.py", "a/test_large.py", "b/test_medium.py"]


def test_other_distributions_keep_xdists_scheduler():
    config = SimpleNamespace(getvalue=lambda name: {"dist": "load"}[name])

    assert conftest.pytest_xdist_make_scheduler(config, None) is None
