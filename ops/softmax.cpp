// softmax and log_softmax of each row, one op with a flag (they share the row pass: the
// maximum m and t = sum over the other entries of e^(x - m)).
//   softmax:     out = e^(x - m) / (1 + t).             d = out (g - rowsum(g out))
//   log_softmax: out = (x - m) - log1p(t) (stable).     d = log_softmax_backward(x, g)
// log_softmax_backward(x, g) = g - p rowsum(g), p = softmax(x), evaluated from x (not from
// e^out, which carries out's rounding error times |out|) as
// g_i sum_{j != i} p_j - p_i sum_{j != i} g_j (prefix and suffix sums), which keeps its
// digits where p_i rounds to 1 (1 - p_i would cancel). Its own derivatives:
// d/dx = -rowsum(g) p q, d/dg = q, with q = gg - rowsum(gg p).
#include <array>
#include <cmath>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
Var log_softmax_backward(const Var& x, const Var& g);

class SoftmaxOp final : public Op {
 public:
  explicit SoftmaxOp(bool log) : Op(detail::traits(RowLocality::kAll)), log_(log) {}
  std::string name() const override { return log_ ? "log_softmax" : "softmax"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      Eigen::Index arg = 0;
      const double m = x.matrix().row(r).maxCoeff(&arg);
      double t = 0.0;  // sum of e^(x - m) over the entries other than the maximum
      for (Eigen::Index c = 0; c < x.cols(); ++c)
        if (c != arg) t += out(r, c) = std::exp(x(r, c) - m);
      if (!log_) {
        out(r, arg) = 1.0;
        out.matrix().row(r) /= 1.0 + t;
        continue;
      }
      // (x - max) - log1p(t), not x - (max + log s): max + log s would round to the spacing of
      // max's magnitude, losing every digit of log s for logits around 1e15; and log1p keeps
      // the digits of t below eps (a dominant class's log-probability -t).
      const double ls = std::log1p(t);
      for (Eigen::Index c = 0; c < x.cols(); ++c) out(r, c) = (x(r, c) - m) - ls;
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char>) const override {
    if (log_) return {log_softmax_backward(in[0], g)};
    return {out * (g - sum(g * out, 1))};
  }

 private:
  bool log_;
};

class LogSoftmaxBackwardOp final : public Op {
 public:
  LogSoftmaxBackwardOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "log_softmax_backward"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0] != in[1]) shape_error(name(), in, "operands must have one shape");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor &x = *in[0], &g = *in[1];
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      // e_j = e^(x_j - m) (1 at the maximum), s = sum e_j; p_j = e_j / s. Then
      // y_i = (g_i sum_{j != i} e_j - e_i sum_{j != i} g_j) / s by prefix and suffix sums.
      const double m = x.matrix().row(r).maxCoeff();
      double s = 0.0, ep = 0.0, gp = 0.0;
      for (Eigen::Index c = 0; c < x.cols(); ++c) {
        const double e = std::exp(x(r, c) - m);
        out(r, c) = g(r, c) * ep - e * gp;
        ep += e, gp += g(r, c), s += e;
      }
      ep = gp = 0.0;
      for (Eigen::Index c = x.cols(); c-- > 0;) {
        const double e = std::exp(x(r, c) - m);
        out(r, c) = (out(r, c) + g(r, c) * ep - e * gp) / s;
        ep += e, gp += g(r, c);
      }
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& gg,
                            std::span<const char> needed) const override {
    // y = g - p rowsum(g), p = softmax(x): d/dg = q = gg - rowsum(gg p); d/dx = -rowsum(g) p q.
    const Var &x = in[0], &g = in[1];
    const Var p = softmax(x);
    const Var q = gg - sum(gg * p, 1);
    return {needed[0] ? -(sum(g, 1) * p * q) : Var(), needed[1] ? q : Var()};
  }
};

Var log_softmax_backward(const Var& x, const Var& g) {
  return detail::make_shared_op<LogSoftmaxBackwardOp>({x, g});
}

Var apply(const Var& x, bool log) {
  static const auto ops =
      std::array{std::make_shared<const SoftmaxOp>(false), std::make_shared<const SoftmaxOp>(true)};
  if (x.empty())
    throw Error(std::string(log ? "log_softmax" : "softmax") + ": operand is an empty Var");
  return x.graph().apply(ops[log], {x});
}
}  // namespace

Var softmax(const Var& x) { return apply(x, false); }
Var log_softmax(const Var& x) { return apply(x, true); }
}  // namespace scg
