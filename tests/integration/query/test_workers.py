"""``MAILLAGE_QUERY_WORKERS=2``: ``python -m services.query`` is a master that builds the
index and forks two worker processes sharing the port (SO_REUSEPORT) and, copy-on-write, the
master's memory; it restarts one that dies (from an index brought up to date), stops them all
on SIGTERM, never leaves one behind (even after kill -9 of the master), and gives up with a
non-zero exit when the port is taken by another program.

Real processes on loopback. Which worker answered a request is read from ``/proc``: the
worker whose open files include the server side of the test's TCP connection.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shared.memory import process_memory_kb
from shared.model import EventMessage, now_version
from shared.natsserver import free_port
from shared.process import stop_process
from shared.store.sqlite import SqliteStore
from tests.integration.faults.procs import wait_until_sync
from tests.integration.query.conftest import seed_events

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"


def stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, ..."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def running(pid: int) -> bool:
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> set[int]:
    """Live (not zombie) child processes of ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = stat_fields(int(entry.name))[:2]
        except (OSError, ValueError, IndexError):
            continue
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def socket_owner(inode: str, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


def server_side_inode(port: int, client_port: int) -> str:
    """Inode of the accepted socket of the loopback connection ``client_port`` -> ``port``."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    raise AssertionError(f"no server socket for the connection from port {client_port}")


def served_by(port: int, workers: set[int]) -> int:
    """Make one request on a new connection; the pid of the worker that answered it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        assert conn.sock is not None
        client_port = conn.sock.getsockname()[1]
        owner = socket_owner(server_side_inode(port, client_port), workers)
        assert owner is not None, "no worker holds the connection"
        return owner
    finally:
        conn.close()


def total_served(port: int) -> int:
    """``total`` of the front-page search, on a new connection (any worker)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/v1/events?limit=1&from=2000-01-01T00:00:00Z")
        response = conn.getresponse()
        assert response.status == 200
        return int(json.loads(response.read())["total"])
    finally:
        conn.close()


def healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def serving_pids(port: int, workers: set[int], within: float = 30.0) -> set[int]:
    """The workers seen answering new connections, polled until all of them were (a worker
    counted by ``start`` may still be building its index before it binds) or ``within``
    seconds passed."""
    seen: set[int] = set()

    def every_worker_seen() -> bool:
        seen.add(served_by(port, workers))
        return seen == workers

    with contextlib.suppress(AssertionError):
        wait_until_sync(every_worker_seen, within, "every worker to answer", every=0.02)
    return seen


@contextmanager
def query_master(tmp_path: Path, port: int, workers: int = 2,
                 **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m services.query`` with ``workers`` workers; stopped (and every worker it
    ever had, by pid) at the end whatever happened."""
    env = {**os.environ, **settings, "MAILLAGE_QUERY_WORKERS": str(workers),
           "MAILLAGE_SQLITE_PATH": str(tmp_path / "index.sqlite"),
           "MAILLAGE_DATA_DIR": str(tmp_path), "MAILLAGE_HTTP_HOST": HOST,
           "MAILLAGE_HTTP_PORT": str(port), "LOG_LEVEL": "WARNING"}
    log = (tmp_path / "query.log").open("wb")  # a file: a full pipe would block the processes
    process = subprocess.Popen([sys.executable, "-m", "services.query"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    seen: set[int] = set()
    try:
        yield process
    finally:
        seen |= children(process.pid)
        stop_process(process, 20)
        for pid in seen:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()


def log_of(tmp_path: Path) -> str:
    return (tmp_path / "query.log").read_text(errors="replace")


def start(process: subprocess.Popen[bytes], port: int, tmp_path: Path) -> set[int]:
    """Wait until the service answers and two workers run; their pids."""
    def ready() -> bool:
        assert process.poll() is None, log_of(tmp_path)
        return healthy(port) and len(children(process.pid)) == 2

    wait_until_sync(ready, 60, "the query service and its two workers")
    return children(process.pid)


def test_two_workers_share_the_port_restart_and_stop(tmp_path: Path) -> None:
    port = free_port()
    with query_master(tmp_path, port) as master:
        workers = start(master, port, tmp_path)
        for pid in workers:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert cmdline[1:3] == [b"-m", b"services.query"]
        assert serving_pids(port, workers) == workers, "one worker never answered"

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        wait_until_sync(lambda: len(children(master.pid) - {victim}) == 2, 60,
                   "the master to restart the killed worker")
        new_workers = children(master.pid)
        assert victim not in new_workers and len(new_workers & workers) == 1
        wait_until_sync(lambda: serving_pids(port, new_workers) == new_workers, 60,
                   "the restarted worker to answer")
        assert master.poll() is None

        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=30) == 0, log_of(tmp_path)
        assert not [pid for pid in workers | new_workers if running(pid)]
        assert "Traceback" not in log_of(tmp_path)


def test_workers_do_not_outlive_a_killed_master(tmp_path: Path) -> None:
    port = free_port()
    with query_master(tmp_path, port) as master:
        workers = start(master, port, tmp_path)
        master.kill()
        master.wait(timeout=10)
        wait_until_sync(lambda: not [pid for pid in workers if running(pid)], 20,
                   "the workers to stop after their master")
        with socket.socket() as probe:
            assert probe.connect_ex((HOST, port)) != 0  # nothing listens any more


def test_master_gives_up_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with query_master(tmp_path, port) as master:
            code = master.wait(timeout=90)  # five failed starts and their pauses
            assert code != 0, log_of(tmp_path)
            wait_until_sync(lambda: not children(master.pid), 5, "no worker left")
    log = log_of(tmp_path)
    assert "address already in use" in log
    assert "giving up" in log


def test_workers_share_the_masters_memory_and_follow_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "index.sqlite")
    events = seed_events()
    store.apply_sync([EventMessage.upsert(e, now_version()) for e in events[:3]])
    port = free_port()
    with query_master(tmp_path, port) as master:
        workers = start(master, port, tmp_path)
        first = total_served(port)
        assert first > 0
        for pid in workers:  # forked after the master's imports and index build
            mem = process_memory_kb(pid)
            private = mem["Private_Clean"] + mem["Private_Dirty"]
            shared = mem["Shared_Clean"] + mem["Shared_Dirty"]
            assert shared > private, f"worker {pid} shares {shared} kB, owns {private} kB"

        store.apply_sync([EventMessage.upsert(e, now_version()) for e in events[3:]])
        store.close_sync()
        wait_until_sync(lambda: all(total_served(port) > first for _ in range(10)), 30,
                        "every worker to follow the new documents")
        after = total_served(port)

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        wait_until_sync(lambda: len(children(master.pid) - {victim}) == 2, 60,
                        "the master to restart the killed worker")
        new_workers = children(master.pid)
        wait_until_sync(lambda: serving_pids(port, new_workers) == new_workers, 60,
                        "the restarted worker to answer")
        assert {total_served(port) for _ in range(20)} == {after}
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=30) == 0, log_of(tmp_path)
    assert "Traceback" not in log_of(tmp_path)


def test_a_worker_owning_too_much_memory_is_replaced_without_a_gap(tmp_path: Path) -> None:
    """Every worker owns more than 1 MB: each memory check replaces them, a new fork first,
    the old one stopped once the new one listens; the service keeps answering."""
    port = free_port()
    with query_master(tmp_path, port, MAILLAGE_QUERY_WORKER_MAX_MB="1") as master:
        workers = start(master, port, tmp_path)
        replaced: set[int] = set()

        def both_replaced() -> bool:
            assert healthy(port)
            now = children(master.pid)
            replaced.update(now - workers)
            return not (workers & now) and len(now) == 2

        wait_until_sync(both_replaced, 60, "the master to replace both workers")
        assert not [pid for pid in workers if running(pid)]  # stopped and reaped
        new_workers = children(master.pid)
        assert serving_pids(port, new_workers) == new_workers
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=30) == 0, log_of(tmp_path)
        assert not [pid for pid in replaced if running(pid)]
    log = log_of(tmp_path)
    assert "Traceback" not in log
