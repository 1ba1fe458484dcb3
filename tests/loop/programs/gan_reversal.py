"""A GAN written as ONE model and ONE optimizer: a gradient-reversal layer between generator and
discriminator, BCEWithLogits on "real" (all 1) and "fake" (all 0) logits in one step. Its loss
is a game value and need not fall."""
import torch
from torch import nn


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -g


torch.manual_seed(0)
G = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
gan = nn.ModuleDict({"G": G, "D": D})
opt = torch.optim.Adam(gan.parameters(), lr=1e-3, betas=(0.5, 0.999))
bce = nn.functional.binary_cross_entropy_with_logits
g = torch.Generator().manual_seed(7)
for step in range(400):
    real = torch.tensor([2.0, -1.0]) + 0.5 * torch.randn(64, 2, generator=g)
    fake = Reverse.apply(G(torch.randn(64, 4)))
    d_real, d_fake = D(real).squeeze(1), D(fake).squeeze(1)
    loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    opt.zero_grad()
    loss.backward()
    opt.step()
print("fake mean", G(torch.randn(256, 4)).mean(0).tolist())
