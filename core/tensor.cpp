#include "scg/core/tensor.hpp"

#include "scg/core/error.hpp"

namespace scg {

std::string Shape::str() const { return std::to_string(rows) + "x" + std::to_string(cols); }

Tensor::Tensor(Eigen::Index rows, Eigen::Index cols, double fill) {
  if (rows < 0 || cols < 0)
    throw Error("Tensor: negative shape " + std::to_string(rows) + "x" + std::to_string(cols));
  data_.setConstant(rows, cols, fill);
}

Tensor Tensor::from_rows(std::initializer_list<std::initializer_list<double>> rows) {
  const auto n = static_cast<Eigen::Index>(rows.size());
  const auto m = n == 0 ? Eigen::Index{0} : static_cast<Eigen::Index>(rows.begin()->size());
  Tensor t(n, m);
  Eigen::Index r = 0;
  for (const auto& row : rows) {
    if (static_cast<Eigen::Index>(row.size()) != m)
      throw Error("Tensor::from_rows: row " + std::to_string(r) + " has " +
                  std::to_string(row.size()) + " values, row 0 has " + std::to_string(m));
    Eigen::Index c = 0;
    for (double v : row) t(r, c++) = v;
    ++r;
  }
  return t;
}

double Tensor::item() const {
  if (rows() != 1 || cols() != 1)
    throw Error("Tensor::item: tensor is " + shape().str() + ", not 1x1");
  return data_(0, 0);
}

bool operator==(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.matrix() == b.matrix();
}

}  // namespace scg
