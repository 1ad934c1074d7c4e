"""Hugging Face `transformers.Trainer`: report an evaluation metric at each evaluation,
stop training when pruned."""

from __future__ import annotations

from typing import Any, Dict, Optional

try:
    from transformers import TrainerCallback as _TrainerCallback
except ImportError:
    raise ImportError("sextant.transformers needs Hugging Face transformers: pip install 'transformers[torch]'") from None

from .errors import TrialPruned
from .trial import Trial

_STEP_CHOICES = ("auto", "epoch", "global_step")


class SextantCallback(_TrainerCallback):  # type: ignore[misc]  # transformers is untyped here
    """Reports `monitor` (a key of the metrics `Trainer.evaluate` returns, such as
    `eval_loss`) to the coordinator after each evaluation, and ends training when the
    trial is pruned.

    The report's step is the epoch (1, 2, ...) when `eval_strategy="epoch"` and the
    optimizer step (`state.global_step`) otherwise; `step="epoch"` or
    `step="global_step"` picks one explicitly. An evaluation at step 0
    (`eval_on_start`) and a repeated evaluation at a step already reported (a
    `trainer.evaluate()` after `train()`) are not reported. A `monitor` without the
    `eval_` prefix also matches the prefixed key, as `metric_for_best_model` does.

    When the coordinator prunes the trial the callback sets
    `control.should_training_stop`; with `work(..., prune="raise")` the `TrialPruned`
    from `Trial.report` then propagates out of `trainer.train()`, and with
    `prune="flag"` `train()` returns after this evaluation and the objective should
    return too.
    """

    def __init__(self, trial: Trial, monitor: str = "eval_loss", step: str = "auto") -> None:
        super().__init__()
        if step not in _STEP_CHOICES:
            raise ValueError(f"SextantCallback: step must be one of {', '.join(_STEP_CHOICES)}, not {step!r}")
        self.trial = trial
        self.monitor = monitor
        self.step = step
        self._reported: Optional[int] = None

    def _step(self, args: Any, state: Any) -> int:
        by = self.step
        if by == "auto":
            strategy = getattr(args, "eval_strategy", None) or getattr(args, "evaluation_strategy", None)
            by = "epoch" if str(getattr(strategy, "value", strategy)) == "epoch" else "global_step"
        if by == "epoch":
            return int(round(state.epoch or 0))
        return int(state.global_step)

    def _value(self, metrics: Dict[str, Any]) -> float:
        for key in (self.monitor, f"eval_{self.monitor}"):
            if key in metrics:
                return float(metrics[key])
        available = ", ".join(sorted(metrics)) or "none"
        raise KeyError(f"SextantCallback: no metric '{self.monitor}' in the evaluation metrics "
                       f"(got: {available}); compute it in compute_metrics or pick one of these")

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Optional[Dict[str, Any]] = None,
                    **kwargs: Any) -> Any:
        if not getattr(state, "is_world_process_zero", True):
            return control
        step = self._step(args, state)
        if step < 1 or (self._reported is not None and step <= self._reported):
            return control
        value = self._value(metrics or {})
        self._reported = step
        try:
            pruned = self.trial.report(value, step=step)
        except TrialPruned:
            control.should_training_stop = True
            raise
        if pruned:
            control.should_training_stop = True
        return control
