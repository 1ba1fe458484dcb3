"""The tiny balancing task both RL programs train on (no gym needed)."""
import torch


class Balance:
    """A pole to keep upright: state (angle, velocity); action pushes left/right."""

    def reset(self, g):
        self.s = (torch.rand(2, generator=g) - 0.5) * 0.1
        return self.s.clone()

    def step(self, a):
        angle, vel = self.s
        vel = vel + 0.05 * angle + (0.02 if a == 1 else -0.02)
        angle = angle + vel
        self.s = torch.stack([angle, vel])
        done = bool(abs(angle) > 0.4)
        return self.s.clone(), 1.0, done
