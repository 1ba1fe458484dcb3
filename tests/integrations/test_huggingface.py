"""The Hugging Face ``TrainerCallback``: a tiny randomly initialised BERT (built from a config,
no download) on an in-memory task, trained by ``transformers.Trainer`` on the CPU. Healthy:
no warning or error; planted faults fire. Skipped when transformers is not installed."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers", reason="Hugging Face transformers is not installed "
                                   '(pip install "danfang[huggingface]")')
pytest.importorskip("accelerate", reason="transformers.Trainer needs accelerate (pip install accelerate)")

from danfang.integrations.huggingface import DanfangTrainerCallback  # noqa: E402


class Tokens(torch.utils.data.Dataset):
    """Sequences of 8 token ids; the label says whether the second token's id is below 55
    (learnt in a few dozen steps)."""

    def __init__(self, n: int = 256, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(10, 100, (n, 8), generator=g)
        self.labels = (self.ids[:, 1] < 55).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(8, dtype=torch.long), "labels": self.labels[i]}


class NewHead(transformers.TrainerCallback):
    """A planted fault: a new classifier head put in after the Trainer built its optimizer."""

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        torch.manual_seed(1)
        model.classifier = torch.nn.Linear(model.config.hidden_size, model.config.num_labels)


def _train(tmp_path, lr: float = 5e-3, steps: int = 40, callbacks=(), evaluate: bool = False, **extra):
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=16, num_labels=2)
    model = transformers.BertForSequenceClassification(config)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "hf"), per_device_train_batch_size=16, max_steps=steps, learning_rate=lr,
        report_to=[], save_strategy="no", logging_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
        eval_strategy="steps" if evaluate else "no", eval_steps=10, per_device_eval_batch_size=32,
        dataloader_num_workers=0, **extra)
    cb = DanfangTrainerCallback(cadence=5, verbose=False)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens(), eval_dataset=Tokens(64, seed=1),
                                   callbacks=[*callbacks, cb])
    trainer.train()
    return cb, trainer


#: what a learning rate far too high shows in a tiny BERT: LayerNorm keeps the loss finite, the
#: pooler's tanh ends up pinned to +-1
DIVERGENCE = {"loss_nan", "update_ratio_high", "exploding_gradients", "activation_saturation"}


def _loud(cb) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in cb.findings if f.severity != "info"]


def _healthy(tmp_path):
    # transformers 5 does not divide a BERT classifier's loss by the accumulation steps (the model
    # takes **kwargs, so the Trainer takes the loss as scaled): accumulation_unscaled, info for AdamW
    return _train(tmp_path, evaluate=True, warmup_steps=4, gradient_accumulation_steps=2)[0]


def test_healthy_tiny_bert_learns_with_no_loop_fault_and_no_error(tmp_path):
    cb = _healthy(tmp_path)
    assert [(f.code, f.message) for f in cb.findings if f.phase == "loop" and f.severity != "info"] == []
    assert [f.code for f in cb.findings if f.severity == "error"] == [], cb.report()
    assert not {f.code for f in cb.findings} & DIVERGENCE, cb.report()
    losses = [v for _, v in cb.series["loss"]]
    assert len(losses) == 8 and losses[-1] < 0.9 * losses[0]  # it learns; one probe every 5 steps
    record = cb.loop.observer.record
    assert record.steps == 40 and sum(m.nograd_forwards for m in record.models.values()) > 0  # evaluation seen


@pytest.mark.xfail(strict=True, reason="vanishing_gradients fires on a from-scratch BERT in its first plateau: "
                   "the attention query/key weights get second-order small gradients while attention is "
                   "uniform at init (a training-check false alarm, reported; remove this mark once fixed)")
def test_healthy_tiny_bert_draws_no_warning(tmp_path):
    cb = _healthy(tmp_path)
    assert _loud(cb) == [], cb.report()


def test_planted_huge_learning_rate_is_found(tmp_path):
    cb, _ = _train(tmp_path, lr=50.0, max_grad_norm=0.0, optim="sgd")
    found = {f.code for f in cb.findings if f.severity != "info"}
    assert found & DIVERGENCE, cb.report()


def test_planted_head_replaced_after_the_optimizer_is_found(tmp_path):
    cb, _ = _train(tmp_path, callbacks=[NewHead()])
    found = {f.code: f for f in cb.findings}
    assert "optimizer_not_holding_model" in found, cb.report()
    assert found["optimizer_not_holding_model"].evidence["unheld"] == ["classifier.weight", "classifier.bias"]


def test_planted_zero_learning_rate_is_found(tmp_path):
    cb, _ = _train(tmp_path, lr=0.0)
    assert "step_changes_nothing" in {f.code for f in cb.findings}, cb.report()


def test_short_fine_tune_is_judged_from_its_first_steps(tmp_path):
    cb, _ = _train(tmp_path, lr=50.0, steps=4, max_grad_norm=0.0, optim="sgd")  # under the cadence of 5
    assert cb.findings and not cb.loop.watch.history.samples, cb.report()
