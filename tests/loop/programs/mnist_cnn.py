"""The pattern of pytorch/examples mnist: CNN, log_softmax + F.nll_loss, Adadelta + StepLR,
test() in eval mode under no_grad with reduction='sum'."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

from _toy import images


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 8, 3, 1), nn.Conv2d(8, 16, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(2304, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.dropout1(torch.flatten(F.max_pool2d(x, 2), 1))
        return F.log_softmax(self.fc2(self.dropout2(F.relu(self.fc1(x)))), dim=1)


torch.manual_seed(1)
x, y = images(768)
train = DataLoader(TensorDataset(x[:512], y[:512]), batch_size=32, shuffle=True)
test = DataLoader(TensorDataset(x[512:], y[512:]), batch_size=64)
model = Net()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 4):
    model.train()
    for data, target in train:
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
    model.eval()
    test_loss = correct = 0
    with torch.no_grad():
        for data, target in test:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    print(f"epoch {epoch}: test loss {test_loss / 256:.4f}, accuracy {correct / 256:.3f}")
    scheduler.step()
