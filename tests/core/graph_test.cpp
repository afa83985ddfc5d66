// Graph building: static shapes, shape errors at build time, Vars of two graphs, empty Vars,
// grad's contract on unrelated wrt and non-1x1 costs.
#include <doctest/doctest.h>

#include <functional>
#include <scg/scg.hpp>
#include <string>
#include <vector>

TEST_CASE("leaves and static shapes") {
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor(2, 3, 1.0));
  auto c = g.constant(scg::Tensor::from_rows({{1, 2}}));
  auto x = g.input("x", 4, 2);
  CHECK(p.shape() == scg::Shape{2, 3});
  CHECK(c.rows() == 1);
  CHECK(c.cols() == 2);
  CHECK(x.shape() == scg::Shape{4, 2});
  CHECK(p.value() == scg::Tensor(2, 3, 1.0));
  CHECK(c.value() == scg::Tensor::from_rows({{1, 2}}));
  CHECK_THROWS_AS(x.value(), scg::Error);  // inputs have no stored value
  CHECK(scg::matmul(x, p).shape() == scg::Shape{4, 3});
  CHECK((x + c).shape() == scg::Shape{4, 2});
  CHECK(scg::sum(p, 1).shape() == scg::Shape{2, 1});
  CHECK(g.size() == 6);
  CHECK_THROWS_AS(g.input("bad", 0, 3), scg::Error);
  CHECK(p.describe().find("'p'") != std::string::npos);
}

TEST_CASE("shape errors at build time name the op and both shapes") {
  scg::Graph g;
  auto a = g.parameter("a", scg::Tensor(3, 4));
  auto b = g.parameter("b", scg::Tensor(2, 4));
  auto b2 = g.parameter("b2", scg::Tensor(2, 5));
  using Bin = std::function<scg::Var(const scg::Var&, const scg::Var&)>;
  const std::vector<std::pair<const char*, Bin>> ops = {
      {"add", [](const scg::Var& x, const scg::Var& y) { return x + y; }},
      {"sub", [](const scg::Var& x, const scg::Var& y) { return x - y; }},
      {"mul", [](const scg::Var& x, const scg::Var& y) { return x * y; }},
      {"div", [](const scg::Var& x, const scg::Var& y) { return x / y; }},
      {"matmul", [](const scg::Var& x, const scg::Var& y) { return scg::matmul(x, y); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    const std::size_t before = g.size();
    const scg::Var& rhs = std::string(name) == "matmul" ? b2 : b;  // 3x4 @ 2x5: inner 4 != 2
    try {
      op(a, rhs);
      FAIL("no exception");
    } catch (const scg::ShapeError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find(name) != std::string::npos);
      CHECK(msg.find("3x4") != std::string::npos);
      CHECK(msg.find(rhs.shape().str()) != std::string::npos);
    }
    CHECK(g.size() == before);  // nothing was appended
  }
  // ShapeError is an scg::Error, so callers can catch either.
  CHECK_THROWS_AS(a + b, scg::Error);
  CHECK_THROWS_WITH_AS(scg::broadcast_to(a, {3, 5}), doctest::Contains("broadcast_to"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::broadcast_to(a, {3, 5}), doctest::Contains("3x5"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::broadcast_to(a, {3, 5}), doctest::Contains("3x4"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::sum_to(a, {2, 1}), doctest::Contains("sum_to"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::sum_to(a, {2, 1}), doctest::Contains("2x1"), scg::ShapeError);
  // Shapes that do fit build fine.
  CHECK((a + g.parameter("r", scg::Tensor(1, 4))).shape() == scg::Shape{3, 4});
}

TEST_CASE("combining Vars of two graphs throws") {
  scg::Graph g1, g2;
  auto x = g1.parameter("x", 1.0);
  auto y = g2.parameter("y", 2.0);
  CHECK_THROWS_WITH_AS(x + y, doctest::Contains("another graph"), scg::Error);
  CHECK_THROWS_AS(y * x, scg::Error);
  CHECK_THROWS_AS(scg::matmul(x, y), scg::Error);
  CHECK_THROWS_AS(x / y, scg::Error);
  CHECK_THROWS_AS(scg::grad(x * 2.0, {y}), scg::Error);
  scg::Session s(g1, 1);
  CHECK_THROWS_AS(s.run(y), scg::Error);
  CHECK_THROWS_AS(s.run(std::vector<scg::Var>{x, y}), scg::Error);
  auto in2 = g2.input("in", 1, 1);
  const scg::Tensor one = 1.0;
  CHECK_THROWS_AS(s.run(x, {{in2, one}}), scg::Error);
  CHECK(s.run(x).item() == 1.0);  // the session still works
}

TEST_CASE("an empty Var throws scg::Error on every use") {
  scg::Graph g;
  auto x = g.parameter("x", scg::Tensor(2, 2, 1.0));
  const scg::Var e;
  CHECK(e.empty());
  CHECK_FALSE(x.empty());
  CHECK_THROWS_AS(e.shape(), scg::Error);
  CHECK_THROWS_AS(e.rows(), scg::Error);
  CHECK_THROWS_AS(e.cols(), scg::Error);
  CHECK_THROWS_AS(e.value(), scg::Error);
  CHECK_THROWS_AS(e.set_value(1.0), scg::Error);
  CHECK_THROWS_AS(e.graph(), scg::Error);
  CHECK_THROWS_AS(e.describe(), scg::Error);
  CHECK_THROWS_AS(e + x, scg::Error);
  CHECK_THROWS_AS(x + e, scg::Error);
  CHECK_THROWS_AS(e * 2.0, scg::Error);
  CHECK_THROWS_AS(2.0 / e, scg::Error);
  CHECK_THROWS_AS(-e, scg::Error);
  CHECK_THROWS_AS(scg::exp(e), scg::Error);
  CHECK_THROWS_AS(scg::pow(e, 2.0), scg::Error);
  CHECK_THROWS_AS(scg::matmul(x, e), scg::Error);
  CHECK_THROWS_AS(scg::sum(e), scg::Error);
  CHECK_THROWS_AS(scg::sum(e, 0), scg::Error);
  CHECK_THROWS_AS(scg::mean(e), scg::Error);
  CHECK_THROWS_AS(scg::softmax(e), scg::Error);
  CHECK_THROWS_AS(scg::broadcast_to(e, {2, 2}), scg::Error);
  CHECK_THROWS_AS(scg::sum_to(e, {1, 1}), scg::Error);
  CHECK_THROWS_AS(scg::stop_gradient(e), scg::Error);
  CHECK_THROWS_AS(scg::grad(e, {x}), scg::Error);
  CHECK_THROWS_AS(scg::grad(scg::sum(x), {e}), scg::Error);
  scg::Session s(g, 1);
  CHECK_THROWS_AS(s.run(e), scg::Error);
  CHECK_THROWS_AS(s.run(std::vector<scg::Var>{x, e}), scg::Error);
  const scg::Tensor one = 1.0;
  CHECK_THROWS_AS(s.run(x, {{e, one}}), scg::Error);
  CHECK(s.run(x) == scg::Tensor(2, 2, 1.0));
}

TEST_CASE("grad: wrt the cost does not depend on gives zeros of its shape") {
  scg::Graph g;
  auto x = g.parameter("x", scg::Tensor::from_rows({{1, 2, 3}}));
  auto unrelated = g.parameter("u", scg::Tensor(2, 3, 5.0));
  auto in = g.input("in", 4, 1);
  auto c = g.constant(2.0);
  auto cost = scg::sum(c * scg::square(x));
  auto later = g.parameter("later", scg::Tensor(3, 2, 1.0));  // created after the cost
  auto grads = scg::grad(cost, {x, unrelated, in, later, c, cost});
  REQUIRE(grads.size() == 6);
  scg::Session s(g, 1);
  CHECK(s.run(grads[0]) == scg::Tensor::from_rows({{4, 8, 12}}));
  CHECK(s.run(grads[1]) == scg::Tensor(2, 3, 0.0));
  CHECK(grads[2].shape() == scg::Shape{4, 1});
  CHECK(s.run(grads[2]) == scg::Tensor(4, 1, 0.0));  // no feed needed: it is a constant
  CHECK(s.run(grads[3]) == scg::Tensor(3, 2, 0.0));
  CHECK(s.run(grads[4]).item() == 14.0);  // d/dc c * sum(x^2)
  CHECK(s.run(grads[5]).item() == 1.0);   // d cost / d cost
  // Second order on an unrelated wrt: still zeros.
  auto hh = scg::grad(scg::sum(grads[1]), {unrelated, x});
  CHECK(s.run(hh[0]) == scg::Tensor(2, 3, 0.0));
  CHECK(s.run(hh[1]) == scg::Tensor(1, 3, 0.0));
}

TEST_CASE("grad of a non-1x1 cost throws") {
  scg::Graph g;
  auto x = g.parameter("x", scg::Tensor(2, 3, 1.0));
  CHECK_THROWS_AS(scg::grad(x * 2.0, {x}), scg::Error);
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(x, 0), {x}), doctest::Contains("1x3"), scg::Error);
  CHECK_NOTHROW(scg::grad(scg::sum(x), {x}));
}
