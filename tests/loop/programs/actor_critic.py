"""The pattern of pytorch/examples reinforcement_learning/actor_critic.py on the same tiny task:
a shared body with action and value heads, F.smooth_l1_loss(value, R) for the critic."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

from reinforce_env import Balance


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1, self.action_head, self.value_head = nn.Linear(2, 32), nn.Linear(32, 2), nn.Linear(32, 1)
        self.saved_actions, self.rewards = [], []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


torch.manual_seed(1)
g = torch.Generator().manual_seed(0)
env, model = Balance(), Policy()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
for episode in range(60):
    state = env.reset(g)
    for t in range(200):
        probs, value = model(state)
        m = Categorical(probs)
        action = m.sample()
        model.saved_actions.append((m.log_prob(action), value))
        state, reward, done = env.step(action.item())
        model.rewards.append(reward)
        if done:
            break
    R, returns = 0, []
    for r in model.rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-6)
    policy_losses, value_losses = [], []
    for (log_prob, value), R in zip(model.saved_actions, returns):
        policy_losses.append(-log_prob * (R - value.item()))
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    del model.rewards[:], model.saved_actions[:]
print("done")
