"""The in-process worker against a coordinator scripted message by message."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
import zmq

import sextant
from conftest import DEADLINE_S, FakeCoordinator, subprocess_env


def test_hello_then_a_trial_runs_in_process_and_its_result_is_acknowledged(coordinator, start_worker):
    seen: List[Dict[str, Any]] = []

    def objective(trial):
        seen.append(dict(trial.params))
        return (trial.params["x"] - 0.3) ** 2

    start_worker(objective, slots=2)
    hello = coordinator.welcome()
    assert hello["worker"] == "w-test" and hello["slots"] == 2 and hello["running"] == []
    coordinator.trial(7, {"x": 0.5, "optimizer": "adam"})
    result = coordinator.next("RESULT")
    assert result == {"trial_id": 7, "attempt": 1, "status": "completed", "value": pytest.approx(0.04)}
    assert seen == [{"x": 0.5, "optimizer": "adam"}]
    coordinator.send("ACK", {"trial_id": 7})
    beat = coordinator.next("HEARTBEAT", lambda b: b["pending_results"] == [])
    assert beat["running"] == [] and beat["worker"] == "w-test" and beat["slots"] == 2


def test_the_objective_gets_the_fidelitys_maximum_step(coordinator, start_worker):
    start_worker(lambda trial: -1.0 if trial.max_steps is None else float(trial.max_steps))
    coordinator.welcome()
    coordinator.send("TRIAL", {"trial_id": 3, "attempt": 1, "params": {"x": 1}, "metric": "loss",
                               "timeout_seconds": 60, "max_steps": 52})
    assert coordinator.next("RESULT")["value"] == 52.0
    coordinator.trial(4, {"x": 1})
    assert coordinator.next("RESULT", lambda body: body["trial_id"] == 4)["value"] == -1.0


def test_a_result_is_resent_until_acknowledged(coordinator, start_worker):
    start_worker(lambda trial: 1.5)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(3, {"x": 1})
    first = coordinator.next("RESULT")
    beat = coordinator.next("HEARTBEAT")
    assert beat["pending_results"] == [3] and beat["running"] == []
    assert coordinator.next("RESULT") == first
    coordinator.send("ACK", {"trial_id": 3})
    coordinator.next("HEARTBEAT", lambda b: b["pending_results"] == [])


def test_heartbeats_go_on_while_the_objective_computes(coordinator, start_worker):
    release = threading.Event()

    def objective(trial):
        release.wait(DEADLINE_S)
        return 2.0

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(11, {"x": 1})
    for _ in range(3):
        assert coordinator.next("HEARTBEAT")["running"] == [11]
    release.set()
    assert coordinator.next("RESULT")["value"] == 2.0


def test_reports_stream_with_steps_and_a_dict_result_sends_the_study_metric(coordinator, start_worker):
    def objective(trial):
        trial.report(0.9)
        trial.report({"val_loss": 0.7, "acc": 0.5}, step=5)
        return {"val_loss": 0.25, "val_accuracy": 0.91}

    start_worker(objective)
    coordinator.welcome(metric="val_loss")
    coordinator.trial(1, {"x": 1}, metric="val_loss")
    assert coordinator.next("REPORT") == {"trial_id": 1, "attempt": 1, "step": 1, "value": 0.9}
    coordinator.send("DECISION", {"trial_id": 1, "step": 1, "action": "continue"})
    assert coordinator.next("REPORT") == {"trial_id": 1, "attempt": 1, "step": 5, "value": 0.7}
    coordinator.send("DECISION", {"trial_id": 1, "step": 5, "action": "continue"})
    assert coordinator.next("RESULT") == {"trial_id": 1, "attempt": 1, "status": "completed",
                                          "value": 0.25, "step": 5}


def test_a_prune_decision_for_the_latest_report_raises_trial_pruned(coordinator, start_worker):
    outcome: List[str] = []

    def objective(trial):
        trial.report(0.8, step=1)
        try:
            trial.report(0.6, step=2)
        except sextant.TrialPruned:
            outcome.append("pruned")
            raise
        outcome.append("went on")
        return 0.1

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=5000)
    coordinator.trial(4, {"x": 1})
    coordinator.next("REPORT", lambda b: b["step"] == 1)
    coordinator.send("DECISION", {"trial_id": 4, "step": 1, "action": "continue"})
    coordinator.next("REPORT", lambda b: b["step"] == 2)
    coordinator.send("DECISION", {"trial_id": 4, "step": 2, "action": "prune"})
    result = coordinator.next("RESULT")
    assert result == {"trial_id": 4, "attempt": 1, "status": "pruned", "value": 0.6, "step": 2,
                      "reason": "pruned by the coordinator"}
    assert outcome == ["pruned"]


def test_a_prune_decision_for_an_older_step_is_stale_and_ignored(coordinator, start_worker):
    waited: List[float] = []

    def objective(trial):
        trial.report(0.8, step=1)
        began = time.monotonic()
        pruned = trial.report(0.7, step=2)
        waited.append(time.monotonic() - began)
        assert pruned is False and not trial.should_prune()
        return 0.5

    start_worker(objective, prune="flag")
    coordinator.welcome(heartbeat_ms=5000)
    coordinator.trial(9, {"x": 1})
    coordinator.next("REPORT", lambda b: b["step"] == 1)
    coordinator.send("DECISION", {"trial_id": 9, "step": 1, "action": "continue"})
    coordinator.next("REPORT", lambda b: b["step"] == 2)
    # The decision on step 1 crosses the report of step 2: stale.
    coordinator.send("DECISION", {"trial_id": 9, "step": 1, "action": "prune"})
    coordinator.send("DECISION", {"trial_id": 9, "step": 2, "action": "continue"})
    assert coordinator.next("RESULT")["status"] == "completed"
    # report(2) returned on its DECISION, so the stale one before it was seen, not missed.
    assert waited and waited[0] < 4.0


def test_with_prune_flag_report_returns_true_and_the_trial_ends_pruned(coordinator, start_worker):
    def objective(trial):
        if trial.report(3.0, step=1):
            return 123.0  # ignored: the trial was pruned
        return 0.0

    start_worker(objective, prune="flag")
    coordinator.welcome(heartbeat_ms=5000)
    coordinator.trial(2, {"x": 1})
    coordinator.next("REPORT")
    coordinator.send("DECISION", {"trial_id": 2, "step": 1, "action": "prune"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["value"], result["step"]) == ("pruned", 3.0, 1)


def test_an_exception_fails_the_trial_with_its_traceback_tail(coordinator, start_worker):
    def diverging_objective(trial):
        raise RuntimeError("diverged at epoch 3")

    start_worker(diverging_objective)
    coordinator.welcome()
    coordinator.trial(5, {"x": 1})
    result = coordinator.next("RESULT")
    assert result["status"] == "failed"
    assert result["reason"] == "raised RuntimeError: diverged at epoch 3"
    assert result["stderr_tail"].startswith("Traceback (most recent call last)")
    assert "diverging_objective" in result["stderr_tail"]
    assert len(result["stderr_tail"].encode()) <= 4096


@pytest.mark.parametrize(
    "returned, reason",
    [
        (float("nan"), "returned a non-finite value (nan)"),
        ({"acc": 0.9}, "returned a dict without the study's metric 'loss' (keys: acc)"),
        ("0.5", "returned str '0.5' for 'loss', not a number"),
        (None, "returned None without reporting loss (return a number, or call trial.report)"),
    ],
)
def test_a_result_that_is_not_a_finite_metric_value_fails_the_trial(coordinator, start_worker, returned, reason):
    start_worker(lambda trial: returned)
    coordinator.welcome()
    coordinator.trial(6, {"x": 1})
    result = coordinator.next("RESULT")
    assert (result["status"], result["reason"]) == ("failed", reason)


def test_a_non_finite_report_fails_the_trial_and_is_not_sent(coordinator, start_worker):
    def objective(trial):
        trial.report(0.5)
        try:
            trial.report(float("inf"))
        except ValueError:
            pass  # even if the objective swallows it, the trial has failed
        return 0.1

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=200)
    coordinator.trial(8, {"x": 1})
    result = coordinator.next("RESULT")
    assert (result["status"], result["reason"], result["step"]) == ("failed", "reported a non-finite value (inf)", 1)
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == [1]


def test_returning_none_makes_the_latest_report_the_result(coordinator, start_worker):
    def objective(trial):
        trial.report(0.4, step=1)
        trial.report(0.3, step=2)

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(12, {"x": 1})
    result = coordinator.next("RESULT")
    assert (result["status"], result["value"], result["step"]) == ("completed", 0.3, 2)


def test_a_trial_past_its_timeout_fails_at_its_next_report(coordinator, start_worker):
    def objective(trial):
        for step in range(1, 1000):
            time.sleep(0.05)
            trial.report(1.0, step=step)
        return 1.0

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=50)
    coordinator.trial(13, {"x": 1}, timeout_seconds=0.3)
    result = coordinator.next("RESULT")
    assert (result["status"], result["reason"]) == ("failed", "timed out after 0.3 s")


def test_a_duplicate_trial_is_ignored_and_a_finished_one_resends_its_result(coordinator, start_worker):
    calls: List[int] = []
    release = threading.Event()

    def objective(trial):
        calls.append(trial.id)
        if trial.id == 1:
            release.wait(DEADLINE_S)
        return float(trial.id)

    start_worker(objective, slots=2)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(1, {"x": 1})
    coordinator.trial(1, {"x": 1})
    coordinator.trial(2, {"x": 2})
    assert coordinator.next("RESULT")["trial_id"] == 2
    release.set()
    assert coordinator.next("RESULT", lambda b: b["trial_id"] == 1)["value"] == 1.0
    coordinator.trial(2, {"x": 2})  # finished, not acknowledged: answered with its RESULT again
    assert coordinator.next("RESULT", lambda b: b["trial_id"] == 2)["value"] == 2.0
    coordinator.send("ACK", {"trial_id": 1})
    coordinator.send("ACK", {"trial_id": 2})
    coordinator.next("HEARTBEAT", lambda b: b["pending_results"] == [])
    assert sorted(calls) == [1, 2]


def test_slots_run_trials_at_the_same_time(coordinator, start_worker):
    both_running = threading.Barrier(2, timeout=DEADLINE_S)

    def objective(trial):
        both_running.wait()  # breaks (and fails the trial) unless two run at once
        return float(trial.slot)

    start_worker(objective, slots=2)
    coordinator.welcome()
    coordinator.trial(1, {"x": 1})
    coordinator.trial(2, {"x": 2})
    results = [coordinator.next("RESULT"), coordinator.next("RESULT")]
    assert sorted(r["status"] for r in results) == ["completed", "completed"]
    assert sorted(r["value"] for r in results) == [0.0, 1.0]


def test_after_the_coordinator_restarts_the_worker_rejoins_and_resends_its_result(coordinator, start_worker):
    start_worker(lambda trial: 0.75)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(21, {"x": 1})
    coordinator.next("RESULT")
    coordinator.close()  # crashed before storing it
    restarted = FakeCoordinator(coordinator.endpoint)
    try:
        assert restarted.welcome(heartbeat_ms=100)["running"] == []
        assert restarted.next("RESULT") == {"trial_id": 21, "attempt": 1, "status": "completed", "value": 0.75}
    finally:
        restarted.close()


def test_reports_no_decision_answered_are_sent_again_to_a_restarted_coordinator(coordinator, start_worker):
    gate = threading.Event()

    def objective(trial):
        trial.report(0.9, step=1)
        trial.report(0.8, step=2)
        gate.wait(DEADLINE_S)
        trial.report(0.7, step=3)
        return 0.6

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(31, {"x": 1})
    assert coordinator.next("REPORT")["step"] == 1
    coordinator.send("DECISION", {"trial_id": 31, "step": 1, "action": "continue"})
    assert coordinator.next("REPORT")["step"] == 2
    coordinator.close()  # crashed before it answered step 2
    restarted = FakeCoordinator(coordinator.endpoint)
    try:
        assert restarted.welcome(heartbeat_ms=100)["running"] == [31]
        # Step 1 was answered; step 2 comes again, then the trial goes on.
        assert restarted.next("REPORT") == {"trial_id": 31, "attempt": 1, "step": 2, "value": 0.8}
        restarted.send("DECISION", {"trial_id": 31, "step": 2, "action": "continue"})
        gate.set()
        assert restarted.next("REPORT")["step"] == 3
        assert restarted.next("RESULT")["value"] == 0.6
        assert [body["step"] for kind, body in restarted.seen if kind == "REPORT"] == [2, 3]
    finally:
        restarted.close()


def test_the_coordinators_bye_ends_work(coordinator, start_worker):
    worker = start_worker(lambda trial: 1.0)
    coordinator.welcome()
    coordinator.trial(1, {"x": 1})
    coordinator.next("RESULT")
    coordinator.send("ACK", {"trial_id": 1})
    coordinator.send("BYE", {"reason": "study budget spent"})
    summary = worker.join()
    assert summary == sextant.WorkSummary(completed=1, pruned=0, failed=0, ended_by="study over")


def test_stop_hands_running_trials_back_with_bye(coordinator, start_worker):
    started = threading.Event()
    raised: List[BaseException] = []

    def objective(trial):
        started.set()
        try:
            while True:
                trial.report(1.0)
        except sextant.WorkerStopped as error:
            raised.append(error)
            raise

    worker = start_worker(objective)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(31, {"x": 1})
    assert started.wait(DEADLINE_S)
    worker.worker.stop()
    assert "stopping" in coordinator.next("BYE")["reason"]
    assert worker.join().ended_by == "stopped"
    deadline = time.monotonic() + DEADLINE_S
    while not raised and time.monotonic() < deadline:
        time.sleep(0.01)
    assert raised, "the running objective was not told to stop"


CTRL_C_WORKER = """
import sys, time, sextant
def objective(trial):
    print("running", flush=True)
    time.sleep(60)
summary = sextant.work(sys.argv[1], objective, name="ctrl-c")
print("returned", summary.ended_by, flush=True)
"""


def test_ctrl_c_says_bye_and_returns(coordinator, tmp_path: Path):
    script = tmp_path / "worker.py"
    script.write_text(CTRL_C_WORKER)
    child = subprocess.Popen([sys.executable, str(script), coordinator.endpoint], env=subprocess_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        coordinator.welcome()
        coordinator.trial(1, {"x": 1})
        assert child.stdout is not None and child.stdout.readline() == "running\n"
        child.send_signal(signal.SIGINT)
        assert coordinator.next("BYE")["reason"] == "worker ctrl-c stopping"
        out, err = child.communicate(timeout=DEADLINE_S)
        assert child.returncode == 0, err
        assert out == "returned stopped\n"
    finally:
        child.kill()
        child.wait()


def test_curve_keys_encrypt_the_connection(tmp_path: Path):
    server_public, server_secret = zmq.curve_keypair()
    worker_public, worker_secret = zmq.curve_keypair()
    (tmp_path / "coordinator.pub").write_bytes(server_public + b"\n")
    (tmp_path / "w.key").write_bytes(worker_secret + b"\n")
    fake = FakeCoordinator(curve_secret=server_secret)
    worker = None
    try:
        worker = sextant.Worker(fake.endpoint, lambda trial: 0.5, server_key=tmp_path / "coordinator.pub",
                                curve_secret_key=str(tmp_path / "w.key"))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        fake.welcome()
        fake.trial(1, {"x": 1})
        # A CURVE server answers no client that skipped the handshake: this RESULT came encrypted.
        assert fake.next("RESULT")["value"] == 0.5
    finally:
        if worker is not None:
            worker.stop()
            worker.stop()
        fake.close()


def test_a_bad_key_file_is_an_error_that_names_it(tmp_path: Path):
    bad = tmp_path / "w.key"
    bad.write_text("not a key\n")
    with pytest.raises(sextant.SextantError, match="w.key does not hold a CURVE key"):
        sextant.Worker("tcp://127.0.0.1:1", lambda t: 0, server_key="x" * 40, curve_secret_key=bad)
    with pytest.raises(ValueError, match="CURVE needs both"):
        sextant.Worker("tcp://127.0.0.1:1", lambda t: 0, server_key="x" * 40)


def test_a_prune_that_arrives_after_report_stopped_waiting_stops_the_next_report(coordinator, start_worker):
    sent_second: List[bool] = []
    gave_up = threading.Event()

    def objective(trial):
        assert trial.report(0.9, step=1) is False  # no DECISION within one heartbeat
        gave_up.set()
        deadline = time.monotonic() + DEADLINE_S
        while not trial.should_prune() and time.monotonic() < deadline:
            time.sleep(0.01)
        trial.report(0.8, step=2)  # step 1 is still the latest report: pruned here, not sent
        sent_second.append(True)
        return 0.8

    start_worker(objective)
    coordinator.welcome(heartbeat_ms=100)
    coordinator.trial(14, {"x": 1})
    coordinator.next("REPORT", lambda b: b["step"] == 1)
    assert gave_up.wait(DEADLINE_S)
    coordinator.send("DECISION", {"trial_id": 14, "step": 1, "action": "prune"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"], result["value"]) == ("pruned", 1, 0.9)
    assert sent_second == []
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == [1]
