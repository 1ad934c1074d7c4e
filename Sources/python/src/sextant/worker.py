"""The in-process worker: `sextant.work(endpoint, objective)`.

Threads: one I/O thread (the caller's) owns the ZeroMQ DEALER socket and every piece of
protocol state (who runs what, which RESULTs await their ACK, when to say HELLO or
HEARTBEAT). Objectives run in `slots` threads of their own. They never touch the socket:
they put messages on an outbox and write a byte to a pipe that the I/O thread polls
beside the socket, so heartbeats go on while an objective computes, and a REPORT leaves
as soon as it is made. pyzmq sockets are not thread-safe; this is why.
"""

from __future__ import annotations

import collections
import os
import secrets
import signal
import socket as _socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, Union

import zmq

from . import _wire
from .errors import SextantError
from .trial import ObjectiveResult, Trial

Objective = Callable[[Trial], ObjectiveResult]
#: The most REPORTs of one trial kept for sending again (the oldest go first).
MAX_UNANSWERED = 10_000
PathOrKey = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class WorkSummary:
    """What a worker did before `work` returned."""

    completed: int
    pruned: int
    failed: int
    #: "study over" (the coordinator said BYE) or "stopped" (Ctrl-C, SIGTERM or `stop()`).
    ended_by: str


class Worker:
    """A worker that runs `objective(trial)` in this process for each trial it is given.

    `work()` is the usual way in; use this class to stop a worker from another thread
    (`stop()`), e.g. in tests or a notebook. See `work` for the arguments.
    """

    def __init__(
        self,
        endpoint: str,
        objective: Objective,
        *,
        slots: int = 1,
        name: Optional[str] = None,
        prune: str = "raise",
        server_key: Optional[PathOrKey] = None,
        curve_secret_key: Optional[PathOrKey] = None,
        host: Optional[str] = None,
    ) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, not {slots}")
        if prune not in ("raise", "flag"):
            raise ValueError(f"prune must be 'raise' or 'flag', not {prune!r}")
        if (server_key is None) != (curve_secret_key is None):
            raise ValueError("CURVE needs both server_key (the coordinator's .pub) and curve_secret_key (this worker's .key)")
        self.endpoint = endpoint
        self.objective = objective
        self.slots = slots
        self.host = host or _socket.gethostname()
        self.name = name or f"{self.host}-{os.getpid()}"
        self.prune = prune
        self._curve = None
        if server_key is not None and curve_secret_key is not None:
            secret = _read_key(curve_secret_key, "curve_secret_key")
            self._curve = (_read_key(server_key, "server_key"), zmq.curve_public(secret), secret)

        # Shared between threads: the outbox (deque appends and pops are atomic) and the pipe.
        self._outbox: Deque[Tuple[str, Dict[str, Any]]] = collections.deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # Held while writing to or closing the pipe: an objective still running after run()
        # returned must not write to a descriptor number the process has reused.
        self._pipe_lock = threading.Lock()
        self._pipe_open = True
        self._stop_requested = 0   # 1: leave after pending ACKs; 2: leave now
        self._assignments: Deque[Optional[Trial]] = collections.deque()
        self._assignments_ready = threading.Condition()

        # Owned by the I/O thread.
        self._heartbeat_s = _wire.DEFAULT_HEARTBEAT_S
        self._study = ""
        self._welcomed = False
        self._ever_welcomed = False
        self._running: Dict[int, Trial] = {}
        self._pending: Dict[int, Dict[str, Any]] = {}   # trial id -> RESULT awaiting its ACK
        # trial id -> REPORTs no DECISION answered yet (for their step or a later one), oldest
        # first: sent again after a WELCOME and before a RESULT sent again, so a coordinator
        # that restarted meanwhile stores the whole curve (docs/protocol.md, REPORT).
        self._unanswered: Dict[int, List[Dict[str, Any]]] = {}
        self._counts = {"completed": 0, "pruned": 0, "failed": 0}
        self._free_slots = list(range(slots))
        self._leave_by: Optional[float] = None

    # ----- the threads' side ------------------------------------------------------

    def stop(self) -> None:
        """Asks the worker to leave: it waits briefly for the ACKs of its results, hands
        running trials back with BYE, and `run()` returns. Callable from any thread; a
        second call leaves without waiting."""
        self._stop_requested = min(2, self._stop_requested + 1)
        self._wake()

    def _wake(self) -> None:
        with self._pipe_lock:
            if not self._pipe_open:
                return
            try:
                os.write(self._wake_w, b"\0")
            except BlockingIOError:
                pass  # the pipe is full: the I/O thread wakes anyway

    def _post(self, kind: str, body: Dict[str, Any]) -> None:
        self._outbox.append((kind, body))
        self._wake()

    def _slot_loop(self) -> None:
        while True:
            with self._assignments_ready:
                while not self._assignments:
                    self._assignments_ready.wait()
                trial = self._assignments.popleft()
            if trial is None:
                return
            returned: ObjectiveResult = None
            error: Optional[BaseException] = None
            try:
                returned = self.objective(trial)
            except BaseException as caught:  # noqa: B902 - every way out of an objective ends the trial
                error = caught
            result = trial._result(returned, error)
            self._post("FINISHED", {"trial_id": trial.id, "result": result})
            del error  # the traceback holds the objective's frames

    # ----- the I/O thread ---------------------------------------------------------

    def run(self) -> WorkSummary:
        """Runs until the coordinator says the study is over, or `stop()` (Ctrl-C, SIGTERM).
        A Worker runs once."""
        if not self._pipe_open:
            raise SextantError("this Worker has already run; make a new one")
        context = zmq.Context()
        sock = context.socket(zmq.DEALER)
        routing_id = f"{self.name}-{os.getpid()}-{secrets.token_hex(4)}".encode()[-255:]
        sock.setsockopt(zmq.ROUTING_ID, routing_id)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.setsockopt(zmq.RECONNECT_IVL, _wire.RECONNECT_IVL_MS)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, _wire.RECONNECT_IVL_MAX_MS)
        sock.setsockopt(zmq.MAXMSGSIZE, _wire.MAX_MESSAGE_BYTES)
        # Nothing queues while disconnected: no burst of stale HELLOs when the coordinator
        # comes up. Everything that matters (HELLO, RESULT) is resent.
        sock.setsockopt(zmq.IMMEDIATE, 1)
        if self._curve is not None:
            sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = self._curve
        sock.connect(self.endpoint)
        self._sock = sock
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)

        threads = [threading.Thread(target=self._slot_loop, name=f"sextant-slot-{i}", daemon=True)
                   for i in range(self.slots)]
        for thread in threads:
            thread.start()
        restore = self._install_signal_handlers()
        now = time.monotonic()
        self._last_heard = now
        self._next_tick = now
        ended_by = "stopped"
        try:
            self._hello()
            while True:
                events = dict(poller.poll(self._poll_timeout_ms()))
                if self._wake_r in events:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                if sock in events:
                    if self._receive_all():
                        ended_by = "study over"
                        break
                self._drain_outbox()
                if self._stop_requested and self._leaving():
                    break
                self._timers()
        finally:
            restore()
            for trial in self._running.values():
                trial._abandon()
            with self._assignments_ready:
                self._assignments.clear()
                self._assignments.extend([None] * self.slots)
                self._assignments_ready.notify_all()
            sock.close()  # LINGER lets a final BYE or RESULT leave
            context.term()
            with self._pipe_lock:
                self._pipe_open = False
                os.close(self._wake_r)
                os.close(self._wake_w)
        return WorkSummary(ended_by=ended_by, **self._counts)

    def _install_signal_handlers(self) -> Callable[[], None]:
        """Ctrl-C and SIGTERM call stop(); only possible on the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {}

        def handler(signum: int, frame: Any) -> None:
            self.stop()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
        # Whichever thread the kernel interrupts, the signal's byte wakes the poll at once.
        previous_wakeup_fd = signal.set_wakeup_fd(self._wake_w)

        def restore() -> None:
            signal.set_wakeup_fd(previous_wakeup_fd)
            for signum, old in previous.items():
                signal.signal(signum, old)

        return restore

    def _send(self, kind: str, body: Dict[str, Any]) -> bool:
        try:
            self._sock.send_multipart(_wire.encode(kind, body), zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False  # no connection up (IMMEDIATE): HELLO and RESULT are repeated

    def _hello(self) -> None:
        self._last_hello = time.monotonic()
        body = {"worker": self.name, "slots": self.slots, "running": sorted(self._running), "host": self.host}
        if not self._send("HELLO", body):
            # Not connected yet: try again soon rather than a whole interval later.
            self._last_hello -= max(0.0, self._heartbeat_s - _wire.HELLO_RETRY_S)

    def _receive_all(self) -> bool:
        """Handles every waiting message; True when the coordinator said BYE."""
        while True:
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return False
            message = _wire.decode(frames)
            if message is None:
                continue
            self._last_heard = time.monotonic()
            if self._handle(*message):
                return True

    def _handle(self, kind: str, body: Dict[str, Any]) -> bool:
        if kind == "WELCOME":
            heartbeat_ms = _wire.number(body.get("heartbeat_ms"))
            if heartbeat_ms is not None and heartbeat_ms > 0:
                self._heartbeat_s = heartbeat_ms / 1000.0
            if isinstance(body.get("study"), str):
                self._study = body["study"]
            if not self._welcomed:
                self._next_tick = time.monotonic() + self._heartbeat_s
            self._welcomed = self._ever_welcomed = True
            for trial_id in sorted(self._running):
                self._resend_reports(trial_id)
            self._resend_results()
        elif kind == "TRIAL":
            self._start(body)
        elif kind == "DECISION":
            trial_id, step = _wire.integer(body.get("trial_id")), _wire.integer(body.get("step"))
            trial = self._running.get(trial_id) if trial_id is not None else None
            if trial_id in self._unanswered and step is not None:
                self._unanswered[trial_id] = [r for r in self._unanswered[trial_id] if r["step"] > step]
            if trial is not None and step is not None:
                trial._decide(step, str(body.get("action")))
        elif kind == "ACK":
            trial_id = _wire.integer(body.get("trial_id"))
            if trial_id is not None:
                self._pending.pop(trial_id, None)
                self._unanswered.pop(trial_id, None)
        elif kind == "BYE":
            return True
        # HEARTBEAT is only a sign of life; HELLO, REPORT and RESULT are not for workers.
        return False

    def _start(self, body: Dict[str, Any]) -> None:
        trial_id, attempt = _wire.integer(body.get("trial_id")), _wire.integer(body.get("attempt", 1))
        params, metric = body.get("params"), body.get("metric")
        timeout = _wire.number(body.get("timeout_seconds")) or 0.0
        if trial_id is None or attempt is None or not isinstance(params, dict) or not isinstance(metric, str):
            return
        if trial_id in self._running:
            return  # a duplicate TRIAL
        if trial_id in self._pending:
            self._resend_results()  # already ran: the coordinator has not seen the RESULT yet
            return
        if self._stop_requested:
            return  # leaving: BYE hands it to another worker
        slot = self._free_slots.pop(0) if self._free_slots else 0
        values = body.get("values")
        values = [name for name in values if isinstance(name, str)] if isinstance(values, list) else []
        trial = Trial(trial_id=trial_id, attempt=attempt, params=params, metric=metric, study=self._study,
                      slot=slot, timeout_s=timeout, prune=self.prune,
                      decision_wait_s=self._heartbeat_s, post=self._post, values=values,
                      max_steps=_wire.integer(body.get("max_steps")))
        self._running[trial_id] = trial
        with self._assignments_ready:
            self._assignments.append(trial)
            self._assignments_ready.notify()

    def _drain_outbox(self) -> None:
        while self._outbox:
            kind, body = self._outbox.popleft()
            if kind == "FINISHED":
                self._finished(body["trial_id"], body["result"])
                continue
            if kind == "REPORT":
                kept = self._unanswered.setdefault(body["trial_id"], [])
                if len(kept) >= MAX_UNANSWERED:
                    del kept[0]
                kept.append(body)
            if self._ever_welcomed:
                self._send(kind, body)

    def _finished(self, trial_id: int, result: Optional[Dict[str, Any]]) -> None:
        trial = self._running.pop(trial_id, None)
        if trial is None:
            return
        if trial.slot not in self._free_slots:
            self._free_slots.append(trial.slot)
            self._free_slots.sort()
        if result is None:
            self._unanswered.pop(trial_id, None)
            return  # abandoned: BYE hands it back
        self._counts[result["status"]] += 1
        self._pending[trial_id] = result
        if self._ever_welcomed:
            self._send("RESULT", result)

    def _resend_reports(self, trial_id: int) -> None:
        for report in self._unanswered.get(trial_id, []):
            self._send("REPORT", report)

    def _resend_results(self) -> None:
        # Each trial's unanswered REPORTs first: a coordinator stores them only while it runs.
        for trial_id in sorted(self._pending):
            self._resend_reports(trial_id)
            self._send("RESULT", self._pending[trial_id])

    def _timers(self) -> None:
        now = time.monotonic()
        if not self._welcomed:
            if now - self._last_hello >= self._heartbeat_s:
                self._hello()
            return
        if now - self._last_heard >= _wire.LIVENESS * self._heartbeat_s:
            # The coordinator went silent: restarted, or unreachable. Say HELLO again.
            self._welcomed = False
            self._hello()
            return
        if now >= self._next_tick:
            self._send("HEARTBEAT", {"running": sorted(self._running), "pending_results": sorted(self._pending),
                                     "worker": self.name, "slots": self.slots})
            self._resend_results()
            self._next_tick = now + self._heartbeat_s

    def _leaving(self) -> bool:
        """Once stop() was asked: True when it is time to say BYE and go. Waits up to two
        heartbeats for the ACKs of sent RESULTs (the protocol's clean leave)."""
        now = time.monotonic()
        if self._leave_by is None:
            self._leave_by = now + 2 * self._heartbeat_s
            for trial in self._running.values():
                trial._abandon()
        if self._stop_requested < 2 and self._pending and now < self._leave_by and self._ever_welcomed:
            return False
        if self._ever_welcomed:
            self._send("BYE", {"reason": f"worker {self.name} stopping"})
        return True

    def _poll_timeout_ms(self) -> int:
        now = time.monotonic()
        if not self._welcomed:
            deadline = self._last_hello + self._heartbeat_s
        else:
            deadline = min(self._next_tick, self._last_heard + _wire.LIVENESS * self._heartbeat_s)
        if self._leave_by is not None:
            deadline = min(deadline, self._leave_by)
        return max(0, int((deadline - now) * 1000) + 1)


def _read_key(key: PathOrKey, what: str) -> bytes:
    """A 40-character Z85 CURVE key, given as the key itself or a file holding it
    (the `.pub` and `.key` files `sextant keygen` writes)."""
    text = os.fspath(key)
    if not (len(text) == 40 and not os.path.exists(text)):
        try:
            with open(text, encoding="utf-8") as handle:
                text = handle.read().strip()
        except OSError as error:
            raise SextantError(f"{what}: cannot read {text}: {error.strerror}") from None
    if len(text) != 40:
        raise SextantError(f"{what}: {os.fspath(key)} does not hold a CURVE key "
                           "(40 Z85 characters); make one with sextant keygen")
    return text.encode("ascii")


def work(
    endpoint: str,
    objective: Objective,
    slots: int = 1,
    *,
    name: Optional[str] = None,
    prune: str = "raise",
    server_key: Optional[PathOrKey] = None,
    curve_secret_key: Optional[PathOrKey] = None,
) -> WorkSummary:
    """Joins the coordinator at `endpoint` and runs `objective(trial)` for each trial, in
    this process, until the study is over (or Ctrl-C).

    - `objective(trial)` reads `trial.params`, may call `trial.report(value, step=N)` per
      epoch, and returns the final value: a number, or a dict of metrics that holds the
      study's metric, or None to let the latest report be the result. A study with several
      objectives or constraints needs a dict with every one of them (`trial.values` names
      them); a missing one fails the trial, saying which. An exception fails the trial with
      its message as the reason and the traceback's tail as `stderr_tail`.
    - `slots`: trials run at once, each in its own thread.
    - `prune`: "raise" (report() raises `TrialPruned`) or "flag" (report() returns True).
    - `server_key`, `curve_secret_key`: CURVE encryption, as the coordinator's `.pub` and
      this worker's `.key` file (or the 40-character keys themselves).

    Returns a `WorkSummary`. On Ctrl-C or SIGTERM it waits briefly for the ACKs of sent
    results, hands running trials back to the coordinator (BYE) and returns; a second
    Ctrl-C leaves at once.
    """
    worker = Worker(endpoint, objective, slots=slots, name=name, prune=prune,
                    server_key=server_key, curve_secret_key=curve_secret_key)
    return worker.run()


__all__: List[str] = ["Worker", "WorkSummary", "work"]
