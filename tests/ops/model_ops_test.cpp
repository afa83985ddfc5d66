// The model-building ops' errors: bad indices and conditions at run time, bad shapes when the
// node is built, each naming the node or the op. (Their values and derivatives are in the spec
// table, tests/ops/op_specs.hpp.)
#include <doctest/doctest.h>

#include <scg/scg.hpp>
#include <string>

TEST_CASE("gather_rows and one_hot: bad indices throw at run time naming the node") {
  scg::Graph g;
  auto table = g.parameter("table", scg::Tensor(4, 3, 1.0));
  auto idx = g.input("idx", 2, 1);
  auto rows = scg::gather_rows(table, idx);
  auto hot = scg::one_hot(idx, 4);
  scg::Session s(g, 1);
  std::string tag = std::to_string(rows.id());
  tag.insert(0, 1, '#');  // (not "#" + ...: GCC 12 warns falsely, bug 105329)
  for (const auto& bad : {scg::Tensor::from_rows({{0}, {4}}), scg::Tensor::from_rows({{-1}, {0}}),
                          scg::Tensor::from_rows({{1.5}, {0}}), scg::Tensor::from_rows({{NAN}, {0}})}) {
    CHECK_THROWS_WITH_AS(s.run(rows, {{idx, bad}}), doctest::Contains(tag.c_str()), scg::Error);
    CHECK_THROWS_WITH_AS(s.run(rows, {{idx, bad}}), doctest::Contains("not an integer in [0, 4)"), scg::Error);
    CHECK_THROWS_WITH_AS(s.run(hot, {{idx, bad}}), doctest::Contains("one_hot"), scg::Error);
  }
  const scg::Tensor good = scg::Tensor::from_rows({{3}, {0}});
  CHECK(s.run(hot, {{idx, good}}) == scg::Tensor::from_rows({{0, 0, 0, 1}, {1, 0, 0, 0}}));
  // The gradient scatters back, adding where an index repeats.
  const scg::Tensor twice = scg::Tensor::from_rows({{2}, {2}});
  auto d = scg::grad(scg::sum(rows), {table})[0];
  CHECK(s.run(d, {{idx, twice}}) == scg::Tensor::from_rows({{0, 0, 0}, {0, 0, 0}, {2, 2, 2}, {0, 0, 0}}));
  CHECK_THROWS_WITH_AS(scg::gather_rows(table, table), doctest::Contains("n x 1"), scg::ShapeError);
  CHECK_THROWS_AS(scg::one_hot(idx, 0), scg::Error);
}

TEST_CASE("where: a condition other than 0/1 throws at run time; shapes must broadcast") {
  scg::Graph g;
  auto c = g.input("c", 2, 1);
  auto a = g.parameter("a", scg::Tensor(2, 3, 1.0));
  auto w = scg::where(c, a, -a);
  scg::Session s(g, 1);
  const scg::Tensor half = scg::Tensor::from_rows({{1}, {0.5}}), ok = scg::Tensor::from_rows({{1}, {0}});
  CHECK_THROWS_WITH_AS(s.run(w, {{c, half}}), doctest::Contains("not 0 or 1"), scg::Error);
  CHECK(s.run(w, {{c, ok}}) == scg::Tensor::from_rows({{1, 1, 1}, {-1, -1, -1}}));
  CHECK_THROWS_WITH_AS(scg::where(c, a, g.parameter("b", scg::Tensor(3, 3))), doctest::Contains("where"), scg::ShapeError);
}

TEST_CASE("concat, slices, reductions: shape and axis errors when built") {
  scg::Graph g;
  auto a = g.parameter("a", scg::Tensor(2, 3)), b = g.parameter("b", scg::Tensor(2, 4));
  CHECK(scg::concat({a, b}, 1).shape() == scg::Shape{2, 7});
  CHECK_THROWS_WITH_AS(scg::concat({a, b}, 0), doctest::Contains("same number of columns"), scg::ShapeError);
  CHECK_THROWS_AS(scg::concat({a, b}, 2), scg::Error);
  CHECK_THROWS_AS(scg::concat({}, 0), scg::Error);
  CHECK(scg::concat({a}, 0).id() == a.id());
  CHECK_THROWS_WITH_AS(scg::slice_rows(a, 1, 2), doctest::Contains("do not fit"), scg::ShapeError);
  CHECK_THROWS_AS(scg::slice_cols(a, -1, 1), scg::ShapeError);
  CHECK_THROWS_AS(scg::slice_cols(a, 0, 0), scg::ShapeError);
  CHECK(scg::slice_cols(a, 0, 3).id() == a.id());
  CHECK_THROWS_WITH_AS(scg::max(a, 2), doctest::Contains("axis"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::logsumexp(a, -1), doctest::Contains("axis"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::clamp(a, 1.0, -1.0), doctest::Contains("lo must not exceed hi"), scg::Error);
}

TEST_CASE("logsumexp is stable at extreme values; max and min give the first extreme its gradient") {
  scg::Graph g;
  auto x = g.parameter("x", scg::Tensor::from_rows({{1000.0, 1000.0, -1000.0}, {-1e300, -1e300, -1e300}}));
  scg::Session s(g, 1);
  const scg::Tensor l = s.run(scg::logsumexp(x, 1));
  CHECK(l(0, 0) == doctest::Approx(1000.0 + std::log(2.0)).epsilon(1e-15));
  CHECK(l(1, 0) == -1e300);
  auto t = g.parameter("t", scg::Tensor::from_rows({{3.0, 5.0, 5.0}}));
  CHECK(s.run(scg::grad(scg::sum(scg::max(t, 1)), {t})[0]) == scg::Tensor::from_rows({{0, 1, 0}}));
  CHECK(s.run(scg::grad(scg::sum(scg::min(t, 1)), {t})[0]) == scg::Tensor::from_rows({{1, 0, 0}}));
}

TEST_CASE("product_sum: bad index lists and shapes throw when the node is built, naming what is wrong") {
  scg::Graph g;
  auto a = g.parameter("a", scg::Tensor(2, 3, 1.0));
  auto b = g.parameter("b", scg::Tensor(2, 2, 1.0));
  auto c = g.parameter("c", scg::Tensor(3, 2, 1.0));
  const std::vector<Eigen::Index> out{0, 1};
  CHECK_THROWS_WITH_AS(scg::product_sum({}, {}, out, 2), doctest::Contains("no tables"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::product_sum({a, b}, {{0, 1}}, out, 2), doctest::Contains("2 tables but 1 index"),
                       scg::Error);
  CHECK_THROWS_WITH_AS(scg::product_sum({a}, {{0, 1, 2}}, out, 2), doctest::Contains("index[0] has 3 entries"),
                       scg::Error);
  // A column past the table's (3 columns), a negative one, a result column past `cols`.
  CHECK_THROWS_WITH_AS(scg::product_sum({a, b}, {{0, 3}, {0, 1}}, out, 2),
                       doctest::Contains("index[0][1] is 3; parameter 'a' (#0, 2x3) has columns 0..2"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::product_sum({a, b}, {{0, 1}, {-1, 1}}, out, 2), doctest::Contains("index[1][0] is -1"),
                       scg::Error);
  CHECK_THROWS_WITH_AS(scg::product_sum({a}, {{0, 1}}, {0, 2}, 2), doctest::Contains("out_index[1] is 2"),
                       scg::Error);
  CHECK_THROWS_WITH_AS(scg::product_sum({a}, {{0, 1}}, out, 0), doctest::Contains("cols must be at least 1"),
                       scg::Error);
  // Tables with different row counts: a shape error naming the op and both shapes.
  CHECK_THROWS_WITH_AS(scg::product_sum({a, c}, {{0, 1}, {0, 1}}, out, 2),
                       doctest::Contains("same number of rows"), scg::ShapeError);
  // Values: the 2 x 2 result of a 2-state sum, by hand.
  auto x = g.parameter("x", scg::Tensor::from_rows({{1, 2, 3}, {4, 5, 6}}));
  auto y = g.parameter("y", scg::Tensor::from_rows({{10, 20}, {30, 40}}));
  auto p = scg::product_sum({x, y}, {{0, 1, 2}, {0, 1, 1}}, {1, 1, 0}, 2);
  scg::Session s(g, 1);
  CHECK(s.run(p) == scg::Tensor::from_rows({{3 * 20, 1 * 10 + 2 * 20}, {6 * 40, 4 * 30 + 5 * 40}}));
}
