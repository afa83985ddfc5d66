#pragma once
/// \file
/// Tensor: a dense 2-D array of double, and Shape, its static size.

#include <Eigen/Core>
#include <initializer_list>
#include <string>

namespace scg {
/// \addtogroup core
/// @{

/// rows x cols, the static shape of a node. A scalar is 1x1.
struct Shape {
  Eigen::Index rows = 1;  ///< number of rows
  Eigen::Index cols = 1;  ///< number of columns
  /// Element count.
  Eigen::Index size() const { return rows * cols; }
  /// True for 1x1.
  bool scalar() const { return rows == 1 && cols == 1; }
  /// "RxC", for messages.
  std::string str() const;
  /// Equal rows and columns.
  friend bool operator==(const Shape&, const Shape&) = default;
};

/// A dense 2-D array of double (Eigen storage, column-major).
class Tensor {
 public:
  using Matrix = Eigen::MatrixXd;  ///< the storage type

  /// 1x1 tensor holding 0.
  Tensor() : data_(1, 1) { data_(0, 0) = 0.0; }
  /// 1x1 tensor holding `v` (implicit, so a double converts where a Tensor is expected).
  Tensor(double v) : data_(1, 1) { data_(0, 0) = v; }  // NOLINT(google-explicit-constructor)
  /// rows x cols tensor filled with `fill`; throws scg::Error for a negative size.
  Tensor(Eigen::Index rows, Eigen::Index cols, double fill = 0.0);
  /// rows x cols tensor filled with `fill`.
  explicit Tensor(Shape shape, double fill = 0.0) : Tensor(shape.rows, shape.cols, fill) {}
  /// From an Eigen matrix (copied).
  explicit Tensor(Matrix m) : data_(std::move(m)) {}

  /// From nested initializer lists read row by row; ragged rows throw scg::Error.
  static Tensor from_rows(std::initializer_list<std::initializer_list<double>> rows);

  /// Number of rows.
  Eigen::Index rows() const { return data_.rows(); }
  /// Number of columns.
  Eigen::Index cols() const { return data_.cols(); }
  /// Shape as a value.
  Shape shape() const { return {data_.rows(), data_.cols()}; }
  /// Element (r, c), unchecked in release builds like Eigen.
  double& operator()(Eigen::Index r, Eigen::Index c) { return data_(r, c); }
  /// Element (r, c), unchecked in release builds like Eigen.
  double operator()(Eigen::Index r, Eigen::Index c) const { return data_(r, c); }
  /// The value of a 1x1 tensor; throws scg::Error for any other shape.
  double item() const;

  /// The Eigen storage.
  Matrix& matrix() { return data_; }
  /// The Eigen storage.
  const Matrix& matrix() const { return data_; }
  /// Array view for elementwise kernels.
  auto array() { return data_.array(); }
  /// Array view for elementwise kernels.
  auto array() const { return data_.array(); }
  /// Pointer to the column-major storage.
  double* data() { return data_.data(); }
  /// Pointer to the column-major storage.
  const double* data() const { return data_.data(); }

  /// Resize to `shape` (allocates only if the element count changes).
  void resize(Shape shape) { data_.resize(shape.rows, shape.cols); }
  /// True when every element is finite.
  bool all_finite() const { return data_.allFinite(); }

 private:
  Matrix data_;
};

/// Elementwise equality of shape and values.
bool operator==(const Tensor& a, const Tensor& b);

/// @}
}  // namespace scg
