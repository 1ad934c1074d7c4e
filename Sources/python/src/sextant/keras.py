"""Keras 3: report a monitored metric per epoch, stop training when pruned.

Works with any Keras 3 backend (TensorFlow, JAX, PyTorch).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

try:
    from keras.callbacks import Callback as _Callback
except ImportError:
    raise ImportError("sextant.keras needs Keras 3: pip install keras") from None

from .errors import TrialPruned
from .trial import Trial


class SextantCallback(_Callback):  # type: ignore[misc]  # Keras is untyped here
    """Reports `monitor` (a key of the epoch's `logs`, such as `val_loss`) to the
    coordinator at the end of each epoch, at step = epoch + 1, and ends training when the
    trial is pruned.

    When the coordinator prunes the trial the callback sets `model.stop_training`; with
    `work(..., prune="raise")` the `TrialPruned` from `Trial.report` then propagates out
    of `model.fit`, and with `prune="flag"` `fit` returns after this epoch and the
    objective should return too.
    """

    def __init__(self, trial: Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            available = ", ".join(sorted(logs)) or "none"
            raise KeyError(f"SextantCallback: no metric '{self.monitor}' in the epoch's logs "
                           f"(logged: {available}); pass validation_data to fit for val_ metrics")
        try:
            pruned = self.trial.report(float(value), step=epoch + 1)
        except TrialPruned:
            self.model.stop_training = True
            raise
        if pruned:
            self.model.stop_training = True
