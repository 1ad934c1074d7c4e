#!/usr/bin/env python3
"""Per-trial overhead: an in-process Python worker against a command worker.

One real coordinator (random sampler, one float parameter, no pruner, no dashboard)
per measurement, and one worker:

- in-process: `sextant.work(endpoint, lambda trial: 1.0, slots=S)` in its own Python process;
- command: `sextant worker ENDPOINT -- python3 -c 'print("loss=1")'`.

- worker alone: the in-process worker (slots=1) against a scripted coordinator in this
  script that answers each RESULT with its ACK and the next TRIAL at once, storing
  nothing: the worker's own ceiling, without the coordinator's sampler and SQLite.

Throughput is (trials − 1) / (last finished_at − first finished_at) over the trials
after the first `--warmup`, read from the study database with `sextant.load`. Each
round measures every variant once, in turn, so they see the same machine; the table
gives the median over rounds.

    python3 Sources/python/bench_overhead.py --binary .build/release/sextant --trials 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))

import sextant  # noqa: E402

STUDY = """name: overhead
metric: {{name: loss, goal: minimize}}
budget: {{trials: {trials}}}
optimizer: {{kind: random, seed: 1}}
parameters:
  x: {{type: float, low: 0.0, high: 1.0}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rate_and_gap(finished: List[float]) -> Tuple[float, float]:
    assert len(finished) >= 2, "too few trials finished"
    gaps = [b - a for a, b in zip(finished, finished[1:])]
    return (len(finished) - 1) / (finished[-1] - finished[0]), statistics.median(gaps) * 1000


def measure_worker_alone(trials: int, warmup: int) -> Tuple[float, float]:
    """The in-process worker against a ROUTER here that stores nothing."""
    import zmq

    from sextant import _wire

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.bind(endpoint)
    code = f"import sextant; sextant.work({endpoint!r}, lambda trial: 1.0)"
    worker = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(HERE / "src")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finished: List[float] = []
    sent = 0

    def send(peer: bytes, kind: str, body: Dict[str, object]) -> None:
        router.send_multipart([peer] + _wire.encode(kind, body))

    def send_trial(peer: bytes) -> None:
        nonlocal sent
        sent += 1
        send(peer, "TRIAL", {"trial_id": sent, "attempt": 1, "params": {"x": 0.5}, "metric": "loss",
                             "timeout_seconds": 60})

    try:
        while len(finished) < trials:
            if not router.poll(30_000):
                raise SystemExit("worker alone: the worker went silent")
            peer, *frames = router.recv_multipart()
            message = _wire.decode(frames)
            if message is None:
                continue
            kind, body = message
            if kind == "HELLO":
                send(peer, "WELCOME", {"study": "overhead", "metric": "loss", "goal": "minimize", "heartbeat_ms": 1000})
                if sent == 0:
                    send_trial(peer)
            elif kind == "HEARTBEAT":
                send(peer, "HEARTBEAT", {})
            elif kind == "RESULT":
                finished.append(time.monotonic())
                send(peer, "ACK", {"trial_id": body["trial_id"]})
                if sent < trials:
                    send_trial(peer)
        send(peer, "BYE", {"reason": "done"})
        worker.wait(30)
    finally:
        worker.kill()
        router.close(linger=0)
        context.term()
    return rate_and_gap(finished[warmup:])


def measure(binary: str, variant: str, trials: int, warmup: int) -> Tuple[float, float]:
    """(trials per second, median gap in ms) of one study run by one worker of `variant`."""
    if variant == "alone":
        return measure_worker_alone(trials, warmup)
    with tempfile.TemporaryDirectory(prefix="sextant-overhead-") as directory:
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        Path(directory, "study.yaml").write_text(STUDY.format(trials=trials))
        env = dict(os.environ, PYTHONPATH=str(HERE / "src"))
        if variant == "command":
            worker_args = [binary, "worker", endpoint, "--", sys.executable, "-c", 'print("loss=1")']
        elif variant == "command-torch":
            worker_args = [binary, "worker", endpoint, "--", sys.executable, "-c", 'import torch; print("loss=1")']
        elif variant == "inprocess-torch":
            # torch is imported once, when the worker starts; every trial uses it.
            code = (f"import torch, sextant; sextant.work({endpoint!r}, "
                    f"lambda trial: float(torch.ones(1).sum()), slots=1)")
            worker_args = [sys.executable, "-c", code]
        else:
            slots = int(variant.split("-")[1])
            code = f"import sextant; sextant.work({endpoint!r}, lambda trial: 1.0, slots={slots})"
            worker_args = [sys.executable, "-c", code]
        worker = subprocess.Popen(worker_args, cwd=directory, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        coordinator = subprocess.run([binary, "coordinator", "study.yaml", "--bind", endpoint, "--no-dashboard"],
                                     cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     timeout=1800)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        if coordinator.returncode != 0:
            raise SystemExit(f"coordinator failed ({variant}): {coordinator.stderr}")
        study = sextant.load(Path(directory, "sextant.db"))
        finished = sorted(t.finished_at.timestamp() for t in study.trials if t.finished_at is not None)
        return rate_and_gap(finished[warmup:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("SEXTANT_BINARY", ".build/release/sextant"))
    parser.add_argument("--trials", type=int, default=1000, help="trials per study")
    parser.add_argument("--command-trials", type=int, default=200, help="trials per study for the command worker")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slots", default="1,4", help="slot counts of the in-process worker")
    parser.add_argument("--torch", action="store_true",
                        help="also objectives that use torch: imported per trial (command) or once (in-process)")
    args = parser.parse_args()
    variants = [f"inprocess-{s}" for s in args.slots.split(",")] + ["command", "alone"]
    if args.torch:
        variants += ["inprocess-torch", "command-torch"]
    results: Dict[str, List[Tuple[float, float]]] = {v: [] for v in variants}
    for round_number in range(1, args.rounds + 1):
        for variant in variants:
            trials = args.command_trials if variant.startswith("command") else args.trials
            started = time.monotonic()
            rate, gap = measure(args.binary, variant, trials, args.warmup)
            results[variant].append((rate, gap))
            print(f"round {round_number} {variant}: {rate:.2f} trials/s, median gap {gap:.2f} ms "
                  f"({time.monotonic() - started:.1f} s)", file=sys.stderr, flush=True)
    print("| worker | trials/s, median of rounds (each round) | median gap between trials |")
    print("|---|---|---|")
    names = {"command": "`sextant worker -- python3 -c 'print(\"loss=1\")'`",
             "command-torch": "`sextant worker -- python3 -c 'import torch; print(\"loss=1\")'`",
             "inprocess-torch": "in-process `sextant.work`, slots=1, objective using torch (imported once)",
             "alone": "in-process, slots=1, against a scripted coordinator that stores nothing"}
    for variant in variants:
        rates = [rate for rate, _ in results[variant]]
        gaps = [gap for _, gap in results[variant]]
        name = names[variant] if variant in names else f"in-process `sextant.work`, slots={variant.split('-')[1]}"
        def shown(rate: float) -> str:
            return f"{rate:.0f}" if rate >= 10 else f"{rate:.2f}"
        each = ", ".join(shown(rate) for rate in rates)
        print(f"| {name} | **{shown(statistics.median(rates))}** ({each}) | {statistics.median(gaps):.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
