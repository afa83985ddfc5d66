// The ops grad builds from (magic_box, group_sum, moving_average), as ordinary ops.
#include <doctest/doctest.h>

#include <cmath>
#include <scg/scg.hpp>
#include <vector>

TEST_CASE("magic_box is exp(t - stop_gradient(t)) to third order, and never evaluates t") {
  // Every derivative of f = sum(x p box(t)) must equal the exp form's, at orders 1 to 3
  // (Hessian- and third-derivative-vector products): the box's value 1 hides only t's value.
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor::from_rows({{0.7}, {-1.3}}));
  auto x = g.constant(scg::Tensor::from_rows({{2.0}, {-0.5}}));
  auto w = g.constant(scg::Tensor::from_rows({{0.3}, {1.1}}));
  auto t = p * p * p + scg::exp(p);
  auto chain = [&](const scg::Var& box) {
    std::vector<scg::Var> d{scg::sum(x * p * box)};
    for (int order = 0; order < 3; ++order) {
      const scg::Var next = scg::grad(d.back(), {p})[0];
      d.push_back(scg::sum(next * w));
    }
    return d;
  };
  const auto fast = chain(scg::magic_box(t)), dice = chain(scg::exp(t - scg::stop_gradient(t)));
  scg::Session s(g, 1);
  for (std::size_t k = 0; k < fast.size(); ++k) {
    INFO("order " << k);
    const double a = s.run(fast[k]).item(), b = s.run(dice[k]).item();
    CHECK(a == doctest::Approx(b).epsilon(1e-13));
    CHECK(std::fabs(a) > 0.1);  // a derivative that could be wrong, not a trivial zero
  }
  // The value is 1 whatever t holds: t is not evaluated (the exp form fails on it).
  auto bad = scg::log(g.constant(-1.0));
  CHECK(s.run(scg::magic_box(bad)).item() == 1.0);
  CHECK_THROWS_AS(s.run(scg::exp(bad - scg::stop_gradient(bad))), scg::Error);
  CHECK(s.run(scg::magic_box(x)) == scg::Tensor(2, 1, 1.0));
}

TEST_CASE("moving_average: bias-corrected average of earlier runs, per session; no derivative") {
  scg::Graph g;
  auto x = g.input("x", 2, 1);
  auto avg = scg::moving_average(x, 0.5);
  CHECK(avg.shape() == scg::Shape{1, 1});
  scg::Session s(g, 1), other(g, 1);
  const double means[] = {3.0, -1.0, 5.0};
  double weight = 0.0, acc = 0.0;  // the closed form: sum 0.5^(n-1-i) (1 - 0.5) m_i / sum of weights
  for (double m : means) {
    const scg::Tensor in = scg::Tensor::from_rows({{m - 1.0}, {m + 1.0}});
    const double want = weight > 0 ? acc / weight : 0.0;  // before this run's value
    CHECK(s.run(avg, {{x, in}}).item() == doctest::Approx(want).epsilon(1e-15));
    weight = 0.5 * weight + 0.5;
    acc = 0.5 * acc + 0.5 * m;
  }
  const scg::Tensor in = scg::Tensor::from_rows({{1.0}, {1.0}});
  CHECK(other.run(avg, {{x, in}}).item() == 0.0);  // a session of its own: no history
  auto p = g.parameter("p", 2.0);
  CHECK(s.run(scg::grad(scg::moving_average(p * 3.0, 0.9) + p, {p})[0]).item() == 1.0);  // d/dp: only the p term
  CHECK_THROWS_WITH_AS(scg::moving_average(x, 1.0), doctest::Contains("decay"), scg::Error);
  CHECK_THROWS_AS(scg::moving_average(x, std::nan("")), scg::Error);
  CHECK_THROWS_WITH_AS(scg::group_sum(x, 0), doctest::Contains("group size"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::group_sum(g.parameter("q", scg::Tensor(3, 1)), 2), doctest::Contains("group_sum"), scg::ShapeError);
}
