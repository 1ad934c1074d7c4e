#!/usr/bin/env python3
"""Times Sextant's recovery with real processes on loopback.

1. Dead worker: a worker running a long trial is killed with SIGKILL; time until the
   coordinator reports it lost (its trial is requeued at that moment).
2. Coordinator restart: the coordinator is killed with SIGKILL while two workers run
   short trials and restarted at once on the same database; time until the workers
   have rejoined and until the next result is stored.

    python3 Sources/sextant-bench/scripts/recovery_times.py --runs 5
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SEXTANT = os.path.join(ROOT, ".build", "debug", "sextant")

STUDY = """name: recovery
metric: {name: loss, goal: minimize}
budget: {trials: %d}
optimizer: {kind: random, seed: 1}
parameters:
  x: {type: float, low: 0.0, high: 1.0}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path, text, timeout=60, after=0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as handle:
            content = handle.read()
        index = content.find(text, after)
        if index >= 0:
            return time.monotonic(), index
        time.sleep(0.01)
    raise TimeoutError(text)


def start(args, log, cwd):
    return subprocess.Popen([SEXTANT] + args, stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=cwd)


def dead_worker(directory):
    port = free_port()
    with open(os.path.join(directory, "s.yaml"), "w") as handle:
        handle.write(STUDY % 2)
    log = os.path.join(directory, "c.log")
    coordinator = start(["coordinator", "s.yaml", "--bind", f"tcp://127.0.0.1:{port}", "--db", "d.db"], log, directory)
    worker = start(["worker", f"tcp://127.0.0.1:{port}", "--name", "victim", "--", "sh", "-c", "sleep 30; echo loss=1"],
                   os.path.join(directory, "w.log"), directory)
    wait_for(log, "trial 1 started")
    killed = time.monotonic()
    worker.send_signal(signal.SIGKILL)
    detected, _ = wait_for(log, "worker victim lost")
    coordinator.kill()
    return detected - killed


def coordinator_restart(directory):
    port = free_port()
    with open(os.path.join(directory, "s.yaml"), "w") as handle:
        handle.write(STUDY % 1000)
    args = ["coordinator", "s.yaml", "--bind", f"tcp://127.0.0.1:{port}", "--db", "d.db"]
    first = start(args, os.path.join(directory, "c1.log"), directory)
    workers = [start(["worker", f"tcp://127.0.0.1:{port}", "--name", f"w{i}", "--", "sh", "-c", "sleep 0.2; echo loss=$SEXTANT_PARAM_X"],
                     os.path.join(directory, f"w{i}.log"), directory) for i in range(2)]
    wait_for(os.path.join(directory, "c1.log"), "completed 0", timeout=30)
    time.sleep(1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    restarted = time.monotonic()
    log = os.path.join(directory, "c2.log")
    second = start(args, log, directory)
    rejoined, _ = wait_for(log, "joined")
    wait_for(log, "joined", after=wait_for(log, "joined")[1] + 1)
    both = time.monotonic()
    result, _ = wait_for(log, " completed ")
    second.kill()
    for worker in workers:
        worker.kill()
    return rejoined - restarted, both - restarted, result - restarted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    detections, first_join, both_join, first_result = [], [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            detections.append(dead_worker(directory))
        with tempfile.TemporaryDirectory() as directory:
            a, b, c = coordinator_restart(directory)
            first_join.append(a); both_join.append(b); first_result.append(c)
    median = lambda xs: f"{statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f})"
    print(f"dead worker detected after SIGKILL: {median(detections)}")
    print(f"coordinator restarted: first worker rejoined {median(first_join)}")
    print(f"coordinator restarted: both workers rejoined {median(both_join)}")
    print(f"coordinator restarted: next result stored {median(first_result)}")


if __name__ == "__main__":
    main()
