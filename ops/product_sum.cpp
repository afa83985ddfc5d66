// product_sum(tables, index, out_index, cols): for s = 0..n-1, column out_index[s] of the
// result accumulates the elementwise product over i of column index[i][s] of tables[i]. The
// contraction step of variable elimination: tables over joint states (one column per state,
// one row per independent plate row), aligned by index maps, multiplied and summed over a
// variable in one pass, instead of one gather per table, the products and a scatter (each a
// node and a pass over memory). Columns are contiguous, so each product is a vector operation
// over the rows.
//   Multilinear: d/dtables[j] = product_sum of g and the other tables, where g is read through
//   out_index and the result is written through index[j]: the same op with the roles of two
//   maps swapped, so it differentiates again to any order.
// The maps are shared (immutable) between a node and its derivatives.
#include <algorithm>
#include <array>
#include <memory>

#include "detail.hpp"

namespace scg {
namespace {
using Map = std::shared_ptr<const std::vector<std::uint32_t>>;

class ProductSumOp final : public Op {
 public:
  ProductSumOp(std::vector<Map> maps, Map out_map, Eigen::Index cols)
      : Op(detail::traits(RowLocality::kAll, CostTerms::kScaledOperand)),
        maps_(std::move(maps)), out_(std::move(out_map)), cols_(cols) {
    for (const Map& m : maps_) bounds_.push_back(m->empty() ? 0 : *std::max_element(m->begin(), m->end()));
  }
  std::string name() const override { return "product_sum"; }
  Shape infer(std::span<const Shape> in) const override {
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i].rows != in[0].rows) shape_error(name(), in, "every table must have the same number of rows");
      if (!maps_[i]->empty() && bounds_[i] >= static_cast<std::size_t>(in[i].cols))
        shape_error(name(), in, "index " + std::to_string(i) + " names column " + std::to_string(bounds_[i]) +
                                    " of table " + std::to_string(i));
    }
    return {in[0].rows, cols_};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix().setZero();
    switch (in.size()) {  // one fused expression per operand count (up to 4)
      case 1: return run<1>(in, out);
      case 2: return run<2>(in, out);
      case 3: return run<3>(in, out);
      case 4: return run<4>(in, out);
      default: return run<0>(in, out);
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char> needed) const override {
    std::vector<Var> d(in.size());
    for (std::size_t j = 0; j < in.size(); ++j) {
      if (!needed[j]) continue;
      std::vector<Var> tables{g};
      std::vector<Map> maps{out_};
      for (std::size_t i = 0; i < in.size(); ++i)
        if (i != j) tables.push_back(in[i]), maps.push_back(maps_[i]);
      d[j] = g.graph().apply(std::make_shared<const ProductSumOp>(std::move(maps), maps_[j], in[j].cols()), tables);
    }
    return d;
  }

 private:
  /// N operands (0: any number).
  template <std::size_t N>
  void run(std::span<const Tensor* const> in, Tensor& out) const {
    const std::size_t m = N ? N : in.size(), n = out_->size();
    const std::uint32_t* const o = out_->data();
    const Eigen::Index rows = out.rows();
    if constexpr (N != 0) {
      std::array<const double*, N> src;
      std::array<const std::uint32_t*, N> idx;
      for (std::size_t i = 0; i < N; ++i) src[i] = in[i]->data(), idx[i] = maps_[i]->data();
      if (rows == 1) {  // one entry per column: a scalar loop
        for (std::size_t s = 0; s < n; ++s) {
          double p = src[0][idx[0][s]];
          for (std::size_t i = 1; i < N; ++i) p *= src[i][idx[i][s]];
          out.data()[o[s]] += p;
        }
        return;
      }
      using Col = Eigen::Map<const Eigen::ArrayXd>;
      for (std::size_t s = 0; s < n; ++s) {
        Eigen::Map<Eigen::ArrayXd> dst(out.data() + o[s] * rows, rows);
        if constexpr (N == 1) dst += Col(src[0] + idx[0][s] * rows, rows);
        else if constexpr (N == 2) dst += Col(src[0] + idx[0][s] * rows, rows) * Col(src[1] + idx[1][s] * rows, rows);
        else if constexpr (N == 3)
          dst += Col(src[0] + idx[0][s] * rows, rows) * Col(src[1] + idx[1][s] * rows, rows) *
                 Col(src[2] + idx[2][s] * rows, rows);
        else
          dst += Col(src[0] + idx[0][s] * rows, rows) * Col(src[1] + idx[1][s] * rows, rows) *
                 Col(src[2] + idx[2][s] * rows, rows) * Col(src[3] + idx[3][s] * rows, rows);
      }
    } else {
      for (std::size_t s = 0; s < n; ++s)
        for (Eigen::Index r = 0; r < rows; ++r) {
          double p = 1.0;
          for (std::size_t i = 0; i < m; ++i) p *= in[i]->data()[(*maps_[i])[s] * rows + r];
          out.data()[o[s] * rows + r] += p;
        }
    }
  }
  std::vector<Map> maps_;
  Map out_;
  Eigen::Index cols_;
  std::vector<std::size_t> bounds_;  // the largest entry of each map
};

/// The map `what` (entries in [0, limit), columns of `of`), checked.
Map to_map(const std::vector<Eigen::Index>& v, Eigen::Index limit, const std::string& what, const std::string& of) {
  auto m = std::make_shared<std::vector<std::uint32_t>>(v.size());
  for (std::size_t s = 0; s < v.size(); ++s) {
    if (v[s] < 0 || v[s] >= limit || v[s] > static_cast<Eigen::Index>(UINT32_MAX))
      throw Error("product_sum: " + what + "[" + std::to_string(s) + "] is " + std::to_string(v[s]) +
                  "; " + of + " has columns 0.." + std::to_string(limit - 1));
    (*m)[s] = static_cast<std::uint32_t>(v[s]);
  }
  return m;
}
}  // namespace

Var product_sum(const std::vector<Var>& tables, const std::vector<std::vector<Eigen::Index>>& index,
                const std::vector<Eigen::Index>& out_index, Eigen::Index cols) {
  if (tables.empty()) throw Error("product_sum: no tables");
  if (index.size() != tables.size())
    throw Error("product_sum: " + std::to_string(tables.size()) + " tables but " + std::to_string(index.size()) +
                " index lists (one per table)");
  if (cols < 1) throw Error("product_sum: cols must be at least 1, not " + std::to_string(cols));
  std::vector<Map> maps;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].empty()) throw Error("product_sum: table " + std::to_string(i) + " is an empty Var");
    if (index[i].size() != out_index.size())
      throw Error("product_sum: index[" + std::to_string(i) + "] has " + std::to_string(index[i].size()) +
                  " entries, out_index " + std::to_string(out_index.size()) + " (one per product)");
    maps.push_back(to_map(index[i], tables[i].cols(), "index[" + std::to_string(i) + "]", tables[i].describe()));
  }
  Map out = to_map(out_index, cols, "out_index", "the " + std::to_string(cols) + "-column result");
  return detail::make<ProductSumOp>(tables, std::move(maps), std::move(out), cols);
}
}  // namespace scg
