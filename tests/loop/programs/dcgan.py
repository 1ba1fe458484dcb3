"""The pattern of pytorch/examples dcgan: G and D, BCELoss, two Adam optimizers, D stepped on
errD_real.backward() + errD_fake.backward(), fixed-noise samples under no_grad."""
import torch
from torch import nn

torch.manual_seed(1)
nz = 8
netG = nn.Sequential(nn.ConvTranspose2d(nz, 32, 4, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
                     nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
                     nn.ConvTranspose2d(16, 1, 4, 2, 1, bias=False), nn.Tanh())
netD = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                     nn.Conv2d(16, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.2, inplace=True),
                     nn.Conv2d(32, 1, 4, 1, 0, bias=False), nn.Sigmoid())
criterion = nn.BCELoss()
fixed_noise = torch.randn(16, nz, 1, 1)
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
g = torch.Generator().manual_seed(0)
for epoch in range(2):
    for i in range(40):
        real = torch.tanh(torch.randn(32, 1, 16, 16, generator=g).cumsum(-1) / 4)  # smooth "images"
        netD.zero_grad()
        label = torch.full((32,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(32, nz, 1, 1))
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optimizerG.step()
    with torch.no_grad():
        samples = netG(fixed_noise).detach()
    print(f"epoch {epoch}: Loss_D {(errD_real + errD_fake).item():.3f} Loss_G {errG.item():.3f}")
