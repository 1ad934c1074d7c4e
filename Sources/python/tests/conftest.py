"""Shared fixtures: the package under test, a scripted coordinator, the real binary."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import zmq

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = PACKAGE_ROOT.parent.parent
SOURCE = PACKAGE_ROOT / "src"
# Test the checked-out code, installed or not.
sys.path.insert(0, str(SOURCE))

import sextant  # noqa: E402
from sextant import _wire  # noqa: E402

#: Every wait in these tests ends by this many seconds, so a hang fails instead of blocking.
DEADLINE_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def subprocess_env(**extra: str) -> Dict[str, str]:
    """The environment for a child Python that imports this checkout's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SOURCE)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(extra)
    return env


class FakeCoordinator:
    """A ROUTER socket the test drives by hand, message by message (protocol v1)."""

    def __init__(self, endpoint: Optional[str] = None, curve_secret: Optional[bytes] = None) -> None:
        self.endpoint = endpoint or f"tcp://127.0.0.1:{free_port()}"
        self.context = zmq.Context()
        self.sock = self.context.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        if curve_secret is not None:
            self.sock.curve_server = True
            self.sock.curve_secretkey = curve_secret
        self.sock.bind(self.endpoint)
        self.peer: Optional[bytes] = None
        self.seen: List[Tuple[str, Dict[str, Any]]] = []
        # After welcome(): HELLOs are answered with this WELCOME and HEARTBEATs with one,
        # as a live coordinator does.
        self.welcome_body: Optional[Dict[str, Any]] = None

    def close(self) -> None:
        if not self.sock.closed:
            self.sock.close()
        if not self.context.closed:
            self.context.term()

    def send(self, kind: str, body: Dict[str, Any], peer: Optional[bytes] = None) -> None:
        target = peer or self.peer
        assert target is not None, "no worker has spoken yet"
        self.sock.send_multipart([target] + _wire.encode(kind, body))

    def next(self, kind: str, where: Callable[[Dict[str, Any]], bool] = lambda body: True,
             timeout: float = DEADLINE_S) -> Dict[str, Any]:
        """The body of the next message of type `kind` that satisfies `where`; others are
        recorded in `seen` and passed over. Fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {kind} within {timeout} s; saw {[k for k, _ in self.seen[-20:]]}")
            if not self.sock.poll(int(remaining * 1000) + 1):
                continue
            frames = self.sock.recv_multipart()
            self.peer = frames[0]
            message = _wire.decode(frames[1:])
            assert message is not None, f"the worker sent a malformed message: {frames[1:]!r}"
            self.seen.append(message)
            if message[0] == "HEARTBEAT" and self.welcome_body is not None:
                self.send("HEARTBEAT", {})
            if message[0] == kind and where(message[1]):
                return message[1]
            if self.welcome_body is not None and message[0] == "HELLO":
                self.send("WELCOME", self.welcome_body)

    def welcome(self, heartbeat_ms: int = 100, metric: str = "loss") -> Dict[str, Any]:
        hello = self.next("HELLO")
        self.welcome_body = {"study": "test", "metric": metric, "goal": "minimize", "heartbeat_ms": heartbeat_ms}
        self.send("WELCOME", self.welcome_body)
        return hello

    def trial(self, trial_id: int, params: Dict[str, Any], metric: str = "loss", attempt: int = 1,
              timeout_seconds: float = 60) -> None:
        self.send("TRIAL", {"trial_id": trial_id, "attempt": attempt, "params": params, "metric": metric,
                            "timeout_seconds": timeout_seconds})


class WorkerThread:
    """A `sextant.Worker` run on a background thread, stopped at the end of the test."""

    def __init__(self, endpoint: str, objective: Callable[..., Any], **options: Any) -> None:
        self.worker = sextant.Worker(endpoint, objective, name="w-test", **options)
        self.summary: Optional[sextant.WorkSummary] = None
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.summary = self.worker.run()
        except BaseException as error:  # surfaced by join()
            self.error = error

    def join(self, timeout: float = DEADLINE_S) -> sextant.WorkSummary:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the worker did not return"
        if self.error is not None:
            raise self.error
        assert self.summary is not None
        return self.summary


@pytest.fixture
def coordinator() -> Iterator[FakeCoordinator]:
    fake = FakeCoordinator()
    yield fake
    fake.close()


@pytest.fixture
def start_worker(coordinator: FakeCoordinator) -> Iterator[Callable[..., WorkerThread]]:
    started: List[WorkerThread] = []

    def start(objective: Callable[..., Any], **options: Any) -> WorkerThread:
        worker = WorkerThread(coordinator.endpoint, objective, **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.worker.stop()
        worker.worker.stop()
        worker.thread.join(DEADLINE_S)


# ----- the real binary -------------------------------------------------------------


def sextant_binary() -> Path:
    """`SEXTANT_BINARY`, else the debug build in this repository."""
    given = os.environ.get("SEXTANT_BINARY")
    if given:
        path = Path(given)
        if not os.access(path, os.X_OK):
            pytest.fail(f"SEXTANT_BINARY={given} is not an executable file")
        return path
    path = REPOSITORY / ".build" / "debug" / "sextant"
    if not os.access(path, os.X_OK):
        pytest.skip(f"no sextant binary at {path}: build it with `swift build`, or set SEXTANT_BINARY")
    return path


class Process:
    """A child process with its output in files, killed at the end of the test."""

    def __init__(self, arguments: List[str], directory: Path, name: str, env: Optional[Dict[str, str]] = None):
        self.name = name
        self.stdout_path = directory / f"{name}.out"
        self.stderr_path = directory / f"{name}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(arguments, cwd=directory, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, env=env)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait(self, timeout: float = 60) -> Optional[int]:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return None

    def wait_for_output(self, text: str, timeout: float = DEADLINE_S) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stdout:
                return True
            if self.popen.poll() is not None:
                return text in self.stdout
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture
def processes() -> Iterator[List[Process]]:
    started: List[Process] = []
    yield started
    for process in started:
        process.kill()


def export_trials(binary: Path, directory: Path, db: str = "sextant.db") -> List[Dict[str, Any]]:
    """The study's trials through `sextant export --format json`."""
    done = subprocess.run([str(binary), "export", "--format", "json", "--db", db], cwd=directory,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"export failed: {done.stderr}"
    return list(json.loads(done.stdout)["trials"])


def run_to_the_end(coordinator: FakeCoordinator, metric: str, epochs: int = 4) -> List[float]:
    """Plays the coordinator for a framework callback's trial that reports once per epoch and
    is never pruned; checks that it completes with its last report and that it trained."""
    coordinator.welcome(metric=metric, heartbeat_ms=2000)
    coordinator.trial(1, {"lr": 0.1}, metric=metric)
    reports: List[float] = []
    for step in range(1, epochs + 1):
        report = coordinator.next("REPORT", lambda b: b["step"] == step)
        reports.append(report["value"])
        coordinator.send("DECISION", {"trial_id": 1, "step": step, "action": "continue"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"]) == ("completed", epochs)
    assert result["value"] == pytest.approx(reports[-1])
    assert reports[-1] < reports[0]  # it trained
    return reports


def prune_at_step_two(coordinator: FakeCoordinator, metric: str) -> None:
    """Plays the coordinator for a framework callback's trial that is pruned at its second
    report; checks that training ended there with a pruned result."""
    coordinator.welcome(metric=metric, heartbeat_ms=5000)
    coordinator.trial(2, {"lr": 0.1}, metric=metric)
    coordinator.next("REPORT", lambda b: b["step"] == 1)
    coordinator.send("DECISION", {"trial_id": 2, "step": 1, "action": "continue"})
    second = coordinator.next("REPORT", lambda b: b["step"] == 2)
    coordinator.send("DECISION", {"trial_id": 2, "step": 2, "action": "prune"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"], result["value"]) == ("pruned", 2, second["value"])
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == [1, 2]
