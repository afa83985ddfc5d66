#pragma once
/// \file
/// Op: the interface every differentiable op implements in one place (name, shape rule,
/// forward kernel, gradient rule), plus one plain traits value for everything else an op may
/// declare. Core never names a concrete op.

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/tensor.hpp"

namespace scg {
/// \addtogroup core
/// @{

namespace detail {
class ThreadPool;
}  // namespace detail

/// The random engine a Session owns and hands to stochastic ops.
using Engine = boost::random::mt19937_64;

/// What a forward kernel may use besides its operands.
struct RunContext {
  Engine* engine = nullptr;      ///< the session's random stream
  Tensor* state = nullptr;       ///< per-session state of a stateful op, else nullptr
  const Graph* graph = nullptr;  ///< the graph of the node being computed
  std::size_t node = 0;          ///< id of the node being computed
  /// The session's threads (SessionOptions::threads above 1), else nullptr. A kernel that
  /// uses them splits its work into parts chosen from the shapes alone, never from the number
  /// of threads, so its values are bitwise the same whatever the thread count.
  detail::ThreadPool* pool = nullptr;
  /// Throws scg::Error naming the node being computed.
  [[noreturn]] void fail(const std::string& what) const;
};

/// How a cost built with this op splits into additive terms (grad weights each term only by
/// the random choices it depends on, so splitting finely lowers the estimator's variance).
enum class CostTerms {
  kWhole,          ///< the output is one term (any nonlinear op)
  kSumOfOperands,  ///< linear in all operands together (add, sub, neg, sum, transpose):
                   ///< every term of every operand is a term of the output
  kScaledOperand,  ///< linear in each operand while the others are fixed (mul, matmul): with
                   ///< one operand depending on choices, its terms, scaled, are the terms
  kScaledFirst,    ///< linear in operand 0 while the others are fixed (div by operand 1)
};

/// Which operands the output's rows follow one to one, one bit per operand: bit i set means
/// row i of the output depends only on row i of operand i (when that operand has as many rows
/// as the output). Bit 31 stands for operand 31 and every later one. Rows of a batch are
/// independent samples where every path from a choice to the cost keeps rows apart.
struct RowLocality {
  static constexpr std::uint32_t kNone = 0;   ///< rows mix (sum down the rows, transpose)
  static constexpr std::uint32_t kAll = ~0u;  ///< every operand (elementwise, row-wise softmax)
  /// Only operand i (matmul: operand 0; gather_rows: the indices, operand 1).
  static constexpr std::uint32_t only(unsigned i) { return 1u << (i < 31 ? i : 31); }
};

/// Scalar kernel: the value of a node whose operands (at most two) and output are all 1x1,
/// from the operand values `a` and `b` (a unary op ignores `b`). `self` is the Op (for ops
/// with attributes, such as pow's exponent).
using ScalarKernel = double (*)(const void* self, double a, double b);

/// Everything an op may declare besides its four essentials; every field has a default.
struct OpTraits {
  CostTerms terms = CostTerms::kWhole;      ///< how a cost splits into terms through it
  std::uint32_t rows = RowLocality::kNone;  ///< which operands' rows it keeps apart (bits)
  bool reads_operands = true;     ///< false: forward reads only shapes (magic_box), so a plan
                                  ///< does not compute the operands for it
  Shape state{0, 0};              ///< per-session state of this shape (size 0: stateless)
  ScalarKernel scalar = nullptr;  ///< 1x1 fast path (every operand and the output 1x1)
  std::string label;              ///< picture label (empty: the name)
  /// Bit i set: the output does not inherit operand i's dependence on random choices (the
  /// value of a black_box, whose choices are declared instead). Bit 31: operand 31 and later.
  std::uint32_t opaque_operands = 0;
  /// Forward draws from the session's random stream (every Distribution; noise ops): two such
  /// nodes with the same operands are two draws, never one node.
  bool random = false;
  /// Rows in groups: row b of the output depends only on rows [b k, (b + 1) k) of each operand
  /// marked in `rows` that has k times the output's rows (log_mean_exp over k samples of one
  /// example). 1: row i on row i only.
  std::uint32_t row_group = 1;
};

/// One op. Instances are immutable, made by std::make_shared, and shared by every node (and
/// clone) that uses them.
class Op : public std::enable_shared_from_this<Op> {
 public:
  /// An op with the given traits.
  explicit Op(OpTraits traits = {}) : traits_(std::move(traits)) {}
  virtual ~Op() = default;
  /// Short name used in messages ("mul", "log_softmax").
  virtual std::string name() const = 0;
  /// Output shape for operand shapes `in`; throws ShapeError (see shape_error) when they
  /// do not fit.
  virtual Shape infer(std::span<const Shape> in) const = 0;
  /// Writes the value into `out`, already sized to the inferred shape. Must not allocate.
  virtual void forward(std::span<const Tensor* const> in, Tensor& out,
                       const RunContext& ctx) const = 0;
  /// Vector-Jacobian product: given the operands, the output node and the gradient `g` of
  /// the output, returns one node per operand, built only where needed[i] is set (reverse
  /// mode passes which operands lie on a path to a wrt); an empty Var: no gradient flows
  /// there. Built from ops, never numbers, so it differentiates again.
  virtual std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                                    std::span<const char> needed) const = 0;

  /// What else the op declares.
  const OpTraits& traits() const { return traits_; }
  /// True if row i of the output depends only on row i of operand `input` (when that operand
  /// has as many rows as the output; on rows [i k, (i + 1) k) when it has k = traits().row_group
  /// times as many).
  bool row_local(std::size_t input) const {
    return (traits_.rows &
            RowLocality::only(static_cast<unsigned>(std::min<std::size_t>(input, 31)))) != 0;
  }
  /// Label for pictures.
  std::string label() const { return traits_.label.empty() ? name() : traits_.label; }

 private:
  OpTraits traits_;
};

/// Throws ShapeError "`op`: `why` (operand shapes AxB, CxD)".
[[noreturn]] void shape_error(const std::string& op, std::span<const Shape> in,
                              const std::string& why);

/// @}
}  // namespace scg
