// Exact marginal likelihoods by expectation(): a hidden Markov model and a sigmoid belief net,
// trained by the exact gradient of their log marginal likelihood, with no forward algorithm or
// enumeration written by the user. expectation() finds the structure itself (the chain, the
// independent sequences as plates) and eliminates the choices.
//
// HMM: k = 4 hidden states, M = 6 symbols, N sequences of T = 100 steps (data from a fixed true
// HMM). Model: z_1 ~ Cat(softmax(l0)), z_t ~ Cat(softmax(A[z_{t-1}])), y_t ~ Cat(softmax(B[z_t])):
//   loglik = sum_t sum(log_softmax(B)[z_t, y_t]),   log p(y) = log expectation(exp(loglik)).
// Checked in the same program against a hand-written scaled forward-backward algorithm (value
// and analytic gradient), then fitted by Adam on the exact gradient.
//
// Sigmoid belief net: h2 (8 binary units) ~ Bern(sig(c2)), h1 (8) ~ Bern(sig(h2 W + c1)), x (16
// pixels) ~ Bern(sig(h1 V + c0)); log p(x) = log expectation(exp(log p(x | h1))) sums 2^16 joint
// states per example exactly. Checked against a brute-force sum written here, then trained.
//
// Usage: hmm [--quick] [--steps S] [--sequences N] [--out DIR] [--bench]
//   --bench: time one exact log-likelihood + gradient of the HMM against the hand-written
//            forward-backward (value and gradient), and graph build + first run for T = 100 vs 400.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

namespace {

constexpr int K = 4, M = 6;
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<double> softmax_row(const scg::Tensor& m, Eigen::Index r) {
  std::vector<double> p(static_cast<std::size_t>(m.cols()));
  double mx = m(r, 0), z = 0;
  for (Eigen::Index c = 1; c < m.cols(); ++c) mx = std::max(mx, m(r, c));
  for (Eigen::Index c = 0; c < m.cols(); ++c) z += p[c] = std::exp(m(r, c) - mx);
  for (double& x : p) x /= z;
  return p;
}

struct HmmParams {
  scg::Tensor l0{1, K}, A{K, K}, B{K, M};
};

/// Hand-written scaled forward-backward: sum over sequences of log p(y), and its gradient with
/// respect to the logits (expected counts minus expected normalizers).
double forward_backward(const HmmParams& p, const std::vector<std::vector<int>>& ys, HmmParams* grad) {
  const std::vector<double> pi = softmax_row(p.l0, 0);
  std::vector<std::vector<double>> P(K), E(K);
  for (int i = 0; i < K; ++i) P[i] = softmax_row(p.A, i), E[i] = softmax_row(p.B, i);
  if (grad) grad->l0.matrix().setZero(), grad->A.matrix().setZero(), grad->B.matrix().setZero();
  double ll = 0;
  for (const std::vector<int>& y : ys) {
    const int T = static_cast<int>(y.size());
    std::vector<std::array<double, K>> alpha(T), beta(T);
    std::vector<double> scale(T);
    for (int t = 0; t < T; ++t) {
      double s = 0;
      for (int j = 0; j < K; ++j) {
        double a = 0;
        if (t == 0) a = pi[j];
        else
          for (int i = 0; i < K; ++i) a += alpha[t - 1][i] * P[i][j];
        alpha[t][j] = a * E[j][y[t]];
        s += alpha[t][j];
      }
      for (int j = 0; j < K; ++j) alpha[t][j] /= s;
      scale[t] = s;
      ll += std::log(s);
    }
    if (!grad) continue;
    for (int j = 0; j < K; ++j) beta[T - 1][j] = 1.0;
    for (int t = T - 2; t >= 0; --t)
      for (int i = 0; i < K; ++i) {
        double b = 0;
        for (int j = 0; j < K; ++j) b += P[i][j] * E[j][y[t + 1]] * beta[t + 1][j];
        beta[t][i] = b / scale[t + 1];
      }
    for (int t = 0; t < T; ++t) {
      for (int i = 0; i < K; ++i) {
        const double gamma = alpha[t][i] * beta[t][i];
        if (t == 0) grad->l0(0, i) += gamma - pi[i];
        grad->B(i, y[t]) += gamma;
        for (int m = 0; m < M; ++m) grad->B(i, m) -= gamma * E[i][m];
        if (t + 1 < T) {
          for (int j = 0; j < K; ++j) {
            const double xi = alpha[t][i] * P[i][j] * E[j][y[t + 1]] * beta[t + 1][j] / scale[t + 1];
            grad->A(i, j) += xi - gamma * P[i][j];
          }
        }
      }
    }
  }
  return ll;
}

struct HmmGraph {
  scg::Graph g;
  scg::Var l0, A, B, ll;
  std::vector<scg::Var> grads;
  HmmGraph(const HmmParams& init, const std::vector<std::vector<int>>& ys) {
    const auto N = static_cast<Eigen::Index>(ys.size());
    const int T = static_cast<int>(ys[0].size());
    l0 = g.parameter("l0", init.l0), A = g.parameter("A", init.A), B = g.parameter("B", init.B);
    const scg::Var logB = scg::log_softmax(B);
    scg::Var z = scg::categorical(l0 + g.constant(scg::Tensor(N, K))), loglik;  // one row per sequence
    for (int t = 0; t < T; ++t) {
      if (t > 0) z = scg::categorical(scg::matmul(z, A));
      scg::Tensor onehot(N, M);
      for (Eigen::Index n = 0; n < N; ++n) onehot(n, ys[static_cast<std::size_t>(n)][static_cast<std::size_t>(t)]) = 1.0;
      const scg::Var e = scg::sum(scg::matmul(z, logB) * g.constant(onehot));  // sum_n log p(y_nt | z_nt)
      loglik = loglik.empty() ? e : loglik + e;
    }
    ll = scg::log(scg::expectation(scg::exp(loglik)));
    grads = scg::grad(ll, {l0, A, B});
  }
};

std::vector<std::vector<int>> sample_hmm(const HmmParams& p, int n, int T, std::mt19937_64& rng) {
  auto draw = [&](const std::vector<double>& q) {
    return static_cast<int>(std::discrete_distribution<int>(q.begin(), q.end())(rng));
  };
  std::vector<std::vector<int>> ys(static_cast<std::size_t>(n), std::vector<int>(static_cast<std::size_t>(T)));
  for (auto& y : ys) {
    int z = draw(softmax_row(p.l0, 0));
    for (int t = 0; t < T; ++t) {
      if (t) z = draw(softmax_row(p.A, z));
      y[static_cast<std::size_t>(t)] = draw(softmax_row(p.B, z));
    }
  }
  return ys;
}

double max_abs_diff(const scg::Tensor& a, const scg::Tensor& b) {
  return (a.matrix() - b.matrix()).cwiseAbs().maxCoeff();
}

// ---- sigmoid belief net ----
constexpr int H = 8, D = 16;

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

/// log p(x) for every row of x by the brute-force sum over all 2^16 states of (h2, h1).
double sbn_brute_force(const scg::Tensor& c2, const scg::Tensor& W, const scg::Tensor& c1, const scg::Tensor& V,
                       const scg::Tensor& c0, const scg::Tensor& x) {
  double total = 0;
  std::vector<double> lp_h1(1 << H);  // log p(x_r | h1) for the current row
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    for (int h1 = 0; h1 < (1 << H); ++h1) {
      double l = 0;
      for (int d = 0; d < D; ++d) {
        double a = c0(0, d);
        for (int i = 0; i < H; ++i) a += ((h1 >> i) & 1) * V(i, d);
        l += x(r, d) > 0.5 ? std::log(sig(a)) : std::log(sig(-a));
      }
      lp_h1[static_cast<std::size_t>(h1)] = l;
    }
    double p = 0;
    for (int h2 = 0; h2 < (1 << H); ++h2) {
      double ph2 = 1;
      for (int i = 0; i < H; ++i) ph2 *= (h2 >> i) & 1 ? sig(c2(0, i)) : sig(-c2(0, i));
      std::array<double, H> q;
      for (int j = 0; j < H; ++j) {
        double a = c1(0, j);
        for (int i = 0; i < H; ++i) a += ((h2 >> i) & 1) * W(i, j);
        q[static_cast<std::size_t>(j)] = sig(a);
      }
      for (int h1 = 0; h1 < (1 << H); ++h1) {
        double ph1 = 1;
        for (int j = 0; j < H; ++j) ph1 *= (h1 >> j) & 1 ? q[static_cast<std::size_t>(j)] : 1 - q[static_cast<std::size_t>(j)];
        p += ph2 * ph1 * std::exp(lp_h1[static_cast<std::size_t>(h1)]);
      }
    }
    total += std::log(p);
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 300, n_seq = 16, sbn_steps = 100, sbn_n = 64;
  bool quick = false, bench = false;
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true, steps = 40, n_seq = 4, sbn_steps = 5, sbn_n = 8;
    else if (a == "--bench") bench = true;
    else if (a == "--steps" && i + 1 < argc) steps = std::stoi(argv[++i]);
    else if (a == "--sequences" && i + 1 < argc) n_seq = std::stoi(argv[++i]);
    else if (a == "--out" && i + 1 < argc) out = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--steps S] [--sequences N] [--out DIR] [--bench]\n", argv[0]);
      return 2;
    }
  }
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  HmmParams truth, init;
  for (int j = 0; j < K; ++j) truth.l0(0, j) = normal(rng);
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < K; ++j) truth.A(i, j) = (i == j ? 2.5 : 0.0) + 0.5 * normal(rng);  // sticky
    for (int m = 0; m < M; ++m) truth.B(i, m) = 1.5 * normal(rng);
  }
  for (scg::Tensor* t : {&init.l0, &init.A, &init.B})
    for (Eigen::Index k = 0; k < t->shape().size(); ++k) t->data()[k] = 0.3 * normal(rng);

  if (bench) {
    // W5: one exact log-likelihood + gradient (scg) vs the hand-written forward-backward.
    const auto ys = sample_hmm(truth, n_seq, 100, rng);
    HmmGraph m(init, ys);
    scg::Session s(m.g, 1);
    std::vector<scg::Var> targets{m.ll};
    targets.insert(targets.end(), m.grads.begin(), m.grads.end());
    auto time = [](auto&& f) {
      for (int w = 0; w < 3; ++w) f();
      std::vector<double> ts;
      for (int b = 0; b < 7; ++b) {
        int reps = 0;
        const auto t0 = Clock::now();
        while (seconds_since(t0) < 0.2) f(), ++reps;
        ts.push_back(seconds_since(t0) / reps);
      }
      std::sort(ts.begin(), ts.end());
      return ts[ts.size() / 2];
    };
    HmmParams g;
    const double ll = s.run(targets)[0].item();
    {  // the problem, for a twin in another language (bench/hmm_torch.py)
      std::ofstream f(out + "/hmm_bench_data.json");
      f.precision(17);
      auto tensor = [&](const scg::Tensor& t) {
        f << '[';
        for (Eigen::Index r = 0; r < t.rows(); ++r) {
          f << (r ? ",[" : "[");
          for (Eigen::Index c = 0; c < t.cols(); ++c) f << (c ? "," : "") << t(r, c);
          f << ']';
        }
        f << ']';
      };
      f << "{\"l0\":";
      tensor(init.l0);
      f << ",\"A\":";
      tensor(init.A);
      f << ",\"B\":";
      tensor(init.B);
      f << ",\"ys\":[";
      for (std::size_t n = 0; n < ys.size(); ++n) {
        f << (n ? ",[" : "[");
        for (std::size_t t = 0; t < ys[n].size(); ++t) f << (t ? "," : "") << ys[n][t];
        f << "]";
      }
      f << "]}\n";
    }
    const double t_scg = time([&] { s.run(targets); });
    const double t_fb = time([&] { forward_backward(init, ys, &g); });
    const double t_fwd = time([&] { forward_backward(init, ys, nullptr); });
    // Scaling: graph build (expectation and grad included) + first run for one sequence, T = 100 and 400.
    double build[2];
    for (int k = 0; k < 2; ++k) {
      std::mt19937_64 r2(11);
      const auto y1 = sample_hmm(truth, 1, k ? 400 : 100, r2);
      const auto t0 = Clock::now();
      HmmGraph h(init, y1);
      scg::Session s1(h.g, 1);
      s1.run(h.grads);
      build[k] = seconds_since(t0);
    }
    std::printf("{\"workload\":\"hmm\",\"ll\":%.12f,\"sequences\":%d,\"T\":100,\"scg_ll_grad_s\":%.6g,\"forward_backward_s\":%.6g,"
                "\"forward_only_s\":%.6g,\"ratio_scg_over_fb\":%.3f,\"build_run_T100_s\":%.4f,\"build_run_T400_s\":%.4f,"
                "\"scaling_ratio\":%.2f}\n",
                ll, n_seq, t_scg, t_fb, t_fwd, t_scg / t_fb, build[0], build[1], build[1] / build[0]);
    return 0;
  }

  bool ok = true;
  // ---- HMM ----
  const auto ys = sample_hmm(truth, n_seq, 100, rng);
  const double steps_total = static_cast<double>(n_seq) * 100;
  auto t0 = Clock::now();
  HmmGraph m(init, ys);
  scg::Session s(m.g, 1);
  std::vector<scg::Var> targets{m.ll};
  targets.insert(targets.end(), m.grads.begin(), m.grads.end());
  const auto& v0 = s.run(targets);
  const double build_s = seconds_since(t0);
  HmmParams g_ref;
  const double ll_ref = forward_backward(init, ys, &g_ref);
  const double err_ll = std::fabs(v0[0].item() - ll_ref) / std::fabs(ll_ref);
  const double err_g = std::max({max_abs_diff(v0[1], g_ref.l0), max_abs_diff(v0[2], g_ref.A), max_abs_diff(v0[3], g_ref.B)});
  std::printf("HMM: %d sequences of T = 100, k = %d states, %d symbols; graph %zu nodes, built and run in %.2f s\n",
              n_seq, K, M, m.g.size(), build_s);
  std::printf("  exact log p(y) by expectation %.10f, hand-written forward algorithm %.10f (relative error %.1e); "
              "gradient max error vs forward-backward %.1e\n", v0[0].item(), ll_ref, err_ll, err_g);
  ok = ok && err_ll < 1e-10 && err_g < 1e-8;
  const double ll_truth = forward_backward(truth, ys, nullptr);
  scg::Adam adam({m.l0, m.A, m.B}, 0.05);
  std::ofstream csv(out + "/hmm_curves.csv");
  csv << "step,hmm_ll_per_symbol\n";
  double first = v0[0].item() / steps_total, last = first;
  t0 = Clock::now();
  for (int k = 0; k < steps; ++k) {
    const auto& v = s.run(targets);
    last = v[0].item() / steps_total;
    csv << k << ',' << last << '\n';
    std::vector<scg::Tensor> gr{v[1], v[2], v[3]};
    for (scg::Tensor& t : gr) t.matrix() *= -1.0 / steps_total;  // ascend the log-likelihood
    adam.step(gr);
  }
  const double train_s = seconds_since(t0);
  std::printf("  Adam 0.05, %d steps (%.1f ms per exact step): log p(y) per symbol %.4f -> %.4f (true parameters %.4f)\n",
              steps, 1e3 * train_s / std::max(steps, 1), first, last, ll_truth / steps_total);
  const bool hmm_learned = last > first + 0.05 && (quick || last > ll_truth / steps_total - 0.05);
  ok = ok && hmm_learned;

  // ---- sigmoid belief net ----
  std::mt19937_64 r3(3);
  auto rand_tensor = [&](int r, int c, double sc) {
    scg::Tensor t(r, c);
    for (Eigen::Index k = 0; k < t.shape().size(); ++k) t.data()[k] = sc * normal(r3);
    return t;
  };
  // Data from a random true SBN.
  const scg::Tensor tc2 = rand_tensor(1, H, 1.0), tW = rand_tensor(H, H, 2.0), tc1 = rand_tensor(1, H, 1.0),
                    tV = rand_tensor(H, D, 2.5), tc0 = rand_tensor(1, D, 1.0);
  scg::Tensor x(sbn_n, D);
  std::uniform_real_distribution<double> u01;
  for (int r = 0; r < sbn_n; ++r) {
    std::array<double, H> h2, h1;
    for (int i = 0; i < H; ++i) h2[i] = u01(r3) < sig(tc2(0, i));
    for (int j = 0; j < H; ++j) {
      double a = tc1(0, j);
      for (int i = 0; i < H; ++i) a += h2[i] * tW(i, j);
      h1[j] = u01(r3) < sig(a);
    }
    for (int d = 0; d < D; ++d) {
      double a = tc0(0, d);
      for (int j = 0; j < H; ++j) a += h1[j] * tV(j, d);
      x(r, d) = u01(r3) < sig(a);
    }
  }
  scg::Graph sg;
  const scg::Var c2 = sg.parameter("c2", rand_tensor(1, H, 0.1)), W = sg.parameter("W", rand_tensor(H, H, 0.1)),
                 c1 = sg.parameter("c1", rand_tensor(1, H, 0.1)), V = sg.parameter("V", rand_tensor(H, D, 0.1)),
                 c0 = sg.parameter("c0", rand_tensor(1, D, 0.1));
  const scg::Var xs = sg.constant(x);
  const scg::Var h2 = scg::bernoulli(c2 + sg.constant(scg::Tensor(sbn_n, H)));
  const scg::Var h1 = scg::bernoulli(scg::matmul(h2, W) + c1);
  const scg::Var a = scg::matmul(h1, V) + c0;
  const scg::Var loglik = scg::sum(xs * scg::log_sigmoid(a) + (1.0 - xs) * scg::log_sigmoid(-a));
  scg::ExpectationOptions eo;
  eo.max_states = 65536;  // p(h1 | h2): 2^8 x 2^8 states per example
  t0 = Clock::now();
  const scg::Var sll = scg::log(scg::expectation(scg::exp(loglik), eo));
  std::vector<scg::Var> st{sll};
  for (const scg::Var& gv : scg::grad(sll, {c2, W, c1, V, c0})) st.push_back(gv);
  scg::Session ss(sg, 1);
  const double sbn_first = ss.run(st)[0].item();
  const double sbn_build = seconds_since(t0);
  const double brute = sbn_brute_force(c2.value(), W.value(), c1.value(), V.value(), c0.value(), x);
  const double sbn_err = std::fabs(sbn_first - brute) / std::fabs(brute);
  std::printf("sigmoid belief net: 8 -> 8 -> 16 binary units, %d examples; exact log p(x) %.8f, brute force over "
              "2^16 states %.8f (relative error %.1e); graph %zu nodes, built and run in %.2f s\n",
              sbn_n, sbn_first, brute, sbn_err, sg.size(), sbn_build);
  ok = ok && sbn_err < 1e-10;
  scg::Adam sadam({c2, W, c1, V, c0}, 0.05);
  double sbn_last = sbn_first;
  t0 = Clock::now();
  for (int k = 0; k < sbn_steps; ++k) {
    const auto& v = ss.run(st);
    sbn_last = v[0].item();
    std::vector<scg::Tensor> gr(v.begin() + 1, v.end());
    for (scg::Tensor& t : gr) t.matrix() *= -1.0 / sbn_n;
    sadam.step(gr);
  }
  const double sbn_s = seconds_since(t0);
  std::printf("  Adam 0.05, %d steps (%.1f ms per exact step): log p(x) per example %.3f -> %.3f\n", sbn_steps,
              1e3 * sbn_s / std::max(sbn_steps, 1), sbn_first / sbn_n, sbn_last / sbn_n);
  const bool sbn_learned = sbn_last > sbn_first;
  ok = ok && sbn_learned;
  std::printf("verdict: %s\n", ok ? "exact and learning" : "FAILED");
  std::printf("{\"example\":\"hmm\",\"sequences\":%d,\"T\":100,\"ll_rel_error\":%.3g,\"grad_max_error\":%.3g,"
              "\"ll_per_symbol_start\":%.5f,\"ll_per_symbol_end\":%.5f,\"ll_per_symbol_truth\":%.5f,\"steps\":%d,"
              "\"ms_per_step\":%.3f,\"sbn_rel_error\":%.3g,\"sbn_ll_start\":%.4f,\"sbn_ll_end\":%.4f,"
              "\"sbn_ms_per_step\":%.2f,\"ok\":%s}\n",
              n_seq, err_ll, err_g, first, last, ll_truth / steps_total, steps, 1e3 * train_s / std::max(steps, 1),
              sbn_err, sbn_first / sbn_n, sbn_last / sbn_n, 1e3 * sbn_s / std::max(sbn_steps, 1), ok ? "true" : "false");
  return ok ? 0 : 1;
}
