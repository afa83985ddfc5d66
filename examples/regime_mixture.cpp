// Nested plates: a mixture whose components depend on a global discrete regime, per session.
//
// G sessions of N readings each. Session g has one regime s_g (global to its readings) and
// each reading n its own component z_gn (local):
//   s_g ~ Bern(sigmoid(rho)),   z_gn | s_g ~ Cat(softmax(alpha + s_g beta)),
//   x_gn | z_gn = k, s_g ~ Normal(mu_k + s_g delta_k, sigma).
// log_weight = sum_g sum_nk z_gnk log N(x_gn | mu_k + s_g delta_k, sigma), and the exact log
// marginal likelihood is log expectation(exp(log_weight)): expectation() finds by itself that
// each session's N readings are rows that only meet through their session's regime, sums each
// row's component given the regime (N x K x 2 table entries per session, not K^N x 2) and
// multiplies the rows. Nothing is declared.
//
// The program:
//   1. checks expectation, its gradient, posterior_marginals and posterior_mode against a
//      brute-force sum over every joint state of a small instance (2 sessions of 3 readings:
//      2^2 x 3^6 = 2916 states), in long double;
//   2. draws data from true parameters and fits every parameter by Adam on the exact gradient
//      of the log marginal likelihood (log p(x) per reading against the true parameters');
//   3. decodes the sessions with the fitted and the true model: posterior_marginals of each
//      regime (accuracy against the true regimes), posterior_mode of every regime and
//      component (per-reading accuracy; the fitted model's under the best relabeling of its
//      components and regimes), and 200 posterior_sample draws against the marginals.
// Fails (status 1) if a check disagrees or the fit does not reach the true parameters'
// likelihood. Prints one JSON line last.
//
// Usage: regime_mixture [--quick] [--sessions G] [--readings N] [--steps S] [--seed N] [--out DIR]
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

constexpr int K = 3;  // components
using ld = long double;
using report::Clock;
using report::seconds_since;

struct Settings {
  int sessions = 12, readings = 100, steps = 400;
  unsigned seed = 7;
  bool quick = false;
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("regime_mixture",
               "Nested plates: a mixture under a global regime per session, fitted exactly.");
  f.quick_flag(s.quick, "a short run (6 sessions of 40 readings, 150 steps)");
  f.count("sessions", s.sessions, "G", "sessions, each with its own regime").quick(6);
  f.count("readings", s.readings, "N", "readings per session").quick(40);
  f.count("steps", s.steps, "S", "Adam steps").quick(150);
  f.seed("seed", s.seed, "seed of the synthetic data");
  f.out_dir("out", s.out, "folder for regime_mixture_curve.csv (log p(x) per reading by step)");
  f.parse(argc, argv);
  return s;
}

/// The parameters: rho (regime logit), alpha, beta (1 x K component logits and their shift in
/// regime 1), mu, delta (1 x K means and their shift), log_sigma.
struct Params {
  double rho = 0, log_sigma = 0;
  std::array<double, K> alpha{}, beta{}, mu{}, delta{};
};

Params truth() {
  Params p;
  p.rho = 0.2, p.log_sigma = std::log(0.6);
  p.alpha = {0.4, 0.0, -0.3}, p.beta = {-1.2, 0.6, 0.9};
  p.mu = {-2.0, 0.0, 2.5}, p.delta = {1.2, -1.5, 0.8};
  return p;
}

scg::Tensor row_of(const std::array<double, K>& a) {
  scg::Tensor t(1, K);
  for (int k = 0; k < K; ++k) t(0, k) = a[k];
  return t;
}

struct Data {
  std::vector<std::vector<double>> x;  // [session][reading]
  std::vector<int> s;                  // true regimes
  std::vector<std::vector<int>> z;     // true components
};

Data sample(const Params& p, int G, int N, std::mt19937_64& rng) {
  Data d;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, std::exp(p.log_sigma));
  for (int g = 0; g < G; ++g) {
    const int s = u(rng) < 1.0 / (1.0 + std::exp(-p.rho)) ? 1 : 0;
    std::array<double, K> w{};
    for (int k = 0; k < K; ++k) w[k] = std::exp(p.alpha[k] + s * p.beta[k]);
    std::discrete_distribution<int> comp(w.begin(), w.end());
    d.s.push_back(s), d.x.emplace_back(), d.z.emplace_back();
    for (int n = 0; n < N; ++n) {
      const int k = comp(rng);
      d.z.back().push_back(k);
      d.x.back().push_back(p.mu[k] + s * p.delta[k] + noise(rng));
    }
  }
  return d;
}

/// The graph: parameters, per session its regime (1 x 1) and components (N x K), log_weight.
struct Model {
  scg::Graph g;
  scg::Var rho, alpha, beta, mu, delta, log_sigma, log_weight, log_px;
  std::vector<scg::Var> s, z;
  std::vector<scg::Var> params() const { return {rho, alpha, beta, mu, delta, log_sigma}; }

  Model(const Params& p, const Data& d) {
    rho = g.parameter("rho", p.rho), log_sigma = g.parameter("log_sigma", p.log_sigma);
    alpha = g.parameter("alpha", row_of(p.alpha)), beta = g.parameter("beta", row_of(p.beta));
    mu = g.parameter("mu", row_of(p.mu)), delta = g.parameter("delta", row_of(p.delta));
    const scg::Var sigma = scg::exp(log_sigma);
    for (std::size_t i = 0; i < d.x.size(); ++i) {
      const auto n = static_cast<Eigen::Index>(d.x[i].size());
      scg::Tensor xs(n, 1);
      for (Eigen::Index r = 0; r < n; ++r) xs(r, 0) = d.x[i][static_cast<std::size_t>(r)];
      s.push_back(scg::bernoulli(rho));
      z.push_back(scg::categorical(scg::broadcast_to(alpha + s.back() * beta, {n, K})));
      const scg::Var mean = mu + s.back() * delta;  // 1 x K, under the session's regime
      const scg::Var ll = -0.5 * scg::square((g.constant(xs) - mean) / sigma) - log_sigma -
                          0.5 * std::log(2 * M_PI);  // n x K: log N(x_n | component k)
      const scg::Var term = scg::sum(z.back() * ll);
      log_weight = log_weight.empty() ? term : log_weight + term;
    }
    log_px = scg::log(scg::expectation(scg::exp(log_weight)));
  }
};

// ---- 1. against brute force on a small instance ----

/// log N(x | m, sd) in long double.
ld log_normal(ld x, ld m, ld sd) {
  const ld u = (x - m) / sd;
  return -0.5L * u * u - std::log(sd) - 0.5L * std::log(2 * M_PIl);
}

ld log_sig(ld x) { return x > 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

/// visit(regimes, components, log p(s, z, x)) over every joint state of d (brute force).
template <class Visit>
void for_each_state(const Params& p, const Data& d, Visit&& visit) {
  const std::size_t G = d.x.size(), N = d.x[0].size();
  std::size_t total = std::size_t{1} << G;
  for (std::size_t i = 0; i < G * N; ++i) total *= K;
  std::vector<int> s(G), z(G * N);
  for (std::size_t code = 0; code < total; ++code) {
    std::size_t c = code;
    ld lj = 0;
    for (std::size_t g = 0; g < G; ++g, c /= 2) s[g] = static_cast<int>(c % 2);
    for (std::size_t i = 0; i < G * N; ++i, c /= K) z[i] = static_cast<int>(c % K);
    for (std::size_t g = 0; g < G; ++g) {
      lj += s[g] ? log_sig(p.rho) : log_sig(-p.rho);
      ld norm = 0;
      for (int k = 0; k < K; ++k) norm += std::exp(static_cast<ld>(p.alpha[k] + s[g] * p.beta[k]));
      for (std::size_t n = 0; n < N; ++n) {
        const int k = z[g * N + n];
        lj += p.alpha[k] + s[g] * p.beta[k] - std::log(norm);
        lj += log_normal(d.x[g][n], p.mu[k] + s[g] * p.delta[k],
                         std::exp(static_cast<ld>(p.log_sigma)));
      }
    }
    visit(s, z, lj);
  }
}

struct Brute {
  ld log_px = 0, best = -INFINITY;
  std::vector<ld> p_s1;  // P(s_g = 1 | x)
  std::vector<int> best_s, best_z;
};

Brute brute(const Params& p, const Data& d) {
  Brute b;
  b.p_s1.assign(d.x.size(), 0);
  ld z = 0;
  for_each_state(p, d, [&](const std::vector<int>& s, const std::vector<int>& zs, ld lj) {
    const ld w = std::exp(lj);
    z += w;
    for (std::size_t g = 0; g < s.size(); ++g) b.p_s1[g] += s[g] * w;
    if (lj > b.best) b.best = lj, b.best_s = s, b.best_z = zs;
  });
  for (ld& q : b.p_s1) q /= z;
  b.log_px = std::log(z);
  return b;
}

/// The component of each row of a one-hot N x K value.
std::vector<int> components(const scg::Tensor& t) {
  std::vector<int> out;
  for (Eigen::Index r = 0; r < t.rows(); ++r) {
    Eigen::Index k = 0;
    t.matrix().row(r).maxCoeff(&k);
    out.push_back(static_cast<int>(k));
  }
  return out;
}

/// The largest relative difference between scg and brute force on 2 sessions of 3 readings:
/// log p(x), d/d rho and d/d mu_1 (central differences), P(s_g = 1 | x), and the mode.
double check_small(std::mt19937_64& rng) {
  const Params p = truth();
  const Data d = sample(p, 2, 3, rng);
  Model m(p, d);
  const auto grads = scg::grad(m.log_px, {m.rho, m.mu});
  const auto marg = scg::posterior_marginals(m.log_weight, m.s);
  const auto mode = scg::posterior_mode(m.log_weight, {m.s[0], m.s[1], m.z[0], m.z[1]});
  scg::Session sess(m.g, 1);
  const auto v = sess.run({m.log_px, grads[0], grads[1], marg[0], marg[1]});
  const auto mv = sess.run(mode);
  const Brute b = brute(p, d);
  const ld h = 1e-5L;
  Params up = p, down = p;
  up.rho += static_cast<double>(h), down.rho -= static_cast<double>(h);
  const ld d_rho = (brute(up, d).log_px - brute(down, d).log_px) / (2 * h);
  up = p, down = p;
  up.mu[1] += static_cast<double>(h), down.mu[1] -= static_cast<double>(h);
  const ld d_mu = (brute(up, d).log_px - brute(down, d).log_px) / (2 * h);
  auto rel = [](double a, ld b) {
    return static_cast<double>(std::fabs(a - b) / std::max(1.0L, std::fabs(b)));
  };
  double err = std::max({rel(v[0].item(), b.log_px), rel(v[1].item(), d_rho), rel(v[2](0, 1), d_mu),
                         rel(v[3].item(), b.p_s1[0]), rel(v[4].item(), b.p_s1[1])});
  std::vector<int> zs = components(mv[2]), z1 = components(mv[3]);
  zs.insert(zs.end(), z1.begin(), z1.end());
  const bool mode_ok = mv[0].item() == b.best_s[0] && mv[1].item() == b.best_s[1] && zs == b.best_z;
  std::printf(
      "check on 2 sessions x 3 readings (2916 joint states, brute force in long double):\n"
      "  log p(x) %.12f vs %.12f; largest relative difference (value, 2 gradients, 2 "
      "regime marginals) %.2e; joint mode %s\n",
      v[0].item(), static_cast<double>(b.log_px), err, mode_ok ? "equal" : "DIFFERENT");
  return mode_ok ? err : 1.0;
}

// ---- 2. the fit ----

/// A start that knows nothing of the truth: equal weights, means at the data's quartiles.
Params start(const Data& d) {
  std::vector<double> all;
  for (const auto& xs : d.x) all.insert(all.end(), xs.begin(), xs.end());
  std::sort(all.begin(), all.end());
  Params p;
  for (int k = 0; k < K; ++k) p.mu[k] = all[all.size() * static_cast<std::size_t>(k + 1) / (K + 1)];
  p.beta = {0.1, -0.1, 0.0}, p.delta = {0.1, 0.0, -0.1};
  return p;
}

Params read_params(scg::Session& s, const Model& m) {
  const auto v = s.run(m.params());
  Params p;
  p.rho = v[0].item(), p.log_sigma = v[5].item();
  for (int k = 0; k < K; ++k)
    p.alpha[k] = v[1](0, k), p.beta[k] = v[2](0, k), p.mu[k] = v[3](0, k), p.delta[k] = v[4](0, k);
  return p;
}

struct Fit {
  double first = 0, last = 0, truth = 0, ms_per_step = 0;  // log p(x) per reading
  Params params;
};

Fit fit(const Settings& set, const Data& d) {
  const double readings = static_cast<double>(set.sessions) * set.readings;
  Fit f;
  {
    Model t(truth(), d);
    scg::Session st(t.g, 1);
    f.truth = st.run(t.log_px).item() / readings;
  }
  Model m(start(d), d);
  std::vector<scg::Var> targets{m.log_px};
  for (const scg::Var& gr : scg::grad(m.log_px, m.params())) targets.push_back(gr);
  scg::Session s(m.g, 1);
  scg::Adam adam(m.params(), 0.05);
  const std::string path = set.out + "/regime_mixture_curve.csv";
  std::ofstream csv = report::open(path);
  csv << "step,ll_per_reading\n";
  const auto t0 = Clock::now();
  for (int k = 0; k < set.steps; ++k) {
    const auto& v = s.run(targets);
    if (k == 0) f.first = v[0].item() / readings;
    f.last = v[0].item() / readings;
    csv << k << ',' << f.last << '\n';
    std::vector<scg::Tensor> g(v.begin() + 1, v.end());
    for (scg::Tensor& t : g) t.matrix() *= -1.0 / readings;  // ascend the log-likelihood
    adam.step(g);
  }
  f.ms_per_step = 1e3 * seconds_since(t0) / std::max(set.steps, 1);
  report::close(csv, path);
  f.last = s.run(m.log_px).item() / readings;
  f.params = read_params(s, m);
  std::printf(
      "fit: %d sessions x %d readings, graph of %zu nodes; Adam 0.05, %d exact steps "
      "(%.2f ms each): log p(x) per reading %.4f -> %.4f (true parameters %.4f)\n",
      set.sessions, set.readings, m.g.size(), set.steps, f.ms_per_step, f.first, f.last, f.truth);
  return f;
}

// ---- 3. decoding ----

struct Decoding {
  double regime_acc = 0, comp_acc = 0, draws_se = 0;
};

/// Accuracy of the decoded regimes (per session) and components (per reading) against the
/// truth; with `relabel`, under the best relabeling of the regimes (2) and, separately for the
/// sessions of each decoded regime, of the components (K! each: the model labels the
/// components of each regime freely).
std::pair<double, double> accuracy(const std::vector<int>& s,
                                   const std::vector<std::vector<int>>& z, const Data& d,
                                   bool relabel) {
  double best_s = 0, hits_z = 0, n = 0;
  for (int flip = 0; flip < (relabel ? 2 : 1); ++flip) {
    double hits = 0;
    for (std::size_t g = 0; g < s.size(); ++g) hits += (s[g] ^ flip) == d.s[g];
    best_s = std::max(best_s, hits / static_cast<double>(s.size()));
  }
  for (int regime = 0; regime < 2; ++regime) {
    std::array<int, K> perm{0, 1, 2};
    double best = 0;
    do {
      double hits = 0;
      for (std::size_t g = 0; g < z.size(); ++g)
        for (std::size_t i = 0; s[g] == regime && i < z[g].size(); ++i)
          hits += perm[z[g][i]] == d.z[g][i];
      best = std::max(best, hits);
    } while (relabel && std::next_permutation(perm.begin(), perm.end()));
    hits_z += best;
  }
  for (const auto& zs : z) n += static_cast<double>(zs.size());
  return {best_s, hits_z / n};
}

/// The largest distance, in standard errors, between the frequencies of n draws (counts per
/// cell) and the marginals (SE at the probability or the frequency nearer 1/2, at least that of
/// one draw in n, so a state drawn every time with probability 1 - 1e-9 is not an outlier).
double draws_se(const std::vector<scg::Tensor>& counts, const std::vector<scg::Tensor>& marg,
                int n) {
  double worst = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    for (Eigen::Index j = 0; j < counts[i].shape().size(); ++j) {
      const double q = marg[i].data()[j], f = counts[i].data()[j] / n;
      const double pq = std::fabs(q - 0.5) < std::fabs(f - 0.5) ? q : f;
      const double se = std::sqrt(std::max(pq * (1 - pq), 1.0 / n) / n);
      worst = std::max(worst, std::fabs(f - q) / se);
    }
  return worst;
}

Decoding decode(const Params& p, const Data& d, bool relabel, const char* who) {
  Model m(p, d);
  std::vector<scg::Var> all(m.s);
  all.insert(all.end(), m.z.begin(), m.z.end());
  const auto marg = scg::posterior_marginals(m.log_weight, all);
  const auto mode = scg::posterior_mode(m.log_weight, all);
  const auto draw = scg::posterior_sample(m.log_weight, all);
  scg::Session s(m.g, 3);
  const std::vector<scg::Tensor> pm = s.run(marg), mv = s.run(mode);
  const std::size_t G = m.s.size();
  std::vector<int> regimes;
  std::vector<std::vector<int>> comps;
  for (std::size_t g = 0; g < G; ++g)
    regimes.push_back(static_cast<int>(mv[g].item())), comps.push_back(components(mv[G + g]));
  Decoding r;
  std::tie(r.regime_acc, r.comp_acc) = accuracy(regimes, comps, d, relabel);
  // 200 joint draws: every regime's and every reading's component frequencies.
  std::vector<scg::Tensor> counts;
  for (const scg::Tensor& t : pm) counts.emplace_back(t.rows(), t.cols());
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    const auto& v = s.run(draw);
    for (std::size_t c = 0; c < v.size(); ++c) counts[c].matrix() += v[c].matrix();
  }
  r.draws_se = draws_se(counts, pm, n);
  std::printf(
      "  %s model: regimes decoded %.3f correct, components %.3f per reading%s; 200 joint "
      "draws of every regime and component within %.2f SE of their marginals\n",
      who, r.regime_acc, r.comp_acc, relabel ? " (best relabeling)" : "", r.draws_se);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("regime_mixture", [&] {
    const Settings set = parse(argc, argv);
    std::mt19937_64 rng(set.seed);
    const double small_err = check_small(rng);
    const Data d = sample(truth(), set.sessions, set.readings, rng);
    const Fit f = fit(set, d);
    std::printf("decoding %d sessions with the posterior queries:\n", set.sessions);
    const Decoding dt = decode(truth(), d, false, "true");
    const Decoding df = decode(f.params, d, true, "fitted");
    const bool ok = small_err < 1e-8 && f.last > f.first && f.last > f.truth - 0.02 &&
                    dt.draws_se < 6 && df.draws_se < 6;
    std::printf("verdict: %s\n", ok ? "exact and learning" : "FAILED");
    std::printf(
        "{\"example\":\"regime_mixture\",\"sessions\":%d,\"readings\":%d,\"steps\":%d,"
        "\"small_check_rel_error\":%.3g,\"ll_per_reading_start\":%.5f,\"ll_per_reading_end\":%.5f,"
        "\"ll_per_reading_truth\":%.5f,\"ms_per_step\":%.3f,\"regime_acc_truth\":%.4f,"
        "\"component_acc_truth\":%.4f,\"regime_acc_fit\":%.4f,\"component_acc_fit\":%.4f,"
        "\"draws_max_se\":%.2f,\"ok\":%s}\n",
        set.sessions, set.readings, set.steps, small_err, f.first, f.last, f.truth, f.ms_per_step,
        dt.regime_acc, dt.comp_acc, df.regime_acc, df.comp_acc, std::max(dt.draws_se, df.draws_se),
        ok ? "true" : "false");
    return ok ? 0 : 1;
  });
}
