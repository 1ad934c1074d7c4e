"""SextantCallback inside a real Keras 3 fit (PyTorch backend), against a scripted coordinator."""

from __future__ import annotations

import os
from typing import Any, List

import pytest

# Keras reads its backend once, at import; TensorFlow need not be installed.
os.environ.setdefault("KERAS_BACKEND", "torch")
np = pytest.importorskip("numpy")
keras = pytest.importorskip("keras")

import sextant  # noqa: E402
from sextant.keras import SextantCallback  # noqa: E402


def data() -> Any:
    x = np.random.default_rng(0).random((64, 1)).astype("float32")
    return x, 3 * x + 1


def objective(trial: sextant.Trial) -> float:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=trial.params["lr"]), loss="mse")
    x, y = data()
    history = model.fit(x, y, validation_data=(x, y), epochs=4, batch_size=16, verbose=0,
                        callbacks=[SextantCallback(trial, monitor=trial.params.get("monitor", "val_loss"))])
    return float(history.history["val_loss"][-1])


def test_the_callback_reports_each_epoch(coordinator, start_worker):
    start_worker(objective)
    coordinator.welcome(metric="val_loss", heartbeat_ms=2000)
    coordinator.trial(1, {"lr": 0.1}, metric="val_loss")
    reports: List[Any] = []
    for step in range(1, 5):
        report = coordinator.next("REPORT", lambda b: b["step"] == step)
        reports.append(report["value"])
        coordinator.send("DECISION", {"trial_id": 1, "step": step, "action": "continue"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"]) == ("completed", 4)
    assert result["value"] == pytest.approx(reports[-1])
    assert reports[-1] < reports[0]  # it trained


@pytest.mark.parametrize("prune", ["raise", "flag"])
def test_a_prune_decision_ends_training(coordinator, start_worker, prune):
    start_worker(objective, prune=prune)
    coordinator.welcome(metric="val_loss", heartbeat_ms=5000)
    coordinator.trial(2, {"lr": 0.1}, metric="val_loss")
    coordinator.next("REPORT", lambda b: b["step"] == 1)
    coordinator.send("DECISION", {"trial_id": 2, "step": 1, "action": "continue"})
    second = coordinator.next("REPORT", lambda b: b["step"] == 2)
    coordinator.send("DECISION", {"trial_id": 2, "step": 2, "action": "prune"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"], result["value"]) == ("pruned", 2, second["value"])
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == [1, 2]


def test_a_missing_metric_fails_the_trial_naming_what_was_logged(coordinator, start_worker):
    start_worker(objective)
    coordinator.welcome(metric="val_accuracy", heartbeat_ms=2000)
    coordinator.trial(3, {"lr": 0.1, "monitor": "val_accuracy"}, metric="val_accuracy")
    result = coordinator.next("RESULT")
    assert result["status"] == "failed"
    assert "val_accuracy" in str(result) and "val_loss" in str(result)
