// Adversarial tests of expectation by variable elimination (shared clones, product_sum, plates,
// product mode, sample_continuous), each against something independent: brute-force sums over
// every joint state written here in long double (gradients by central differences of them), the
// joint enumeration (ExpectationOptions::joint), closed forms, or quadrature with Monte Carlo.
#include <limits>
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../mc.hpp"

namespace {

using LD = long double;
using scg::Var;

LD lsig(LD x) { return 1.0L / (1.0L + std::exp(-x)); }
/// P(b) for b ~ Bern(sigmoid(logit)).
LD bern_p(LD logit, int b) { return b ? lsig(logit) : lsig(-logit); }
std::vector<LD> lsoftmax(const std::vector<LD>& l) {
  LD m = l[0];
  for (LD x : l) m = std::max(m, x);
  std::vector<LD> p(l.size());
  LD z = 0;
  for (std::size_t i = 0; i < l.size(); ++i) z += (p[i] = std::exp(l[i] - m));
  for (LD& x : p) x /= z;
  return p;
}
LD lse(const std::vector<LD>& v) {
  LD m = v[0];
  for (LD x : v) m = std::max(m, x);
  LD s = 0;
  for (LD x : v) s += std::exp(x - m);
  return m + std::log(s);
}

/// log sum_k softmax(logits)_k exp(loglik(k)): the log marginal likelihood over one categorical.
LD log_marginal(const std::vector<LD>& logits, const std::function<LD(int)>& loglik) {
  const std::vector<LD> pk = lsoftmax(logits);
  std::vector<LD> logs;
  for (std::size_t k = 0; k < pk.size(); ++k) logs.push_back(std::log(pk[k]) + loglik(static_cast<int>(k)));
  return lse(logs);
}

using Fn = std::function<LD(const std::vector<LD>&)>;
/// Central differences of f at p.
std::vector<LD> fd(const Fn& f, std::vector<LD> p, LD h = 1e-6L) {
  std::vector<LD> g(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const LD s = p[i];
    p[i] = s + h;
    const LD fp = f(p);
    p[i] = s - h;
    const LD fm = f(p);
    p[i] = s;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}
/// d^2 f / dp_i dp_j by central differences.
LD fd2(const Fn& f, const std::vector<LD>& p, std::size_t i, std::size_t j, LD h = 1e-4L) {
  auto at = [&](LD di, LD dj) {
    std::vector<LD> q = p;
    q[i] += di;
    q[j] += dj;
    return f(q);
  };
  return (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h);
}

/// The parameters' current values, each flattened row by row, concatenated.
std::vector<LD> values_of(const std::vector<Var>& params) {
  std::vector<LD> p;
  for (const Var& v : params)
    for (Eigen::Index r = 0; r < v.rows(); ++r)
      for (Eigen::Index c = 0; c < v.cols(); ++c) p.push_back(v.value()(r, c));
  return p;
}
/// Tensors flattened row by row, concatenated.
std::vector<double> flat(const std::vector<scg::Tensor>& ts) {
  std::vector<double> out;
  for (const scg::Tensor& t : ts)
    for (Eigen::Index r = 0; r < t.rows(); ++r)
      for (Eigen::Index c = 0; c < t.cols(); ++c) out.push_back(t(r, c));
  return out;
}
void check_close(const std::vector<double>& got, const std::vector<LD>& want, double rel, double abs,
                 const std::string& what) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double w = static_cast<double>(want[i]);
    INFO(what << " [" << i << "]: got " << got[i] << ", want " << w);
    CHECK(std::fabs(got[i] - w) <= rel * std::fabs(w) + abs);
  }
}
void check_close(double got, LD want, double rel, double abs, const std::string& what) {
  check_close(std::vector<double>{got}, std::vector<LD>{want}, rel, abs, what);
}

/// Evaluates E[cost] and its gradient in `params` by elimination (options o), and checks them
/// against the brute-force f (value) and its central differences (gradient).
void check_vs_brute(scg::Graph& g, const Var& e, const std::vector<Var>& params, const Fn& f, double rel_value,
                    double abs_grad, const std::string& what) {
  const auto gr = scg::grad(e, params);
  std::vector<Var> targets{e};
  targets.insert(targets.end(), gr.begin(), gr.end());
  scg::Session s(g, 5);
  const std::vector<scg::Tensor> v = s.run(targets);
  const std::vector<LD> p = values_of(params);
  check_close(v[0].item(), f(p), rel_value, 1e-13, what + ": value");
  check_close(flat({v.begin() + 1, v.end()}), fd(f, p), 1e-7, abs_grad, what + ": gradient");
}

/// Elimination against the joint enumeration: value, gradient, and the gradient of the sum of
/// the first parameter's gradient (second order).
void check_vs_joint(scg::Graph& g, const Var& cost, const std::vector<Var>& params,
                    const scg::ExpectationOptions& o = {}) {
  scg::ExpectationOptions jo = o;
  jo.joint = true;
  jo.max_states = 1e6;
  const Var ve = scg::expectation(cost, o), je = scg::expectation(cost, jo);
  const auto gv = scg::grad(ve, params), gj = scg::grad(je, params);
  const auto hv = scg::grad(scg::sum(gv[0]), params), hj = scg::grad(scg::sum(gj[0]), params);
  std::vector<Var> tv{ve}, tj{je};
  tv.insert(tv.end(), gv.begin(), gv.end());
  tv.insert(tv.end(), hv.begin(), hv.end());
  tj.insert(tj.end(), gj.begin(), gj.end());
  tj.insert(tj.end(), hj.begin(), hj.end());
  scg::Session s(g, 3);
  const std::vector<double> a = flat(s.run(tv)), b = flat(s.run(tj));
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("joint comparison, entry " << i << " (0: value, then gradients, then second order)");
    CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-10));
  }
}

}  // namespace

// ---- sharing must not mix distributions, parameters or states ----

TEST_CASE("adversarial: bernoulli and categorical reading the same logits (one node, and an identical op chain)") {
  // z0 ~ Bern(a); l1 and l2 = L + 1.5 z0 built twice from the same nodes (their clones are one
  // node); zb ~ Bern(l1) (1x2: 4 states), zc ~ Cat(l2), zc2 ~ Cat(l1) (2 states); zb3 ~ Bern(L),
  // zc3 ~ Cat(L) on the very same parameter node. State [1, 0] of zb (state 1) and of zc (state
  // 0) is one constant. 256 joint states.
  scg::Graph g;
  const Var a = g.parameter("a", 0.3), L = g.parameter("L", scg::Tensor::from_rows({{0.4, -0.7}}));
  const Var z0 = scg::bernoulli(a);
  const Var c15 = g.constant(1.5);
  const Var l1 = L + c15 * z0, l2 = L + c15 * z0;
  const Var zb = scg::bernoulli(l1), zc = scg::categorical(l2), zc2 = scg::categorical(l1);
  const Var zb3 = scg::bernoulli(L), zc3 = scg::categorical(L);
  const Var u = g.constant(scg::Tensor::from_rows({{0.7}, {-1.3}}));
  const Var cost = scg::square(scg::matmul(zb, u) - scg::matmul(zc, u)) + 0.9 * scg::sum(zc * zb) +
                   0.4 * scg::sum(scg::square(zb)) - 0.25 * scg::sum(scg::square(zc)) +
                   scg::square(scg::matmul(zc2, u) + scg::matmul(zb3, u) - scg::matmul(zc3, u) * z0) +
                   scg::exp(0.5 * scg::matmul(zb3, u)) * z0;
  const Fn f = [](const std::vector<LD>& p) {
    const LD u[2] = {0.7L, -1.3L};
    LD e = 0;
    for (int z0 = 0; z0 < 2; ++z0) {
      const std::vector<LD> l{p[1] + 1.5L * z0, p[2] + 1.5L * z0}, L{p[1], p[2]};
      const std::vector<LD> sl = lsoftmax(l), sL = lsoftmax(L);
      for (int zb = 0; zb < 4; ++zb)
        for (int zc = 0; zc < 2; ++zc)
          for (int zc2 = 0; zc2 < 2; ++zc2)
            for (int zb3 = 0; zb3 < 4; ++zb3)
              for (int zc3 = 0; zc3 < 2; ++zc3) {
                const int b0 = zb & 1, b1 = zb >> 1, d0 = zb3 & 1, d1 = zb3 >> 1;
                const LD pr = bern_p(p[0], z0) * bern_p(l[0], b0) * bern_p(l[1], b1) * sl[zc] * sl[zc2] *
                              bern_p(L[0], d0) * bern_p(L[1], d1) * sL[zc3];
                const LD bu = b0 * u[0] + b1 * u[1], du = d0 * u[0] + d1 * u[1];
                const LD c = (bu - u[zc]) * (bu - u[zc]) + 0.9L * (zc ? b1 : b0) + 0.4L * (b0 + b1) - 0.25L +
                             (u[zc2] + du - u[zc3] * z0) * (u[zc2] + du - u[zc3] * z0) + std::exp(0.5L * du) * z0;
                e += pr * c;
              }
    }
    return e;
  };
  check_vs_brute(g, scg::expectation(cost), {a, L}, f, 1e-12, 1e-8, "shared logits");
  check_vs_joint(g, cost, {a, L});
}

TEST_CASE("adversarial: 2-row bernoulli and categoricals on the same 2x2 logits (rows summed jointly, log_prob per state)") {
  // Not plated (z0 has one row), so the 2-row choices are enumerated whole: zb 16 states, zc and
  // zc2 4 each, their log-probabilities built per state with log_prob. One-hot states of zb
  // and zc are the same constants; zc and zc2 have the same distribution. 512 joint states.
  scg::Graph g;
  const Var a = g.parameter("a", -0.1);
  const Var Q = g.parameter("Q", scg::Tensor::from_rows({{0.2, -0.5}, {0.7, 0.1}}));
  const Var c = g.constant(0.9);
  const Var z0 = scg::bernoulli(a);
  const Var P1 = Q + c * z0, P2 = Q + c * z0;
  const Var zb = scg::bernoulli(P1), zc = scg::categorical(P2), zc2 = scg::categorical(P1);
  const scg::Tensor Wv = scg::Tensor::from_rows({{0.3, -1.2}, {0.8, 0.5}});
  const Var W = g.constant(Wv);
  const Var cost = scg::square(scg::sum(zb * zc) - 0.5) + scg::sum(zb) * scg::sum(zc2 * W) +
                   scg::exp(0.3 * scg::sum(zc * W)) * z0 + scg::sum(scg::square(zb - zc2));
  const Fn f = [&](const std::vector<LD>& p) {
    LD e = 0;
    for (int z0 = 0; z0 < 2; ++z0) {
      LD P[2][2];
      std::vector<LD> sm[2];
      for (int r = 0; r < 2; ++r) {
        for (int k = 0; k < 2; ++k) P[r][k] = p[1 + 2 * r + k] + 0.9L * z0;
        sm[r] = lsoftmax({P[r][0], P[r][1]});
      }
      for (int sb = 0; sb < 16; ++sb)
        for (int sc = 0; sc < 4; ++sc)
          for (int sc2 = 0; sc2 < 4; ++sc2) {
            int b[2][2], kc[2] = {sc & 1, sc >> 1}, kc2[2] = {sc2 & 1, sc2 >> 1};
            LD pr = bern_p(p[0], z0), nb = 0, bc = 0, wc2 = 0, wc = 0, sq = 0;
            for (int r = 0; r < 2; ++r) {
              for (int k = 0; k < 2; ++k) {
                b[r][k] = (sb >> (2 * r + k)) & 1;
                pr *= bern_p(P[r][k], b[r][k]);
                nb += b[r][k];
                const int o = kc2[r] == k;
                sq += (b[r][k] - o) * (b[r][k] - o);
              }
              pr *= sm[r][kc[r]] * sm[r][kc2[r]];
              bc += b[r][kc[r]];
              wc2 += static_cast<LD>(Wv(r, kc2[r]));
              wc += static_cast<LD>(Wv(r, kc[r]));
            }
            e += pr * ((bc - 0.5L) * (bc - 0.5L) + nb * wc2 + std::exp(0.3L * wc) * z0 + sq);
          }
    }
    return e;
  };
  check_vs_brute(g, scg::expectation(cost), {a, Q}, f, 1e-12, 1e-8, "2-row choices");
  check_vs_joint(g, cost, {a, Q});
}

TEST_CASE("adversarial: two chains sharing parameters, with equal and different data per step; repeated terms") {
  // Chains k = 1, 2 of 4 Bernoulli choices: z_0 ~ Bern(a + d), z_t ~ Bern(a + w z_{t-1} + d_{k,t}),
  // with the same data nodes at steps 0, 2, 3 and different ones at step 1 (shared transitions
  // where the data agree, distinct where not). Each square(z - y) is built twice; z1_0 is read
  // by terms with every z2_t.
  scg::Graph g;
  const Var a = g.parameter("a", -0.2), w = g.parameter("w", 1.1);
  const std::array<LD, 3> dv{0.1L, 0.35L, -0.4L};
  const std::array<Var, 3> d{g.constant(0.1), g.constant(0.35), g.constant(-0.4)};
  const std::array<std::array<int, 4>, 2> idx{{{0, 0, 2, 0}, {0, 1, 2, 0}}};
  const Var y = g.constant(0.6);
  std::array<std::array<Var, 4>, 2> z;
  Var cost;
  auto add = [&](const Var& t) { cost = cost.empty() ? t : cost + t; };
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 4; ++t) {
      const Var& dt = d[static_cast<std::size_t>(idx[k][t])];
      z[k][t] = scg::bernoulli(t == 0 ? a + dt : a + w * z[k][t - 1] + dt);
      add(scg::square(z[k][t] - y) + 0.5 * scg::square(z[k][t] - y));
    }
  for (int t = 0; t < 4; ++t) {
    add(0.7 * z[0][t] * z[1][t]);
    add(scg::exp(0.3 * (z[0][t] + z[1][t])));
    if (t) add(0.1 * z[0][0] * z[1][t]);
  }
  const Fn f = [&](const std::vector<LD>& p) {
    LD e = 0;
    for (int s = 0; s < 256; ++s) {
      int zz[2][4];
      LD pr = 1;
      for (int k = 0; k < 2; ++k)
        for (int t = 0; t < 4; ++t) {
          zz[k][t] = (s >> (4 * k + t)) & 1;
          const LD l = p[0] + (t ? p[1] * zz[k][t - 1] : 0) + dv[static_cast<std::size_t>(idx[k][t])];
          pr *= bern_p(l, zz[k][t]);
        }
      LD c = 0;
      for (int k = 0; k < 2; ++k)
        for (int t = 0; t < 4; ++t) c += 1.5L * (zz[k][t] - 0.6L) * (zz[k][t] - 0.6L);
      for (int t = 0; t < 4; ++t) {
        c += 0.7L * zz[0][t] * zz[1][t] + std::exp(0.3L * (zz[0][t] + zz[1][t]));
        if (t) c += 0.1L * zz[0][0] * zz[1][t];
      }
      e += pr * c;
    }
    return e;
  };
  check_vs_brute(g, scg::expectation(cost), {a, w}, f, 1e-12, 1e-8, "two chains");
  check_vs_joint(g, cost, {a, w});
}

// ---- plates ----

namespace {

/// The plated model of the next test case, row by row: z1 ~ Bern(a + x_r), z2 ~ Cat(L + w z1),
/// z3 ~ Bern(z2 . v + c z1). Parameters p = (a, w, L0..2, v0..2, c). f(row, z1, k, z3, x) gives
/// the row's cost or log-likelihood; returns sum_r E_r[f] (product: sum_r log E_r[exp f]).
LD plated_reference(const std::vector<LD>& p, const std::vector<LD>& x, bool product,
                    const std::function<LD(int, int, int, int, LD)>& f) {
  LD total = 0;
  for (std::size_t r = 0; r < x.size(); ++r) {
    std::vector<LD> terms;
    LD e = 0;
    for (int z1 = 0; z1 < 2; ++z1) {
      const std::vector<LD> pk = lsoftmax({p[2] + p[1] * z1, p[3] + p[1] * z1, p[4] + p[1] * z1});
      for (int k = 0; k < 3; ++k)
        for (int z3 = 0; z3 < 2; ++z3) {
          const LD lp = std::log(bern_p(p[0] + x[r], z1) * pk[k] * bern_p(p[5 + k] + p[8] * z1, z3));
          const LD v = f(static_cast<int>(r), z1, k, z3, x[r]);
          if (product) terms.push_back(lp + v);
          else e += std::exp(lp) * v;
        }
    }
    total += product ? lse(terms) : e;
  }
  return total;
}

}  // namespace

TEST_CASE("adversarial: a plated model and the same model with rows mixed (identity matmul) agree with brute force") {
  const std::vector<LD> xv{-0.5L, 0.2L, 0.9L};
  const LD uv[3] = {1.0L, -0.5L, 0.25L};
  for (const bool mixed : {false, true}) {
    for (const bool product : {false, true}) {
      INFO("rows mixed: " << mixed << ", product: " << product);
      scg::Graph g;
      const Var a = g.parameter("a", 0.25), w = g.parameter("w", -0.6);
      const Var L = g.parameter("L", scg::Tensor::from_rows({{0.3, -0.2, 0.5}}));
      const Var v = g.parameter("v", scg::Tensor::from_rows({{0.4}, {-0.9}, {0.2}}));
      const Var c = g.parameter("c", 0.8);
      const Var x = g.constant(scg::Tensor::from_rows({{-0.5}, {0.2}, {0.9}}));
      const Var u = g.constant(scg::Tensor::from_rows({{1.0}, {-0.5}, {0.25}}));
      const Var z1 = scg::bernoulli(a + x);
      // Same values, but the identity matmul mixes rows for the analysis (transpose twice would
      // not: transpose(transpose(x)) is x itself).
      scg::Tensor eye(3, 3);
      for (int r = 0; r < 3; ++r) eye(r, r) = 1.0;
      const Var z1r = mixed ? scg::matmul(g.constant(eye), z1) : z1;
      const Var z2 = scg::categorical(L + w * z1r);
      const Var z3 = scg::bernoulli(scg::matmul(z2, v) + c * z1);
      Var e;
      std::function<LD(int, int, int, int, LD)> row;
      if (!product) {
        const Var cost = scg::sum(scg::square(scg::matmul(z2, u) - z1 * 0.6)) + scg::sum(z3 * x) +
                         scg::sum(scg::log1p(scg::exp(z1 + z3 - x)));
        e = scg::expectation(cost, {.max_states = 1e5});
        row = [&](int, int z1, int k, int z3, LD xr) {
          return (uv[k] - 0.6L * z1) * (uv[k] - 0.6L * z1) + z3 * xr + std::log1p(std::exp(z1 + z3 - xr));
        };
        // Plated, every factor holds at most 2 x 3 x 2 states per row; mixed, 8 x 27 x 8.
        scg::ExpectationOptions small{.max_states = 12};
        if (mixed) CHECK_THROWS_AS(scg::expectation(cost, small), scg::Error);
        else CHECK_NOTHROW(scg::expectation(cost, small));
      } else {
        // A likelihood with a choice-free part 0.3 a (the offset L(0)).
        const Var loglik = scg::sum(-0.5 * scg::square(scg::matmul(z2, u) - z1 * 0.6 - x)) - 2.0 * scg::sum(z3 * x) +
                           0.3 * a;
        e = scg::log(scg::expectation(scg::exp(loglik), {.max_states = 1e5}));
        row = [&](int r, int z1, int k, int z3, LD xr) {
          const LD d = uv[k] - 0.6L * z1 - xr;
          (void)r;
          return -0.5L * d * d - 2.0L * z3 * xr;
        };
      }
      const Fn f = [&](const std::vector<LD>& p) {
        return plated_reference(p, xv, product, row) + (product ? 0.3L * p[0] : 0.0L);
      };
      const std::vector<Var> params{a, w, L, v, c};
      check_vs_brute(g, e, params, f, 1e-12, 1e-8, mixed ? "mixed rows" : "plated");
      // Second order: d^2/da dw and d^2/dc^2 against differences of the brute force.
      const Var ga = scg::grad(e, {a})[0], gc = scg::grad(e, {c})[0];
      const auto h1 = scg::grad(ga, {w}), h2 = scg::grad(gc, {c});
      scg::Session s(g, 1);
      const std::vector<LD> p = values_of(params);
      check_close(s.run(h1[0]).item(), fd2(f, p, 0, 1), 1e-6, 1e-7, "d2/da dw");
      check_close(s.run(h2[0]).item(), fd2(f, p, 8, 8), 1e-6, 1e-7, "d2/dc2");
    }
  }
}

// ---- one-row choices with many states ----

TEST_CASE("adversarial: a one-row categorical with 16 columns and a 1x8 bernoulli reading it (4096 joint states)") {
  const int K = 16, C = 8;
  scg::Tensor thv(1, K), uv(K, 1), u2v(K, 1), Mv(K, C), bv(1, C), gv(1, C);
  for (int k = 0; k < K; ++k) {
    thv(0, k) = 0.6 * std::sin(1.3 * k) - 0.02 * k;
    uv(k, 0) = std::cos(0.7 * k);
    u2v(k, 0) = 0.05 * k - 0.3;
    for (int c = 0; c < C; ++c) Mv(k, c) = 0.8 * std::sin(k + 2.0 * c);
  }
  for (int c = 0; c < C; ++c) bv(0, c) = 0.2 * c - 0.7, gv(0, c) = 0.1 * std::cos(c);
  for (const bool product : {false, true}) {
    INFO("product: " << product);
    scg::Graph g;
    const Var theta = g.parameter("theta", thv), beta = g.parameter("beta", bv), gamma = g.parameter("gamma", gv);
    const Var u = g.constant(uv), u2 = g.constant(u2v), M = g.constant(Mv);
    const Var zc = scg::categorical(theta);
    const Var zb = scg::bernoulli(beta + 0.5 * scg::matmul(zc, M));
    const Var wb = scg::exp(gamma);
    Var e;
    if (!product) {
      // Terms: zb weighted by wb (the choice itself), a square over both, zc weighted by
      // 2 u2 - log_softmax(theta) (the user's log_prob: -E[log p] is the entropy).
      const Var cost = scg::sum(wb * zb) + scg::square(scg::sum(zb) - 3.0 + scg::matmul(zc, u)) +
                       scg::matmul(zc, u2) * 2.0 - scg::sum(scg::log_prob(zc));
      e = scg::expectation(cost);  // the factor over (zc, zb) has exactly max_states = 4096 states
    } else {
      const Var loglik = 0.1 * scg::sum(wb * zb) + scg::matmul(zc, u) * 3.0 - 2.0 -
                         0.2 * scg::square(scg::sum(zb) - 2.0);
      e = scg::log(scg::expectation(scg::exp(loglik)));
    }
    const Fn f = [&](const std::vector<LD>& p) {
      std::vector<LD> th(p.begin(), p.begin() + K);
      const std::vector<LD> pk = lsoftmax(th);
      LD total = 0;
      std::vector<LD> logs;
      for (int k = 0; k < K; ++k) {
        LD ek = 0;
        for (int b = 0; b < (1 << C); ++b) {
          LD pb = 1, wsum = 0;
          int n = 0;
          for (int c = 0; c < C; ++c) {
            const int bit = (b >> c) & 1;
            pb *= bern_p(p[K + c] + 0.5L * Mv(k, c), bit);
            wsum += std::exp(p[K + C + c]) * bit;
            n += bit;
          }
          if (!product) {
            const LD sq = n - 3 + static_cast<LD>(uv(k, 0));
            ek += pb * (wsum + sq * sq);
          } else {
            logs.push_back(std::log(pk[k] * pb) + 0.1L * wsum + 3 * static_cast<LD>(uv(k, 0)) - 2 -
                           0.2L * (n - 2) * (n - 2));
          }
        }
        if (!product) total += pk[k] * (ek + 2 * static_cast<LD>(u2v(k, 0)) - std::log(pk[k]));
      }
      return product ? lse(logs) : total;
    };
    check_vs_brute(g, e, {theta, beta, gamma}, f, 1e-12, 1e-8, product ? "product" : "sum");
  }
}

// ---- product mode: rescaling ----

TEST_CASE("adversarial: likelihoods at the -1000 scale, strongly peaked, with a choice-free affine part") {
  SUBCASE("a categorical chain of 6 with a loop (z0 with z5) against log-sum-exp over 729 states") {
    const int T = 6;
    scg::Graph g;
    const Var l0 = g.parameter("l0", scg::Tensor::from_rows({{0.2, -0.4, 0.1}}));
    const Var A = g.parameter("A", scg::Tensor::from_rows({{1.0, -0.5, 0.2}, {-0.3, 0.8, 0.0}, {0.4, 0.1, -0.9}}));
    const Var b = g.parameter("b", 0.5);
    std::vector<std::array<LD, 3>> q(T);
    for (int t = 0; t < T; ++t)
      q[t] = t % 2 == 0 ? std::array<LD, 3>{-1000.0L, -1000.5L - 0.1L * t, -999.2L}
                        : std::array<LD, 3>{-1000.0L - 0.3L * t, -2000.0L, -3000.0L};
    std::vector<Var> z(T);
    Var loglik;
    for (int t = 0; t < T; ++t) {
      z[t] = t == 0 ? scg::categorical(l0) : scg::categorical(scg::matmul(z[t - 1], A));
      scg::Tensor qt(3, 1);
      for (int k = 0; k < 3; ++k) qt(k, 0) = static_cast<double>(q[t][k]);
      const Var e = scg::matmul(z[t], g.constant(qt));
      loglik = loglik.empty() ? e : loglik + e;
    }
    loglik = loglik - 2.5 * scg::sum(z[0] * z[5]) + 7.0 * b - 500.0 + 0.25 * scg::square(b);
    const Var ll = scg::log(scg::expectation(scg::exp(loglik)));
    const Fn f = [&](const std::vector<LD>& p) {
      const std::vector<LD> p0 = lsoftmax({p[0], p[1], p[2]});
      std::vector<std::vector<LD>> pa(3);
      for (int i = 0; i < 3; ++i) pa[i] = lsoftmax({p[3 + 3 * i], p[4 + 3 * i], p[5 + 3 * i]});
      std::vector<LD> logs;
      for (int s = 0; s < 729; ++s) {
        int zz[T];
        for (int t = 0, r = s; t < T; ++t, r /= 3) zz[t] = r % 3;
        LD lp = std::log(p0[zz[0]]), l = 0;
        for (int t = 1; t < T; ++t) lp += std::log(pa[zz[t - 1]][zz[t]]);
        for (int t = 0; t < T; ++t) l += q[t][zz[t]];
        l += -2.5L * (zz[0] == zz[5]) + 7 * p[12] - 500 + 0.25L * p[12] * p[12];
        logs.push_back(lp + l);
      }
      return lse(logs);
    };
    check_vs_brute(g, ll, {l0, A, b}, f, 1e-13, 1e-7, "chain");
    scg::Session s(g, 1);
    CHECK(s.run(scg::grad(ll, {b})[0]).item() == doctest::Approx(7.25).epsilon(1e-12));
  }
  SUBCASE("plated: 4 rows, per-row log-likelihoods near -1000 and -3000") {
    scg::Graph g;
    const Var a = g.parameter("a", 0.3), w = g.parameter("w", -1.2);
    const Var L = g.parameter("L", scg::Tensor::from_rows({{0.1, 0.5, -0.3}}));
    const scg::Tensor xv = scg::Tensor::from_rows({{0.2}, {0.9}, {-0.4}, {0.6}});
    const Var x = g.constant(xv);
    const Var z1 = scg::bernoulli(a + x);
    const Var z2 = scg::categorical(L + w * z1);
    const Var q = g.constant(scg::Tensor::from_rows({{-1000.0}, {-1001.5}, {-998.7}}));
    const Var loglik = scg::sum(-1000.0 * scg::square(z1 - x)) + scg::sum(scg::matmul(z2, q) * (1.0 + x)) + 3.0 * a;
    const Var ll = scg::log(scg::expectation(scg::exp(loglik)));
    const Fn f = [&](const std::vector<LD>& p) {
      const LD qv[3] = {-1000.0L, -1001.5L, -998.7L};
      LD total = 3 * p[0];
      for (int r = 0; r < 4; ++r) {
        const LD xr = xv(r, 0);
        std::vector<LD> logs;
        for (int z1 = 0; z1 < 2; ++z1) {
          const std::vector<LD> pk = lsoftmax({p[2] + p[1] * z1, p[3] + p[1] * z1, p[4] + p[1] * z1});
          for (int k = 0; k < 3; ++k)
            logs.push_back(std::log(bern_p(p[0] + xr, z1) * pk[k]) - 1000 * (z1 - xr) * (z1 - xr) + qv[k] * (1 + xr));
        }
        total += lse(logs);
      }
      return total;
    };
    check_vs_brute(g, ll, {a, w, L}, f, 1e-13, 1e-7, "plated");
  }
}

TEST_CASE("adversarial: product mode: many peaked log-factors on one choice whose maxima disagree (a mixture)") {
  // z ~ Cat(l), two clusters mu = (-3, 3); N observations x_i, alternately near -3 and near 3, each
  // its own term -2 (x_i - mu_z)^2 (a Gaussian log-likelihood, sigma = 1/2). Every state of z
  // loses about 72 per observation of the other cluster: log E[exp(loglik)] is about -36 N.
  // Each term's table is in range after its own rescaling (max 1), but from N of about 21 on
  // (36 N > 745) the product of the N + 1 tables in z's bucket is below the smallest double at
  // every state. Elimination in product space (tables rescaled one by one, before
  // log_product_sum) gave 0 / 0 = NaN here; N = 10 is in range (a control).
  for (const int N : {10, 24, 40}) {
    INFO("N = " << N);
    scg::Graph g;
    const Var l = g.parameter("l", scg::Tensor::from_rows({{0.3, -0.2}}));
    const Var mu = g.parameter("mu", scg::Tensor::from_rows({{-3.0}, {3.0}}));
    const Var z = scg::categorical(l);
    const Var m = scg::matmul(z, mu);
    std::vector<LD> x;
    Var loglik;
    for (int i = 0; i < N; ++i) {
      x.push_back((i % 2 == 0 ? -3.0L : 3.0L) + 0.1L * std::sin(static_cast<LD>(i)));
      const Var t = -2.0 * scg::square(static_cast<double>(x.back()) - m);
      loglik = loglik.empty() ? t : loglik + t;
    }
    const Var ll = scg::log(scg::expectation(scg::exp(loglik)));
    const Fn f = [&](const std::vector<LD>& p) {
      return log_marginal({p[0], p[1]}, [&](int k) {
        LD a = 0;
        for (LD xi : x) a += -2 * (xi - p[2 + k]) * (xi - p[2 + k]);
        return a;
      });
    };
    check_vs_brute(g, ll, {l, mu}, f, 1e-12, 1e-7, "mixture log-likelihood");
  }
}

TEST_CASE("adversarial: product mode: a choice with many children whose messages disagree") {
  // z ~ Cat(l) (2 states, s_z = -1, 1); children u_i ~ Bern(60 sigma_i s_z), sigma_i = 1 for
  // 3 in 5 children, else -1, each with log-factor -200 (u_i - 1)^2: child i wants z = 1 if
  // sigma_i = 1, else z = 0, and its message (u_i summed out, rescaled to max 1) is about e^-60 at
  // the other state. N = 20: the product of the messages in z's bucket is e^-480 at z = 1 (in
  // range); N = 40: e^-960 and e^-1440, both below the smallest double (NaN in product space).
  for (const int N : {20, 40}) {
    INFO("N = " << N);
    scg::Graph g;
    const Var l = g.parameter("l", scg::Tensor::from_rows({{0.3, -0.2}}));
    const Var z = scg::categorical(l);
    const Var sz = scg::matmul(z, g.constant(scg::Tensor::from_rows({{-1.0}, {1.0}})));
    Var loglik;
    for (int i = 0; i < N; ++i) {
      const Var u = scg::bernoulli((i % 5 < 3 ? 60.0 : -60.0) * sz);
      const Var t = -200.0 * scg::square(u - 1.0);
      loglik = loglik.empty() ? t : loglik + t;
    }
    const Var ll = scg::log(scg::expectation(scg::exp(loglik)));
    const Fn f = [&](const std::vector<LD>& p) {
      return log_marginal({p[0], p[1]}, [&](int k) {
        LD a = 0;
        for (int i = 0; i < N; ++i) {
          const LD p1 = lsig((i % 5 < 3 ? 60.0L : -60.0L) * (k ? 1 : -1));
          a += lse({std::log(1 - p1) - 200, std::log(p1)});
        }
        return a;
      });
    };
    check_vs_brute(g, ll, {l}, f, 1e-12, 1e-7, "hub log-likelihood");
  }
}

// ---- sample_continuous ----

TEST_CASE("adversarial: sample_continuous: two normals with the same operands are independent draws in every clone") {
  // z ~ Bern(sig(a)); m = 2 z - 1; x1, x2 ~ N(m, s) (the same operand nodes). One term (a sampled
  // node may be read by one factor only): E[((x1 - x2)^2 + x1 x2) (1 + z)] = (2 s^2 + 1) (1 + p)
  // (m^2 = 1). One draw for both would give (s^2 + 1) (1 + p).
  const double a0 = 0.2, s0 = 0.8;
  const double p = 1 / (1 + std::exp(-a0));
  scg::ExpectationOptions o;
  o.sample_continuous = true;
  SUBCASE("one row") {
    scg::Graph g;
    const Var a = g.parameter("a", a0);
    const Var z = scg::bernoulli(a);
    const Var m = 2.0 * z - 1.0, sd = g.constant(s0);
    const Var x1 = scg::normal(m, sd), x2 = scg::normal(m, sd);
    const Var e = scg::expectation((scg::square(x1 - x2) + x1 * x2) * (1.0 + z), o);
    const Var ga = scg::grad(e, {a})[0];
    // The estimate of E[x1] alone: (1 - p) x1|z=0 + p x1|z=1 with its own draw per state:
    // variance s^2 ((1 - p)^2 + p^2) (one draw for both states: s^2).
    const Var e1 = scg::expectation(x1, o);
    scg::Session s(g, 11);
    const auto mc = scg_test::sample_moments(s, {e, ga, e1}, 20000);
    scg_test::check_within(mc, {(2 * s0 * s0 + 1) * (1 + p), (2 * s0 * s0 + 1) * p * (1 - p), 2 * p - 1}, 5.0);
    const double var1 = s0 * s0 * ((1 - p) * (1 - p) + p * p);
    MESSAGE("variance of the E[x1] estimate: " << mc.var[2] << ", independent draws per state: " << var1);
    CHECK(std::fabs(mc.var[2] - var1) < 0.06 * var1);
  }
  SUBCASE("3 plated rows") {
    scg::Graph g;
    const Var a = g.parameter("a", a0);
    const Var z = scg::bernoulli(a + g.constant(scg::Tensor(3, 1, 0.0)));
    const Var m = 2.0 * z - 1.0, sd = g.constant(s0);
    const Var x1 = scg::normal(m, sd), x2 = scg::normal(m, sd);
    const Var e = scg::expectation(scg::sum((scg::square(x1 - x2) + x1 * x2) * (1.0 + z)), o);
    const Var ga = scg::grad(e, {a})[0];
    scg::Session s(g, 12);
    scg_test::check_within(scg_test::sample_moments(s, {e, ga}, 20000),
                           {3 * (2 * s0 * s0 + 1) * (1 + p), 3 * (2 * s0 * s0 + 1) * p * (1 - p)}, 5.0);
  }
}

TEST_CASE("adversarial: sample_continuous: a normal that reads no choice is one draw, shared by every state and term") {
  // x ~ N(0.5, 1) (no discrete parent: not cloned); z ~ Bern(sig(a + 0.2 x)) (its logits read x).
  // cost = (x - z)^2 + x z (x read by two terms and by z's distribution). Given x, the estimate
  // is exact: q = sig(a + 0.2 x), E[cost | x] = x^2 + q (1 - 2 x) + x q = x^2 + q (1 - x).
  const double a0 = -0.3;
  auto exact = [&](LD a) {
    LD e = 0;
    const int n = 8001;
    const LD h = 20.0L / (n - 1);
    for (int i = 0; i < n; ++i) {
      const LD x = 0.5L - 10 + i * h;
      const LD pdf = std::exp(-0.5L * (x - 0.5L) * (x - 0.5L)) / std::sqrt(2 * 3.14159265358979323846L);
      const LD q = lsig(a + 0.2L * x);
      e += (i == 0 || i == n - 1 ? 0.5L : 1.0L) * h * pdf * (x * x + q * (1 - x));
    }
    return e;
  };
  scg::Graph g;
  const Var a = g.parameter("a", a0);
  const Var x = scg::normal(g.constant(0.5), g.constant(1.0));
  const Var z = scg::bernoulli(a + 0.2 * x);
  scg::ExpectationOptions o;
  o.sample_continuous = true;
  const Var cost = scg::square(x - z) + x * z;
  const Var e = scg::expectation(cost, o);
  const Var ga = scg::grad(e, {a})[0];
  // Per run, the estimate is E[cost | x] at this run's x, exactly.
  scg::Session s(g, 31);
  for (int run = 0; run < 5; ++run) {
    const std::vector<double> v = flat(s.run({e, x}));
    const double xv = v[1], q = 1 / (1 + std::exp(-(a0 + 0.2 * xv)));
    CHECK(v[0] == doctest::Approx(xv * xv + q * (1 - xv)).epsilon(1e-12));
  }
  const LD h = 1e-5L;
  scg_test::check_within(scg_test::sample_moments(s, {e, ga}, 20000),
                         {static_cast<double>(exact(a0)), static_cast<double>((exact(a0 + h) - exact(a0 - h)) / (2 * h))},
                         5.0);
}

TEST_CASE("adversarial: sample_continuous: a choice whose logits read a normal drawn below another choice") {
  // z ~ Bern(sig(a)); x ~ N(2 z - 1, 0.7); v ~ Bern(sig(w x)); cost = (v - 0.3)^2 + 0.5 z v.
  // E = sum_z p(z) int N(x; 2z - 1, 0.7) [sig(w x) (0.49 + 0.5 z) + (1 - sig(w x)) 0.09] dx.
  const double a0 = 0.2, w0 = 1.3, sd = 0.7;
  auto exact = [&](LD a, LD w) {
    LD e = 0;
    for (int z = 0; z < 2; ++z) {
      const LD mu = 2.0L * z - 1, pz = bern_p(a, z);
      const int n = 8001;
      const LD h = 20.0L * sd / (n - 1);
      for (int i = 0; i < n; ++i) {
        const LD x = mu - 10 * sd + i * h;
        const LD pdf = std::exp(-0.5L * (x - mu) * (x - mu) / (sd * sd)) / (sd * std::sqrt(2 * 3.14159265358979323846L));
        const LD sv = lsig(w * x);
        e += pz * (i == 0 || i == n - 1 ? 0.5L : 1.0L) * h * pdf * (sv * (0.49L + 0.5L * z) + (1 - sv) * 0.09L);
      }
    }
    return e;
  };
  scg::Graph g;
  const Var a = g.parameter("a", a0), w = g.parameter("w", w0);
  const Var z = scg::bernoulli(a);
  const Var x = scg::normal(2.0 * z - 1.0, g.constant(sd));
  const Var v = scg::bernoulli(w * x);
  scg::ExpectationOptions o;
  o.sample_continuous = true;
  const Var e = scg::expectation(scg::square(v - 0.3) + 0.5 * z * v, o);
  const auto gr = scg::grad(e, {a, w});
  scg::Session s(g, 21);
  const LD h = 1e-5L;
  const std::vector<double> want{static_cast<double>(exact(a0, w0)),
                                 static_cast<double>((exact(a0 + h, w0) - exact(a0 - h, w0)) / (2 * h)),
                                 static_cast<double>((exact(a0, w0 + h) - exact(a0, w0 - h)) / (2 * h))};
  scg_test::check_within(scg_test::sample_moments(s, {e, gr[0], gr[1]}, 20000), want, 5.0);
}

// ---- grad-built nodes (frozen boxes), a user's magic_box, stateful ops ----

TEST_CASE("adversarial: RELAX's noise ops (random, not distributions) inside regions: expectation of the estimate is unbiased") {
  // b1 ~ Bern(sig(t)), b2 ~ Bern(sig(t b1 - 0.2)); cost (b1 - 0.45)^2 + b1 b2 + 0.3 b2; RELAX for b1
  // with a deliberately poor control variate. The noise given b1 is drawn afresh per state of
  // b1; the expectation over b1, b2 is exact, so each run is an unbiased estimate of dE/dt.
  scg::Graph g;
  const Var t = g.parameter("t", 0.35);
  const Var b1 = scg::bernoulli(t);
  const Var b2 = scg::bernoulli(t * b1 - 0.2);
  const Var cost = scg::square(b1 - 0.45) + b1 * b2 + 0.3 * b2;
  scg::GradOptions opt;
  opt.estimators = {{b1, scg::Estimator::kRelax}};
  opt.control_variates = {{b1, [](const Var& z) { return 0.3 + 1.7 * scg::square(z - 0.2); }, 0.5}};
  const Var est = scg::grad(cost, {t}, opt)[0];
  const Var e = scg::expectation(est);
  const Var exact = scg::grad(scg::expectation(cost), {t})[0];
  scg::Session s(g, 17);
  const double want = s.run(exact).item();
  scg_test::check_within(scg_test::sample_moments(s, {e}, 20000), {want}, 5.0);
}



TEST_CASE("adversarial: expectation of grad's estimator equals grad of the expectation; nonlinear uses match the joint") {
  scg::Graph g;
  const Var a = g.parameter("a", 0.3), w = g.parameter("w", -0.7);
  const Var z1 = scg::bernoulli(a);
  const Var z2 = scg::bernoulli(a + w * z1);
  const Var z3 = scg::categorical(scg::concat({w * z2, a - z1, g.constant(0.2)}, 1));
  const Var u = g.constant(scg::Tensor::from_rows({{0.5}, {-1.0}, {2.0}}));
  const Var c = scg::square(z1 + z2 - 0.4) * scg::exp(0.3 * a) + scg::matmul(z3, u) * w + scg::square(scg::matmul(z3, u) - z1);
  const auto G = scg::grad(c, {a, w});
  const Var e = scg::expectation(c);
  const auto ge = scg::grad(e, {a, w});
  const Var eg0 = scg::expectation(G[0]), eg1 = scg::expectation(G[1]);
  scg::Session s(g, 2);
  CHECK(s.run(eg0).item() == doctest::Approx(s.run(ge[0]).item()).epsilon(1e-12));
  CHECK(s.run(eg1).item() == doctest::Approx(s.run(ge[1]).item()).epsilon(1e-12));
  // Nonlinear in the estimator, and a user's (live) magic_box: against the joint enumeration.
  check_vs_joint(g, scg::square(G[0]) + G[1] * z2, {a, w});
  check_vs_joint(g, scg::magic_box(scg::log_prob(z2)) * scg::square(z2 - 0.5) + z1 * scg::exp(G[0]), {a, w});
  // With a moving-average baseline (a stateful op reading the cost, inside the regions): on the
  // first run the baseline is 0, so the expectation is the exact gradient; on every run the
  // elimination equals the joint enumeration.
  scg::GradOptions mo;
  mo.baseline = scg::Baseline::kMovingAverage;
  const auto Gm = scg::grad(c, {a, w}, mo);
  scg::ExpectationOptions jo;
  jo.joint = true;
  const Var em = scg::expectation(Gm[0]), ej = scg::expectation(Gm[0], jo);
  const Var em2 = scg::expectation(scg::square(Gm[1])), ej2 = scg::expectation(scg::square(Gm[1]), jo);
  scg::Session s2(g, 2);
  for (int run = 0; run < 3; ++run) {
    INFO("run " << run);
    const std::vector<double> v = flat(s2.run({em, ej, em2, ej2, ge[0]}));
    if (run == 0) CHECK(v[0] == doctest::Approx(v[4]).epsilon(1e-12));
    CHECK(v[0] == doctest::Approx(v[1]).epsilon(1e-12));
    CHECK(v[2] == doctest::Approx(v[3]).epsilon(1e-12));
  }
}

TEST_CASE("adversarial: plated: expectation of grad's estimator equals grad of the expectation") {
  scg::Graph g;
  const Var a = g.parameter("a", 0.15), w = g.parameter("w", 0.9);
  const Var L = g.parameter("L", scg::Tensor::from_rows({{0.3, -0.2, 0.5}}));
  const Var x = g.constant(scg::Tensor::from_rows({{-0.5}, {0.2}, {0.9}, {1.4}}));
  const Var u = g.constant(scg::Tensor::from_rows({{1.0}, {-0.5}, {0.25}}));
  const Var z1 = scg::bernoulli(a + x);
  const Var z2 = scg::categorical(L + w * z1);
  const Var c = scg::sum(scg::square(scg::matmul(z2, u) - z1 * 0.5) * scg::exp(0.2 * a)) + scg::sum(z2 * w) +
                scg::sum(scg::log1p(scg::exp(z1 * x * w)));
  const auto G = scg::grad(c, {a, w, L});
  const auto ge = scg::grad(scg::expectation(c), {a, w, L});
  std::vector<Var> eg;
  for (std::size_t i = 0; i < 3; ++i) eg.push_back(scg::expectation(scg::sum(G[i])));
  scg::Session s(g, 4);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("parameter " << i);
    const scg::Tensor want = s.run(ge[i]);
    CHECK(s.run(eg[i]).item() == doctest::Approx(want.matrix().sum()).epsilon(1e-12));
  }
}

TEST_CASE("adversarial: a moving_average inside a region: one per state, exact values run by run") {
  // z ~ Bern(sig(a)); m = moving_average(0.3 z); cost = (z - m)^2 + 0.1 z. Run 1: m = 0, E = 1.1 p;
  // later runs: m at state z is 0.3 z, E = 0.49 p + 0.1 p. No derivative through m.
  scg::Graph g;
  const Var a = g.parameter("a", 0.4);
  const Var z = scg::bernoulli(a);
  const Var m = scg::moving_average(z * 0.3, 0.5);
  const Var cost = scg::square(z - m) + 0.1 * z + scg::square(m - 0.3 * z) * z;
  scg::ExpectationOptions jo;
  jo.joint = true;
  const Var e = scg::expectation(cost), ej = scg::expectation(cost, jo);
  const Var ge = scg::grad(e, {a})[0];
  const double p = 1 / (1 + std::exp(-0.4));
  scg::Session s(g, 1);
  for (int run = 0; run < 3; ++run) {
    INFO("run " << run);
    const std::vector<double> v = flat(s.run({e, ej, ge}));
    const double k = run == 0 ? 1.0 + 0.1 + 0.09 : 0.49 + 0.1;
    CHECK(v[0] == doctest::Approx(k * p).epsilon(1e-12));
    CHECK(v[1] == doctest::Approx(k * p).epsilon(1e-12));
    CHECK(v[2] == doctest::Approx(k * p * (1 - p)).epsilon(1e-12));
  }
}

// ---- the linear part: weights and offset ----

TEST_CASE("adversarial: linear structure (transpose, matmul, concat, slice, div, offsets) and a choice read by many terms") {
  scg::Graph g;
  const Var a = g.parameter("a", 0.35), w = g.parameter("w", -0.8);
  const Var L = g.parameter("L", scg::Tensor::from_rows({{0.1, -0.6, 0.4}}));
  const Var z1 = scg::bernoulli(a);
  const Var z2 = scg::categorical(L + w * z1);
  const Var x = g.constant(scg::Tensor::from_rows({{0.5}, {-1.5}}));
  const Var z3 = scg::bernoulli(a + x * z1);  // 2x1, rows mixed below: 4 states
  const Var Mc = g.constant(scg::Tensor::from_rows({{1.0, -2.0}}));
  const Var u = g.constant(scg::Tensor::from_rows({{0.3}, {-1.1}, {0.8}}));
  const Var sl = z1 + scg::sum(z3);  // linear in the choices, read by two terms
  const Var cost = sl + scg::square(sl) + scg::sum(scg::matmul(scg::transpose(z3), scg::transpose(Mc))) * 0.5 -
                   scg::matmul(z2, u) / 4.0 + 3.0 + scg::sum(scg::concat({z3, scg::square(z3 - 0.2)}, 1)) +
                   scg::sum(scg::slice_cols(z2, 1, 2) * w) + a * 2.0 -
                   scg::sum(scg::matmul(scg::matmul(z2, u), scg::exp(L)) * z1) * 0.0 +
                   scg::sum(scg::matmul(scg::transpose(z2), z2) * scg::exp(w)) +
                   scg::sum(scg::square(z1 - 0.3) + g.constant(scg::Tensor(2, 3, 0.5))) +  // a 1x1 term broadcast
                   scg::sum(z2 * g.constant(scg::Tensor::from_rows({{0.1, 0.2, -0.3}, {0.4, -0.5, 0.6}})));  // 1x3 choice broadcast
  const Fn f = [&](const std::vector<LD>& p) {
    const LD uv[3] = {0.3L, -1.1L, 0.8L}, xv[2] = {0.5L, -1.5L}, Mv[2] = {1.0L, -2.0L};
    LD e = 0;
    for (int z1 = 0; z1 < 2; ++z1) {
      const std::vector<LD> pk = lsoftmax({p[2] + p[1] * z1, p[3] + p[1] * z1, p[4] + p[1] * z1});
      for (int k = 0; k < 3; ++k)
        for (int s3 = 0; s3 < 4; ++s3) {
          const int b[2] = {s3 & 1, s3 >> 1};
          const LD pr = bern_p(p[0], z1) * pk[k] * bern_p(p[0] + xv[0] * z1, b[0]) * bern_p(p[0] + xv[1] * z1, b[1]);
          const LD s = z1 + b[0] + b[1];
          LD c = s + s * s + 0.5L * (b[0] * Mv[0] + b[1] * Mv[1]) - uv[k] / 4 + 3;
          for (int r = 0; r < 2; ++r) c += b[r] + (b[r] - 0.2L) * (b[r] - 0.2L);
          c += (k >= 1 ? p[1] : 0) + 2 * p[0] + std::exp(p[1]);  // z2^T z2 is e_k e_k^T: its sum is 1
          c += 6 * (z1 - 0.3L) * (z1 - 0.3L) + 3 + std::array<LD, 3>{0.5L, -0.3L, 0.3L}[static_cast<std::size_t>(k)];
          e += pr * c;
        }
    }
    return e;
  };
  check_vs_brute(g, scg::expectation(cost), {a, w, L}, f, 1e-12, 1e-8, "linear structure");
  check_vs_joint(g, cost, {a, w, L});
}

// ---- errors ----

TEST_CASE("adversarial: errors name the factor or choice; continuous and countable ancestors are refused") {
  SUBCASE("one choice above max_states, one-row and rows summed jointly") {
    scg::Graph g;
    const Var l = g.parameter("l", scg::Tensor(1, 5000, 0.0));
    const Var zc = scg::categorical(l);
    try {
      scg::expectation(scg::square(scg::matmul(zc, g.constant(scg::Tensor(5000, 1, 0.5))) - 0.2));
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      CHECK(m.find(zc.describe()) != std::string::npos);
      CHECK(m.find("5000 states") != std::string::npos);
    }
    const Var zb = scg::bernoulli(g.parameter("b", scg::Tensor(13, 1, 0.1)));
    try {
      scg::expectation(scg::square(scg::sum(zb) - 6.0));
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      CHECK(m.find(zb.describe()) != std::string::npos);
      CHECK(m.find("8192") != std::string::npos);
      CHECK(m.find("mixes them") != std::string::npos);
    }
  }
  SUBCASE("a one-row global choice above 13-row locals: nested plates, summed per row") {
    scg::Graph g;
    const Var zg = scg::bernoulli(g.parameter("g", 0.3));
    const Var zl = scg::bernoulli(scg::broadcast_to(zg, {13, 1}) - 0.5);
    const Var e = scg::expectation(scg::sum(scg::square(zl - 0.4)));
    scg::Session s(g, 1);
    // 13 sum_g p(g) (p1(g) 0.36 + (1 - p1(g)) 0.16), p1(g) = sigmoid(g - 0.5).
    auto sig = [](long double x) { return 1.0L / (1.0L + std::exp(-x)); };
    long double ref = 0;
    for (int gv = 0; gv < 2; ++gv) {
      const long double pg = gv ? sig(0.3L) : 1 - sig(0.3L), p1 = sig(gv - 0.5L);
      ref += pg * 13 * (p1 * 0.36L + (1 - p1) * 0.16L);
    }
    CHECK(s.run(e).item() == doctest::Approx(static_cast<double>(ref)).epsilon(1e-12));
  }
  SUBCASE("a per-row vector cost above max_states asks for a 1x1 cost") {
    scg::Graph g;
    const Var z = scg::bernoulli(g.parameter("b", scg::Tensor(64, 1, 0.1)));
    try {
      scg::expectation(scg::square(z - 0.3));  // 64x1: enumerated jointly, 2^64 states
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      CHECK(m.find("64x1") != std::string::npos);
      CHECK(m.find("sum it to 1x1") != std::string::npos);
    }
  }
  SUBCASE("an enormous max_states is refused, not an empty result or an allocation failure") {
    scg::Graph g;
    const Var z = scg::bernoulli(g.parameter("b", scg::Tensor(70, 1, 0.1)));
    for (double huge : {1e30, 1e300, std::numeric_limits<double>::infinity()}) {
      INFO(huge);
      CHECK_THROWS_WITH_AS(scg::expectation(scg::sum(scg::square(z - 0.3)), {.max_states = huge}),
                           doctest::Contains("2^32"), scg::Error);
      CHECK_THROWS_WITH_AS(scg::expectation(scg::square(z - 0.3), {.max_states = huge}),
                           doctest::Contains("2^32"), scg::Error);
      scg::ExpectationOptions joint{.max_states = huge};
      joint.joint = true;
      CHECK_THROWS_AS(scg::expectation(scg::sum(scg::square(z - 0.3)), joint), scg::Error);
    }
    // At the limit the usual error: 2^70 joint states are above it.
    scg::ExpectationOptions joint{.max_states = scg::kMaxStatesLimit};
    joint.joint = true;
    CHECK_THROWS_WITH_AS(scg::expectation(scg::sum(scg::square(z - 0.3)), joint),
                         doctest::Contains("above the limit"), scg::Error);
  }
  SUBCASE("a cost term over three 1x5 choices (32768 states); summing out of a 13-clique") {
    scg::Graph g;
    const Var a = g.parameter("a", 0.1);
    std::vector<Var> z;
    for (int i = 0; i < 3; ++i) z.push_back(scg::bernoulli(a + g.constant(scg::Tensor(1, 5, 0.1 * i))));
    const Var term = scg::square(scg::sum(z[0]) + scg::sum(z[1]) + scg::sum(z[2]) - 7.0);
    try {
      scg::expectation(term);
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      CHECK(m.find("cost term") != std::string::npos);
      CHECK(m.find(term.describe()) != std::string::npos);
      CHECK(m.find("32768") != std::string::npos);
      for (const Var& v : z) CHECK(m.find(v.describe()) != std::string::npos);
    }
    std::vector<Var> c;
    for (int i = 0; i < 13; ++i) c.push_back(scg::bernoulli(a * (1.0 + 0.1 * i)));
    Var cost;
    for (int i = 0; i < 13; ++i)
      for (int j = i + 1; j < 13; ++j) {
        const Var t = scg::square(c[static_cast<std::size_t>(i)] - c[static_cast<std::size_t>(j)] * 0.5);
        cost = cost.empty() ? t : cost + t;
      }
    try {
      scg::expectation(cost);
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      CHECK(m.find("summing out") != std::string::npos);
      CHECK(m.find("max_states") != std::string::npos);
    }
  }
  SUBCASE("continuous, countable, black_box") {
    scg::Graph g;
    const Var mu = g.parameter("mu", 0.1);
    const Var x = scg::normal(mu, g.constant(1.0));
    const Var b = scg::bernoulli(x);
    const Var cost = scg::square(b - x);
    scg::ExpectationOptions jo;
    jo.joint = true;
    CHECK_THROWS_WITH_AS(scg::expectation(cost), doctest::Contains("sample_continuous"), scg::Error);
    CHECK_THROWS_WITH_AS(scg::expectation(cost, jo), doctest::Contains("sample_continuous"), scg::Error);
    const Var b2 = scg::bernoulli(mu);  // no continuous ancestor
    const Var n = scg::poisson(g.parameter("r", 2.0));
    CHECK_THROWS_WITH_AS(scg::expectation(scg::square(n + b2)), doctest::Contains("infinite support"), scg::Error);
    const Var in = g.input("reward", 1, 1);
    CHECK_THROWS_WITH_AS(scg::expectation(scg::black_box(in, {b2}) * b2), doctest::Contains("black_box"), scg::Error);
  }
}

// ---- product_sum itself ----

TEST_CASE("adversarial: product_sum with 1 to 6 tables, 1 and 3 rows, repeated and unnamed output columns") {
  for (const Eigen::Index rows : {1, 3}) {
    for (std::size_t m = 1; m <= 6; ++m) {
      INFO("rows " << rows << ", tables " << m);
      scg::Graph g;
      const std::size_t n = 11;
      const Eigen::Index cols = 7;  // columns 5 and 6 are never named
      std::vector<scg::Tensor> tv;
      std::vector<Var> tables;
      std::vector<std::vector<Eigen::Index>> index(m);
      std::vector<Eigen::Index> out(n);
      for (std::size_t s = 0; s < n; ++s) out[s] = static_cast<Eigen::Index>((s * s) % 5);
      for (std::size_t i = 0; i < m; ++i) {
        const Eigen::Index c = 2 + static_cast<Eigen::Index>(i % 3);
        scg::Tensor t(rows, c);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index k = 0; k < c; ++k) t(r, k) = 0.5 + std::sin(1.0 + r + 2.0 * k + 3.0 * static_cast<double>(i));
        tv.push_back(t);
        std::string name = "t";  // (not "t" + to_string: GCC 12 warns falsely, -Wrestrict)
        name += std::to_string(i);
        tables.push_back(g.parameter(name, t));
        for (std::size_t s = 0; s < n; ++s) index[i].push_back(static_cast<Eigen::Index>((s * (i + 2) + i) % static_cast<std::size_t>(c)));
      }
      scg::Tensor Wv(rows, cols), Vv(rows, tv[0].cols());
      for (Eigen::Index r = 0; r < rows; ++r) {
        for (Eigen::Index k = 0; k < cols; ++k) Wv(r, k) = std::cos(0.3 * k + r);
        for (Eigen::Index k = 0; k < tv[0].cols(); ++k) Vv(r, k) = 1.0 + 0.25 * k - 0.5 * r;
      }
      const Var P = scg::product_sum(tables, index, out, cols);
      const Var loss = scg::sum(P * g.constant(Wv));
      const auto gr = scg::grad(loss, tables);
      const Var second = scg::sum(gr[0] * g.constant(Vv));
      std::vector<Var> others(tables.begin() + 1, tables.end());
      const auto h = m > 1 ? scg::grad(second, others) : std::vector<Var>{};
      // References.
      auto prod_except = [&](Eigen::Index r, std::size_t s, std::size_t skip1, std::size_t skip2) {
        double p = 1;
        for (std::size_t i = 0; i < m; ++i)
          if (i != skip1 && i != skip2) p *= tv[i](r, index[i][s]);
        return p;
      };
      scg::Tensor Pref(rows, cols);
      std::vector<scg::Tensor> gref, href;
      for (std::size_t i = 0; i < m; ++i) gref.emplace_back(rows, tv[i].cols()), href.emplace_back(rows, tv[i].cols());
      for (Eigen::Index r = 0; r < rows; ++r)
        for (std::size_t s = 0; s < n; ++s) {
          Pref(r, out[s]) += prod_except(r, s, m, m);
          for (std::size_t j = 0; j < m; ++j) gref[j](r, index[j][s]) += Wv(r, out[s]) * prod_except(r, s, j, m);
          for (std::size_t k = 1; k < m; ++k)
            href[k](r, index[k][s]) += Vv(r, index[0][s]) * Wv(r, out[s]) * prod_except(r, s, 0, k);
        }
      scg::Session sess(g, 1);
      const scg::Tensor Pv = sess.run(P);
      for (Eigen::Index r = 0; r < rows; ++r)
        for (Eigen::Index k = 0; k < cols; ++k) CHECK(Pv(r, k) == doctest::Approx(Pref(r, k)).epsilon(1e-13));
      for (std::size_t j = 0; j < m; ++j) {
        const scg::Tensor gv = sess.run(gr[j]);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index k = 0; k < gv.cols(); ++k) CHECK(gv(r, k) == doctest::Approx(gref[j](r, k)).epsilon(1e-13));
      }
      for (std::size_t k = 1; k < m; ++k) {
        const scg::Tensor hv = sess.run(h[k - 1]);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index c = 0; c < hv.cols(); ++c) CHECK(hv(r, c) == doctest::Approx(href[k](r, c)).epsilon(1e-13));
      }
    }
  }
  SUBCASE("the same table twice (a square), no products at all, and bad maps") {
    scg::Graph g;
    const scg::Tensor tv = scg::Tensor::from_rows({{0.5, -1.5, 2.0}, {1.0, 0.25, -0.75}});
    const Var t = g.parameter("t", tv);
    // out[c] = sum over s with out index c of t[i1[s]] t[i2[s]].
    const std::vector<Eigen::Index> i1{0, 1, 2, 2, 0}, i2{0, 1, 2, 0, 2}, o{0, 0, 1, 2, 2};
    const Var P = scg::product_sum({t, t}, {i1, i2}, o, 4);
    const Var gt = scg::grad(scg::sum(P), {t})[0];
    const Var h = scg::grad(scg::sum(gt * g.constant(tv)), {t})[0];
    scg::Session s(g, 1);
    const scg::Tensor Pv = s.run(P), gv = s.run(gt), hv = s.run(h);
    for (Eigen::Index r = 0; r < 2; ++r) {
      const double x0 = tv(r, 0), x1 = tv(r, 1), x2 = tv(r, 2);
      CHECK(Pv(r, 0) == doctest::Approx(x0 * x0 + x1 * x1));
      CHECK(Pv(r, 1) == doctest::Approx(x2 * x2));
      CHECK(Pv(r, 2) == doctest::Approx(2 * x0 * x2));
      CHECK(Pv(r, 3) == 0.0);
      // d/dx of x0^2 + x1^2 + x2^2 + 2 x0 x2.
      CHECK(gv(r, 0) == doctest::Approx(2 * x0 + 2 * x2));
      CHECK(gv(r, 1) == doctest::Approx(2 * x1));
      CHECK(gv(r, 2) == doctest::Approx(2 * x2 + 2 * x0));
      // The gradient is H x (H symmetric, constant): d/dx of c . (H x) at c = x (a constant) is H x.
      for (Eigen::Index k = 0; k < 3; ++k) CHECK(hv(r, k) == doctest::Approx(gv(r, k)));
    }
    using Idx = std::vector<std::vector<Eigen::Index>>;
    const Var empty = scg::product_sum({t}, Idx(1), {}, 2);
    const Var ge = scg::grad(scg::sum(empty), {t})[0];
    CHECK(s.run(empty).matrix().isZero(0.0));
    CHECK(s.run(ge).matrix().isZero(0.0));
    using V = std::vector<Eigen::Index>;
    CHECK_THROWS_AS(scg::product_sum({t}, Idx{V{3}}, V{0}, 1), scg::Error);        // column 3 of 3
    CHECK_THROWS_AS(scg::product_sum({t}, Idx{V{0}}, V{1}, 1), scg::Error);        // output column 1 of 1
    CHECK_THROWS_AS(scg::product_sum({t, t}, Idx{V{0}}, V{0}, 1), scg::Error);     // one map for two tables
    CHECK_THROWS_AS(scg::product_sum({t}, Idx{V{0, 1}}, V{0}, 1), scg::Error);     // map lengths differ
  }
}
