// posterior_marginals against brute-force enumeration in long double: a model with a global
// bernoulli above per-row bernoulli and categorical choices (432 joint states), an HMM chain
// (729 states), independent plated rows (closed form per row); the gradient of a marginal
// against central differences of the brute force; every error.
#include <array>
#include <cmath>
#include <vector>

#include "../mc.hpp"
#include "posterior_model.hpp"

namespace {
using ld = long double;
using posterior_model::build;
using posterior_model::Built;

struct Brute {
  ld pa = 0;
  std::array<ld, 3> pb{};
  std::array<std::array<ld, 3>, 3> pc{};
};

Brute brute(double ta) {
  Brute m;
  ld z = 0;
  posterior_model::for_each_state(ta, 1.0, [&](const posterior_model::State& st, ld lj) {
    const ld w = std::exp(lj);
    z += w;
    m.pa += st.a * w;
    for (int r = 0; r < 3; ++r) m.pb[r] += st.b[r] * w, m.pc[r][st.c[r]] += w;
  });
  m.pa /= z;
  for (int r = 0; r < 3; ++r) {
    m.pb[r] /= z;
    for (int k = 0; k < 3; ++k) m.pc[r][k] /= z;
  }
  return m;
}
}  // namespace

TEST_CASE("posterior_marginals equals brute-force enumeration (global above per-row choices)") {
  scg::Graph g;
  const Built m = build(g, 0.3);
  const auto marg = scg::posterior_marginals(m.log_weight, {m.a, m.b, m.c});
  REQUIRE(marg.size() == 3);
  CHECK(marg[0].shape() == m.a.shape());
  CHECK(marg[1].shape() == m.b.shape());
  CHECK(marg[2].shape() == m.c.shape());
  scg::Session s(g, 1);
  const auto v = s.run(marg);
  const Brute ref = brute(0.3);
  CHECK(v[0].item() == doctest::Approx(static_cast<double>(ref.pa)).epsilon(1e-12));
  for (int r = 0; r < 3; ++r) {
    CHECK(v[1](r, 0) == doctest::Approx(static_cast<double>(ref.pb[r])).epsilon(1e-12));
    for (int k = 0; k < 3; ++k)
      CHECK(v[2](r, k) == doctest::Approx(static_cast<double>(ref.pc[r][k])).epsilon(1e-12));
  }
  // Not the prior: the data moved the global choice.
  CHECK(std::fabs(v[0].item() - 1.0 / (1.0 + std::exp(-0.3))) > 1e-3);
  // A subset of the choices gives the same numbers for them.
  const auto only_c = scg::posterior_marginals(m.log_weight, {m.c});
  CHECK(s.run(only_c[0]) == v[2]);
}

TEST_CASE("a marginal's gradient matches central differences of the brute force") {
  scg::Graph g;
  const Built m = build(g, 0.3);
  const auto marg = scg::posterior_marginals(m.log_weight, {m.a, m.c});
  // d/d ta of P(a = 1) + P(c_1 = 2): second order through elimination and grad.
  const scg::Var q = marg[0] + scg::slice_cols(scg::slice_rows(marg[1], 1, 1), 2, 1);
  const scg::Var dq = scg::grad(q, {m.ta})[0];
  scg::Session s(g, 1);
  const ld h = 1e-4L;
  const Brute up = brute(static_cast<double>(0.3L + h)), down = brute(static_cast<double>(0.3L - h));
  const ld fd = ((up.pa + up.pc[1][2]) - (down.pa + down.pc[1][2])) / (2 * h);
  CHECK(s.run(dq).item() == doctest::Approx(static_cast<double>(fd)).epsilon(1e-7));
}

TEST_CASE("posterior_marginals on an HMM chain and on plated rows") {
  SUBCASE("chain of six categorical steps, three states (729 joint states)") {
    const int T = 6;
    const std::array<std::array<double, 3>, 3> trans{{{0.5, -0.2, -1.0}, {0.1, 0.8, -0.3}, {-0.6, 0.0, 0.9}}};
    const std::array<double, 3> init{0.2, -0.1, 0.4};
    const std::array<std::array<double, 3>, 6> obs{
        {{-0.2, -1.9, -1.1}, {-1.4, -0.3, -2.0}, {-0.7, -0.8, -0.6}, {-2.1, -0.2, -1.0}, {-0.4, -1.2, -0.9}, {-1.0, -1.0, -0.1}}};
    scg::Graph g;
    scg::Tensor tr(3, 3), in(1, 3);
    for (int i = 0; i < 3; ++i) {
      in(0, i) = init[i];
      for (int j = 0; j < 3; ++j) tr(i, j) = trans[i][j];
    }
    const scg::Var A = g.constant(tr);
    std::vector<scg::Var> z{scg::categorical(g.constant(in))};
    for (int t = 1; t < T; ++t) z.push_back(scg::categorical(scg::matmul(z.back(), A)));
    scg::Var lw;
    for (int t = 0; t < T; ++t) {
      scg::Tensor o(1, 3);
      for (int k = 0; k < 3; ++k) o(0, k) = obs[t][k];
      const scg::Var term = scg::sum(z[t] * g.constant(o));
      lw = lw.empty() ? term : lw + term;
    }
    const auto marg = scg::posterior_marginals(lw, z);
    scg::Session s(g, 1);
    const auto v = s.run(marg);
    // Brute force over 3^6 paths.
    std::vector<std::array<ld, 3>> ref(T, std::array<ld, 3>{});
    ld zsum = 0;
    auto log_softmax = [](const std::array<double, 3>& row, int k) {
      ld n = 0;
      for (double x : row) n += std::exp(static_cast<ld>(x));
      return row[k] - std::log(n);
    };
    for (int code = 0; code < 729; ++code) {
      std::array<int, 6> path{};
      for (int t = 0, c = code; t < T; ++t, c /= 3) path[t] = c % 3;
      ld lp = log_softmax(init, path[0]) + obs[0][path[0]];
      for (int t = 1; t < T; ++t) lp += log_softmax(trans[path[t - 1]], path[t]) + obs[t][path[t]];
      const ld w = std::exp(lp);
      zsum += w;
      for (int t = 0; t < T; ++t) ref[t][path[t]] += w;
    }
    for (int t = 0; t < T; ++t)
      for (int k = 0; k < 3; ++k)
        CHECK(v[t](0, k) == doctest::Approx(static_cast<double>(ref[t][k] / zsum)).epsilon(1e-12));
  }
  SUBCASE("independent plated rows: each row's posterior in closed form") {
    const int R = 40;
    scg::Graph g;
    scg::Tensor l(R, 4), y(R, 4);
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < 4; ++k) l(r, k) = std::sin(1.3 * r + k), y(r, k) = -std::fabs(std::cos(0.7 * r * k + 1.0));
    const scg::Var c = scg::categorical(g.parameter("l", l));
    const auto marg = scg::posterior_marginals(scg::sum(c * g.constant(y)), {c});
    scg::Session s(g, 1);
    const scg::Tensor v = s.run(marg[0]);
    for (int r = 0; r < R; ++r) {
      ld n = 0;
      for (int k = 0; k < 4; ++k) n += std::exp(static_cast<ld>(l(r, k)) + y(r, k));
      for (int k = 0; k < 4; ++k)
        CHECK(v(r, k) == doctest::Approx(static_cast<double>(std::exp(static_cast<ld>(l(r, k)) + y(r, k)) / n)).epsilon(1e-12));
    }
  }
}

TEST_CASE("posterior_marginals refuses what it cannot answer, naming it") {
  scg::Graph g, other;
  const Built m = build(g, 0.3);
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(m.b, {m.a}), doctest::Contains("1x1"), scg::Error);
  CHECK_THROWS_AS(scg::posterior_marginals(scg::Var(), {m.a}), scg::Error);
  const scg::Var x = scg::normal(g.constant(0.0), g.constant(1.0));
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(m.log_weight, {x}), doctest::Contains("not a bernoulli or categorical"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(m.log_weight, {m.log_weight}), doctest::Contains("not a bernoulli or categorical"), scg::Error);
  const scg::Var foreign = scg::bernoulli(other.parameter("t", 0.0));
  CHECK_THROWS_AS(scg::posterior_marginals(m.log_weight, {foreign}), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(m.log_weight, {m.a, m.a}), doctest::Contains("twice"), scg::Error);
  // A continuous ancestor, unless sample_continuous; a black_box in log_weight.
  const scg::Var lw_cont = m.log_weight + x * m.a;
  CHECK_THROWS_AS(scg::posterior_marginals(lw_cont, {m.a}), scg::Error);
  scg::ExpectationOptions sc;
  sc.sample_continuous = true;
  const auto cond = scg::posterior_marginals(lw_cont, {m.a}, sc);
  scg::Session s(g, 4);
  const double p = s.run(cond[0]).item();
  CHECK((p > 0.0 && p < 1.0));
  const scg::Var bb = scg::black_box(m.log_weight, {m.a});
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(bb, {m.a}), doctest::Contains("black_box"), scg::Error);
  // A factor above max_states.
  scg::ExpectationOptions tiny;
  tiny.max_states = 2;
  CHECK_THROWS_WITH_AS(scg::posterior_marginals(m.log_weight, {m.a}, tiny), doctest::Contains("max_states"), scg::Error);
}
