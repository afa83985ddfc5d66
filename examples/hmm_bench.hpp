#pragma once
// The --bench mode of examples/hmm.cpp (built as bench_hmm, read by bench/run.py), on 16
// sequences of T = 100 with the starting parameters of the fit:
//  - one exact log-likelihood + gradient against the hand-written scaled forward-backward, and
//    graph build + first run for T = 100 vs 400;
//  - the three posterior queries on log p(y | z), each first checked against a hand-written
//    reference (the program fails if one disagrees), then timed: posterior_mode against a
//    Viterbi in log space (the same path except where two paths tie exactly), posterior_sample (one
//    joint draw of all sequences) against forward-filter backward-sample and against one exact
//    log-likelihood (scg's run of ll alone, and the hand-written forward), posterior_marginals
//    against the log-likelihood + gradient run and against forward-backward's marginals (to 1e-9).
// Only Session::run is timed: every node is built once, before. Each comparison runs its two
// sides in turn, batch by batch, and reports the median of their ratios (paired_time): on a
// shared machine, timings taken a few seconds apart differ by more than the ratios asked.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "hmm_model.hpp"
#include "report.hpp"

namespace hmm_bench {

using hmm::Alphas;
using hmm::HmmGraph;
using hmm::HmmParams;
using hmm::K;
using hmm::Paths;
using report::Clock;
using report::seconds_since;
using Sequences = std::vector<std::vector<int>>;

/// Keeps the compiler from dropping a computation whose result is unused (benchmark's
/// DoNotOptimize): v's address escapes to an empty asm that may read all memory.
template <class T>
void keep(const T& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

inline void write_tensor(std::ofstream& f, const scg::Tensor& t) {
  f << '[';
  for (Eigen::Index r = 0; r < t.rows(); ++r) {
    f << (r ? ",[" : "[");
    for (Eigen::Index c = 0; c < t.cols(); ++c) f << (c ? "," : "") << t(r, c);
    f << ']';
  }
  f << ']';
}

/// The problem, for a twin in another language (bench/hmm_torch.py).
inline void write_bench_data(const std::string& path, const HmmParams& init, const Sequences& ys) {
  std::ofstream f = report::open(path);
  f.precision(17);
  f << "{\"l0\":";
  write_tensor(f, init.l0);
  f << ",\"A\":";
  write_tensor(f, init.A);
  f << ",\"B\":";
  write_tensor(f, init.B);
  f << ",\"ys\":[";
  for (std::size_t n = 0; n < ys.size(); ++n) {
    f << (n ? ",[" : "[");
    for (std::size_t t = 0; t < ys[n].size(); ++t) f << (t ? "," : "") << ys[n][t];
    f << "]";
  }
  f << "]}\n";
  report::close(f, path);
}

/// Scaling: graph build (expectation and grad included) + first run for one sequence, T = 100
/// and 400.
inline std::array<double, 2> build_times(const HmmParams& truth, const HmmParams& init) {
  std::array<double, 2> build;
  for (int k = 0; k < 2; ++k) {
    std::mt19937_64 r2(11);
    const auto y1 = hmm::sample_hmm(truth, 1, k ? 400 : 100, r2);
    const auto t0 = Clock::now();
    HmmGraph h(init, y1);
    scg::Session s1(h.g, 1);
    s1.run(h.grads);
    build[static_cast<std::size_t>(k)] = seconds_since(t0);
  }
  return build;
}

// ---- the posterior queries ----

/// The three queries on the graph's log p(y | z) over its hidden choices, built once.
struct PosteriorNodes {
  std::vector<scg::Var> mode, sample, marginals;
  explicit PosteriorNodes(const HmmGraph& m)
      : mode(scg::posterior_mode(m.loglik, m.z)),
        sample(scg::posterior_sample(m.loglik, m.z)),
        marginals(scg::posterior_marginals(m.loglik, m.z)) {}
};

/// Adds one draw of every sequence's path to counts ([sequence][step][state]).
inline void add_counts(const Paths& path, std::vector<Alphas>& counts) {
  for (std::size_t n = 0; n < path.size(); ++n)
    for (std::size_t t = 0; t < path[n].size(); ++t) counts[n][t][path[n][t]] += 1;
}

/// The largest |frequency - marginal| over every (sequence, step, state) of `draws` draws, in
/// standard errors taken at the frequency or the marginal nearer 1/2 (counts are discrete: a
/// state of marginal 3e-4 drawn twice in 200 is 8 SE at the marginal's SE), as in hmm.cpp.
inline double worst_se(const std::vector<Alphas>& counts, const std::vector<Alphas>& marg,
                       int draws) {
  double worst = 0;
  for (std::size_t n = 0; n < marg.size(); ++n)
    for (std::size_t t = 0; t < marg[n].size(); ++t)
      for (int k = 0; k < K; ++k) {
        const double p = marg[n][t][k], f = counts[n][t][k] / draws, diff = std::fabs(f - p);
        const double var = std::max(p * (1 - p), f * (1 - f));
        if (diff > 0) worst = std::max(worst, diff / std::sqrt(var / draws));
      }
  return worst;
}

/// Each query against its hand-written reference at the parameters p.
struct PosteriorCheck {
  int mode_steps = 0, mode_sequences = 0;      // (sequence, step)s and sequences where the paths
  double mode_gap = 0;                         // differ; largest |log p(y, z) scg - Viterbi's|
  double marginals_error = 0;                  // largest |scg - forward-backward| marginal
  double scg_draws_se = 0, ffbs_draws_se = 0;  // worst_se of 200 draws each
  bool ok = false;
};

/// scg's mode against the hand-written Viterbi, path by path. Where they differ, their log p(y,
/// z) must be equal to rounding: a tie in exact arithmetic (a cycle of states moved along a run
/// of one symbol has the same transitions and emissions), which the two break differently
/// since they round differently.
inline void check_mode(scg::Session& s, const PosteriorNodes& q, const HmmParams& p,
                       const Sequences& ys, PosteriorCheck& c) {
  const Paths mode = hmm::paths_of(s.run(q.mode)), viterbi = hmm::viterbi(p, ys);
  const hmm::LogProbabilities lq(p);
  for (std::size_t n = 0; n < ys.size(); ++n) {
    int differ = 0;
    for (std::size_t t = 0; t < ys[n].size(); ++t) differ += mode[n][t] != viterbi[n][t];
    if (differ == 0) continue;
    c.mode_steps += differ, ++c.mode_sequences;
    const double gap = hmm::log_joint(lq, ys[n], mode[n]) - hmm::log_joint(lq, ys[n], viterbi[n]);
    c.mode_gap = std::max(c.mode_gap, std::fabs(gap));
  }
}

inline PosteriorCheck check_posterior(scg::Session& s, const PosteriorNodes& q, const HmmParams& p,
                                      const Sequences& ys) {
  PosteriorCheck c;
  check_mode(s, q, p, ys, c);
  const std::vector<Alphas> gamma = hmm::fb_marginals(p, ys);
  const std::vector<scg::Tensor>& marg = s.run(q.marginals);
  for (std::size_t t = 0; t < marg.size(); ++t)
    for (std::size_t n = 0; n < ys.size(); ++n)
      for (int k = 0; k < K; ++k)
        c.marginals_error =
            std::max(c.marginals_error,
                     std::fabs(marg[t](static_cast<Eigen::Index>(n), k) - gamma[n][t][k]));
  constexpr int kDraws = 200;
  std::vector<Alphas> scg_counts(ys.size(), Alphas(ys[0].size())), ffbs_counts = scg_counts;
  std::mt19937_64 rng(5);
  for (int r = 0; r < kDraws; ++r) {
    add_counts(hmm::paths_of(s.run(q.sample)), scg_counts);
    add_counts(hmm::ffbs(p, ys, rng), ffbs_counts);
  }
  c.scg_draws_se = worst_se(scg_counts, gamma, kDraws);
  c.ffbs_draws_se = worst_se(ffbs_counts, gamma, kDraws);
  c.ok = c.mode_gap <= 1e-10 && c.marginals_error <= 1e-9 && c.scg_draws_se <= 6 &&
         c.ffbs_draws_se <= 6;
  return c;
}

/// Two timings side by side: f's and g's median seconds per call and the median of their
/// ratio, over 9 pairs of batches of 0.1 s run in turn (after 3 warm-up calls each), so that
/// both sides of each ratio see the same minutes of a shared machine.
struct Paired {
  double f = 0, g = 0, ratio = 0;
};
template <class F, class G>
Paired paired_time(F&& f, G&& g) {
  for (int w = 0; w < 3; ++w) f(), g();
  const auto batch = [](auto& h) {
    int reps = 0;
    const auto t0 = Clock::now();
    while (seconds_since(t0) < 0.1) h(), ++reps;
    return seconds_since(t0) / reps;
  };
  std::vector<double> tf, tg, ratio;
  for (int b = 0; b < 9; ++b) {
    tf.push_back(batch(f)), tg.push_back(batch(g));
    ratio.push_back(tf.back() / tg.back());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(tf), median(tg), median(ratio)};
}

/// Median seconds per call: scg's runs, and the hand-written references (parameters to
/// probabilities included in each call, as scg computes them in each run); each ratio the
/// median over pairs of batches run in turn (paired_time).
struct Times {
  double ll_grad = 0, fb = 0, forward = 0, ll = 0;  // scg ll + grad; by hand ll + grad, ll; scg ll
  double mode = 0, viterbi = 0, sample = 0, ffbs = 0, marginals = 0, fb_marginals = 0;
  double ll_grad_over_fb = 0, mode_over_viterbi = 0, sample_over_ll = 0, sample_over_forward = 0,
         sample_over_ffbs = 0, marginals_over_ll_grad = 0, marginals_over_fb = 0;
};

inline Times time_all(scg::Session& s, const HmmGraph& m, const PosteriorNodes& q,
                      const HmmParams& p, const Sequences& ys) {
  Times t;
  const std::vector<scg::Var> targets = m.targets();
  HmmParams g;
  std::mt19937_64 rng(9);
  const auto ll_grad = [&] { s.run(targets); };
  const auto fb = [&] { keep(hmm::forward_backward(p, ys, &g)); };
  const auto forward = [&] { keep(hmm::forward_backward(p, ys, nullptr)); };
  const auto ll = [&] { s.run(m.ll); };
  const auto sample = [&] { s.run(q.sample); };
  const auto marginals = [&] { s.run(q.marginals); };
  Paired r = paired_time(ll_grad, fb);
  t.ll_grad = r.f, t.fb = r.g, t.ll_grad_over_fb = r.ratio;
  r = paired_time([&] { s.run(q.mode); }, [&] { keep(hmm::viterbi(p, ys)); });
  t.mode = r.f, t.viterbi = r.g, t.mode_over_viterbi = r.ratio;
  r = paired_time(sample, ll);
  t.sample = r.f, t.ll = r.g, t.sample_over_ll = r.ratio;
  r = paired_time(sample, forward);
  t.forward = r.g, t.sample_over_forward = r.ratio;
  r = paired_time(sample, [&] { keep(hmm::ffbs(p, ys, rng)); });
  t.ffbs = r.g, t.sample_over_ffbs = r.ratio;
  r = paired_time(marginals, ll_grad);
  t.marginals = r.f, t.marginals_over_ll_grad = r.ratio;
  r = paired_time(marginals, [&] { keep(hmm::fb_marginals(p, ys)); });
  t.fb_marginals = r.g, t.marginals_over_fb = r.ratio;
  return t;
}

/// The JSON line bench/run.py reads (the last line of stdout).
inline void print_json(double ll, int n_seq, const Times& t, const PosteriorCheck& c,
                       const std::array<double, 2>& build) {
  std::printf(
      "{\"workload\":\"hmm\",\"ll\":%.12f,\"sequences\":%d,\"T\":100,\"scg_ll_grad_s\":%.6g,"
      "\"forward_backward_s\":%.6g,\"forward_only_s\":%.6g,\"ratio_scg_over_fb\":%.3f,"
      "\"build_run_T100_s\":%.4f,\"build_run_T400_s\":%.4f,\"scaling_ratio\":%.2f,",
      ll, n_seq, t.ll_grad, t.fb, t.forward, t.ll_grad_over_fb, build[0], build[1],
      build[1] / build[0]);
  std::printf(
      "\"scg_ll_s\":%.6g,\"mode_s\":%.6g,\"viterbi_s\":%.6g,\"sample_s\":%.6g,\"ffbs_s\":%.6g,"
      "\"marginals_s\":%.6g,\"fb_marginals_s\":%.6g,\"mode_over_viterbi\":%.3f,"
      "\"sample_over_ll\":%.3f,\"sample_over_forward\":%.3f,\"sample_over_ffbs\":%.3f,"
      "\"marginals_over_llgrad\":%.3f,\"marginals_over_fb_marginals\":%.3f,",
      t.ll, t.mode, t.viterbi, t.sample, t.ffbs, t.marginals, t.fb_marginals, t.mode_over_viterbi,
      t.sample_over_ll, t.sample_over_forward, t.sample_over_ffbs, t.marginals_over_ll_grad,
      t.marginals_over_fb);
  std::printf(
      "\"mode_differing_steps\":%d,\"mode_differing_sequences\":%d,\"mode_log_joint_gap\":%.3g,"
      "\"marginals_max_error\":%.3g,\"draws_check_se_scg\":%.2f,\"draws_check_se_ffbs\":%.2f,"
      "\"posterior_ok\":%s}\n",
      c.mode_steps, c.mode_sequences, c.mode_gap, c.marginals_error, c.scg_draws_se,
      c.ffbs_draws_se, c.ok ? "true" : "false");
}

/// W5 and the posterior queries on n_seq sequences of T = 100 drawn from truth, at the
/// parameters init; prints the JSON line. Returns 1 (before any timing) if a query disagrees
/// with its reference.
inline int bench(int n_seq, const std::string& out, const HmmParams& truth, const HmmParams& init,
                 std::mt19937_64& rng) {
  const auto ys = hmm::sample_hmm(truth, n_seq, 100, rng);
  HmmGraph m(init, ys);
  const PosteriorNodes q(m);
  scg::Session s(m.g, 1);
  const double ll = s.run(m.targets())[0].item();
  write_bench_data(out + "/hmm_bench_data.json", init, ys);
  const PosteriorCheck c = check_posterior(s, q, init, ys);
  if (!c.ok) {
    std::fprintf(stderr,
                 "hmm --bench: posterior queries disagree with the hand-written references: "
                 "the mode's log p(y, z) differs from the Viterbi path's by %.3g (limit 1e-10), "
                 "the marginals by %.3g (limit 1e-9), the draws' frequencies are %.2f SE (scg) "
                 "and %.2f SE (FFBS) from the marginals (limit 6)\n",
                 c.mode_gap, c.marginals_error, c.scg_draws_se, c.ffbs_draws_se);
    return 1;
  }
  const Times t = time_all(s, m, q, init, ys);
  print_json(ll, n_seq, t, c, build_times(truth, init));
  return 0;
}

}  // namespace hmm_bench
