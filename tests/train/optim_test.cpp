#include "../stochastic/mc.hpp"

TEST_CASE("SGD and Adam minimize a quadratic") {
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor::from_rows({{3.0, -2.0}}));
  auto q = g.parameter("q", 5.0);
  auto target = g.constant(scg::Tensor::from_rows({{1.0, 0.5}}));
  auto cost = scg::sum(scg::square(p - target)) + scg::square(q + 1.0);
  auto gr = scg::grad(cost, {p, q});
  scg::Session s(g, 1);
  scg::Sgd sgd({p, q}, 0.1, 0.5);
  for (int i = 0; i < 200; ++i) sgd.step(s.run(gr));
  CHECK(s.run(cost).item() < 1e-10);
  p.set_value(scg::Tensor::from_rows({{3.0, -2.0}}));
  q.set_value(5.0);
  scg::Adam adam({p, q}, 0.05);
  for (int i = 0; i < 2000; ++i) adam.step(s.run(gr));
  CHECK(s.run(cost).item() < 1e-6);
  CHECK(p.value()(0, 1) == doctest::Approx(0.5).epsilon(1e-3));
  CHECK_THROWS_AS(adam.step({scg::Tensor(1, 2)}), scg::Error);
  CHECK_THROWS_AS(adam.step({scg::Tensor(2, 2), scg::Tensor(1.0)}), scg::ShapeError);
  CHECK_THROWS_AS(scg::Sgd({cost}, 0.1), scg::Error);
}
