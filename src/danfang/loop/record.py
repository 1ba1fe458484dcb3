"""What the :class:`~danfang.loop.LoopObserver` saw of a loop: plain counts, no tensors.

The loop checks (``danfang.checks.loop``) judge this record; the observer only fills it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from danfang.loop.loss_sample import LossSample


@dataclass
class ModelSeen:
    """One root module (a module whose forward ran outside any other module's forward)."""

    name: str
    params: int
    has_dropout_or_bn: bool
    grad_forwards: int = 0          # forwards with autograd on (training forwards)
    nograd_forwards: int = 0        # forwards under no_grad / inference_mode
    eval_passes: int = 0            # runs of no-grad forwards between optimizer steps
    nograd_train_mode: int = 0      # no-grad forwards in train mode with dropout/BN active
    nograd_train_mode_passes: int = 0  # of those, passes that also computed a loss or held >= 2 forwards
    stepped: bool = False           # an optimizer held (some of) its parameters
    last_layer: str | None = None   # the last leaf module its training forward ran
    unheld_with_grad: list[str] = field(default_factory=list)  # params with a grad that no optimizer holds


@dataclass
class OptimizerSeen:
    name: str
    params: int
    steps: int = 0
    model: str | None = None              # the root module whose parameters it holds
    steps_in_eval_mode: int = 0           # steps after a training forward of the model in eval mode
    steps_with_no_grad: int = 0           # steps where none of its parameters had a gradient
    steps_lr_zero: int = 0                # steps with lr == 0 in every group
    frozen_params: int = 0                # of its parameters, requires_grad=False (latest step)
    grad_kept: int = 0                    # steps whose gradients were the last step's, accumulated
    grad_cleared: int = 0                 # steps whose gradients had been cleared (None or zeroed)
    first_step_seen: int | None = None
    tensors: int = 0                      # parameter tensors it holds

    def params_tensors(self) -> int:
        return self.tensors


@dataclass
class LossCall:
    kind: str
    input_shape: tuple
    target_shape: tuple
    step: int
    training: bool


@dataclass
class StepWindow:
    """One sampled optimizer step: how many ``backward()`` calls fed it (outside
    ``step(closure)``) and what each backward'd tensor was against the losses summed before it."""

    optimizer: str
    adaptive: bool          # Adam-like: invariant to the scale of the gradient
    backwards: int
    ratios: list[float]     # backward'd value / sum of the loss values since the previous backward
    summed_losses: bool     # some loss in the window used reduction="sum"
    same_loss: bool = True  # every loss call of the window was of one kind and one target shape
    constant_targets: bool = False  # some loss call's targets were one value (a GAN's real/fake labels)


@dataclass
class LoopRecord:
    models: dict[int, ModelSeen] = field(default_factory=dict)
    optimizers: dict[int, OptimizerSeen] = field(default_factory=dict)
    losses: dict[str, int] = field(default_factory=dict)     # loss kind -> calls
    broadcast_calls: list[LossCall] = field(default_factory=list)
    steps: int = 0
    samples: list[LossSample] = field(default_factory=list)       # training loss calls (sampled steps)
    eval_samples: list[tuple[int, LossSample]] = field(default_factory=list)  # (evaluation pass, call)
    windows: list[StepWindow] = field(default_factory=list)
    matched_backwards: int = 0     # sampled backward() calls of a loss function's result
    unmatched_backwards: int = 0   # sampled backward() calls with no loss function behind them
    mixed_backwards: int = 0       # sampled backward() calls of loss calls plus hand-written terms
    adversarial_steps: int = 0     # sampled steps whose loss calls had constant targets of two values (real 1 / fake 0)
    update_ratio: float | None = None  # median update/weight ratio at the training checks' latest probe

    def keep_bounded(self, limit: int = 300) -> None:
        """Keep the first samples and the latest ones, so memory stays bounded on long runs."""
        for items in (self.samples, self.eval_samples, self.windows):
            if len(items) > limit:
                del items[16:len(items) - limit + 100]
