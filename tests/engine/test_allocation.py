"""kept_allocations: glibc thresholds raised only in processes started with Dask's
malloc variables, restored (and the heap trimmed) when the last user leaves."""

import threading

from dml._engine import allocation


def _recorder(monkeypatch):
    calls = []
    monkeypatch.setattr(
        allocation,
        "_glibc",
        lambda: (
            lambda param, value: calls.append(("mallopt", param, value)),
            lambda pad: calls.append(("trim", pad)),
        ),
    )
    return calls


def test_untouched_without_the_environment_variables(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    calls = _recorder(monkeypatch)
    with allocation.kept_allocations():
        pass
    assert calls == []


def test_raised_then_restored_once_for_nested_and_concurrent_users(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    calls = _recorder(monkeypatch)
    inside = threading.Event()
    release = threading.Event()

    def other():
        with allocation.kept_allocations():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    with allocation.kept_allocations(mmap_threshold=1 << 20, trim_threshold=1 << 25):
        t.start()
        inside.wait(5)
        with allocation.kept_allocations():
            pass
        assert calls == [("mallopt", -3, 1 << 20), ("mallopt", -1, 1 << 25)]
    release.set()
    t.join(5)
    assert calls[2:] == [("mallopt", -1, 65536), ("mallopt", -3, 128 << 10), ("trim", 0)]
    assert allocation._users[0] == 0


def test_real_glibc_calls_succeed(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with allocation.kept_allocations():
        buf = bytearray(4 << 20)
    assert len(buf) == 4 << 20 and allocation._users[0] == 0
