"""SextantCallback inside a real Lightning Trainer, against a scripted coordinator."""

from __future__ import annotations

from typing import Any, List

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")

import sextant  # noqa: E402
from sextant.lightning import SextantCallback  # noqa: E402


class Regression(pl.LightningModule):
    """y = 3x + 1 with one linear layer; seeded data, so runs repeat exactly."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)
        self.lr = lr

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def loaders() -> Any:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, generator=generator)
    data = torch.utils.data.TensorDataset(x, 3 * x + 1)
    return torch.utils.data.DataLoader(data, batch_size=16), torch.utils.data.DataLoader(data, batch_size=64)


def objective(trial: sextant.Trial) -> float:
    pl.seed_everything(0, verbose=False)
    trainer = pl.Trainer(max_epochs=4, callbacks=[SextantCallback(trial, monitor="val_loss")], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", num_sanity_val_steps=0)
    train, validation = loaders()
    trainer.fit(Regression(trial.params["lr"]), train, validation)
    return float(trainer.callback_metrics["val_loss"])


def test_the_callback_reports_each_validation_epoch(coordinator, start_worker):
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
