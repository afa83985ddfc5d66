// Nested plates: a global (one-row) choice above per-row local choices, plates of different row
// counts side by side, and a chain inside each row. expectation and the three posterior queries
// are checked against closed forms summed per row in long double (at R = 40 the joint sum has
// 2 x 3^40 states, out of reach; the closed form sums each row given the global choices), and
// at small R against expectation's joint enumeration; gradients against central differences of
// the closed forms; the fallback for a model that does mix rows, with its error.
#include <array>
#include <cmath>
#include <functional>
#include <vector>

#include "../mc.hpp"

namespace {
using ld = long double;
using scg::Var;
constexpr int K = 3;
constexpr std::array<double, K> kV{0.9, -0.6, 0.2}, kW{0.5, -0.3, 1.1};

ld sigl(ld x) { return 1.0L / (1.0L + std::exp(-x)); }
ld log_sigl(ld x) { return -std::log1p(std::exp(-x)); }
double l_at(int r, int k) { return std::sin(1.3 * r + 0.7 * k); }
double y_at(int r, int k) { return -1.0 + 0.8 * std::cos(0.9 * r + 1.7 * k); }
double c_at(int r) { return 0.3 * std::sin(static_cast<double>(r)); }

// Model A, R rows: g ~ Bern(sig(tg)); z_r ~ Cat(softmax(L_r + g V)) (L a parameter);
// log_weight = sum_rk z_rk Y_rk + g sum_r <z_r, w> + 0.7 g + sum_r log sig(1.5 g + C_r):
// a choice as a term, a per-row term reading the global choice, a global term, and a term of
// R rows that reads only the global choice.
struct ModelA {
  int R;
  Var tg, L, g, z, log_weight, cost;
};

ModelA build_a(scg::Graph& gr, int R, double tg) {
  ModelA m{R, {}, {}, {}, {}, {}, {}};
  scg::Tensor l(R, K), y(R, K), c(R, 1), v(1, K), w(K, 1);
  for (int r = 0; r < R; ++r) {
    c(r, 0) = c_at(r);
    for (int k = 0; k < K; ++k) l(r, k) = l_at(r, k), y(r, k) = y_at(r, k);
  }
  for (int k = 0; k < K; ++k) v(0, k) = kV[k], w(k, 0) = kW[k];
  m.tg = gr.parameter("tg", tg);
  m.L = gr.parameter("L", l);
  m.g = scg::bernoulli(m.tg);
  m.z = scg::categorical(m.L + scg::matmul(m.g, gr.constant(v)));
  const Var zw = scg::matmul(m.z, gr.constant(w));
  m.log_weight = scg::sum(m.z * gr.constant(y)) + scg::sum(zw * m.g) + 0.7 * m.g +
                 scg::sum(scg::log_sigmoid(scg::broadcast_to(m.g, {R, 1}) * 1.5 + gr.constant(c)));
  // An additive cost: sum_r (<z_r, w> - g)^2 + 2 g + sum_rk z_rk Y_rk.
  m.cost = scg::sum(scg::square(zw - m.g)) + 2.0 * m.g + scg::sum(m.z * gr.constant(y));
  return m;
}

// log softmax(L_r + g V)_k at the given parameters (dl: an offset on L(dr, dk)).
struct ParamsA {
  ld tg = 0.4L;
  int dr = -1, dk = -1;
  ld dl = 0;
  ld logit(int r, int k, int g) const {
    return l_at(r, k) + (r == dr && k == dk ? dl : 0.0L) + g * static_cast<ld>(kV[k]);
  }
  ld log_pi(int r, int k, int g) const {
    ld n = 0;
    for (int j = 0; j < K; ++j) n += std::exp(logit(r, j, g));
    return logit(r, k, g) - std::log(n);
  }
  ld log_pg(int g) const { return g ? log_sigl(tg) : log_sigl(-tg); }
  ld lw_global(int R, int g) const {
    ld s = 0.7L * g;
    for (int r = 0; r < R; ++r) s += log_sigl(1.5L * g + c_at(r));
    return s;
  }
  ld lw_row(int r, int k, int g) const { return y_at(r, k) + static_cast<ld>(kW[k]) * g; }
};

// Per global state g: log p(g) + global terms + sum_r log sum_k pi e^lw (the row sums).
ld log_joint_g(const ParamsA& p, int R, int g) {
  ld s = p.log_pg(g) + p.lw_global(R, g);
  for (int r = 0; r < R; ++r) {
    ld row = 0;
    for (int k = 0; k < K; ++k) row += std::exp(p.log_pi(r, k, g) + p.lw_row(r, k, g));
    s += std::log(row);
  }
  return s;
}

ld log_z_a(const ParamsA& p, int R) {
  const ld a = log_joint_g(p, R, 0), b = log_joint_g(p, R, 1), m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

ld expected_cost_a(const ParamsA& p, int R) {
  ld e = 0;
  for (int g = 0; g < 2; ++g) {
    ld c = 2.0L * g;
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < K; ++k) {
        const ld d = kW[k] - g;
        c += std::exp(p.log_pi(r, k, g)) * (d * d + y_at(r, k));
      }
    e += std::exp(p.log_pg(g)) * c;
  }
  return e;
}

ld post_g1(const ParamsA& p, int R) { return std::exp(log_joint_g(p, R, 1) - log_z_a(p, R)); }

// P(z_r = k | data) = sum_g P(g | data) pi e^lw / row sum.
ld post_z(const ParamsA& p, int R, int r, int k) {
  ld out = 0;
  for (int g = 0; g < 2; ++g) {
    const ld pg = g ? post_g1(p, R) : 1 - post_g1(p, R);
    ld row = 0;
    for (int j = 0; j < K; ++j) row += std::exp(p.log_pi(r, j, g) + p.lw_row(r, j, g));
    out += pg * std::exp(p.log_pi(r, k, g) + p.lw_row(r, k, g)) / row;
  }
  return out;
}

using scg_test::check_frequency;
using scg_test::row_state;
}  // namespace

TEST_CASE(
    "nested plates: a global choice above 40 three-state locals, by the per-row closed form") {
  constexpr int R = 40;
  scg::Graph gr;
  const ModelA m = build_a(gr, R, 0.4);
  const ParamsA p;
  const Var log_z = scg::log(scg::expectation(scg::exp(m.log_weight)));
  const Var e = scg::expectation(m.cost);
  scg::Session s(gr, 1);
  SUBCASE("values") {
    CHECK(s.run(log_z).item() ==
          doctest::Approx(static_cast<double>(log_z_a(p, R))).epsilon(1e-12));
    CHECK(s.run(e).item() ==
          doctest::Approx(static_cast<double>(expected_cost_a(p, R))).epsilon(1e-12));
  }
  SUBCASE("gradients against central differences of the closed form, to second order") {
    const auto d = scg::grad(log_z, {m.tg, m.L});
    const Var d2 = scg::grad(d[0], {m.tg})[0];
    const auto de = scg::grad(e, {m.tg, m.L});
    const auto v = s.run({d[0], d[1], d2, de[0], de[1]});
    const ld h = 1e-4L;
    auto at = [&](ld tg, int dr, int dk, ld dl) {
      ParamsA q;
      q.tg = tg, q.dr = dr, q.dk = dk, q.dl = dl;
      return q;
    };
    const ld up = log_z_a(at(0.4L + h, -1, -1, 0), R), down = log_z_a(at(0.4L - h, -1, -1, 0), R);
    const ld mid = log_z_a(p, R);
    CHECK(v[0].item() == doctest::Approx(static_cast<double>((up - down) / (2 * h))).epsilon(1e-7));
    CHECK(v[2].item() ==
          doctest::Approx(static_cast<double>((up - 2 * mid + down) / (h * h))).epsilon(1e-5));
    for (const auto& [r, k] : {std::pair{0, 0}, std::pair{17, 2}, std::pair{39, 1}}) {
      const ld fd = (log_z_a(at(0.4L, r, k, h), R) - log_z_a(at(0.4L, r, k, -h), R)) / (2 * h);
      CHECK(v[1](r, k) == doctest::Approx(static_cast<double>(fd)).epsilon(1e-7));
      const ld fe =
          (expected_cost_a(at(0.4L, r, k, h), R) - expected_cost_a(at(0.4L, r, k, -h), R)) /
          (2 * h);
      CHECK(v[4](r, k) == doctest::Approx(static_cast<double>(fe)).epsilon(1e-7));
    }
    const ld fe = (expected_cost_a(at(0.4L + h, -1, -1, 0), R) -
                   expected_cost_a(at(0.4L - h, -1, -1, 0), R)) /
                  (2 * h);
    CHECK(v[3].item() == doctest::Approx(static_cast<double>(fe)).epsilon(1e-7));
  }
  SUBCASE("posterior marginals") {
    const auto marg = scg::posterior_marginals(m.log_weight, {m.g, m.z});
    const auto v = s.run(marg);
    CHECK(v[0].item() == doctest::Approx(static_cast<double>(post_g1(p, R))).epsilon(1e-12));
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < K; ++k)
        CHECK(v[1](r, k) ==
              doctest::Approx(static_cast<double>(post_z(p, R, r, k))).epsilon(1e-11));
  }
  SUBCASE("posterior mode: the best global state, each row's best local state given it") {
    const auto mode = scg::posterior_mode(m.log_weight, {m.g, m.z});
    const auto v = s.run(mode);
    int best_g = 0;
    ld best = -INFINITY;
    std::vector<std::vector<int>> arg(2, std::vector<int>(R));
    for (int g = 0; g < 2; ++g) {
      ld total = p.log_pg(g) + p.lw_global(R, g);
      for (int r = 0; r < R; ++r) {
        ld mx = -INFINITY;
        for (int k = 0; k < K; ++k) {
          const ld x = p.log_pi(r, k, g) + p.lw_row(r, k, g);
          if (x > mx) mx = x, arg[g][r] = k;
        }
        total += mx;
      }
      if (total > best) best = total, best_g = g;
    }
    CHECK(v[0].item() == best_g);
    for (int r = 0; r < R; ++r) CHECK(row_state(v[1], r) == arg[best_g][r]);
  }
  SUBCASE("posterior draws: global, per-row and joint frequencies within 5 SE") {
    const auto draw = scg::posterior_sample(m.log_weight, {m.g, m.z});
    constexpr int n = 4000;
    int g1 = 0;
    std::array<std::array<int, K>, 3> zc{}, joint{};
    for (int i = 0; i < n; ++i) {
      const auto v = s.run(draw);
      const int g = static_cast<int>(v[0].item());
      g1 += g;
      for (int r = 0; r < 3; ++r) {
        const int k = row_state(v[1], r * 19);
        ++zc[static_cast<std::size_t>(r)][static_cast<std::size_t>(k)];
        if (g) ++joint[static_cast<std::size_t>(r)][static_cast<std::size_t>(k)];
      }
    }
    check_frequency(g1, n, post_g1(p, R), "P(g = 1)");
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < K; ++k) {
        check_frequency(zc[r][k], n, post_z(p, R, r * 19, k), "P(z_r = k)");
        // P(g = 1, z_r = k) = P(g = 1) pi e^lw / row sum at g = 1.
        ld row = 0;
        for (int j = 0; j < K; ++j)
          row += std::exp(p.log_pi(r * 19, j, 1) + p.lw_row(r * 19, j, 1));
        const ld pj =
            post_g1(p, R) * std::exp(p.log_pi(r * 19, k, 1) + p.lw_row(r * 19, k, 1)) / row;
        check_frequency(joint[r][k], n, pj, "P(g = 1, z_r = k)");
      }
  }
}

TEST_CASE("nested plates at small R agree with the joint enumeration") {
  for (int R : {1, 2, 4}) {
    CAPTURE(R);
    scg::Graph gr;
    const ModelA m = build_a(gr, R, -0.7);
    scg::ExpectationOptions joint;
    joint.joint = true;
    const Var lz = scg::log(scg::expectation(scg::exp(m.log_weight)));
    const Var lz_joint = scg::log(scg::expectation(scg::exp(m.log_weight), joint));
    const Var e = scg::expectation(m.cost), e_joint = scg::expectation(m.cost, joint);
    const auto d = scg::grad(lz, {m.tg, m.L}), dj = scg::grad(lz_joint, {m.tg, m.L});
    scg::Session s(gr, 1);
    const auto v = s.run({lz, lz_joint, e, e_joint, d[0], dj[0], d[1], dj[1]});
    CHECK(v[0].item() == doctest::Approx(v[1].item()).epsilon(1e-12));
    CHECK(v[2].item() == doctest::Approx(v[3].item()).epsilon(1e-12));
    CHECK(v[4].item() == doctest::Approx(v[5].item()).epsilon(1e-11));
    for (Eigen::Index i = 0; i < v[6].shape().size(); ++i)
      CHECK(v[6].data()[i] == doctest::Approx(v[7].data()[i]).epsilon(1e-11));
  }
}

TEST_CASE("plates of different row counts side by side, under two global choices") {
  // g1, g2 global; x_r ~ Bern(sig(a_r + 1.1 g1)), 5 rows; y_r ~ Cat(softmax(B_r + g1 U + g2 U2)),
  // 7 rows of 4 states; log_weight = sum x X + g2 sum x + sum y Yb + g2 sum <y, w2> + 0.4 g1 g2.
  constexpr int R1 = 5, R2 = 7, K2 = 4;
  const std::array<double, K2> u{0.3, -0.8, 0.5, 0.0}, u2{-0.4, 0.6, 0.1, 0.9},
      w2{0.2, -0.5, 0.7, 0.1};
  auto a_at = [](int r) { return 0.5 * std::cos(2.1 * r); };
  auto x_at = [](int r) { return -0.3 + 0.6 * std::sin(r + 0.5); };
  auto b_at = [](int r, int k) { return 0.7 * std::sin(0.8 * r - 1.1 * k); };
  auto yb_at = [](int r, int k) { return -0.5 + 0.9 * std::cos(1.9 * r + 0.4 * k); };
  scg::Graph gr;
  const Var g1 = scg::bernoulli(gr.parameter("t1", 0.2)), g2 = scg::bernoulli(gr.constant(-0.5));
  scg::Tensor a(R1, 1), xw(R1, 1), b(R2, K2), yb(R2, K2), U(1, K2), U2(1, K2), W2(K2, 1);
  for (int r = 0; r < R1; ++r) a(r, 0) = a_at(r), xw(r, 0) = x_at(r);
  for (int k = 0; k < K2; ++k) U(0, k) = u[k], U2(0, k) = u2[k], W2(k, 0) = w2[k];
  for (int r = 0; r < R2; ++r)
    for (int k = 0; k < K2; ++k) b(r, k) = b_at(r, k), yb(r, k) = yb_at(r, k);
  const Var x = scg::bernoulli(gr.constant(a) + 1.1 * g1);
  const Var y = scg::categorical(gr.constant(b) + scg::matmul(g1, gr.constant(U)) +
                                 scg::matmul(g2, gr.constant(U2)));
  const Var lw = scg::sum(x * gr.constant(xw)) + scg::sum(x * g2) + scg::sum(y * gr.constant(yb)) +
                 scg::sum(scg::matmul(y, gr.constant(W2)) * g2) + 0.4 * g1 * g2;
  // The closed form: per (g1, g2), the rows of each plate summed apart.
  auto log_joint = [&](int s1, int s2) {
    ld t = (s1 ? log_sigl(0.2L) : log_sigl(-0.2L)) + (s2 ? log_sigl(-0.5L) : log_sigl(0.5L)) +
           0.4L * s1 * s2;
    for (int r = 0; r < R1; ++r) {
      const ld l = a_at(r) + 1.1L * s1;
      t += std::log(sigl(-l) + sigl(l) * std::exp(x_at(r) + s2));
    }
    for (int r = 0; r < R2; ++r) {
      ld n = 0, row = 0;
      for (int k = 0; k < K2; ++k) n += std::exp(b_at(r, k) + s1 * u[k] + s2 * u2[k]);
      for (int k = 0; k < K2; ++k)
        row +=
            std::exp(b_at(r, k) + s1 * u[k] + s2 * u2[k]) / n * std::exp(yb_at(r, k) + s2 * w2[k]);
      t += std::log(row);
    }
    return t;
  };
  ld z = 0, p1 = 0, p2 = 0, best = -INFINITY;
  int best1 = 0, best2 = 0;
  for (int s1 = 0; s1 < 2; ++s1)
    for (int s2 = 0; s2 < 2; ++s2) {
      const ld w = std::exp(log_joint(s1, s2));
      z += w, p1 += s1 * w, p2 += s2 * w;
    }
  const Var lz = scg::log(scg::expectation(scg::exp(lw)));
  const auto marg = scg::posterior_marginals(lw, {g1, g2, x, y});
  const auto mode = scg::posterior_mode(lw, {g1, g2, x, y});
  scg::Session s(gr, 1);
  CHECK(s.run(lz).item() == doctest::Approx(static_cast<double>(std::log(z))).epsilon(1e-12));
  const auto mv = s.run(marg);
  CHECK(mv[0].item() == doctest::Approx(static_cast<double>(p1 / z)).epsilon(1e-12));
  CHECK(mv[1].item() == doctest::Approx(static_cast<double>(p2 / z)).epsilon(1e-12));
  CHECK(mv[2].shape() == x.shape());
  CHECK(mv[3].shape() == y.shape());
  // The mode: per (g1, g2), each row's best state; the best of the four.
  const auto md = s.run(mode);
  for (int s1 = 0; s1 < 2; ++s1)
    for (int s2 = 0; s2 < 2; ++s2) {
      ld t = (s1 ? log_sigl(0.2L) : log_sigl(-0.2L)) + (s2 ? log_sigl(-0.5L) : log_sigl(0.5L)) +
             0.4L * s1 * s2;
      for (int r = 0; r < R1; ++r) {
        const ld l = a_at(r) + 1.1L * s1;
        t += std::max(log_sigl(-l), log_sigl(l) + x_at(r) + s2);
      }
      for (int r = 0; r < R2; ++r) {
        ld n = 0, mx = -INFINITY;
        for (int k = 0; k < K2; ++k) n += std::exp(b_at(r, k) + s1 * u[k] + s2 * u2[k]);
        for (int k = 0; k < K2; ++k)
          mx = std::max(
              mx, b_at(r, k) + s1 * u[k] + s2 * u2[k] - std::log(n) + yb_at(r, k) + s2 * w2[k]);
        t += mx;
      }
      if (t > best) best = t, best1 = s1, best2 = s2;
    }
  CHECK(md[0].item() == best1);
  CHECK(md[1].item() == best2);
  for (int r = 0; r < R1; ++r) {
    const ld l = a_at(r) + 1.1L * best1;
    CHECK(md[2](r, 0) == (log_sigl(l) + x_at(r) + best2 > log_sigl(-l) ? 1.0 : 0.0));
  }
  // Fed back, the mode's log-weight plus log-prior is the best total.
  std::vector<scg::Feed> feeds;
  for (std::size_t i = 0; i < 4; ++i) feeds.emplace_back(std::vector<Var>{g1, g2, x, y}[i], md[i]);
  const Var lp = scg::sum(scg::log_prob(g1)) + scg::sum(scg::log_prob(g2)) +
                 scg::sum(scg::log_prob(x)) + scg::sum(scg::log_prob(y)) + lw;
  CHECK(s.run(lp, feeds).item() == doctest::Approx(static_cast<double>(best)).epsilon(1e-12));
}

TEST_CASE("a chain inside each row below a global choice") {
  // g ~ Bern(sig(0.3)); a_r ~ Bern(sig(c_r + g)); b_r ~ Cat(softmax(D_r + a_r E + g F)), 30 rows;
  // log_weight = sum b Yc + g sum a Xc.
  constexpr int R = 30;
  const std::array<double, K> e{0.8, -0.2, -0.9}, f{-0.3, 0.4, 0.2};
  auto d_at = [](int r, int k) { return 0.6 * std::cos(0.7 * r + 2.0 * k); };
  auto yc_at = [](int r, int k) { return -0.2 - 0.7 * std::sin(1.1 * r + 0.9 * k); };
  auto xc_at = [](int r) { return 0.5 * std::cos(3.0 * r); };
  scg::Graph gr;
  const Var tg = gr.parameter("tg", 0.3);
  const Var g = scg::bernoulli(tg);
  scg::Tensor c(R, 1), xc(R, 1), D(R, K), Y(R, K), E(1, K), F(1, K);
  for (int r = 0; r < R; ++r) {
    c(r, 0) = c_at(r), xc(r, 0) = xc_at(r);
    for (int k = 0; k < K; ++k) D(r, k) = d_at(r, k), Y(r, k) = yc_at(r, k);
  }
  for (int k = 0; k < K; ++k) E(0, k) = e[k], F(0, k) = f[k];
  const Var a = scg::bernoulli(gr.constant(c) + g);
  const Var b = scg::categorical(gr.constant(D) + scg::matmul(a, gr.constant(E)) +
                                 scg::matmul(g, gr.constant(F)));
  const Var lw = scg::sum(b * gr.constant(Y)) + scg::sum(a * gr.constant(xc) * g);
  auto log_z = [&](ld t) {
    ld total = 0;
    for (int s = 0; s < 2; ++s) {
      ld lj = s ? log_sigl(t) : log_sigl(-t);
      for (int r = 0; r < R; ++r) {
        ld row = 0;
        for (int av = 0; av < 2; ++av) {
          const ld pa = av ? sigl(c_at(r) + s) : sigl(-(c_at(r) + s));
          ld n = 0, inner = 0;
          for (int k = 0; k < K; ++k) n += std::exp(d_at(r, k) + av * e[k] + s * f[k]);
          for (int k = 0; k < K; ++k)
            inner += std::exp(d_at(r, k) + av * e[k] + s * f[k]) / n * std::exp(yc_at(r, k));
          row += pa * inner * std::exp(static_cast<ld>(av * s) * xc_at(r));
        }
        lj += std::log(row);
      }
      total += std::exp(lj);
    }
    return std::log(total);
  };
  const Var lz = scg::log(scg::expectation(scg::exp(lw)));
  const Var dlz = scg::grad(lz, {tg})[0];
  scg::Session s(gr, 1);
  CHECK(s.run(lz).item() == doctest::Approx(static_cast<double>(log_z(0.3L))).epsilon(1e-12));
  const ld h = 1e-4L;
  CHECK(s.run(dlz).item() ==
        doctest::Approx(static_cast<double>((log_z(0.3L + h) - log_z(0.3L - h)) / (2 * h)))
            .epsilon(1e-7));
  // The mode fed back scores the largest joint log-weight among 2000 posterior draws and the mode.
  const auto mode = scg::posterior_mode(lw, {g, a, b});
  const auto draw = scg::posterior_sample(lw, {g, a, b});
  const Var lj =
      scg::sum(scg::log_prob(g)) + scg::sum(scg::log_prob(a)) + scg::sum(scg::log_prob(b)) + lw;
  auto score = [&](const std::vector<scg::Tensor>& v) {
    return s.run(lj, {{g, v[0]}, {a, v[1]}, {b, v[2]}}).item();
  };
  const std::vector<scg::Tensor> mv = s.run(mode);
  const double at_mode = score(mv);
  for (int i = 0; i < 2000; ++i) {
    const std::vector<scg::Tensor> dv = s.run(draw);
    CHECK(score(dv) <= at_mode + 1e-12);
  }
}

TEST_CASE("a model that does mix rows is summed jointly, and its error says where") {
  SUBCASE("a global choice whose parameter reads the sum of a plate's rows") {
    scg::Graph g;
    const Var zl = scg::bernoulli(g.parameter("b", scg::Tensor(13, 1, 0.1)));
    const Var zg = scg::bernoulli(scg::sum(zl) - 6.0);
    try {
      scg::expectation(scg::sum(scg::square(zl - 0.4)) + 3.0 * zg);
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string m = e.what();
      INFO(m);
      CHECK(m.find(zl.describe()) != std::string::npos);
      CHECK(m.find("mixes them") != std::string::npos);
      CHECK(m.find("reads the 13 rows of a choice into 1 row") != std::string::npos);
    }
  }
  SUBCASE("small enough, the joint sum is exact") {
    scg::Graph g;
    const Var zl = scg::bernoulli(g.parameter("b", scg::Tensor(3, 1, 0.1)));
    const Var zg = scg::bernoulli(scg::sum(zl) - 1.0);
    const Var e = scg::expectation(scg::sum(scg::square(zl - 0.4)) + 3.0 * zg);
    scg::Session s(g, 1);
    ld ref = 0;
    const ld p = sigl(0.1L);
    for (int bits = 0; bits < 8; ++bits) {
      ld pr = 1, c = 0;
      int n = 0;
      for (int r = 0; r < 3; ++r) {
        const int zr = (bits >> r) & 1;
        pr *= zr ? p : 1 - p, n += zr, c += (zr - 0.4L) * (zr - 0.4L);
      }
      ref += pr * (c + 3.0L * sigl(n - 1.0L));
    }
    CHECK(s.run(e).item() == doctest::Approx(static_cast<double>(ref)).epsilon(1e-12));
  }
}
