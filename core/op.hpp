#pragma once
/// \file Op: the interface every differentiable op implements in one place (shape rule,
/// forward kernel, gradient rule). Core never names a concrete op.

#include <boost/random/mersenne_twister.hpp>
#include <span>
#include <string>
#include <vector>

#include "graph.hpp"
#include "tensor.hpp"

namespace scg {

/// The random engine a Session owns and hands to stochastic ops.
using Engine = boost::random::mt19937_64;

/// What a forward kernel may use besides its operands.
struct RunContext {
  Engine* engine = nullptr;    ///< the session's random stream
  Tensor* state = nullptr;     ///< per-session state of a stateful op, else nullptr
  const Graph* graph = nullptr;
  std::size_t node = 0;        ///< id of the node being computed
  /// Throws scg::Error naming the node being computed.
  [[noreturn]] void fail(const std::string& what) const;
};

/// How an op's output depends linearly on its operands (used to split a cost into terms).
enum class Linearity {
  kNone,   ///< not linear
  kJoint,  ///< linear in all operands together (add, sub, neg, sum, transpose, ...)
  kEach,   ///< linear in each operand while the others are held fixed (mul, matmul)
  kFirst,  ///< linear in operand 0 while the others are held fixed (div)
};

/// Scalar kernel: the value of a node whose operands (at most two) and output are all 1x1,
/// from the operand values `a` and `b` (a unary op ignores `b`). `self` is the op (for ops
/// with attributes, like pow's exponent).
using ScalarKernel = double (*)(const void* self, double a, double b);

/// One op. Instances are immutable and shared by every node (and clone) that uses them.
class Op {
 public:
  virtual ~Op() = default;
  /// Short name used in messages and pictures ("mul", "log_softmax").
  virtual std::string name() const = 0;
  /// Output shape for operand shapes `in`; throws ShapeError (see shape_error) when they
  /// do not fit.
  virtual Shape infer(std::span<const Shape> in) const = 0;
  /// Writes the value into `out`, already sized to the inferred shape. Must not allocate.
  virtual void forward(std::span<const Tensor* const> in, Tensor& out,
                       const RunContext& ctx) const = 0;
  /// Vector-Jacobian product: given the operands, the output node and the gradient `gout`
  /// of the output, returns one node per operand (an empty Var: no gradient flows there).
  /// Built from ops, never numbers, so it differentiates again.
  virtual std::vector<Var> backward(std::span<const Var> in, const Var& out,
                                    const Var& gout) const = 0;
  /// backward for only the operands with needed[i] set; the others get an empty Var (reverse
  /// mode passes which operands lie on a path to a wrt, so no dead gradient nodes are built).
  /// Default: backward(), which builds them all.
  virtual std::vector<Var> backward_needed(std::span<const Var> in, const Var& out, const Var& gout,
                                           std::span<const char> needed) const {
    (void)needed;
    return backward(in, out, gout);
  }
  /// True if row i of the output depends only on row i of operand `input` whenever that
  /// operand has as many rows as the output (elementwise ops, row-wise softmax, ...).
  virtual bool row_local(std::size_t input) const { (void)input; return false; }
  /// False if forward never reads operand `input`'s values (only its shape): a plan then
  /// does not compute that operand for this op (e.g. magic_box, whose value is always 1).
  virtual bool reads_operand(std::size_t input) const { (void)input; return true; }
  /// Linearity in the operands (for splitting a cost into additive terms).
  virtual Linearity linearity() const { return Linearity::kNone; }
  /// True if the op keeps per-session state across runs (ctx.state is then provided).
  virtual bool stateful() const { return false; }
  /// Shape of that state (called once when a plan is compiled).
  virtual Shape state_shape(const Shape& out) const { return out; }
  /// True for ops that draw from the engine (stochastic nodes).
  virtual bool random() const { return false; }
  /// Optional 1x1 fast path (Session uses it when every operand and the output are 1x1, so
  /// scalar graphs are not dominated by dispatch). nullptr: always use forward().
  virtual ScalarKernel scalar_kernel() const { return nullptr; }
  /// Label for pictures; defaults to name().
  virtual std::string label() const { return name(); }
};

/// Throws ShapeError "`op`: `why` (shapes AxB, CxD)".
[[noreturn]] void shape_error(const std::string& op, std::span<const Shape> in,
                              const std::string& why);

}  // namespace scg
