// Learning with Opponent-Learning Awareness by DiCE (Foerster et al. 2018) on the iterated
// prisoner's dilemma, with every sampled derivative checked against the exact one.
//
// Two memory-one agents. Agent i's policy is 5 logits of P(cooperate) for the states [start,
// CC, CD, DC, DD] (the previous joint action, agent 1's action first; C = 0, D = 1). Rewards per
// step: agent 1 CC -1, CD -3, DC 0, DD -2; agent 2 symmetric. Discount 0.96, T steps.
//
// Sampled: B episodes side by side as rows, built in the graph (each action a bernoulli node,
// each reward a payoff lookup of the two actions), so grad adds the score terms and the
// causality (a reward depends on the actions up to its step) itself; no surrogate is written.
// Exact: V_i = sum_t gamma^t x_0 M^t r_i, x_0 the first joint action's distribution and M the
// 4x4 transition between joint actions, built as a deterministic graph of the same parameters
// and differentiated by scg itself (gradient and Hessian blocks).
//
// 1. At a random point (theta ~ N(0, 1)), the sampled grad_theta1 V1, d^2 V1 / d theta1^2 and
//    d^2 V1 / d theta1 d theta2, averaged over --batches batches of --batch episodes, with the
//    leave-one-out baseline (across the batch, per step: DiCE's baseline form, unbiased at
//    every order) and without; their correlations with the exact ones, also per batch size.
// 2. LOLA-DiCE against naive learners from the same start: agent i steps on grad_theta_i
//    V_i(theta_i, theta_j + eta grad_theta_j V_j), the inner step a sampled DiCE gradient on
//    its own rollouts, differentiated through (the outer objective on fresh rollouts with the
//    looked-ahead opponent). The average reward per step along training is the exact one.
//
// The first grad keeps its MagicBoxes live (GradOptions::live_boxes): the second grad is DiCE's
// repeated differentiation, each reward with its own actions, and the baseline takes Mao et
// al.'s form at second order. With the default rule instead, the Hessian's correlation stays
// near 0.5 at 100 000 episodes (README, "Second order").
//
// 3. --loaded: Loaded DiCE (GradOptions::lambda; Farquhar et al. 2019) at lambda from 1 to 0,
//    the second-order blocks' bias and spread against the exact ones (ipd_lola_loaded.csv).
//
// Usage: ipd_lola [--quick] [--check] [--loaded] [--batch B] [--batches M] [--steps T]
//                 [--iterations N] [--seed S] [--out DIR]
//   --check  prints, as its last line, the JSON object of the evaluation and the training
//            (theta1, theta2, est_grad1, est_hess1, est_cross12, final_theta1, final_theta2, ...)
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

using scg::Var;
constexpr int kStates = 5;
constexpr double kGamma = 0.96;
// Payoffs of the joint actions CC, CD, DC, DD (agent 1's action first).
constexpr std::array<double, 4> kR1{-1, -3, 0, -2}, kR2{-1, 0, -3, -2};

struct Settings {
  int batch = 1024, batches = 100, plain_batches = 30, train_batch = 256, T = 150, iterations = 200,
      loaded_batches = 30;
  unsigned seed = 1;
  double lr = 0.2, eta = 0.3;
  bool check = false, quick = false, loaded = false;
  std::string out = ".", baseline = "loo", boxes = "live";
};

Var column(scg::Graph& g, const std::array<double, 4>& r) {
  scg::Tensor t(4, 1);
  for (int i = 0; i < 4; ++i) t(i, 0) = r[static_cast<std::size_t>(i)];
  return g.constant(t);
}

/// The sampled discounted returns of both agents, each the mean over B episodes (1x1).
struct Returns {
  Var v1, v2;
};

/// Each episode's copy of a policy's logits: B x 5 (one row per episode).
Var per_episode(const Var& theta, int B) { return scg::broadcast_to(scg::transpose(theta), {B, kStates}); }

/// B episodes of T steps under the policies th1, th2 (B x 5 logits of cooperating per state,
/// one row per episode).
Returns rollout(scg::Graph& g, const Var& th1, const Var& th2, int T) {
  const Eigen::Index B = th1.rows();
  scg::Tensor start(B, kStates);
  start.matrix().col(0).setOnes();
  Var s = g.constant(start);
  const Var zero = g.constant(scg::Tensor(B, 1)), r1 = column(g, kR1), r2 = column(g, kR2);
  Returns out;
  double discount = 1;
  for (int t = 0; t < T; ++t) {
    const Var d1 = scg::bernoulli(-scg::sum(s * th1, 1));  // 1: defect
    const Var d2 = scg::bernoulli(-scg::sum(s * th2, 1));
    const Var c1 = 1.0 - d1, c2 = 1.0 - d2;
    const Var joint = scg::concat({c1 * c2, c1 * d2, d1 * c2, d1 * d2}, 1);  // B x 4, one-hot
    const Var e1 = discount * scg::mean(scg::matmul(joint, r1));
    const Var e2 = discount * scg::mean(scg::matmul(joint, r2));
    out.v1 = out.v1.empty() ? e1 : out.v1 + e1;
    out.v2 = out.v2.empty() ? e2 : out.v2 + e2;
    s = scg::concat({zero, joint}, 1);
    discount *= kGamma;
  }
  return out;
}

/// The exact discounted returns sum_t gamma^t x_0 M^t r_i (1x1 each), as a graph of th1, th2.
Returns exact(scg::Graph& g, const Var& th1, const Var& th2, int T) {
  const Var p1 = scg::sigmoid(th1), p2 = scg::sigmoid(th2), q1 = 1.0 - p1, q2 = 1.0 - p2;
  const Var joint = scg::concat({p1 * p2, p1 * q2, q1 * p2, q1 * q2}, 1);  // 5 x 4
  const Var M = scg::slice_rows(joint, 1, 4), r1 = column(g, kR1), r2 = column(g, kR2);
  Var x = scg::slice_rows(joint, 0, 1);
  Returns out;
  double discount = 1;
  for (int t = 0; t < T; ++t) {
    const Var e1 = discount * scg::matmul(x, r1), e2 = discount * scg::matmul(x, r2);
    out.v1 = out.v1.empty() ? e1 : out.v1 + e1;
    out.v2 = out.v2.empty() ? e2 : out.v2 + e2;
    x = scg::matmul(x, M);
    discount *= kGamma;
  }
  return out;
}

/// The average reward per step of a discounted return over T steps.
double per_step(double v, int T) { return v * (1 - kGamma) / (1 - std::pow(kGamma, T)); }

/// grad_theta1 V1 (5x1) and its derivatives: row i of hess (5x5) is d(grad_i)/d theta1, row i
/// of cross d(grad_i)/d theta2.
struct Derivatives {
  Var grad;
  std::vector<Var> hess_rows, cross_rows;
};

Derivatives derivatives(const Var& v1, const Var& th1, const Var& th2, const scg::GradOptions& first) {
  Derivatives d;
  d.grad = scg::grad(v1, {th1}, first)[0];
  for (int i = 0; i < kStates; ++i) {
    const auto h = scg::grad(scg::sum(scg::slice_rows(d.grad, i, 1)), {th1, th2});
    d.hess_rows.push_back(h[0]);
    d.cross_rows.push_back(h[1]);
  }
  return d;
}

/// Flattened values: grad (5), hess (25, row-major), cross (25, row-major).
struct Flat {
  std::vector<double> grad, hess, cross;
};

Flat flatten(const std::vector<scg::Tensor>& v) {
  Flat f;
  for (int i = 0; i < kStates; ++i) f.grad.push_back(v[0](i, 0));
  for (int i = 0; i < kStates; ++i)
    for (int j = 0; j < kStates; ++j)
      f.hess.push_back(v[1 + static_cast<std::size_t>(i)](j, 0)),
          f.cross.push_back(v[1 + kStates + static_cast<std::size_t>(i)](j, 0));
  return f;
}

std::vector<Var> targets(const Derivatives& d) {
  std::vector<Var> t{d.grad};
  t.insert(t.end(), d.hess_rows.begin(), d.hess_rows.end());
  t.insert(t.end(), d.cross_rows.begin(), d.cross_rows.end());
  return t;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i] / a.size(), mb += b[i] / b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  return sab / std::sqrt(saa * sbb);
}

/// The correlations with the exact values of the sampled estimates averaged over the first m
/// batches, for m = 1 .. batches (episodes m * batch), and the mean over all of them.
struct Sampled {
  Flat mean;
  Flat var;  // per entry: the variance of one batch's estimate
  std::vector<std::array<double, 3>> corr;  // per m: gradient, Hessian, cross block
};

/// The sampled estimates at (theta1, theta2) from `batches` runs of `batch` episodes. The first
/// grad keeps its MagicBoxes live (GradOptions::live_boxes), so the second is DiCE's repeated
/// differentiation; with the baseline, its terms are Mao et al.'s (at every order).
Sampled sampled(const Settings& set, const scg::Tensor& t1, const scg::Tensor& t2, const Flat& exact,
                int batches, bool baseline, unsigned seed, double lambda = 1.0) {
  scg::Graph g;
  const Var th1 = g.parameter("theta1", t1), th2 = g.parameter("theta2", t2);
  const Returns r = rollout(g, per_episode(th1, set.batch), per_episode(th2, set.batch), set.T);
  scg::GradOptions first;
  first.live_boxes = set.boxes == "live";
  first.lambda = lambda;
  if (baseline)
    first.baseline = set.baseline == "loo" ? scg::Baseline::kLeaveOneOut : scg::Baseline::kMovingAverage;
  const Derivatives d = derivatives(r.v1, th1, th2, first);
  scg::Session s(g, seed);
  Flat sum{std::vector<double>(kStates), std::vector<double>(kStates * kStates),
           std::vector<double>(kStates * kStates)};
  Flat sq = sum;
  Sampled out;
  for (int b = 1; b <= batches; ++b) {
    const Flat f = flatten(s.run(targets(d)));
    for (std::size_t i = 0; i < f.grad.size(); ++i) sum.grad[i] += f.grad[i], sq.grad[i] += f.grad[i] * f.grad[i];
    for (std::size_t i = 0; i < f.hess.size(); ++i) {
      sum.hess[i] += f.hess[i], sum.cross[i] += f.cross[i];
      sq.hess[i] += f.hess[i] * f.hess[i], sq.cross[i] += f.cross[i] * f.cross[i];
    }
    out.corr.push_back(
        {correlation(sum.grad, exact.grad), correlation(sum.hess, exact.hess), correlation(sum.cross, exact.cross)});
  }
  out.mean = sum;
  for (auto* v : {&out.mean.grad, &out.mean.hess, &out.mean.cross})
    for (double& x : *v) x /= batches;
  out.var = sq;
  const std::vector<double>* means[3] = {&out.mean.grad, &out.mean.hess, &out.mean.cross};
  std::vector<double>* vars[3] = {&out.var.grad, &out.var.hess, &out.var.cross};
  for (int k = 0; k < 3; ++k)
    for (std::size_t i = 0; i < vars[k]->size(); ++i) {
      const double m = (*means[k])[i];
      (*vars[k])[i] = batches > 1 ? ((*vars[k])[i] - batches * m * m) / (batches - 1) : 0.0;
    }
  return out;
}

/// How far a mean of M batches is from the exact values, relative to their norm: the error
/// ||mean - exact|| / ||exact||, the part of it the batches' noise explains (sqrt(sum of the
/// entries' variances / M) / ||exact||), the bias that remains (sqrt(error^2 - noise^2), 0 if
/// negative), and one batch's spread (sqrt(sum of the variances) / ||exact||).
struct Accuracy {
  double error, noise, bias, spread;
};

Accuracy accuracy(const std::vector<double>& mean, const std::vector<double>& var, const std::vector<double>& exact,
                  int batches) {
  double e2 = 0, x2 = 0, v = 0;
  for (std::size_t i = 0; i < mean.size(); ++i)
    e2 += (mean[i] - exact[i]) * (mean[i] - exact[i]), x2 += exact[i] * exact[i], v += var[i];
  const double norm = std::sqrt(x2), noise2 = v / batches;
  return {std::sqrt(e2) / norm, std::sqrt(noise2) / norm, std::sqrt(std::max(e2 - noise2, 0.0)) / norm,
          std::sqrt(v) / norm};
}

/// Loaded DiCE (GradOptions::lambda) at each lambda: the sampled derivatives with the baseline
/// over set.loaded_batches batches (the same seed, so the same episodes for every lambda), their
/// correlations with the exact ones, and the error, noise, bias and spread of both second-order
/// blocks. Writes ipd_lola_loaded.csv.
void loaded_study(const Settings& set, const scg::Tensor& t1, const scg::Tensor& t2, const Flat& ex) {
  const std::string path = set.out + "/ipd_lola_loaded.csv";
  std::ofstream csv = report::open(path);
  csv << "lambda,corr_grad,corr_hess,corr_cross,hess_error,hess_noise,hess_bias,hess_spread,cross_error,"
         "cross_noise,cross_bias,cross_spread\n";
  std::printf("Loaded DiCE, %d batches of %d episodes (baseline: %s):\n", set.loaded_batches, set.batch,
              set.baseline.c_str());
  std::printf("%7s %6s %6s %6s | Hessian: %6s %6s %6s %6s | cross: %6s %6s %6s %6s\n", "lambda", "c_grad", "c_hess",
              "c_crss", "error", "noise", "bias", "spread", "error", "noise", "bias", "spread");
  for (double lambda : {1.0, 0.95, 0.9, 0.75, 0.5, 0.25, 0.0}) {
    const Sampled sm = sampled(set, t1, t2, ex, set.loaded_batches, true, set.seed + 1, lambda);
    const auto& c = sm.corr.back();
    const Accuracy h = accuracy(sm.mean.hess, sm.var.hess, ex.hess, set.loaded_batches);
    const Accuracy x = accuracy(sm.mean.cross, sm.var.cross, ex.cross, set.loaded_batches);
    std::printf("%7.2f %6.3f %6.3f %6.3f | %8s %6.3f %6.3f %6.3f %6.3f | %6s %6.3f %6.3f %6.3f %6.3f\n", lambda,
                c[0], c[1], c[2], "", h.error, h.noise, h.bias, h.spread, "", x.error, x.noise, x.bias, x.spread);
    csv << lambda << ',' << c[0] << ',' << c[1] << ',' << c[2] << ',' << h.error << ',' << h.noise << ','
        << h.bias << ',' << h.spread << ',' << x.error << ',' << x.noise << ',' << x.bias << ',' << x.spread
        << '\n';
  }
  report::close(csv, path);
}

Flat exact_derivatives(const Settings& set, const scg::Tensor& t1, const scg::Tensor& t2, double* v1, double* v2) {
  scg::Graph g;
  const Var th1 = g.parameter("theta1", t1), th2 = g.parameter("theta2", t2);
  const Returns r = exact(g, th1, th2, set.T);
  const Derivatives d = derivatives(r.v1, th1, th2, {});
  scg::Session s(g, 1);
  std::vector<Var> t = targets(d);
  t.push_back(r.v1), t.push_back(r.v2);
  const auto& v = s.run(t);
  *v1 = v[t.size() - 2].item(), *v2 = v[t.size() - 1].item();
  return flatten(std::vector<scg::Tensor>(v.begin(), v.end() - 2));
}

/// LOLA-DiCE (lookahead) or naive learners: one iteration's gradient of each agent's return,
/// built once. Exact average rewards per step from the closed form at the current parameters.
struct Learners {
  scg::Graph g;
  Var th1, th2, exact1, exact2;
  std::vector<Var> steps;  // {d(-V1) / d theta1, d(-V2) / d theta2} (with the lookahead for LOLA)
  Learners(const Settings& set, const scg::Tensor& t1, const scg::Tensor& t2, bool lola) {
    th1 = g.parameter("theta1", t1), th2 = g.parameter("theta2", t2);
    scg::GradOptions inner, outer;
    inner.baseline = scg::Baseline::kLeaveOneOut;  // per step, across the episodes
    inner.live_boxes = true;  // the look-ahead is differentiated through (LOLA-DiCE)
    outer.baseline = scg::Baseline::kMovingAverage;
    const int B = set.train_batch;
    const Returns a = rollout(g, per_episode(th1, B), per_episode(th2, B), set.T);
    if (!lola) {
      steps = {scg::grad(-a.v1, {th1}, inner)[0], scg::grad(-a.v2, {th2}, inner)[0]};
    } else {
      // Each agent looks ahead one (differentiable, sampled) step of the other's learning.
      const Var th2_ahead = th2 + set.eta * scg::grad(a.v2, {th2}, inner)[0];
      const Var th1_ahead = th1 + set.eta * scg::grad(a.v1, {th1}, inner)[0];
      const Returns b = rollout(g, per_episode(th1, B), per_episode(th2_ahead, B), set.T);
      const Returns c = rollout(g, per_episode(th1_ahead, B), per_episode(th2, B), set.T);
      steps = {scg::grad(-b.v1, {th1}, outer)[0], scg::grad(-c.v2, {th2}, outer)[0]};
    }
    const Returns e = exact(g, th1, th2, set.T);
    exact1 = e.v1, exact2 = e.v2;
  }
};

/// Trains both agents by gradient ascent on their returns (scg::Sgd on the negated returns, lr)
/// for set.iterations; the exact average rewards per step along the way.
std::vector<std::array<double, 2>> train(const Settings& set, Learners& l, unsigned seed) {
  scg::Session s(l.g, seed);
  scg::Sgd sgd({l.th1, l.th2}, set.lr);
  std::vector<std::array<double, 2>> curve;
  for (int it = 0; it <= set.iterations; ++it) {
    const auto& ex = s.run({l.exact1, l.exact2});
    curve.push_back({per_step(ex[0].item(), set.T), per_step(ex[1].item(), set.T)});
    if (it == set.iterations) break;
    sgd.step(s.run(l.steps));
  }
  return curve;
}

std::string json_list(const std::vector<double>& v, std::size_t from, std::size_t n) {
  std::string s = "[";
  char buf[40];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%s%.6g", i ? "," : "", v[from + i]);
    s += buf;
  }
  return s + "]";
}

std::string json_matrix(const std::vector<double>& v) {
  std::string s = "[";
  for (int i = 0; i < kStates; ++i) {
    if (i) s += ',';
    s += json_list(v, static_cast<std::size_t>(i * kStates), kStates);
  }
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("ipd_lola", [&] {
    Settings set;
    cli::Flags f("ipd_lola", "LOLA-DiCE on the iterated prisoner's dilemma, checked against the exact values.");
    f.quick_flag(set.quick, "a short run");
    f.switch_flag("check", set.check, "print the evaluation and training as one JSON line last");
    f.switch_flag("loaded", set.loaded,
                  "only the Loaded DiCE study: the second-order estimates' bias and spread per lambda "
                  "(GradOptions::lambda)");
    f.count("loaded-batches", set.loaded_batches, "M", "batches per lambda in the Loaded DiCE study", 2).quick(3);
    f.count("batch", set.batch, "B", "episodes per batch of the sampled derivatives", 2).quick(256);
    f.count("batches", set.batches, "M", "batches averaged for the sampled derivatives (baseline)").quick(4);
    f.count("plain-batches", set.plain_batches, "M", "batches for the sampled derivatives without baseline").quick(2);
    f.count("train-batch", set.train_batch, "B", "episodes per training iteration", 2).quick(64);
    f.count("steps", set.T, "T", "steps per episode");
    f.count("iterations", set.iterations, "N", "training iterations (LOLA-DiCE and naive)").quick(20);
    f.positive("lr", set.lr, "R", "learning rate of both agents (gradient ascent on the discounted return)");
    f.positive("eta", set.eta, "R", "LOLA's look-ahead step on the opponent's parameters");
    f.choice("baseline", set.baseline, {"loo", "ma"},
             "the first-order baseline: leave-one-out across the batch, or a moving average");
    f.choice("boxes", set.boxes, {"live", "rule"},
             "the sampled derivatives' second grad: through live boxes (DiCE), or grad's default rule");
    f.seed("seed", set.seed, "the evaluation point's and the sessions' seed");
    f.out_dir("out", set.out, "folder for ipd_lola_correlations.csv and ipd_lola_training.csv");
    f.parse(argc, argv);
    if (set.loaded && set.boxes != "live")
      f.fail("--loaded needs --boxes live (GradOptions::lambda acts through live boxes)");

    std::mt19937_64 rng(set.seed);
    std::normal_distribution<double> normal;
    scg::Tensor t1(kStates, 1), t2(kStates, 1);
    for (int i = 0; i < kStates; ++i) t1(i, 0) = normal(rng);
    for (int i = 0; i < kStates; ++i) t2(i, 0) = normal(rng);
    double v1 = 0, v2 = 0;
    const auto t0 = report::Clock::now();
    const Flat ex = exact_derivatives(set, t1, t2, &v1, &v2);
    std::printf("exact: V1 %.4f, V2 %.4f (average reward per step %.4f, %.4f)\n", v1, v2, per_step(v1, set.T),
                per_step(v2, set.T));
    if (set.loaded) {
      loaded_study(set, t1, t2, ex);
      std::printf("(%.1f s)\n", report::seconds_since(t0));
      return 0;
    }
    // The sampled derivatives with the baseline over --batches batches, without it over fewer
    // (its correlations are lower at every count); correlations per number of episodes.
    const Sampled with = sampled(set, t1, t2, ex, set.batches, true, set.seed + 1);
    const Sampled plain = sampled(set, t1, t2, ex, std::min(set.batches, set.plain_batches), false, set.seed + 1);
    std::string corr;
    for (const auto* sm : {&with, &plain}) {
      const auto& c = sm->corr.back();
      std::printf("%s, %zu episodes: correlation with the exact gradient %.4f, Hessian %.4f, cross block %.4f\n",
                  sm == &with ? "baseline" : "no baseline", sm->corr.size() * static_cast<std::size_t>(set.batch), c[0],
                  c[1], c[2]);
      char buf[200];
      std::snprintf(buf, sizeof buf, "\"corr_%s\":[%.4f,%.4f,%.4f],", sm == &with ? "baseline" : "plain", c[0], c[1],
                    c[2]);
      corr += buf;
    }
    {
      const std::string path = set.out + "/ipd_lola_correlations.csv";
      std::ofstream csv = report::open(path);
      csv << "episodes,grad,hessian,cross,grad_plain,hessian_plain,cross_plain\n";
      for (std::size_t m = 0; m < with.corr.size(); ++m) {
        csv << (m + 1) * static_cast<std::size_t>(set.batch);
        for (double c : with.corr[m]) csv << ',' << c;
        for (int k = 0; k < 3; ++k) csv << ',' << (m < plain.corr.size() ? std::to_string(plain.corr[m][k]) : "");
        csv << '\n';
      }
      report::close(csv, path);
    }
    std::printf("(%.1f s)\n", report::seconds_since(t0));
    std::vector<std::vector<double>> finals;
    std::vector<std::vector<std::array<double, 2>>> curves;
    for (bool lola : {false, true}) {
      Learners l(set, t1, t2, lola);
      const auto curve = train(set, l, set.seed + 2);
      curves.push_back(curve);
      std::printf("%s: final average reward per step %.3f, %.3f (%.1f s)\n", lola ? "LOLA-DiCE" : "naive",
                  curve.back()[0], curve.back()[1], report::seconds_since(t0));
      std::vector<double> th(l.th1.value().data(), l.th1.value().data() + kStates);
      th.insert(th.end(), l.th2.value().data(), l.th2.value().data() + kStates);
      th.push_back(curve.back()[0]), th.push_back(curve.back()[1]);
      finals.push_back(th);
    }
    {
      const std::string path = set.out + "/ipd_lola_training.csv";
      std::ofstream csv = report::open(path);
      csv << "iteration,naive1,naive2,lola1,lola2\n";
      for (std::size_t i = 0; i < curves[0].size(); ++i)
        csv << i << ',' << curves[0][i][0] << ',' << curves[0][i][1] << ',' << curves[1][i][0] << ','
            << curves[1][i][1] << '\n';
      report::close(csv, path);
    }
    if (set.check) {
      std::vector<double> a(t1.data(), t1.data() + kStates), b(t2.data(), t2.data() + kStates);
      std::printf("{\"example\":\"ipd_lola\",\"batch\":%d,\"batches\":%d,\"steps\":%d,\"iterations\":%d,"
                  "\"theta1\":%s,\"theta2\":%s,\"exact_v1\":%.6g,\"exact_v2\":%.6g,\"est_grad1\":%s,"
                  "\"est_hess1\":%s,\"est_cross12\":%s,\"exact_grad1\":%s,\"exact_hess1\":%s,"
                  "\"exact_cross12\":%s,%s\"naive_final_reward\":[%.4f,%.4f],\"final_theta1\":%s,"
                  "\"final_theta2\":%s,\"final_reward\":[%.4f,%.4f]}\n",
                  set.batch, set.batches, set.T, set.iterations, json_list(a, 0, kStates).c_str(),
                  json_list(b, 0, kStates).c_str(), v1, v2, json_list(with.mean.grad, 0, kStates).c_str(),
                  json_matrix(with.mean.hess).c_str(), json_matrix(with.mean.cross).c_str(),
                  json_list(ex.grad, 0, kStates).c_str(), json_matrix(ex.hess).c_str(),
                  json_matrix(ex.cross).c_str(), corr.c_str(), finals[0][10], finals[0][11],
                  json_list(finals[1], 0, kStates).c_str(), json_list(finals[1], kStates, kStates).c_str(),
                  finals[1][10], finals[1][11]);
    }
    return 0;
  });
}
