// posterior_sample against brute-force enumeration in long double: over many runs of one
// session, per-choice and joint frequencies within 5 standard errors (from the exact
// probability) of the exact posterior: a global bernoulli above per-row bernoulli and
// categorical choices (432 states), an HMM chain (729 paths), 40 plated rows (closed form per
// row), a cycle of 4 bernoullis (every joint state); draws fed back to the choices; seeds;
// every error.
#include <array>
#include <cmath>
#include <functional>
#include <vector>

#include "../mc.hpp"
#include "posterior_model.hpp"

namespace {
using ld = long double;
using posterior_model::log_softmax;
using posterior_model::matrix_of;
using posterior_model::sigl;

using scg_test::check_frequency;
using scg_test::row_state;

using posterior_model::Built;
using posterior_model::State;
constexpr double kTa = 0.3;

// Every joint state with its exact posterior probability.
std::vector<std::pair<State, ld>> brute() {
  std::vector<std::pair<State, ld>> out;
  ld z = 0;
  posterior_model::for_each_state(kTa, 1.0, [&](const State& st, ld lj) {
    out.emplace_back(st, std::exp(lj));
    z += out.back().second;
  });
  for (auto& [st, p] : out) p /= z;
  return out;
}

Built build(scg::Graph& g) { return posterior_model::build(g, kTa); }

int bit(const scg::Tensor& t, Eigen::Index i) {
  REQUIRE((t.data()[i] == 0.0 || t.data()[i] == 1.0));
  return t.data()[i] == 1.0;
}


}  // namespace

TEST_CASE("posterior_sample draws the brute-force joint posterior (global above per-row)") {
  scg::Graph g;
  const Built m = build(g);
  const auto draw = scg::posterior_sample(m.log_weight, {m.a, m.b, m.c});
  REQUIRE(draw.size() == 3);
  CHECK(draw[0].shape() == m.a.shape());
  CHECK(draw[1].shape() == m.b.shape());
  CHECK(draw[2].shape() == m.c.shape());
  // Statistics of a joint state: a = 1, b_r = 1, c_r = k; (a, b_0) = (1, 1); (b_1, c_1) = (1, 2);
  // (c_0, c_2) = (k, j).
  std::vector<std::function<bool(const State&)>> stats;
  std::vector<std::string> names;
  stats.push_back([](const State& s) { return s.a == 1; }), names.push_back("a");
  for (int r = 0; r < 3; ++r) {
    stats.push_back([r](const State& s) { return s.b[r] == 1; });
    names.push_back("b_" + std::to_string(r));
    for (int k = 0; k < 3; ++k) {
      stats.push_back([r, k](const State& s) { return s.c[r] == k; });
      names.push_back("c_" + std::to_string(r) + " = " + std::to_string(k));
    }
  }
  stats.push_back([](const State& s) { return s.a == 1 && s.b[0] == 1; });
  names.push_back("a, b_0");
  stats.push_back([](const State& s) { return s.b[1] == 1 && s.c[1] == 2; });
  names.push_back("b_1, c_1 = 2");
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 3; ++j) {
      stats.push_back([k, j](const State& s) { return s.c[0] == k && s.c[2] == j; });
      names.push_back("c_0 = " + std::to_string(k) + ", c_2 = " + std::to_string(j));
    }
  std::vector<ld> exact(stats.size(), 0.0L);
  for (const auto& [st, p] : brute())
    for (std::size_t i = 0; i < stats.size(); ++i)
      if (stats[i](st)) exact[i] += p;
  const int n = 20000;
  std::vector<int> count(stats.size(), 0);
  scg::Session s(g, 11);
  for (int run = 0; run < n; ++run) {
    const auto& v = s.run(draw);
    State st;
    st.a = bit(v[0], 0);
    for (int r = 0; r < 3; ++r) st.b[r] = bit(v[1], r), st.c[r] = row_state(v[2], r);
    for (std::size_t i = 0; i < stats.size(); ++i) count[i] += stats[i](st);
  }
  for (std::size_t i = 0; i < stats.size(); ++i)
    check_frequency(count[i], n, exact[i], names[i].c_str());
}

TEST_CASE("posterior_sample on an HMM chain draws whole paths from the smoothing posterior") {
  const int T = posterior_model::kT;
  scg::Graph g;
  const auto [z, lw] = posterior_model::build_hmm(g);
  std::vector<std::array<ld, 3>> marg(T, {0, 0, 0});
  std::array<std::array<ld, 3>, 3> ends{};
  ld total = 0;
  posterior_model::for_each_path([&](const std::vector<int>& path, ld lp) {
    const ld p = std::exp(lp);
    total += p;
    for (int t = 0; t < T; ++t) marg[t][path[t]] += p;
    ends[path[0]][path[T - 1]] += p;
  });
  const auto draw = scg::posterior_sample(lw, z);
  scg::Session s(g, 3);
  const int n = 20000;
  std::vector<std::array<int, 3>> count(T, {0, 0, 0});
  std::array<std::array<int, 3>, 3> pair{};
  for (int run = 0; run < n; ++run) {
    const auto& v = s.run(draw);
    std::vector<int> path(T);
    for (int t = 0; t < T; ++t) ++count[t][path[t] = row_state(v[t], 0)];
    ++pair[path[0]][path[T - 1]];
  }
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < 3; ++k) check_frequency(count[t][k], n, marg[t][k] / total, "z_t = k");
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 3; ++j) check_frequency(pair[k][j], n, ends[k][j] / total, "z_0, z_5");
}

TEST_CASE("posterior_sample on independent plated rows: each row's closed form") {
  const int R = 40;
  scg::Graph g;
  scg::Tensor l(R, 4), y(R, 4);
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < 4; ++k)
      l(r, k) = std::sin(1.3 * r + k), y(r, k) = -std::fabs(std::cos(0.7 * r * k + 1.0));
  const scg::Var c = scg::categorical(g.parameter("l", l));
  const auto draw = scg::posterior_sample(scg::sum(c * g.constant(y)), {c});
  scg::Session s(g, 5);
  const int n = 10000;
  std::vector<std::array<int, 4>> count(R, {0, 0, 0, 0});
  for (int run = 0; run < n; ++run) {
    const scg::Tensor& v = s.run(draw)[0];
    for (int r = 0; r < R; ++r) ++count[r][row_state(v, r)];
  }
  for (int r = 0; r < R; ++r) {
    ld z = 0;
    for (int k = 0; k < 4; ++k) z += std::exp(static_cast<ld>(l(r, k)) + y(r, k));
    for (int k = 0; k < 4; ++k)
      check_frequency(count[r][k], n, std::exp(static_cast<ld>(l(r, k)) + y(r, k)) / z, "row");
  }
}

TEST_CASE("posterior_sample on a cycle of 4 bernoullis draws every joint state") {
  const std::array<double, 4> theta{0.4, -0.7, 1.1, -0.2}, h{-0.5, 0.9, -1.3, 0.3},
      w{1.4, -1.1, 0.8, -0.6};
  scg::Graph g;
  std::vector<scg::Var> x;
  for (int i = 0; i < 4; ++i) x.push_back(scg::bernoulli(g.constant(theta[i])));
  scg::Var lw = h[0] * x[0];
  for (int i = 1; i < 4; ++i) lw = lw + h[i] * x[i];
  for (int i = 0; i < 4; ++i) lw = lw + w[i] * x[i] * x[(i + 1) % 4];
  std::array<ld, 16> exact{};
  ld z = 0;
  for (int bits = 0; bits < 16; ++bits) {
    ld val = 0;
    for (int i = 0; i < 4; ++i) {
      const int xi = (bits >> i) & 1, xj = (bits >> ((i + 1) % 4)) & 1;
      val += (xi ? std::log(sigl(theta[i])) : std::log(1 - sigl(theta[i]))) + h[i] * xi +
             w[i] * xi * xj;
    }
    z += exact[bits] = std::exp(val);
  }
  const auto draw = scg::posterior_sample(lw, x);
  scg::Session s(g, 9);
  const int n = 20000;
  std::array<int, 16> count{};
  for (int run = 0; run < n; ++run) {
    const auto& v = s.run(draw);
    int bits = 0;
    for (int i = 0; i < 4; ++i) bits |= bit(v[i], 0) << i;
    ++count[bits];
  }
  for (int bits = 0; bits < 16; ++bits) check_frequency(count[bits], n, exact[bits] / z, "joint");
}

TEST_CASE("posterior_sample fed back to the choices is a state of finite log-weight") {
  scg::Graph g;
  const Built m = build(g);
  const auto draw = scg::posterior_sample(m.log_weight, {m.a, m.b, m.c});
  const scg::Var joint = m.log_weight + scg::sum(scg::log_prob(m.a)) +
                         scg::sum(scg::log_prob(m.b)) + scg::sum(scg::log_prob(m.c));
  scg::Session s(g, 2);
  for (int run = 0; run < 20; ++run) {
    const std::vector<scg::Tensor> v = s.run(draw);
    bit(v[0], 0);
    for (int r = 0; r < 3; ++r) bit(v[1], r), row_state(v[2], r);
    CHECK(std::isfinite(s.run(joint, {{m.a, v[0]}, {m.b, v[1]}, {m.c, v[2]}}).item()));
    CHECK(std::isfinite(s.run(m.log_weight, {{m.a, v[0]}, {m.b, v[1]}, {m.c, v[2]}}).item()));
  }
}

TEST_CASE("posterior_sample draws from the session's stream: seeds repeat, calls are apart") {
  scg::Graph g;
  const Built m = build(g);
  const auto draw = scg::posterior_sample(m.log_weight, {m.a, m.b, m.c});
  const auto again = scg::posterior_sample(m.log_weight, {m.c});
  scg::Session s1(g, 42), s2(g, 42), s3(g, 43);
  int differ_seed = 0, differ_call = 0;
  for (int run = 0; run < 50; ++run) {
    const std::vector<scg::Tensor> v1 = s1.run({draw[0], draw[1], draw[2], again[0]});
    const std::vector<scg::Tensor> v2 = s2.run({draw[0], draw[1], draw[2], again[0]});
    const std::vector<scg::Tensor> v3 = s3.run({draw[0], draw[1], draw[2], again[0]});
    for (std::size_t i = 0; i < 4; ++i) CHECK(v1[i] == v2[i]);
    differ_seed += !(v1[0] == v3[0] && v1[1] == v3[1] && v1[2] == v3[2]);
    differ_call += !(v1[2] == v1[3]);  // two calls: two independent draws
  }
  CHECK(differ_seed > 0);
  CHECK(differ_call > 0);
}

TEST_CASE("posterior_sample refuses what it cannot answer, naming it") {
  scg::Graph g, other;
  const Built m = build(g);
  CHECK(scg::posterior_sample(m.log_weight, {}).empty());
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.b, {m.a}), doctest::Contains("1x1"), scg::Error);
  CHECK_THROWS_AS(scg::posterior_sample(scg::Var(), {m.a}), scg::Error);
  const scg::Var x = scg::normal(g.constant(0.0), g.constant(1.0));
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.log_weight, {x}),
                       doctest::Contains("not a bernoulli or categorical"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.log_weight, {m.log_weight}),
                       doctest::Contains("not a bernoulli or categorical"), scg::Error);
  const scg::Var foreign = scg::bernoulli(other.parameter("t", 0.0));
  CHECK_THROWS_AS(scg::posterior_sample(m.log_weight, {foreign}), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.log_weight, {m.a, m.a}), doctest::Contains("twice"),
                       scg::Error);
  // A continuous ancestor, unless sample_continuous (then a draw given that run's sample).
  const scg::Var lw_cont = m.log_weight + x * m.a;
  CHECK_THROWS_WITH_AS(scg::posterior_sample(lw_cont, {m.a}),
                       doctest::Contains(x.describe().c_str()), scg::Error);
  scg::ExpectationOptions sc;
  sc.sample_continuous = true;
  const auto cond = scg::posterior_sample(lw_cont, {m.a}, sc);
  scg::Session s(g, 4);
  const double a = s.run(cond[0]).item();
  CHECK((a == 0.0 || a == 1.0));
  const scg::Var bb = scg::black_box(m.log_weight, {m.a});
  CHECK_THROWS_WITH_AS(scg::posterior_sample(bb, {m.a}), doctest::Contains("black_box"),
                       scg::Error);
  scg::ExpectationOptions tiny;
  tiny.max_states = 2;
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.log_weight, {m.a}, tiny),
                       doctest::Contains("max_states"), scg::Error);
  scg::ExpectationOptions bad;
  bad.max_states = 0.5;
  CHECK_THROWS_WITH_AS(scg::posterior_sample(m.log_weight, {m.a}, bad),
                       doctest::Contains("max_states"), scg::Error);
}
