"""SextantCallback inside a real Keras 3 fit (PyTorch backend), against a scripted coordinator."""

from __future__ import annotations

import os
from typing import Any

import pytest

from conftest import prune_at_step_two, run_to_the_end

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
    run_to_the_end(coordinator, "val_loss")


@pytest.mark.parametrize("prune", ["raise", "flag"])
def test_a_prune_decision_ends_training(coordinator, start_worker, prune):
    start_worker(objective, prune=prune)
    prune_at_step_two(coordinator, "val_loss")


def test_a_missing_metric_fails_the_trial_naming_what_was_logged(coordinator, start_worker):
    start_worker(objective)
    coordinator.welcome(metric="val_accuracy", heartbeat_ms=2000)
    coordinator.trial(3, {"lr": 0.1, "monitor": "val_accuracy"}, metric="val_accuracy")
    result = coordinator.next("RESULT")
    assert result["status"] == "failed"
    assert "val_accuracy" in str(result) and "val_loss" in str(result)
