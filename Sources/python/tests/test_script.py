"""params() and report(): the two ends of a script run by the command worker."""

from __future__ import annotations

import io

import pytest

import sextant


def test_params_without_a_worker_are_the_defaults(monkeypatch):
    monkeypatch.delenv("SEXTANT_PARAMS", raising=False)
    defaults = {"learning_rate": 0.05, "epochs": 10}
    got = sextant.params(defaults)
    assert got == defaults and got is not defaults


def test_params_from_the_worker_override_defaults_with_their_types(monkeypatch):
    # As the worker writes them: JSON drops ".0" from an integral float; the per-parameter
    # variables keep it.
    monkeypatch.setenv("SEXTANT_PARAMS", '{"batch_size":64,"dropout":1,"learning_rate":0.01,"optimizer":"adam","wide":true}')
    monkeypatch.setenv("SEXTANT_PARAM_BATCH_SIZE", "64")
    monkeypatch.setenv("SEXTANT_PARAM_DROPOUT", "1.0")
    monkeypatch.setenv("SEXTANT_PARAM_LEARNING_RATE", "0.01")
    got = sextant.params({"learning_rate": 0.5, "epochs": 3})
    assert got == {"batch_size": 64, "dropout": 1.0, "learning_rate": 0.01, "optimizer": "adam", "wide": True,
                   "epochs": 3}
    assert type(got["batch_size"]) is int and type(got["dropout"]) is float and type(got["learning_rate"]) is float


def test_a_default_decides_the_type_of_an_integral_value(monkeypatch):
    monkeypatch.setenv("SEXTANT_PARAMS", '{"epochs":5,"momentum":1}')
    monkeypatch.delenv("SEXTANT_PARAM_EPOCHS", raising=False)
    monkeypatch.delenv("SEXTANT_PARAM_MOMENTUM", raising=False)
    got = sextant.params({"epochs": 1, "momentum": 0.9})
    assert type(got["epochs"]) is int and got["momentum"] == 1.0 and type(got["momentum"]) is float


@pytest.mark.parametrize("text", ["[1, 2]", "{not json"])
def test_params_that_are_not_a_json_object_are_an_error_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("SEXTANT_PARAMS", text)
    with pytest.raises(sextant.InvalidParameters, match="SEXTANT_PARAMS"):
        sextant.params()


def test_report_prints_one_flushed_line_the_worker_reads():
    class Recorder(io.StringIO):
        flushed = 0

        def flush(self) -> None:
            self.flushed += 1

    out = Recorder()
    sextant.report(step=3, val_loss=0.25, val_accuracy=0.875, file=out)
    sextant.report(val_loss=float("nan"), file=out)
    assert out.getvalue() == "val_loss=0.25 val_accuracy=0.875 step=3\nval_loss=nan\n"
    assert out.flushed == 2


def test_report_needs_a_metric():
    with pytest.raises(TypeError, match="at least one metric"):
        sextant.report(step=1)


def test_max_steps_comes_from_the_worker_of_a_study_with_a_fidelity(monkeypatch):
    monkeypatch.delenv("SEXTANT_MAX_STEPS", raising=False)
    assert sextant.max_steps() is None
    assert sextant.max_steps(20) == 20
    monkeypatch.setenv("SEXTANT_MAX_STEPS", "52")
    assert sextant.max_steps(20) == 52
    monkeypatch.setenv("SEXTANT_MAX_STEPS", "fifty")
    with pytest.raises(sextant.InvalidParameters, match="SEXTANT_MAX_STEPS is not an integer"):
        sextant.max_steps()
    monkeypatch.setenv("SEXTANT_MAX_STEPS", "0")
    with pytest.raises(sextant.InvalidParameters, match="at least 1"):
        sextant.max_steps()
