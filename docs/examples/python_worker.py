#!/usr/bin/env python3
"""A minimal Sextant worker in Python, written from docs/protocol.md alone.

It speaks wire protocol v1 over a ZeroMQ DEALER socket, runs one trial at a
time (one slot) and evaluates every trial in-process with a built-in
objective instead of running a training command:

    value = sum over numeric params p of (p - 0.5) ** 2

(non-numeric parameters, i.e. strings and booleans, are ignored). For each
TRIAL it sends three REPORTs (steps 1, 2, 3 with values value + 0.2,
value + 0.1 and value), waiting briefly for each DECISION so that a prune is
honoured, and then a completed RESULT with the final value.

Usage:
    python3 docs/examples/python_worker.py tcp://127.0.0.1:5555 [--name NAME] [--max-trials N]

It exits with status 0 when the coordinator says BYE, or after N trials when
--max-trials is given (it then waits for their ACKs and says BYE itself), and
prints a final line ``python worker done: N trials``.

Requires Python 3.11 and pyzmq.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import sys
import time

import zmq

VERSION = b"1"
TYPES = {"HELLO", "WELCOME", "TRIAL", "REPORT", "DECISION", "RESULT", "ACK", "HEARTBEAT", "BYE"}
MAX_BODY = 1 << 20           # bodies larger than 1 MiB are refused
DEFAULT_HEARTBEAT_MS = 1000  # used until a WELCOME tells us otherwise
LIVENESS = 3                 # silent intervals before we say HELLO again
HELLO_RETRY_S = 0.1          # retry of a HELLO that could not be sent (not connected)
SLOTS = 1
STEPS = 3


def objective(params: dict) -> float:
    total = 0.0
    for value in params.values():
        # bool is a subclass of int in Python; a JSON true/false is a categorical.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += (float(value) - 0.5) ** 2
    return total


class Worker:
    def __init__(self, endpoint: str, name: str, max_trials: int | None) -> None:
        self.name = name
        self.max_trials = max_trials
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        routing_id = f"{name}-{os.getpid()}-{random.randrange(10**9)}"
        self.sock.setsockopt(zmq.ROUTING_ID, routing_id.encode())
        self.sock.setsockopt(zmq.LINGER, 1000)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 250)
        self.sock.setsockopt(zmq.RECONNECT_IVL_MAX, 10000)
        self.sock.setsockopt(zmq.MAXMSGSIZE, 16 << 20)
        # Queue nothing while not connected: otherwise the HELLOs we repeat while
        # the coordinator is down pile up and arrive late, after a TRIAL, with a
        # stale "running" list. Everything that matters is resent anyway.
        self.sock.setsockopt(zmq.IMMEDIATE, 1)
        self.sock.connect(endpoint)
        self.poller = zmq.Poller()
        self.poller.register(self.sock, zmq.POLLIN)

        self.heartbeat_s = DEFAULT_HEARTBEAT_MS / 1000.0
        self.welcomed = False
        now = time.monotonic()
        self.last_heard = now        # last message of any kind from the coordinator
        self.last_hello = 0.0
        self.next_heartbeat = now

        self.current: dict | None = None   # the trial in our one slot
        self.queue: list[dict] = []        # TRIALs beyond our slot (should not happen)
        self.pending: dict[int, dict] = {} # trial_id -> RESULT body awaiting its ACK
        self.finished = 0                  # trials we sent a RESULT for
        self.leaving = False               # --max-trials reached

    # ----- wire -------------------------------------------------------------

    def send(self, kind: str, body: dict) -> bool:
        data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
        try:
            self.sock.send_multipart([VERSION, kind.encode(), data], zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False  # not connected (IMMEDIATE): HELLO and RESULT are repeated

    def decode(self, frames: list[bytes]) -> tuple[str, dict] | None:
        """Return (type, body), or None for a message the protocol says to drop."""
        if len(frames) != 3 or frames[0] != VERSION or len(frames[2]) > MAX_BODY:
            return None
        try:
            kind = frames[1].decode("utf-8")
            body = json.loads(frames[2].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if kind not in TYPES or not isinstance(body, dict):
            return None
        return kind, body

    def running_ids(self) -> list[int]:
        ids = [t["trial_id"] for t in self.queue]
        if self.current is not None:
            ids.insert(0, self.current["trial_id"])
        return ids

    def hello(self) -> None:
        body = {"worker": self.name, "slots": SLOTS, "running": self.running_ids()}
        self.last_hello = time.monotonic()
        if not self.send("HELLO", body):
            # Not connected yet: try again soon rather than a whole interval later.
            self.last_hello -= self.heartbeat_s - HELLO_RETRY_S

    def resend_results(self) -> None:
        for body in list(self.pending.values()):
            self.send("RESULT", body)

    # ----- trials -----------------------------------------------------------

    def finish(self, status: str, reason: str | None = None) -> None:
        t = self.current
        assert t is not None
        body: dict = {"trial_id": t["trial_id"], "attempt": t["attempt"], "status": status}
        if t["last_value"] is not None and status != "failed":
            body["value"] = t["last_value"]
        if t["last_step"] is not None:
            body["step"] = t["last_step"]
        if reason is not None:
            body["reason"] = reason
        self.pending[t["trial_id"]] = body
        self.send("RESULT", body)
        self.current = None
        self.finished += 1
        if self.max_trials is not None and self.finished >= self.max_trials:
            self.leaving = True

    def on_trial(self, body: dict) -> None:
        try:
            trial_id = int(body["trial_id"])
            attempt = int(body.get("attempt", 1))
            params = body.get("params") or {}
            timeout = float(body.get("timeout_seconds") or 0)
        except (KeyError, TypeError, ValueError):
            return
        if not isinstance(params, dict):
            return
        if trial_id in self.running_ids():
            return  # duplicate TRIAL: ignore
        done = self.pending.get(trial_id)
        if done is not None and done["attempt"] == attempt:
            return  # we already finished it; the RESULT is being resent until ACKed
        if self.leaving:
            return  # we are about to say BYE; the coordinator hands it to others
        self.queue.append({
            "trial_id": trial_id, "attempt": attempt, "params": params,
            "timeout": timeout, "started": None, "value": None,
            "next_step": 1, "last_step": None, "last_value": None,
            "awaiting": None, "awaiting_since": 0.0,
        })

    def advance(self) -> None:
        """Move the trial in our slot forward as far as it can go without waiting."""
        now = time.monotonic()
        if self.current is None and self.queue and not self.leaving:
            self.current = self.queue.pop(0)
            self.current["started"] = now
            self.current["value"] = objective(self.current["params"])
        t = self.current
        if t is None:
            return
        if t["timeout"] > 0 and now - t["started"] > t["timeout"]:
            self.finish("failed", f"timed out after {t['timeout']:g} s")
            return
        if t["awaiting"] is not None:
            # Wait a little for the DECISION so a prune takes effect; DECISIONs
            # are not resent, so do not wait forever.
            if now - t["awaiting_since"] < 2 * self.heartbeat_s:
                return
            t["awaiting"] = None
        if t["next_step"] <= STEPS:
            step = t["next_step"]
            value = t["value"] + 0.1 * (STEPS - step)
            if not math.isfinite(value):
                self.finish("failed", "objective is not finite")
                return
            self.send("REPORT", {"trial_id": t["trial_id"], "attempt": t["attempt"],
                                 "step": step, "value": value})
            t["last_step"], t["last_value"] = step, value
            t["next_step"] = step + 1
            t["awaiting"], t["awaiting_since"] = step, now
        else:
            self.finish("completed")

    def on_decision(self, body: dict) -> None:
        t = self.current
        if t is None or body.get("trial_id") != t["trial_id"]:
            return  # a late DECISION for a trial that has already ended
        if body.get("action") == "prune":
            self.finish("pruned", "pruned by the coordinator")
        elif body.get("step") == t["awaiting"]:
            t["awaiting"] = None

    # ----- main loop --------------------------------------------------------

    def handle(self, kind: str, body: dict) -> bool:
        """Handle one message; return True when the worker should exit."""
        if kind == "WELCOME":
            hb = body.get("heartbeat_ms")
            if isinstance(hb, (int, float)) and not isinstance(hb, bool) and hb > 0:
                self.heartbeat_s = hb / 1000.0
            self.welcomed = True
            self.next_heartbeat = time.monotonic() + self.heartbeat_s
            self.resend_results()
        elif kind == "TRIAL":
            self.on_trial(body)
        elif kind == "DECISION":
            self.on_decision(body)
        elif kind == "ACK":
            self.pending.pop(body.get("trial_id"), None)
        elif kind == "BYE":
            return True
        # HEARTBEAT: only a sign of life. HELLO/REPORT/RESULT are not for workers.
        return False

    def timers(self) -> None:
        now = time.monotonic()
        if not self.welcomed:
            if now - self.last_hello >= self.heartbeat_s:
                self.hello()
            return
        if now - self.last_heard >= LIVENESS * self.heartbeat_s:
            # The coordinator went silent: it may have restarted. Say HELLO again.
            self.welcomed = False
            self.hello()
            return
        if now >= self.next_heartbeat:
            self.send("HEARTBEAT", {"running": self.running_ids(), "pending_results": sorted(self.pending)})
            self.resend_results()
            self.next_heartbeat = now + self.heartbeat_s

    def poll_timeout_ms(self) -> int:
        now = time.monotonic()
        if self.welcomed:
            deadline = min(self.next_heartbeat, self.last_heard + LIVENESS * self.heartbeat_s)
        else:
            deadline = self.last_hello + self.heartbeat_s
        t = self.current
        if t is not None and t["awaiting"] is not None:
            deadline = min(deadline, t["awaiting_since"] + 2 * self.heartbeat_s)
        if t is not None and t["timeout"] > 0:
            deadline = min(deadline, t["started"] + t["timeout"])
        return max(0, int(math.ceil((deadline - now) * 1000)))

    def run(self) -> int:
        self.hello()
        try:
            while True:
                events = dict(self.poller.poll(self.poll_timeout_ms()))
                if events.get(self.sock):
                    while True:
                        try:
                            frames = self.sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        msg = self.decode(frames)
                        if msg is None:
                            continue
                        self.last_heard = time.monotonic()
                        if self.handle(*msg):
                            return self.done(say_bye=False)
                self.advance()
                self.timers()
                if self.leaving and self.current is None and not self.pending:
                    return self.done(say_bye=True)
        except KeyboardInterrupt:
            self.send("BYE", {"reason": "interrupted"})
            self.sock.close()
            self.ctx.term()
            return 130

    def done(self, say_bye: bool) -> int:
        if say_bye:
            self.send("BYE", {"reason": f"done after {self.finished} trials"})
        self.sock.close()   # LINGER flushes a final message
        self.ctx.term()
        print(f"python worker done: {self.finished} trials", flush=True)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Minimal Sextant worker (protocol v1).")
    parser.add_argument("endpoint", help="coordinator address, e.g. tcp://127.0.0.1:5555")
    parser.add_argument("--name", default=socket.gethostname(), help="worker name shown in status")
    parser.add_argument("--max-trials", type=int, default=None,
                        help="leave (say BYE) after this many trials")
    args = parser.parse_args(argv)
    if args.max_trials is not None and args.max_trials < 1:
        parser.error("--max-trials must be at least 1")
    return Worker(args.endpoint, args.name, args.max_trials).run()


if __name__ == "__main__":
    sys.exit(main())
