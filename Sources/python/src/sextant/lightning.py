"""PyTorch Lightning: report a monitored metric per validation epoch, stop when pruned.

Works with the `lightning` package (`lightning.pytorch`) and with `pytorch_lightning`.
"""

from __future__ import annotations

from typing import Any

try:
    from lightning.pytorch import Callback as _Callback
except ImportError:  # the older distribution
    try:
        from pytorch_lightning import Callback as _Callback
    except ImportError:
        raise ImportError("sextant.lightning needs PyTorch Lightning: pip install lightning") from None

from .trial import Trial


class SextantCallback(_Callback):  # type: ignore[misc]  # Lightning's Callback is untyped here
    """Reports `monitor` (a key of `trainer.callback_metrics`) to the coordinator after
    each validation epoch, at step = epoch + 1, and ends training when the trial is pruned.

    With `work(..., prune="raise")` the `TrialPruned` from `Trial.report` propagates out of
    `trainer.fit`; with `prune="flag"` the callback sets `trainer.should_stop`, so `fit`
    returns after this epoch and the objective should return too.
    """

    def __init__(self, trial: Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            available = ", ".join(sorted(trainer.callback_metrics)) or "none"
            raise KeyError(f"SextantCallback: no metric '{self.monitor}' was logged (logged: {available}); "
                           f"log it with self.log('{self.monitor}', ...) in validation_step")
        if self.trial.report(float(value), step=trainer.current_epoch + 1):
            trainer.should_stop = True
