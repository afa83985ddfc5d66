#!/usr/bin/python3
"""PyTorch twin of examples/cartpole.cpp: the same policy-gradient loop (policy 4 -> H tanh -> 2,
batches of E episodes played side by side, reward-to-go with a leave-one-out baseline across the
batch at each step, Adam), with the REINFORCE surrogate written by hand, on one thread. The
cart-pole is the same Euler step with the benchmark's constants, vectorized over the batch with
NumPy. Prints one JSON line with the example's keys.

Usage: cartpole_torch.py [--seeds N] [--seed S] [--batch E] [--hidden H] [--lr LR] [--max-episodes M]
"""
import argparse
import json
import math
import time

import numpy as np
import torch

T = 200
GRAVITY, CART, POLE, HALF, FORCE, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
X_LIMIT, THETA_LIMIT = 2.4, 12.0 * 2.0 * math.pi / 360.0


def env_step(s, action):
    """One Euler step of every row of s (E x 4) with actions (E,) in {0, 1}."""
    total, pml = CART + POLE, POLE * HALF
    force = np.where(action == 1, FORCE, -FORCE)
    c, sn = np.cos(s[:, 2]), np.sin(s[:, 2])
    temp = (force + pml * s[:, 3] ** 2 * sn) / total
    theta_acc = (GRAVITY * sn - c * temp) / (HALF * (4.0 / 3.0 - POLE * c * c / total))
    x_acc = temp - pml * theta_acc * c / total
    s = s.copy()
    s[:, 0] += TAU * s[:, 1]
    s[:, 1] += TAU * x_acc
    s[:, 2] += TAU * s[:, 3]
    s[:, 3] += TAU * theta_acc
    done = (s[:, 0] < -X_LIMIT) | (s[:, 0] > X_LIMIT) | (s[:, 2] < -THETA_LIMIT) | (s[:, 2] > THETA_LIMIT)
    return s, done


def train(a, seed):
    E, H = a.batch, a.hidden
    torch.manual_seed(1000 + seed)
    rng = np.random.default_rng(1000 + seed)
    W1 = (0.5 * torch.randn(4, H, dtype=torch.float64)).requires_grad_()
    c1 = torch.zeros(1, H, dtype=torch.float64, requires_grad=True)
    W2 = (0.1 / math.sqrt(H) * torch.randn(H, 2, dtype=torch.float64)).requires_grad_()
    c2 = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    params = [W1, c1, W2, c2]
    opt = torch.optim.Adam(params, lr=a.lr)

    def policy(s):
        return torch.tanh(s @ W1 + c1) @ W2 + c2

    returns, window, solved_at = [], [], -1
    t0 = time.perf_counter()
    while len(returns) < a.max_episodes:
        s = rng.uniform(-0.05, 0.05, size=(E, 4))
        alive = np.ones(E, dtype=bool)
        states, actions, masks = [], [], []
        for t in range(T):
            with torch.no_grad():
                probs = torch.softmax(policy(torch.from_numpy(s)), dim=1)
                act = torch.multinomial(probs, 1).squeeze(1).numpy()
            states.append(s)
            actions.append(act)
            masks.append(alive.copy())
            s_next, done = env_step(s, act)
            s = np.where(alive[:, None], s_next, s)
            alive = alive & ~done
            if not alive.any():
                break
        n = len(states)
        mask = torch.from_numpy(np.stack(masks).astype(np.float64))            # n x E
        rtg = torch.flip(torch.cumsum(torch.flip(mask, [0]), 0), [0])           # reward to go
        loo = (rtg.sum(1, keepdim=True) - rtg) / (E - 1)                        # leave-one-out baseline
        adv = (rtg - loo) * mask
        S = torch.from_numpy(np.concatenate(states))                            # n*E x 4, step-major
        A = torch.from_numpy(np.concatenate(actions)).long()
        logp = torch.log_softmax(policy(S), dim=1).gather(1, A[:, None]).squeeze(1).view(n, E)
        loss = -(adv * logp).sum() / E
        opt.zero_grad()
        loss.backward()
        opt.step()
        for ret in mask.sum(0).tolist():
            returns.append(ret)
            window.append(ret)
            if len(window) > 100:
                window.pop(0)
            if solved_at < 0 and len(window) == 100 and sum(window) / 100.0 >= 195.0:
                solved_at = len(returns)
        if solved_at >= 0:
            break
    return solved_at, len(returns), time.perf_counter() - t0, sum(window) / len(window)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--max-episodes", type=int, default=4000)
    a = p.parse_args()
    torch.set_num_threads(1)
    solved, episodes, seconds, last, at = 0, 0, 0.0, 0.0, []
    for k in range(a.seeds):
        s_at, n, sec, avg = train(a, a.seed + k)
        solved += s_at >= 0
        if s_at >= 0:
            at.append(s_at)
        episodes += n
        seconds += sec
        last += avg / a.seeds
    at.sort()
    print(json.dumps({"example": "cartpole", "impl": "pytorch", "seeds": a.seeds, "solved": solved,
                      "median_episodes_to_solve": at[len(at) // 2] if at else -1, "episodes": episodes,
                      "seconds": round(seconds, 3), "us_per_episode": round(1e6 * seconds / max(episodes, 1), 1),
                      "last100_average": round(last, 2), "batch": a.batch, "hidden": a.hidden, "lr": a.lr,
                      "ok": solved == a.seeds}))


if __name__ == "__main__":
    main()
