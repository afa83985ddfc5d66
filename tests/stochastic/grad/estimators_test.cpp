// Estimators beyond the NOT gate: chained choices, categorical, reparameterized normal,
// second derivatives. Exact references from closed forms or from expectation().
#include "../mc.hpp"

namespace {
double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }
}  // namespace

TEST_CASE("chain of two Bernoullis: the second's logit depends on the first's sample") {
  scg::Graph g;
  auto a = g.parameter("a", 0.4), c = g.parameter("c", -0.3), d = g.parameter("d", 1.1);
  auto e = g.parameter("e", 1.2);
  auto b1 = scg::bernoulli(a);
  auto b2 = scg::bernoulli(c + d * b1);
  auto cost = scg::square(b1 + 2.0 * b2 - e) + 0.5 * b1;
  const std::vector<scg::Var> params{a, c, d, e};
  auto ec = scg::expectation(cost);
  auto exact = scg::grad(ec, params);
  auto est = scg::grad(cost, params);
  scg::Session s(g, 5);
  // expectation against a hand enumeration of the four joint states.
  double want = 0;
  for (int x1 = 0; x1 < 2; ++x1)
    for (int x2 = 0; x2 < 2; ++x2) {
      const double p1 = x1 ? sig(0.4) : 1 - sig(0.4);
      const double q = sig(-0.3 + 1.1 * x1), p2 = x2 ? q : 1 - q;
      want += p1 * p2 * ((x1 + 2.0 * x2 - 1.2) * (x1 + 2.0 * x2 - 1.2) + 0.5 * x1);
    }
  CHECK(s.run(ec).item() == doctest::Approx(want).epsilon(1e-12));
  const auto ex = scg_test::values(s, exact);
  for (int i = 0; i < 4; ++i) CHECK(s.run(scg::expectation(est[i])).item() == doctest::Approx(ex[i]).epsilon(1e-12));
  scg_test::check_within(scg_test::sample_moments(s, est, 40000), ex, 4.0);
}

TEST_CASE("categorical choice: gradient of sum_k softmax_k f_k") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor::from_rows({{0.2, -0.5, 0.9}}));
  auto f = g.constant(scg::Tensor::from_rows({{1.0}, {-2.0}, {3.5}}));
  auto x = scg::categorical(l);
  auto cost = scg::sum(scg::matmul(x, f));
  auto est = scg::grad(cost, {l});
  scg::Session s(g, 9);
  // Closed form: dE/dl_j = s_j (f_j - E).
  const double z = std::exp(0.2) + std::exp(-0.5) + std::exp(0.9);
  const double sm[3] = {std::exp(0.2) / z, std::exp(-0.5) / z, std::exp(0.9) / z};
  const double fv[3] = {1.0, -2.0, 3.5};
  const double E = sm[0] * fv[0] + sm[1] * fv[1] + sm[2] * fv[2];
  CHECK(s.run(scg::expectation(cost)).item() == doctest::Approx(E).epsilon(1e-12));
  std::vector<double> want;
  for (int j = 0; j < 3; ++j) want.push_back(sm[j] * (fv[j] - E));
  // The samples are one-hot rows.
  const auto& v = s.run(x);
  CHECK(v.matrix().sum() == 1.0);
  CHECK(v.matrix().maxCoeff() == 1.0);
  scg_test::check_within(scg_test::sample_moments(s, est, 40000), want, 4.0);
  const auto e = scg::expectation(est[0]);
  const auto ev = s.run(e);
  for (int j = 0; j < 3; ++j) CHECK(ev(0, j) == doctest::Approx(want[j]).epsilon(1e-12));
}

TEST_CASE("categorical rows are weighted by their own row's cost") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor::from_rows({{0.1, 0.7}, {-0.4, 0.3}, {1.0, -1.0}}));
  auto f = g.constant(scg::Tensor::from_rows({{2.0, -1.0}, {0.5, 3.0}, {-1.5, 1.0}}));
  auto x = scg::categorical(l);
  auto cost = scg::sum(scg::square(x * f));
  auto est = scg::grad(cost, {l});
  auto exact = scg::grad(scg::expectation(cost), {l});
  scg::Session s(g, 10);
  const auto ex = scg_test::values(s, exact);
  const auto e = s.run(scg::expectation(est[0]));
  for (int i = 0; i < 6; ++i) CHECK(e.data()[i] == doctest::Approx(ex[i]).epsilon(1e-12));
  // Per-row weighting: the estimator for row r is f(row r choice) * dlog p(row r) only, so
  // its exact variance equals the sum over rows computed independently.
  const auto var = s.run(scg::expectation(est[0] * est[0]));
  for (int r = 0; r < 3; ++r) {
    const double p1 = sig((r == 0 ? 0.7 - 0.1 : r == 1 ? 0.3 + 0.4 : -2.0));
    const double p[2] = {1 - p1, p1};
    const double fv[2][3] = {{4.0, 0.25, 2.25}, {1.0, 9.0, 1.0}};
    for (int j = 0; j < 2; ++j) {
      double m2 = 0;  // E[(f_k (onehot_kj - p_j))^2]
      for (int k = 0; k < 2; ++k) m2 += p[k] * std::pow(fv[k][r] * ((k == j) - p[j]), 2);
      CHECK(var(r, j) == doctest::Approx(m2).epsilon(1e-10));
    }
  }
}

TEST_CASE("reparameterized normal: gradient flows along the sample") {
  scg::Graph g;
  auto m = g.parameter("m", 0.3), sd = g.parameter("sd", 0.8);
  auto z = scg::normal(m, sd);
  auto cost = scg::square(z - 1.5);
  auto est = scg::grad(cost, {m, sd});
  scg::Session s(g, 12);
  // E = (m - 1.5)^2 + sd^2: gradient (2 (m - 1.5), 2 sd).
  const auto mc = scg_test::sample_moments(s, {cost, est[0], est[1]}, 40000);
  scg_test::check_within(mc, {(0.3 - 1.5) * (0.3 - 1.5) + 0.64, 2 * (0.3 - 1.5), 2 * 0.8}, 4.0);
  // Pathwise: no score term, so the estimator of d/dm is exactly 2 (z - 1.5).
  const auto& v = s.run(std::vector<scg::Var>{z, est[0]});
  CHECK(v[1].item() == doctest::Approx(2 * (v[0].item() - 1.5)).epsilon(1e-12));
  CHECK_THROWS_AS(scg::expectation(cost), scg::Error);
}

TEST_CASE("normal broadcast shapes and log_prob") {
  scg::Graph g;
  auto m = g.parameter("m", scg::Tensor::from_rows({{0.0, 1.0, -1.0}}));
  auto sd = g.parameter("sd", 2.0);
  auto z = scg::normal(m, sd);
  CHECK(z.rows() == 1);
  CHECK(z.cols() == 3);
  auto lp = scg::log_prob(z);
  CHECK(lp.shape() == z.shape());
  scg::Session s(g, 1);
  const auto& v = s.run(std::vector<scg::Var>{z, lp});
  for (int j = 0; j < 3; ++j) {
    const double u = (v[0](0, j) - m.value()(0, j)) / 2.0;
    CHECK(v[1](0, j) == doctest::Approx(-0.5 * u * u - std::log(2.0) - 0.5 * std::log(2 * M_PI)));
  }
}

TEST_CASE("second derivatives: grad of the estimator estimates the Hessian of E[cost]") {
  scg::Graph g;
  auto w0 = g.parameter("w0", 0.3), b0 = g.parameter("b0", -0.2);
  auto w1 = g.parameter("w1", -0.7), b1 = g.parameter("b1", 0.4);
  const std::vector<scg::Var> params{w0, b0, w1, b1};
  auto x = g.constant(scg::Tensor::from_rows({{0}, {1}}));
  auto b = scg::bernoulli(w0 * x + b0);
  auto cost = scg::sum(scg::square((1.0 - x) - b * scg::sigmoid(w1 * x + b1)));
  auto est1 = scg::grad(cost, params);
  auto exact1 = scg::grad(scg::expectation(cost), params);
  std::vector<scg::Var> est2, exact2;
  for (int i = 0; i < 4; ++i) {
    for (auto v : scg::grad(est1[i], params)) est2.push_back(v);
    for (auto v : scg::grad(exact1[i], params)) exact2.push_back(v);
  }
  scg::Session s(g, 77);
  const auto ex = scg_test::values(s, exact2);
  // Exact check of unbiasedness by enumeration, then Monte-Carlo.
  for (int k = 0; k < 16; ++k)
    CHECK(s.run(scg::expectation(est2[k])).item() == doctest::Approx(ex[k]).epsilon(1e-10));
  scg_test::check_within(scg_test::sample_moments(s, est2, 40000), ex, 4.0);
  // The Hessian is symmetric.
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) CHECK(ex[4 * i + j] == doctest::Approx(ex[4 * j + i]).epsilon(1e-10));
  // Third order, exactly: E[d3 estimator] = d3 E[cost] for one entry.
  auto t_est = scg::grad(est2[1], {b0})[0];
  auto t_exact = scg::grad(exact2[1], {b0})[0];
  CHECK(s.run(scg::expectation(t_est)).item() == doctest::Approx(s.run(t_exact).item()).epsilon(1e-10));
}

TEST_CASE("additive terms: each choice is weighted only by the terms that depend on it") {
  scg::Graph g;
  auto a = g.parameter("a", 0.2), c = g.parameter("c", -0.6);
  auto x = scg::bernoulli(a), y = scg::bernoulli(c);
  // The gradient wrt a must not pick up y's term: with per-term weighting it is
  // (x - sig(a)) * 3x exactly; with whole-cost weighting it would include 5y.
  auto cost = 3.0 * x + 5.0 * y;
  auto est = scg::grad(cost, {a});
  scg::Session s(g, 4);
  for (int i = 0; i < 200; ++i) {
    const auto& v = s.run(std::vector<scg::Var>{x, est[0]});
    const double xv = v[0].item();
    CHECK(v[1].item() == doctest::Approx((xv - sig(0.2)) * 3.0 * xv).epsilon(1e-12));
  }
}
