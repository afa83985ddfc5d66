// Exact marginal likelihoods by expectation(): a hidden Markov model and a sigmoid belief net,
// trained by the exact gradient of their log marginal likelihood, with no forward algorithm or
// enumeration written by the user. expectation() finds the structure itself (the chain, the
// independent sequences as plates) and eliminates the choices.
//
// HMM: k = 4 hidden states, M = 6 symbols, N sequences of T = 100 steps (data from a fixed true
// HMM). Model: z_1 ~ Cat(softmax(l0)), z_t ~ Cat(softmax(A[z_{t-1}])), y_t ~ Cat(softmax(B[z_t])):
//   loglik = sum_t sum(log_softmax(B)[z_t, y_t]),   log p(y) = log expectation(exp(loglik)).
// Checked in the same program against a hand-written scaled forward-backward algorithm (value
// and analytic gradient), then fitted by Adam on the exact gradient. Then decoded with the
// posterior queries on log p(y | z): posterior_mode (the Viterbi path) of the true and of the
// fitted model against the true hidden states (per-step accuracy, the fitted model's under the
// best of the 24 relabelings of its states); 200 posterior_sample draws (runs of one session)
// against posterior_marginals; log p(y, z) at the mode against 50 draws'. Fails if the draws'
// frequencies are more than 6 SE from the marginals or a draw beats the mode.
//
// Sigmoid belief net: h2 (8 binary units) ~ Bern(sig(c2)), h1 (8) ~ Bern(sig(h2 W + c1)), x (16
// pixels) ~ Bern(sig(h1 V + c0)); log p(x) = log expectation(exp(log p(x | h1))) sums 2^16 joint
// states per example exactly. Checked against a brute-force sum written by hand, then trained.
//
// The models are in hmm_model.hpp and sbn_model.hpp; the --bench mode in hmm_bench.hpp.
//
// Usage: hmm [--quick] [--steps S] [--sequences N] [--out DIR] [--bench]   (--help for more)
//   --bench: time one exact log-likelihood + gradient of the HMM against the hand-written
//            forward-backward (value and gradient), graph build + first run for T = 100 vs 400,
//            and the posterior queries (mode, one draw, marginals) against a hand-written
//            Viterbi, forward-filter backward-sample and forward-backward, each checked first
//            (hmm_bench.hpp).
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
#include "hmm_bench.hpp"
#include "hmm_model.hpp"
#include "report.hpp"
#include "sbn_model.hpp"

namespace {

using hmm::HmmGraph;
using hmm::HmmParams;
using hmm::K;
using hmm::M;
using hmm::Paths;
using hmm::paths_of;
using report::Clock;
using report::seconds_since;

struct Settings {
  int steps = 300, n_seq = 16, sbn_steps = 100, sbn_n = 64;
  bool quick = false, bench = false;
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("hmm",
               "Exact marginal likelihoods by expectation(): an HMM and a sigmoid belief net.");
  f.quick_flag(s.quick, "a short run (and a sigmoid belief net of 8 examples, 5 steps)");
  f.count("steps", s.steps, "S", "Adam steps on the HMM").quick(40);
  f.count("sequences", s.n_seq, "N", "HMM sequences of T = 100").quick(4);
  f.out_dir("out", s.out, "folder for hmm_curves.csv (--bench: hmm_bench_data.json)");
  f.switch_flag(
      "bench", s.bench,
      "time the exact log-likelihood + gradient against a hand-written forward-backward, "
      "graph build + first run for T = 100 vs 400, and posterior_mode, posterior_sample and "
      "posterior_marginals against a hand-written Viterbi, forward-filter backward-sample and "
      "forward-backward (checked first)");
  f.parse(argc, argv);
  if (s.quick) s.sbn_steps = 5, s.sbn_n = 8;
  return s;
}

double max_abs_diff(const scg::Tensor& a, const scg::Tensor& b) {
  return (a.matrix() - b.matrix()).cwiseAbs().maxCoeff();
}

// ---- decoding the fitted HMM: Viterbi paths and posterior draws ----

struct Decoding {
  double acc_truth = 0,
         acc_fit = 0;  // Viterbi per-step accuracy: true model; fitted, best relabeling
  double max_diff = 0, diff_se = 0;  // draws' frequencies vs marginals: largest |difference|, in SE
  double max_se = 0,
         max_se_p = 0;  // the largest difference in SE anywhere, and that cell's marginal
  double check_se = 0;  // the largest in SE taken at the frequency or marginal nearer 1/2
  double mode_joint = 0, best_draw = 0;  // log p(y, z) at the mode and at the best of the draws
  bool ok = false;
};

/// The best per-step accuracy of path under the 24 relabelings of its states (only the identity
/// when relabel is false).
double accuracy(const Paths& path, const Paths& states, bool relabel) {
  std::array<int, K> perm{0, 1, 2, 3};
  double best = 0;
  do {
    double hits = 0, steps = 0;
    for (std::size_t n = 0; n < path.size(); ++n)
      for (std::size_t t = 0; t < path[n].size(); ++t, ++steps)
        hits += perm[path[n][t]] == states[n][t];
    best = std::max(best, hits / steps);
  } while (relabel && std::next_permutation(perm.begin(), perm.end()));
  return best;
}

/// log p(y, z) = loglik + sum_t log p(z_t | z_{t-1}) at the hidden states z (one-hot per step).
double log_joint(scg::Session& s, const HmmGraph& m, const scg::Var& joint,
                 const std::vector<scg::Tensor>& z) {
  std::vector<scg::Feed> feeds;
  for (std::size_t t = 0; t < z.size(); ++t) feeds.emplace_back(m.z[t], z[t]);
  return s.run(joint, feeds).item();
}

/// The Viterbi paths (posterior_mode) of the true model and of the fitted one against the true
/// states.
void viterbi(const HmmGraph& m, scg::Session& s, const HmmParams& truth, const Paths& states,
             Decoding& d) {
  const std::vector<scg::Var> mode = scg::posterior_mode(m.loglik, m.z);
  const HmmParams fitted{m.l0.value(), m.A.value(), m.B.value()};
  m.l0.set_value(truth.l0), m.A.set_value(truth.A), m.B.set_value(truth.B);
  d.acc_truth = accuracy(paths_of(s.run(mode)), states, false);
  m.l0.set_value(fitted.l0), m.A.set_value(fitted.A), m.B.set_value(fitted.B);
  d.acc_fit = accuracy(paths_of(s.run(mode)), states, true);
}

/// draws runs of posterior_sample: each (sequence, step, state) frequency against
/// posterior_marginals.
void draws_vs_marginals(const HmmGraph& m, scg::Session& s, int draws, Decoding& d) {
  const std::vector<scg::Tensor> marg = s.run(scg::posterior_marginals(m.loglik, m.z));
  const std::vector<scg::Var> sample = scg::posterior_sample(m.loglik, m.z);
  std::vector<Eigen::MatrixXd> count(marg.size(), Eigen::MatrixXd::Zero(marg[0].rows(), K));
  for (int r = 0; r < draws; ++r) {
    const std::vector<scg::Tensor>& v = s.run(sample);
    for (std::size_t t = 0; t < v.size(); ++t) count[t] += v[t].matrix();
  }
  for (std::size_t t = 0; t < marg.size(); ++t)
    for (Eigen::Index n = 0; n < marg[t].rows(); ++n)
      for (Eigen::Index k = 0; k < K; ++k) {
        const double p = marg[t](n, k), f = count[t](n, k) / draws, diff = std::fabs(f - p);
        const double in_se = diff > 0 ? diff / std::sqrt(p * (1 - p) / draws) : 0;
        if (diff > d.max_diff) d.max_diff = diff, d.diff_se = in_se;
        if (in_se > d.max_se) d.max_se = in_se, d.max_se_p = p;
        const double var = std::max(p * (1 - p), f * (1 - f));
        if (diff > 0) d.check_se = std::max(d.check_se, diff / std::sqrt(var / draws));
      }
}

/// log p(y, z) at the mode and at the best of draws posterior draws: the mode's is the largest.
void mode_vs_draws(const HmmGraph& m, scg::Session& s, int draws, Decoding& d) {
  scg::Var joint = m.loglik;
  for (const scg::Var& z : m.z) joint = joint + scg::sum(scg::log_prob(z));
  const std::vector<scg::Tensor> mode = s.run(scg::posterior_mode(m.loglik, m.z));
  d.mode_joint = log_joint(s, m, joint, mode);
  const std::vector<scg::Var> sample = scg::posterior_sample(m.loglik, m.z);
  d.best_draw = -INFINITY;
  for (int r = 0; r < draws; ++r) {
    const std::vector<scg::Tensor> z = s.run(sample);
    d.best_draw = std::max(d.best_draw, log_joint(s, m, joint, z));
  }
}

/// Decodes the fitted model m (session s) against the true states; prints, checks.
Decoding decode(const HmmGraph& m, scg::Session& s, const HmmParams& truth, const Paths& states) {
  Decoding d;
  const int draws = 200, joint_draws = 50;
  const auto t0 = Clock::now();
  viterbi(m, s, truth, states, d);
  draws_vs_marginals(m, s, draws, d);
  mode_vs_draws(m, s, joint_draws, d);
  std::printf(
      "  Viterbi (posterior_mode) per-step accuracy vs the true states: true model %.4f, "
      "fitted model %.4f (best of 24 relabelings)\n",
      d.acc_truth, d.acc_fit);
  std::printf(
      "  %d posterior_sample draws vs posterior_marginals: largest |frequency - marginal| %.4f "
      "(%.2f SE, SE = sqrt(p(1-p)/draws)); largest in SE %.2f (marginal %.2g); in SE at the "
      "frequency or the marginal nearer 1/2 %.2f\n",
      draws, d.max_diff, d.diff_se, d.max_se, d.max_se_p, d.check_se);
  std::printf("  log p(y, z): mode %.4f, best of %d draws %.4f (decoding %.2f s)\n", d.mode_joint,
              joint_draws, d.best_draw, seconds_since(t0));
  // Counts are discrete: a state of marginal 3e-4 drawn twice in 200 is 8 SE at the marginal's SE,
  // so the check takes the SE at the frequency when that is nearer 1/2.
  const bool freq_ok = d.check_se <= 6,
             mode_ok = d.mode_joint >= d.best_draw - 1e-9 * std::fabs(d.mode_joint);
  if (!freq_ok)
    std::fprintf(stderr, "hmm: posterior draws' frequencies %.2f SE from the marginals (> 6)\n",
                 d.check_se);
  if (!mode_ok)
    std::fprintf(stderr, "hmm: the mode's log p(y, z) %.10g is below a posterior draw's %.10g\n",
                 d.mode_joint, d.best_draw);
  d.ok = freq_ok && mode_ok;
  return d;
}

// ---- the HMM: checked, then fitted ----

struct HmmResult {
  double err_ll = 0, err_g = 0, first = 0, last = 0, truth = 0, train_s = 0;  // log p(y) per symbol
  Decoding dec;
  bool ok = false;
};

/// Adam on the exact gradient for set.steps, log p(y) per symbol to hmm_curves.csv.
void train_hmm(const Settings& set, const HmmGraph& m, scg::Session& s, double symbols,
               HmmResult& r) {
  const std::vector<scg::Var> targets = m.targets();
  scg::Adam adam({m.l0, m.A, m.B}, 0.05);
  const std::string path = set.out + "/hmm_curves.csv";
  std::ofstream csv = report::open(path);
  csv << "step,hmm_ll_per_symbol\n";
  r.last = r.first;
  const auto t0 = Clock::now();
  for (int k = 0; k < set.steps; ++k) {
    const auto& v = s.run(targets);
    r.last = v[0].item() / symbols;
    csv << k << ',' << r.last << '\n';
    std::vector<scg::Tensor> gr{v[1], v[2], v[3]};
    for (scg::Tensor& t : gr) t.matrix() *= -1.0 / symbols;  // ascend the log-likelihood
    adam.step(gr);
  }
  r.train_s = seconds_since(t0);
  report::close(csv, path);
}

HmmResult fit_hmm(const Settings& set, const HmmParams& truth, const HmmParams& init,
                  std::mt19937_64& rng) {
  HmmResult r;
  Paths states;
  const auto ys = hmm::sample_hmm(truth, set.n_seq, 100, rng, &states);
  const double symbols = static_cast<double>(set.n_seq) * 100;
  const auto t0 = Clock::now();
  HmmGraph m(init, ys);
  scg::Session s(m.g, 1);
  const std::vector<scg::Tensor> v0 = s.run(m.targets());
  const double build_s = seconds_since(t0);
  HmmParams g_ref;
  const double ll_ref = hmm::forward_backward(init, ys, &g_ref);
  r.err_ll = std::fabs(v0[0].item() - ll_ref) / std::fabs(ll_ref);
  r.err_g = std::max(
      {max_abs_diff(v0[1], g_ref.l0), max_abs_diff(v0[2], g_ref.A), max_abs_diff(v0[3], g_ref.B)});
  std::printf(
      "HMM: %d sequences of T = 100, k = %d states, %d symbols; graph %zu nodes, built and run in "
      "%.2f s\n",
      set.n_seq, K, M, m.g.size(), build_s);
  std::printf(
      "  exact log p(y) by expectation %.10f, hand-written forward algorithm %.10f (relative "
      "error %.1e); gradient max error vs forward-backward %.1e\n",
      v0[0].item(), ll_ref, r.err_ll, r.err_g);
  r.truth = hmm::forward_backward(truth, ys, nullptr) / symbols;
  r.first = v0[0].item() / symbols;
  train_hmm(set, m, s, symbols, r);
  std::printf(
      "  Adam 0.05, %d steps (%.1f ms per exact step): log p(y) per symbol %.4f -> %.4f (true "
      "parameters %.4f)\n",
      set.steps, 1e3 * r.train_s / std::max(set.steps, 1), r.first, r.last, r.truth);
  r.dec = decode(m, s, truth, states);
  const bool learned = r.last > r.first + 0.05 && (set.quick || r.last > r.truth - 0.05);
  r.ok = r.err_ll < 1e-10 && r.err_g < 1e-8 && learned && r.dec.ok;
  return r;
}

// ---- the sigmoid belief net: checked, then trained ----

struct SbnResult {
  double err = 0, first = 0, last = 0, train_s = 0;  // log p(x) summed over the examples
  bool ok = false;
};

void train_sbn(const Settings& set, sbn::SbnGraph& net, scg::Session& ss, SbnResult& r) {
  scg::Adam sadam(net.params, 0.05);
  r.last = r.first;
  const auto t0 = Clock::now();
  for (int k = 0; k < set.sbn_steps; ++k) {
    const auto& v = ss.run(net.targets);
    r.last = v[0].item();
    std::vector<scg::Tensor> gr(v.begin() + 1, v.end());
    for (scg::Tensor& t : gr) t.matrix() *= -1.0 / set.sbn_n;
    sadam.step(gr);
  }
  r.train_s = seconds_since(t0);
}

SbnResult fit_sbn(const Settings& set, std::normal_distribution<double>& normal) {
  SbnResult r;
  std::mt19937_64 r3(3);
  const sbn::Weights truth =
      sbn::random_weights(r3, normal, {1.0, 2.0, 1.0, 2.5, 1.0});  // data from a random SBN
  const scg::Tensor x = sbn::sample(truth, set.sbn_n, r3);
  sbn::SbnGraph net(sbn::random_weights(r3, normal, {0.1, 0.1, 0.1, 0.1, 0.1}), x);
  const auto t0 = Clock::now();
  net.exact();
  scg::Session ss(net.g, 1);
  r.first = ss.run(net.targets)[0].item();
  const double build_s = seconds_since(t0);
  const double brute = sbn::brute_force(net.weights(), x);
  r.err = std::fabs(r.first - brute) / std::fabs(brute);
  std::printf(
      "sigmoid belief net: 8 -> 8 -> 16 binary units, %d examples; exact log p(x) %.8f, brute "
      "force over 2^16 states %.8f (relative error %.1e); graph %zu nodes, built and run in "
      "%.2f s\n",
      set.sbn_n, r.first, brute, r.err, net.g.size(), build_s);
  train_sbn(set, net, ss, r);
  std::printf("  Adam 0.05, %d steps (%.1f ms per exact step): log p(x) per example %.3f -> %.3f\n",
              set.sbn_steps, 1e3 * r.train_s / std::max(set.sbn_steps, 1), r.first / set.sbn_n,
              r.last / set.sbn_n);
  r.ok = r.err < 1e-10 && r.last > r.first;
  return r;
}

/// The JSON line of a run (the last line of stdout).
void print_json(const Settings& set, const HmmResult& h, const SbnResult& b, bool ok) {
  std::printf(
      "{\"example\":\"hmm\",\"sequences\":%d,\"T\":100,\"ll_rel_error\":%.3g,"
      "\"grad_max_error\":%.3g,\"ll_per_symbol_start\":%.5f,\"ll_per_symbol_end\":%.5f,"
      "\"ll_per_symbol_truth\":%.5f,\"steps\":%d,\"ms_per_step\":%.3f,\"sbn_rel_error\":%.3g,"
      "\"sbn_ll_start\":%.4f,\"sbn_ll_end\":%.4f,\"sbn_ms_per_step\":%.2f,"
      "\"viterbi_acc_truth\":%.4f,\"viterbi_acc_fit\":%.4f,\"draws_max_diff\":%.4f,"
      "\"draws_max_se\":%.2f,\"draws_check_se\":%.2f,\"mode_log_joint\":%.4f,"
      "\"best_draw_log_joint\":%.4f,\"ok\":%s}\n",
      set.n_seq, h.err_ll, h.err_g, h.first, h.last, h.truth, set.steps,
      1e3 * h.train_s / std::max(set.steps, 1), b.err, b.first / set.sbn_n, b.last / set.sbn_n,
      1e3 * b.train_s / std::max(set.sbn_steps, 1), h.dec.acc_truth, h.dec.acc_fit, h.dec.max_diff,
      h.dec.max_se, h.dec.check_se, h.dec.mode_joint, h.dec.best_draw, ok ? "true" : "false");
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("hmm", [&] {
    const Settings set = parse(argc, argv);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    HmmParams truth, init;
    hmm::draw_truth_and_start(rng, normal, truth, init);
    if (set.bench) return hmm_bench::bench(set.n_seq, set.out, truth, init, rng);

    const HmmResult h = fit_hmm(set, truth, init, rng);
    const SbnResult b = fit_sbn(set, normal);
    const bool ok = h.ok && b.ok;
    std::printf("verdict: %s\n", ok ? "exact and learning" : "FAILED");
    print_json(set, h, b, ok);
    return ok ? 0 : 1;
  });
}
