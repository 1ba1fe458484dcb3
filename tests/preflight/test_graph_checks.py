"""batch_mixing, no_gradient, gradcheck_failed: planted faults and healthy twins."""

from __future__ import annotations

import torch
from torch import nn

import danfang
from danfang.checks.preflight.batch_mixing import BatchMixing
from danfang.checks.preflight.gradcheck import GradcheckFailed
from danfang.checks.preflight.no_gradient import NoGradient

from tests.preflight.models import bn_mlp, blobs, cnn, codes, mlp, run, signals


def sequences(n: int = 64, t: int = 6, d: int = 5):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, t, d, generator=g)
    return x, (x[:, :, 0].sum(1) > 0).long()


class Recurrent(nn.Module):
    """An LSTM fed (batch, time, features); with batch_first=False it reads batch as time."""

    def __init__(self, batch_first: bool) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 16, batch_first=batch_first)
        self.head = nn.Linear(16, 2)
        self.batch_first = batch_first

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class CentresOverBatch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        return self.net(x - x.mean(0))


class TokenMixer(nn.Module):
    """Integer inputs through an embedding, then a mean over the batch axis."""

    def __init__(self, mix: bool) -> None:
        super().__init__()
        self.emb, self.head, self.mix = nn.Embedding(20, 8), nn.Linear(8, 2), mix

    def forward(self, tokens):
        h = self.emb(tokens).mean(1)
        return self.head(h + h.mean(0) if self.mix else h)


def tokens():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 20, (64, 7), generator=g)
    return x, (x[:, 0] > 9).long()


def test_batch_mixing_fires_on_lstm_without_batch_first():
    findings = run(BatchMixing, Recurrent(batch_first=False), sequences())
    assert codes(findings) == ["batch_mixing"]
    assert findings[0].evidence["mixed_samples"] == [0]  # sample 1 "sees" sample 0 as its past


def test_batch_mixing_fires_on_a_statistic_over_the_batch_and_through_embeddings():
    assert codes(run(BatchMixing, CentresOverBatch(), blobs())) == ["batch_mixing"]
    assert codes(run(BatchMixing, TokenMixer(mix=True), tokens())) == ["batch_mixing"]


def test_batch_mixing_is_quiet_on_independent_samples_and_on_batchnorm():
    assert run(BatchMixing, Recurrent(batch_first=True), sequences()) == []
    assert run(BatchMixing, TokenMixer(mix=False), tokens()) == []
    assert run(BatchMixing, bn_mlp(), blobs()) == []  # eval mode: running statistics
    assert run(BatchMixing, cnn(), signals()) == []


class Detached(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)
        self.unused = nn.Linear(32, 32)

    def forward(self, x):
        return self.head(self.body(x).detach())


def test_no_gradient_names_the_detached_and_the_unused_modules():
    findings = run(NoGradient, Detached(), blobs())
    by_kind = {f.evidence["kind"]: f for f in findings}
    assert codes(findings) == ["no_gradient", "no_gradient"]
    assert by_kind["cut"].severity == "error" and by_kind["cut"].where == "body.0"
    assert by_kind["unused"].severity == "warning" and by_kind["unused"].where == "unused"


def test_no_gradient_zero_gradient_and_frozen_parameters():
    class Gated(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net, self.aux = mlp(), nn.Linear(8, 3)

        def forward(self, x):
            return self.net(x) + 0.0 * self.aux(x)

    findings = run(NoGradient, Gated(), blobs())
    assert [(f.evidence["kind"], f.where) for f in findings] == [("zero", "aux")]
    frozen = mlp()
    frozen[0].requires_grad_(False)
    assert run(NoGradient, frozen, blobs()) == []


def test_no_gradient_is_quiet_on_healthy_models_including_bias_before_batchnorm():
    assert run(NoGradient, mlp(), blobs()) == []
    assert run(NoGradient, bn_mlp(), blobs()) == []


class Swish(torch.autograd.Function):
    """x * sigmoid(x) with a hand-written, correct backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * (s + x * s * (1 - s))


class WrongSwish(Swish):
    """The planted fault: the backward forgets the product rule's second term."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sigmoid(x)


class SwishNet(nn.Module):
    def __init__(self, fn: type[torch.autograd.Function]) -> None:
        super().__init__()
        self.a, self.b, self.fn = nn.Linear(8, 16), nn.Linear(16, 3), fn

    def forward(self, x):
        return self.b(self.fn.apply(self.a(x)))


def test_gradcheck_failed_fires_on_a_wrong_custom_backward():
    findings = run(GradcheckFailed, SwishNet(WrongSwish), blobs())
    assert codes(findings) == ["gradcheck_failed"]
    f = findings[0]
    assert f.where.endswith("WrongSwish") and abs(f.evidence["analytic"] - f.evidence["numeric"]) > 1e-3
    assert torch.autograd.Function.__dict__["apply"].__func__.__module__ == "torch.autograd.function"


def test_gradcheck_failed_is_quiet_on_a_correct_backward_and_without_custom_functions():
    assert run(GradcheckFailed, SwishNet(Swish), blobs()) == []
    assert run(GradcheckFailed, mlp(), blobs()) == []


def test_a_fully_detached_output_gives_clear_findings_and_no_crash():
    class AllDetached(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def forward(self, x):
            return self.net(x).detach()

    findings = danfang.preflight(AllDetached(), blobs())
    assert sorted(codes(findings)) == ["cannot_overfit_batch", "no_gradient"]
    assert all("could not run" not in f.message for f in findings)
