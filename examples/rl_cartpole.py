"""RL job: CartPole-v1 with its pole length, pole mass and gravity as physics parameters.

`danfang rl-study examples/rl_cartpole.py` trains PPO on the fixed (nominal) physics and on
physics resampled from PARAMS at every episode, then evaluates both on HELD_OUT ranges.
CartPole's `length` is half the pole's length, as in Gymnasium's CartPoleEnv.
"""

import gymnasium as gym


def env(params):
    """A CartPole-v1 env with the given physics set on the unwrapped CartPoleEnv."""
    e = gym.make("CartPole-v1")
    pole = e.unwrapped
    pole.length = params["length"]
    pole.masspole = params["masspole"]
    pole.gravity = params["gravity"]
    pole.total_mass = pole.masspole + pole.masscart        # derived in CartPoleEnv.__init__:
    pole.polemass_length = pole.masspole * pole.length     # recompute them, or step() uses the old ones
    return e


NOMINAL = {"length": 0.5, "masspole": 0.1, "gravity": 9.8}
PARAMS = {"length": (0.25, 0.75), "masspole": (0.05, 0.2), "gravity": (7.0, 12.0)}
HELD_OUT = {
    "inside": {"length": (0.3, 0.7), "masspole": (0.06, 0.18), "gravity": (7.5, 11.5)},
    "outside": {"length": (0.05, 0.2), "masspole": (0.3, 1.0), "gravity": (13.0, 20.0)},
}
# rl-zoo's PPO hyperparameters for CartPole-v1 (constant learning rate and clip range)
settings = {
    "algorithm": "PPO", "timesteps": 20000, "seeds": 10, "reward_scale": [1.0], "n_envs": 8,
    "hyperparams": {"n_steps": 32, "batch_size": 256, "gae_lambda": 0.8, "gamma": 0.98, "n_epochs": 20,
                    "ent_coef": 0.0, "learning_rate": 0.001, "clip_range": 0.2},
    "eval_every": 2000, "curve_episodes": 3, "eval_episodes": 3, "grid_points": 5, "return_threshold": 475.0,
}
