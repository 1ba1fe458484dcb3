"""What each verdict means and how it looks: shared by the HTML report and the terminal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerdictStyle:
    title: str
    color: str      # CSS colour of the HTML badge
    rich: str       # rich style of the terminal badge
    meaning: str
    next_step: str


VERDICTS: dict[str, VerdictStyle] = {
    "healthy": VerdictStyle("Healthy", "#15803d", "bold white on green",
                            "Train and validation improved together and settled.",
                            "Tune for the last few percent, or scale up."),
    "underfitting": VerdictStyle("Underfitting", "#b45309", "bold black on yellow",
                                 "Train and validation are both poor: the model cannot fit its data.",
                                 "Bigger model, train longer, higher learning rate, less regularisation."),
    "overfitting": VerdictStyle("Overfitting", "#c2410c", "bold white on dark_orange",
                                "Validation got worse while training kept improving.",
                                "Stop at the best epoch; more data, augmentation, weight decay, dropout."),
    "diverged": VerdictStyle("Diverged", "#b91c1c", "bold white on red",
                             "The loss blew up or became NaN/Inf.",
                             "Lower the learning rate, clip gradients, check the data for NaN."),
    "not_learning": VerdictStyle("Not learning", "#b91c1c", "bold white on red",
                                 "The loss stayed where it started: nothing is being learned.",
                                 "Check the learning rate, the loss and the labels; overfit one batch first."),
    "inconclusive": VerdictStyle("Inconclusive", "#475569", "bold white on grey37",
                                 "The curves do not yet say enough for a verdict.",
                                 "Train longer (more epochs or a larger --budget) and look again."),
}

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def verdict_style(verdict: str) -> VerdictStyle:
    return VERDICTS.get(verdict, VERDICTS["inconclusive"])
