"""SextantCallback inside a real transformers.Trainer, against a scripted coordinator."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from conftest import prune_at_step_two, run_to_the_end

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import sextant  # noqa: E402
from sextant.transformers import SextantCallback  # noqa: E402


class Regression(torch.nn.Module):
    """y = 3x + 1 with one linear layer, in the shape Trainer expects (a dict with the loss)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)

    def forward(self, x: Any, labels: Any = None) -> Dict[str, Any]:
        prediction = self.layer(x)
        out = {"logits": prediction}
        if labels is not None:
            out["loss"] = torch.nn.functional.mse_loss(prediction, labels)
        return out


def dataset() -> List[Dict[str, Any]]:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, generator=generator)
    return [{"x": row, "labels": 3 * row + 1} for row in x]


def bert(vocab: int = 50) -> Any:
    """A tiny BERT classifier built from an explicit config: random weights, no download."""
    config = transformers.BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, vocab_size=vocab, num_labels=2)
    return transformers.BertForSequenceClassification(config)


def tokens() -> List[Dict[str, Any]]:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 50, (32, 8), generator=generator)
    return [{"input_ids": row, "labels": int(row[0] % 2)} for row in ids]


def make_objective(output: Path, eval_strategy: str = "epoch", model: str = "regression",
                   monitor: str = "eval_loss") -> Callable[[sextant.Trial], float]:
    def objective(trial: sextant.Trial) -> float:
        transformers.set_seed(0)
        args = transformers.TrainingArguments(
            output_dir=str(output), num_train_epochs=4, per_device_train_batch_size=16,
            per_device_eval_batch_size=64, learning_rate=trial.params["lr"], eval_strategy=eval_strategy,
            eval_steps=2, save_strategy="no", report_to=[], disable_tqdm=True, use_cpu=True,
            logging_strategy="no", lr_scheduler_type="constant", optim="sgd", seed=0)
        if model == "bert":
            network, data = bert(), tokens()
        else:
            network, data = Regression(), dataset()
        trainer = transformers.Trainer(model=network, args=args, train_dataset=data, eval_dataset=data,
                                       callbacks=[SextantCallback(trial, monitor=monitor)])
        trainer.train()
        return float(trainer.evaluate()["eval_loss"])
    return objective


def test_the_callback_reports_each_evaluation(coordinator, start_worker, tmp_path):
    start_worker(make_objective(tmp_path))
    run_to_the_end(coordinator, "eval_loss")
    # The evaluate() after train() is at a step already reported: not sent again.
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == [1, 2, 3, 4]


def test_evaluation_by_steps_reports_the_global_step(coordinator, start_worker, tmp_path):
    # 64 rows in batches of 16: 4 optimizer steps an epoch, 16 in all; eval_steps=2.
    start_worker(make_objective(tmp_path, eval_strategy="steps", monitor="loss"))
    coordinator.welcome(metric="eval_loss", heartbeat_ms=2000)
    coordinator.trial(1, {"lr": 0.1}, metric="eval_loss")
    for step in range(2, 17, 2):
        coordinator.next("REPORT", lambda b: b["step"] == step)
        coordinator.send("DECISION", {"trial_id": 1, "step": step, "action": "continue"})
    result = coordinator.next("RESULT")
    assert (result["status"], result["step"]) == ("completed", 16)
    assert [body["step"] for kind, body in coordinator.seen if kind == "REPORT"] == list(range(2, 17, 2))


@pytest.mark.parametrize("prune", ["raise", "flag"])
def test_a_prune_decision_ends_training(coordinator, start_worker, tmp_path, prune):
    start_worker(make_objective(tmp_path, model="bert"), prune=prune)
    prune_at_step_two(coordinator, "eval_loss")


def test_a_missing_metric_fails_the_trial_naming_what_was_logged(coordinator, start_worker, tmp_path):
    start_worker(make_objective(tmp_path, monitor="eval_accuracy"))
    coordinator.welcome(metric="eval_accuracy", heartbeat_ms=2000)
    coordinator.trial(3, {"lr": 0.1}, metric="eval_accuracy")
    result = coordinator.next("RESULT")
    assert result["status"] == "failed"
    assert "eval_accuracy" in str(result) and "eval_loss" in str(result)
