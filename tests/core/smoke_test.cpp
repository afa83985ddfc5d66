#include <doctest/doctest.h>

#include <scg/scg.hpp>

TEST_CASE("smoke: value and gradient of a small expression") {
  scg::Graph g;
  auto x = g.parameter("x", 2.0);
  auto y = scg::tanh(x * x + 1.0);
  auto dy = scg::grad(y, {x});
  scg::Session s(g, 1);
  CHECK(s.run(y).item() == doctest::Approx(std::tanh(5.0)));
  const double t = std::tanh(5.0);
  CHECK(s.run(dy[0]).item() == doctest::Approx((1 - t * t) * 4.0));
}
