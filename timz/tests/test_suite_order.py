"""How `make test` (`-n 2 --dist loadfile`) hands tests to its workers: each test with an id of
its own, files marked `waits` first, then by number of tests (conftest.pytest_collection_modifyitems
and pytest_xdist_make_scheduler), driven through xdist's own scheduler."""

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from _pytest.nodeid import NodeId

import conftest

pytest.importorskip("xdist")


class _Item:
    """A collected test as these hooks read it: its file, name, function name, id and marks.
    Its id is built as pytest 9.2 builds it: the function's name and `params`."""

    def __init__(self, path: str, name: str, *, originalname=None, params=None, waits=False):
        self.path = Path(path)
        self.parent = SimpleNamespace(id=NodeId(path=path))
        self.name = name
        self.originalname = originalname or name
        self._id = self.parent.id.child(self.originalname).with_params(params)
        self._waits = waits

    @property
    def nodeid(self) -> str:
        return str(self._id)

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


def test_every_collected_test_has_an_id_of_its_own(request):
    """xdist hands out tests by id: tests sharing one would all run as the first of them."""
    ids = Counter(item.nodeid for item in request.session.items)

    assert [nodeid for nodeid, count in ids.items() if count > 1] == []


def test_tests_named_apart_but_sharing_an_id_get_their_names_in_it():
    module = "t/test_api.py"
    items = [
        _Item(module, "test_api[GET /pros]", originalname="test_api"),  # as schemathesis does
        _Item(module, "test_api[POST /bookings]", originalname="test_api"),
        _Item(module, "test_other[1]", originalname="test_other", params="1"),  # as pytest does
    ]

    conftest._give_each_item_its_own_id(items)

    assert [test.nodeid for test in items] == [
        "t/test_api.py::test_api[GET /pros]",
        "t/test_api.py::test_api[POST /bookings]",
        "t/test_api.py::test_other[1]",
    ]
