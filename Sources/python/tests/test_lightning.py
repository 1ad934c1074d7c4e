"""SextantCallback inside a real Lightning Trainer, against a scripted coordinator."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import prune_at_step_two, run_to_the_end

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
    run_to_the_end(coordinator, "val_loss")


@pytest.mark.parametrize("prune", ["raise", "flag"])
def test_a_prune_decision_ends_training(coordinator, start_worker, prune):
    start_worker(objective, prune=prune)
    prune_at_step_two(coordinator, "val_loss")
