// CartPole by policy gradient: the environment is plain C++ outside the graph, its rewards come
// back through black_box, and grad builds the REINFORCE estimator with reward-to-go weighting
// and a leave-one-out baseline, with no surrogate written by hand.
//
// Environment: the classic cart-pole (Barto, Sutton and Anderson 1983) with the standard
// benchmark's constants and Euler step (CartPole-v0): state (x, x', theta, theta'), actions
// push left / right with 10 N, +1 per step, the episode ends when |theta| > 12 degrees, |x| > 2.4
// or after 200 steps. Solved: the average return of 100 consecutive episodes reaches 195.
//
// Policy: logits = tanh(s W1 + c1) W2 + c2 (4 -> H -> 2), a ~ Categorical(softmax(logits)).
// One graph holds
//   acting:  state (E x 4, the E episodes of a batch side by side) -> a_now = categorical(...);
//            the loop runs a_now once per time step with the states fed, and steps the
//            environments in C++.
//   replay:  states (T*E x 4, step-major), alive (T*E x 1), rewards (E x T);
//            a_t = categorical(slice of the logits for step t), fed with the actions taken;
//            r_t = black_box(rewards column t, {a_0, ..., a_t}): the reward at step t depends
//            on the actions so far, row e on episode e's only (row-local);
//            cost = -(sum_t sum(r_t)) / E.
//   grad(cost, params, leave-one-out baseline) is then, for each step t and episode e,
//   -(reward-to-go_et - mean of the other episodes' reward-to-go at t) d log pi(a_et | s_et) / E.
//   Steps after an episode ended are padding: their logits are multiplied by alive = 0, so they
//   are constant and contribute nothing.
//
// Usage: cartpole [--quick] [--seeds N] [--seed S] [--batch E] [--hidden H] [--lr LR]
//                 [--max-episodes M] [--out DIR]   (--help for more)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <numeric>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

constexpr int kT = 200;  // the benchmark's episode limit (CartPole-v0)

/// The cart-pole, as in the standard benchmark (constants and the Euler step of CartPole-v0).
struct CartPole {
  static constexpr double kGravity = 9.8, kCartMass = 1.0, kPoleMass = 0.1, kHalfLength = 0.5,
                          kForce = 10.0, kTau = 0.02, kXLimit = 2.4,
                          kThetaLimit = 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
  double s[4] = {0, 0, 0, 0};  // x, x', theta, theta'
  bool done = false;

  void reset(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-0.05, 0.05);
    for (double& v : s) v = u(rng);
    done = false;
  }
  /// One step with action 0 (push left) or 1 (push right); returns the reward (1).
  double step(int action) {
    const double total = kCartMass + kPoleMass, pml = kPoleMass * kHalfLength;
    const double force = action == 1 ? kForce : -kForce;
    const double c = std::cos(s[2]), sn = std::sin(s[2]);
    const double temp = (force + pml * s[3] * s[3] * sn) / total;
    const double theta_acc = (kGravity * sn - c * temp) / (kHalfLength * (4.0 / 3.0 - kPoleMass * c * c / total));
    const double x_acc = temp - pml * theta_acc * c / total;
    s[0] += kTau * s[1];
    s[1] += kTau * x_acc;
    s[2] += kTau * s[3];
    s[3] += kTau * theta_acc;
    done = s[0] < -kXLimit || s[0] > kXLimit || s[2] < -kThetaLimit || s[2] > kThetaLimit;
    return 1.0;
  }
};

struct Settings {
  int batch = 8, hidden = 32, max_episodes = 4000;
  double lr = 0.01;
  bool quick = false;
  unsigned seed = 0;
  int seeds = 1;
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("cartpole", "CartPole by policy gradient: REINFORCE with reward-to-go built by grad.");
  f.quick_flag(s.quick, "a short run that checks learning, not solving");
  f.count("seeds", s.seeds, "N", "seeds trained one after another");
  f.seed("seed", s.seed, "the first seed");
  f.count("batch", s.batch, "E", "episodes per batch, 2 or more (leave-one-out)", 2);
  f.count("hidden", s.hidden, "H", "hidden units of the policy");
  f.positive("lr", s.lr, "LR", "Adam's learning rate");
  f.count("max-episodes", s.max_episodes, "M", "episodes per seed at most").quick(240);
  f.out_dir("out", s.out, "folder for cartpole_curves.csv");
  f.parse(argc, argv);
  if (s.max_episodes < s.batch) f.fail("--max-episodes must be at least --batch");
  return s;
}

struct Result {
  int episodes = 0;           // episodes played
  int solved_at = -1;         // episodes played when the 100-episode average first reached 195
  double seconds = 0, final_average = 0;
  std::vector<double> returns;
};

/// The policy and the graph around it (see the file comment), built once.
struct Policy {
  scg::Graph g;
  std::vector<scg::Var> params, actions, grads;
  scg::Var state, a_now, states, alive, rewards;

  Policy(int E, int H, std::mt19937_64& rng) {
    std::normal_distribution<double> normal;
    auto init = [&](int rows, int cols, double scale) {
      scg::Tensor t(rows, cols);
      for (Eigen::Index i = 0; i < t.shape().size(); ++i) t.data()[i] = scale * normal(rng);
      return t;
    };
    const scg::Var W1 = g.parameter("W1", init(4, H, 1.0 / 2.0)), c1 = g.parameter("c1", scg::Tensor(1, H));
    const scg::Var W2 = g.parameter("W2", init(H, 2, 0.1 / std::sqrt(H))), c2 = g.parameter("c2", scg::Tensor(1, 2));
    params = {W1, c1, W2, c2};
    auto policy = [&](const scg::Var& s) { return scg::matmul(scg::tanh(scg::matmul(s, W1) + c1), W2) + c2; };
    // Acting.
    state = g.input("state", E, 4);
    a_now = scg::categorical(policy(state));
    // Replay.
    states = g.input("states", kT * E, 4), alive = g.input("alive", kT * E, 1);
    rewards = g.input("rewards", E, kT);
    const scg::Var logits = policy(states) * alive;
    scg::Var total;
    for (int t = 0; t < kT; ++t) {
      actions.push_back(scg::categorical(scg::slice_rows(logits, t * E, E)));
      const scg::Var r = scg::black_box(scg::slice_cols(rewards, t, 1), actions);
      total = total.empty() ? scg::sum(r) : total + scg::sum(r);
    }
    scg::GradOptions opt;
    opt.baseline = scg::Baseline::kLeaveOneOut;
    grads = scg::grad(-total / static_cast<double>(E), params, opt);
  }
};

/// The environments of one batch and the tensors fed to the policy, allocated once (the feeds
/// refer to the tensors: a Batch stays where it is built).
struct Batch {
  const Policy& p;
  scg::Tensor state_t, states_t, alive_t, rewards_t;
  std::vector<scg::Tensor> taken_t;
  std::vector<scg::Feed> feeds, act_feeds;
  std::vector<CartPole> env;

  Batch(const Policy& policy, int E)
      : p(policy), state_t(E, 4), states_t(kT * E, 4), alive_t(kT * E, 1), rewards_t(E, kT),
        taken_t(kT, scg::Tensor(E, 2)), feeds{{p.states, states_t}, {p.alive, alive_t}, {p.rewards, rewards_t}},
        act_feeds{{p.state, state_t}}, env(static_cast<std::size_t>(E)) {
    for (int t = 0; t < kT; ++t) feeds.emplace_back(p.actions[t], taken_t[t]);
  }

  /// Plays the E episodes side by side, recording them for the replay; returns their lengths.
  std::vector<int> play(scg::Session& session, std::mt19937_64& rng) {
    const int E = static_cast<int>(env.size());
    for (CartPole& c : env) c.reset(rng);
    states_t.matrix().setZero(), alive_t.matrix().setZero(), rewards_t.matrix().setZero();
    for (scg::Tensor& a : taken_t) a.matrix().col(0).setOnes(), a.matrix().col(1).setZero();  // padding
    std::vector<int> length(E, 0);
    for (int t = 0; t < kT; ++t) {
      bool any = false;
      for (int e = 0; e < E; ++e)
        for (int k = 0; k < 4; ++k) state_t(e, k) = env[e].s[k];
      const scg::Tensor& a = session.run(p.a_now, act_feeds);
      for (int e = 0; e < E; ++e) {
        if (env[e].done) continue;
        any = true;
        const int row = t * E + e, action = a(e, 1) == 1.0 ? 1 : 0;
        for (int k = 0; k < 4; ++k) states_t(row, k) = env[e].s[k];
        alive_t(row, 0) = 1.0;
        taken_t[t](e, 0) = 1.0 - action, taken_t[t](e, 1) = action;
        rewards_t(e, t) = env[e].step(action);
        ++length[e];
      }
      if (!any) break;
    }
    return length;
  }
};

/// Trains one seed: batches of episodes, one Adam step per batch, until solved (or, quick,
/// until max_episodes).
Result train(const Settings& set, unsigned seed) {
  std::mt19937_64 rng(1000 + seed);
  const Policy policy(set.batch, set.hidden, rng);
  scg::Session session(policy.g, 77 + seed);
  scg::Adam adam(policy.params, set.lr);
  Batch batch(policy, set.batch);
  Result res;
  std::deque<double> window;
  double window_sum = 0;
  const auto t0 = report::Clock::now();
  while (res.episodes < set.max_episodes) {
    const std::vector<int> length = batch.play(session, rng);
    adam.step(session.run(policy.grads, batch.feeds));  // the replay, for the gradient
    for (const int ret : length) {
      res.returns.push_back(ret);
      ++res.episodes;
      window.push_back(ret), window_sum += ret;
      if (window.size() > 100) window_sum -= window.front(), window.pop_front();
      if (res.solved_at < 0 && window.size() == 100 && window_sum / 100.0 >= 195.0) res.solved_at = res.episodes;
    }
    res.final_average = window_sum / static_cast<double>(window.size());
    if (res.solved_at >= 0 && !set.quick) break;
  }
  res.seconds = report::seconds_since(t0);
  return res;
}

/// One seed's returns and running 100-episode averages as CSV rows, and its line.
void record(std::ofstream& csv, unsigned seed, const Result& r) {
  double sum = 0;
  for (std::size_t i = 0; i < r.returns.size(); ++i) {
    sum += r.returns[i] - (i >= 100 ? r.returns[i - 100] : 0.0);
    csv << seed << ',' << i + 1 << ',' << r.returns[i] << ','
        << sum / static_cast<double>(std::min<std::size_t>(i + 1, 100)) << '\n';
  }
  if (r.solved_at >= 0)
    std::printf("  seed %u: solved after %d episodes, %.2f s (%.1f us per episode)\n", seed, r.solved_at, r.seconds,
                1e6 * r.seconds / r.episodes);
  else
    std::printf("  seed %u: not solved in %d episodes; average of the last 100: %.1f; %.2f s\n", seed, r.episodes,
                r.final_average, r.seconds);
}

/// The verdict over the seeds and the JSON line; returns whether it passed.
bool summarize(const Settings& set, const std::vector<Result>& results) {
  int solved = 0, episodes = 0;
  double seconds = 0, last_average = 0;
  std::vector<int> solved_at;
  for (const Result& r : results) {
    solved += r.solved_at >= 0;
    if (r.solved_at >= 0) solved_at.push_back(r.solved_at);
    episodes += r.episodes, seconds += r.seconds, last_average += r.final_average / results.size();
  }
  std::sort(solved_at.begin(), solved_at.end());
  const int median = solved_at.empty() ? -1 : solved_at[solved_at.size() / 2];
  // Quick: learning = the last 100 episodes average well above a random policy's ~22.
  const bool ok = set.quick ? last_average >= 60.0 : solved == set.seeds;
  std::printf("verdict: %s (%d of %d seeds solved%s; last-100 average %.1f; random policy ~22)\n",
              ok ? (set.quick ? "learning" : "solved") : "FAILED", solved, set.seeds,
              set.quick ? ", quick run needs a last-100 average >= 60" : "", last_average);
  std::printf("wrote %s/cartpole_curves.csv\n", set.out.c_str());
  std::printf("{\"example\":\"cartpole\",\"seeds\":%d,\"solved\":%d,\"median_episodes_to_solve\":%d,"
              "\"episodes\":%d,\"seconds\":%.3f,\"us_per_episode\":%.1f,\"last100_average\":%.2f,\"batch\":%d,"
              "\"hidden\":%d,\"lr\":%g,\"ok\":%s}\n", set.seeds, solved, median, episodes, seconds,
              1e6 * seconds / std::max(episodes, 1), last_average, set.batch, set.hidden, set.lr, ok ? "true" : "false");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("cartpole", [&] {
    const Settings set = parse(argc, argv);
    std::printf("cartpole: policy 4 -> %d (tanh) -> 2, batches of %d episodes, Adam lr %g, reward-to-go with a "
                "leave-one-out baseline; %s, up to %d episodes per seed\n", set.hidden, set.batch, set.lr,
                set.quick ? "quick (checks learning)" : "until solved (average 195 over 100 episodes)",
                set.max_episodes);
    const std::string path = set.out + "/cartpole_curves.csv";
    std::ofstream csv = report::open(path);
    csv << "seed,episode,return,average100\n";
    std::vector<Result> results;
    for (int k = 0; k < set.seeds; ++k) {
      const unsigned seed = set.seed + static_cast<unsigned>(k);
      results.push_back(train(set, seed));
      record(csv, seed, results.back());
    }
    report::close(csv, path);
    return summarize(set, results) ? 0 : 1;
  });
}
