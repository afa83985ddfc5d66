// Tensor: constructors, from_rows, element access, item(), equality.
#include <doctest/doctest.h>

#include <scg/scg.hpp>
#include <type_traits>

TEST_CASE("Tensor constructors") {
  const scg::Tensor def;
  CHECK(def.rows() == 1);
  CHECK(def.cols() == 1);
  CHECK(def(0, 0) == 0.0);

  const scg::Tensor s = 2.5;  // implicit from double
  CHECK(s.shape() == scg::Shape{1, 1});
  CHECK(s.item() == 2.5);

  const scg::Tensor z(2, 3);
  CHECK(z.rows() == 2);
  CHECK(z.cols() == 3);
  CHECK(z.matrix().isZero(0.0));
  const scg::Tensor f(3, 2, -1.5);
  for (Eigen::Index r = 0; r < 3; ++r)
    for (Eigen::Index c = 0; c < 2; ++c) CHECK(f(r, c) == -1.5);
  CHECK(scg::Tensor(scg::Shape{4, 1}, 7.0) == scg::Tensor(4, 1, 7.0));
  CHECK_THROWS_AS(scg::Tensor(-1, 2), scg::Error);
  CHECK_THROWS_AS(scg::Tensor(2, -3, 1.0), scg::Error);
  CHECK(scg::Tensor(0, 3).shape().size() == 0);  // empty is allowed as a value

  scg::Tensor w(2, 2);
  w(1, 0) = 4.0;  // element write
  CHECK(w(1, 0) == 4.0);
  CHECK(w(0, 1) == 0.0);
}

TEST_CASE("Tensor::from_rows reads row by row; ragged rows throw") {
  const scg::Tensor t = scg::Tensor::from_rows({{1, 2, 3}, {4, 5, 6}});
  CHECK(t.rows() == 2);
  CHECK(t.cols() == 3);
  CHECK(t(0, 0) == 1);
  CHECK(t(0, 2) == 3);
  CHECK(t(1, 0) == 4);
  CHECK(t(1, 2) == 6);
  const scg::Tensor col = scg::Tensor::from_rows({{1}, {2}, {3}});
  CHECK(col.shape() == scg::Shape{3, 1});
  CHECK(col(2, 0) == 3);
  CHECK_THROWS_AS(scg::Tensor::from_rows({{1, 2}, {3}}), scg::Error);
  CHECK_THROWS_WITH_AS(scg::Tensor::from_rows({{1, 2}, {3, 4}, {5, 6, 7}}),
                       doctest::Contains("row 2"), scg::Error);
  CHECK(scg::Tensor::from_rows({}).shape().size() == 0);
}

TEST_CASE("Tensor::item is for 1x1 only") {
  CHECK(scg::Tensor(1, 1, 3.0).item() == 3.0);
  CHECK_THROWS_AS(scg::Tensor(2, 1).item(), scg::Error);
  CHECK_THROWS_AS(scg::Tensor(1, 2).item(), scg::Error);
  CHECK_THROWS_AS(scg::Tensor(0, 0).item(), scg::Error);
  CHECK_THROWS_WITH_AS(scg::Tensor(3, 4).item(), doctest::Contains("3x4"), scg::Error);
}

TEST_CASE("Tensor equality compares shape and values") {
  const scg::Tensor a = scg::Tensor::from_rows({{1, 2}, {3, 4}});
  CHECK(a == scg::Tensor::from_rows({{1, 2}, {3, 4}}));
  CHECK_FALSE(a == scg::Tensor::from_rows({{1, 2}, {3, 5}}));
  CHECK_FALSE(scg::Tensor(1, 4) == scg::Tensor(4, 1));
  CHECK_FALSE(scg::Tensor(2, 2) == scg::Tensor(2, 3));
}

TEST_CASE("the error hierarchy") {
  static_assert(std::is_base_of_v<scg::Error, scg::ShapeError>);
  static_assert(std::is_base_of_v<std::runtime_error, scg::Error>);
  CHECK(std::string(scg::Error("x").what()) == "scg: x");
}
