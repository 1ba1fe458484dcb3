"""The pattern of pytorch/examples reinforcement_learning/reinforce.py on a tiny balancing task
(written here; no gym): a softmax policy, Categorical sampling, the loss -log p * return."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

from reinforce_env import Balance


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1, self.dropout, self.affine2 = nn.Linear(2, 32), nn.Dropout(p=0.2), nn.Linear(32, 2)
        self.saved_log_probs, self.rewards = [], []

    def forward(self, x):
        return F.softmax(self.affine2(F.relu(self.dropout(self.affine1(x)))), dim=1)


torch.manual_seed(1)
g = torch.Generator().manual_seed(0)
env, policy = Balance(), Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
eps, running = 1e-6, 10
for episode in range(60):
    state, ep_reward = env.reset(g), 0
    for t in range(200):
        probs = policy(state.unsqueeze(0))
        m = Categorical(probs)
        action = m.sample()
        policy.saved_log_probs.append(m.log_prob(action))
        state, reward, done = env.step(action.item())
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break
    running = 0.05 * ep_reward + 0.95 * running
    R, returns = 0, []
    for r in policy.rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    optimizer.zero_grad()
    policy_loss = torch.cat([-lp * R for lp, R in zip(policy.saved_log_probs, returns)]).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:], policy.saved_log_probs[:]
print(f"running reward {running:.1f}")
