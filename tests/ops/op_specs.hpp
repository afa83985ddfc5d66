#pragma once
// The one table of op specs: for each case, the inputs (shape and value domain), the builder,
// and a reference value written independently in long double. tests/ops/ops_values_test.cpp
// checks every row's value against its reference; ops_gradcheck_test.cpp checks every row's
// first and second derivatives by finite differences. A new op is one row here; a test reads
// ops/ops.hpp and fails for any declared op without a row. (Not here, each with tests of its
// own: stop_gradient, magic_box and straight_through, whose derivatives differ from their
// values' on purpose,
// and moving_average, stateful without a derivative.)
//
// Rows marked kAlso1x1 run a second time with every input 1x1, which takes Session's scalar
// fast path (the ops' 1x1 kernels, also for the gradient nodes) instead of the Eigen kernels.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gradcheck.hpp"

namespace op_specs {

using scg_test::Domain;
using scg_test::Input;
using scg_test::Vars;
using Tensors = std::vector<scg::Tensor>;
using LD = long double;
/// The reference: the value of the builder's output from the input values.
using Reference = std::function<scg::Tensor(const Tensors&)>;

enum Paths { kAsGiven, kAlso1x1 };

struct Spec {
  const char* name;
  std::vector<Input> in;
  scg_test::Builder f;
  Reference ref;
  Paths paths = kAsGiven;
};

// ---- reference building blocks (plain loops in long double) ----
inline scg::Tensor map1(const scg::Tensor& a, const std::function<LD(LD)>& f) {
  scg::Tensor out(a.shape());
  for (Eigen::Index c = 0; c < a.cols(); ++c)
    for (Eigen::Index r = 0; r < a.rows(); ++r) out(r, c) = static_cast<double>(f(a(r, c)));
  return out;
}
inline scg::Tensor map2(const scg::Tensor& a, const scg::Tensor& b, const std::function<LD(LD, LD)>& f) {
  const Eigen::Index rows = std::max(a.rows(), b.rows()), cols = std::max(a.cols(), b.cols());
  scg::Tensor out(rows, cols);
  for (Eigen::Index c = 0; c < cols; ++c)
    for (Eigen::Index r = 0; r < rows; ++r)
      out(r, c) = static_cast<double>(f(a(a.rows() == 1 ? 0 : r, a.cols() == 1 ? 0 : c),
                                        b(b.rows() == 1 ? 0 : r, b.cols() == 1 ? 0 : c)));
  return out;
}
inline Reference ew1(std::function<LD(LD)> f) {
  return [f](const Tensors& x) { return map1(x[0], f); };
}
inline Reference ew2(std::function<LD(LD, LD)> f) {
  return [f](const Tensors& x) { return map2(x[0], x[1], f); };
}
/// digamma by the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 20, then the asymptotic
/// series (error below 1e-19 there): independent of Boost.Math.
inline LD digamma_ref(LD x) {
  LD acc = 0;
  for (; x < 20; x += 1) acc -= 1 / x;
  const LD x2 = 1 / (x * x);
  return acc + std::log(x) - 1 / (2 * x) -
         x2 * (1.0L / 12 - x2 * (1.0L / 120 - x2 * (1.0L / 252 - x2 * (1.0L / 240 - x2 / 132))));
}
inline LD sigmoid(LD x) { return 1.0L / (1.0L + std::exp(-x)); }
inline LD softplus(LD x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline scg::Tensor sum_axis(const scg::Tensor& a, int axis) {  // -1: everything
  scg::Tensor out(axis == 1 ? a.rows() : 1, axis == 0 ? a.cols() : 1);
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (Eigen::Index c = 0; c < out.cols(); ++c) {
      LD s = 0;
      for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j)
          if ((axis == 1 ? i == r : true) && (axis == 0 ? j == c : true)) s += a(i, j);
      out(r, c) = static_cast<double>(s);
    }
  return out;
}
inline scg::Tensor scale(const scg::Tensor& a, LD k) { return map1(a, [k](LD v) { return v * k; }); }
// NumPy's reshape: the row-major sequence of a, refilled row by row.
inline scg::Tensor row_major_reshape(const scg::Tensor& a, Eigen::Index rows, Eigen::Index cols) {
  scg::Tensor out(rows, cols);
  for (Eigen::Index k = 0; k < a.shape().size(); ++k) out(k / cols, k % cols) = a(k / a.cols(), k % a.cols());
  return out;
}

inline scg::Tensor transposed(const scg::Tensor& a) {
  scg::Tensor out(a.cols(), a.rows());
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    for (Eigen::Index c = 0; c < a.cols(); ++c) out(c, r) = a(r, c);
  return out;
}
inline scg::Tensor product(const scg::Tensor& a0, const scg::Tensor& b0, bool ta = false, bool tb = false) {
  const scg::Tensor a = ta ? transposed(a0) : a0, b = tb ? transposed(b0) : b0;
  scg::Tensor out(a.rows(), b.cols());
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    for (Eigen::Index c = 0; c < b.cols(); ++c) {
      LD s = 0;
      for (Eigen::Index k = 0; k < a.cols(); ++k) s += static_cast<LD>(a(r, k)) * b(k, c);
      out(r, c) = static_cast<double>(s);
    }
  return out;
}
inline scg::Tensor row_log_softmax(const scg::Tensor& a) {
  scg::Tensor out(a.shape());
  for (Eigen::Index r = 0; r < a.rows(); ++r) {
    LD m = a(r, 0), s = 0;
    for (Eigen::Index c = 0; c < a.cols(); ++c) m = std::max<LD>(m, a(r, c));
    for (Eigen::Index c = 0; c < a.cols(); ++c) s += std::exp(static_cast<LD>(a(r, c)) - m);
    for (Eigen::Index c = 0; c < a.cols(); ++c) out(r, c) = static_cast<double>(a(r, c) - m - std::log(s));
  }
  return out;
}
inline scg::Tensor row_softmax(const scg::Tensor& a) {
  return map1(row_log_softmax(a), [](LD v) { return std::exp(v); });
}
inline scg::Tensor stretched(const scg::Tensor& a, scg::Shape s) {
  return map2(a, scg::Tensor(s), [](LD x, LD) { return x; });
}
inline scg::Tensor group_sums(const scg::Tensor& a, Eigen::Index k) {
  scg::Tensor out(a.shape());
  for (Eigen::Index c = 0; c < a.cols(); ++c)
    for (Eigen::Index r = 0; r < a.rows(); ++r) {
      LD s = 0;
      for (Eigen::Index i = r - r % k; i < r - r % k + k; ++i) s += a(i, c);
      out(r, c) = static_cast<double>(s);
    }
  return out;
}

inline scg::Tensor lse(const scg::Tensor& a, int axis) {  // -1: everything
  scg::Tensor out(axis == 1 ? a.rows() : 1, axis == 0 ? a.cols() : 1);
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (Eigen::Index c = 0; c < out.cols(); ++c) {
      LD s = 0;
      for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j)
          if ((axis == 1 ? i == r : true) && (axis == 0 ? j == c : true)) s += std::exp(static_cast<LD>(a(i, j)));
      out(r, c) = static_cast<double>(std::log(s));
    }
  return out;
}
// log of the mean of e^a over consecutive groups of k rows, per column.
inline scg::Tensor lme(const scg::Tensor& a, Eigen::Index k) {
  scg::Tensor out(a.rows() / k, a.cols());
  for (Eigen::Index b = 0; b < out.rows(); ++b)
    for (Eigen::Index c = 0; c < a.cols(); ++c) {
      LD s = 0;
      for (Eigen::Index j = 0; j < k; ++j) s += std::exp(static_cast<LD>(a(b * k + j, c)));
      out(b, c) = static_cast<double>(std::log(s / k));
    }
  return out;
}
inline scg::Tensor extreme(const scg::Tensor& a, int axis, bool largest) {
  scg::Tensor out(axis == 1 ? a.rows() : 1, axis == 0 ? a.cols() : 1);
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (Eigen::Index c = 0; c < out.cols(); ++c) {
      double m = largest ? -INFINITY : INFINITY;
      for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j)
          if ((axis == 1 ? i == r : true) && (axis == 0 ? j == c : true)) m = largest ? std::max(m, a(i, j)) : std::min(m, a(i, j));
      out(r, c) = m;
    }
  return out;
}
inline scg::Tensor pattern(Eigen::Index rows, Eigen::Index cols) {  // a fixed 0/1 pattern
  scg::Tensor t(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c) t(r, c) = (r * 7 + c * 3) % 2;
  return t;
}
inline scg::Tensor stack(const Tensors& parts, int axis) {
  Eigen::Index rows = 0, cols = 0;
  for (const auto& p : parts) axis == 0 ? (rows += p.rows(), cols = p.cols()) : (cols += p.cols(), rows = p.rows());
  scg::Tensor out(rows, cols);
  Eigen::Index at = 0;
  for (const auto& p : parts) {
    for (Eigen::Index r = 0; r < p.rows(); ++r)
      for (Eigen::Index c = 0; c < p.cols(); ++c) out(axis == 0 ? at + r : r, axis == 0 ? c : at + c) = p(r, c);
    at += axis == 0 ? p.rows() : p.cols();
  }
  return out;
}
inline scg::Tensor block(const scg::Tensor& a, Eigen::Index r0, Eigen::Index c0, Eigen::Index rows, Eigen::Index cols) {
  scg::Tensor out(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < cols; ++c) out(r, c) = a(r0 + r, c0 + c);
  return out;
}
inline scg::Tensor indices() { return scg::Tensor::from_rows({{2}, {0}, {3}, {2}, {1}}); }
/// product_sum's reference: column out[s] accumulates the product of columns index[i][s].
using Index = std::vector<std::vector<Eigen::Index>>;
inline scg::Tensor product_sum_ref(const Tensors& t, const Index& index, const std::vector<Eigen::Index>& out,
                                   Eigen::Index cols) {
  std::vector<LD> acc(static_cast<std::size_t>(t[0].rows() * cols), 0.0L);
  for (std::size_t s = 0; s < out.size(); ++s)
    for (Eigen::Index r = 0; r < t[0].rows(); ++r) {
      LD p = 1;
      for (std::size_t i = 0; i < t.size(); ++i) p *= t[i](r, index[i][s]);
      acc[static_cast<std::size_t>(out[s] * t[0].rows() + r)] += p;
    }
  scg::Tensor o(t[0].rows(), cols);
  for (std::size_t k = 0; k < acc.size(); ++k) o.data()[k] = static_cast<double>(acc[k]);
  return o;
}
/// log_product_sum's reference: log of the sum of exp of sums, in long double.
inline scg::Tensor log_product_sum_ref(const Tensors& t, const Index& index, const std::vector<Eigen::Index>& out,
                                       Eigen::Index cols) {
  std::vector<LD> acc(static_cast<std::size_t>(t[0].rows() * cols), 0.0L);
  for (std::size_t s = 0; s < out.size(); ++s)
    for (Eigen::Index r = 0; r < t[0].rows(); ++r) {
      LD e = 0;
      for (std::size_t i = 0; i < t.size(); ++i) e += t[i](r, index[i][s]);
      acc[static_cast<std::size_t>(out[s] * t[0].rows() + r)] += std::exp(e);
    }
  scg::Tensor o(t[0].rows(), cols);
  for (std::size_t k = 0; k < acc.size(); ++k) o.data()[k] = static_cast<double>(std::log(acc[k]));
  return o;
}
/// gather_sum's reference.
inline scg::Tensor gather_sum_ref(const Tensors& t, const Index& index) {
  scg::Tensor o(t[0].rows(), static_cast<Eigen::Index>(index[0].size()));
  for (std::size_t s = 0; s < index[0].size(); ++s)
    for (Eigen::Index r = 0; r < t[0].rows(); ++r) {
      LD e = 0;
      for (std::size_t i = 0; i < t.size(); ++i) e += t[i](r, index[i][s]);
      o(r, static_cast<Eigen::Index>(s)) = static_cast<double>(e);
    }
  return o;
}
// Three tables over (a, b) with 2 x 3 joint states (a fastest), summed over a into 4 columns
// (column 3 never written), some states twice.
inline const Index& ps_index() {
  static const Index i{{0, 1, 0, 1, 0, 1, 1, 0}, {0, 0, 1, 1, 2, 2, 0, 2}, {0, 1, 2, 3, 4, 5, 1, 4}};
  return i;
}
inline const std::vector<Eigen::Index>& ps_out() {
  static const std::vector<Eigen::Index> o{0, 0, 1, 1, 2, 2, 0, 2};
  return o;
}
inline scg::Tensor identity(Eigen::Index k) {
  scg::Tensor t(k, k);
  for (Eigen::Index i = 0; i < k; ++i) t(i, i) = 1.0;
  return t;
}
inline scg::Tensor gathered(const scg::Tensor& table, const scg::Tensor& idx) {
  scg::Tensor out(idx.rows(), table.cols());
  for (Eigen::Index i = 0; i < idx.rows(); ++i)
    for (Eigen::Index c = 0; c < table.cols(); ++c) out(i, c) = table(static_cast<Eigen::Index>(idx(i, 0)), c);
  return out;
}

constexpr Domain A = Domain::kAny, P = Domain::kPositive, N = Domain::kNonZero, L = Domain::kLarge;

#define SCG_BIN(op) [](const Vars& x) { return x[0] op x[1]; }
#define SCG_BIN_REF(op) ew2([](LD a, LD b) { return a op b; })

inline const std::vector<Spec>& table() {
  static const std::vector<Spec> specs = {
      // ---- binary arithmetic, same shapes and every broadcast pattern ----
      {"add 3x4+3x4", {{3, 4, A}, {3, 4, A}}, SCG_BIN(+), SCG_BIN_REF(+), kAlso1x1},
      {"add 3x4+1x4", {{3, 4, A}, {1, 4, A}}, SCG_BIN(+), SCG_BIN_REF(+)},
      {"add 3x4+3x1", {{3, 4, A}, {3, 1, A}}, SCG_BIN(+), SCG_BIN_REF(+)},
      {"add 3x4+1x1", {{3, 4, A}, {1, 1, A}}, SCG_BIN(+), SCG_BIN_REF(+)},
      {"add 1x1+3x4", {{1, 1, A}, {3, 4, A}}, SCG_BIN(+), SCG_BIN_REF(+)},
      {"add 1x4+3x1", {{1, 4, A}, {3, 1, A}}, SCG_BIN(+), SCG_BIN_REF(+)},
      {"sub 3x4-3x4", {{3, 4, A}, {3, 4, A}}, SCG_BIN(-), SCG_BIN_REF(-), kAlso1x1},
      {"sub 3x4-1x4", {{3, 4, A}, {1, 4, A}}, SCG_BIN(-), SCG_BIN_REF(-)},
      {"sub 3x4-3x1", {{3, 4, A}, {3, 1, A}}, SCG_BIN(-), SCG_BIN_REF(-)},
      {"sub 3x4-1x1", {{3, 4, A}, {1, 1, A}}, SCG_BIN(-), SCG_BIN_REF(-)},
      {"sub 1x1-3x4", {{1, 1, A}, {3, 4, A}}, SCG_BIN(-), SCG_BIN_REF(-)},
      {"sub 1x4-3x1", {{1, 4, A}, {3, 1, A}}, SCG_BIN(-), SCG_BIN_REF(-)},
      {"mul 3x4*3x4", {{3, 4, A}, {3, 4, A}}, SCG_BIN(*), SCG_BIN_REF(*), kAlso1x1},
      {"mul 3x4*1x4", {{3, 4, A}, {1, 4, A}}, SCG_BIN(*), SCG_BIN_REF(*)},
      {"mul 3x4*3x1", {{3, 4, A}, {3, 1, A}}, SCG_BIN(*), SCG_BIN_REF(*)},
      {"mul 3x4*1x1", {{3, 4, A}, {1, 1, A}}, SCG_BIN(*), SCG_BIN_REF(*)},
      {"mul 1x1*3x4", {{1, 1, A}, {3, 4, A}}, SCG_BIN(*), SCG_BIN_REF(*)},
      {"mul 1x4*3x1", {{1, 4, A}, {3, 1, A}}, SCG_BIN(*), SCG_BIN_REF(*)},
      {"mul x*x (one operand twice)", {{3, 4, A}}, [](const Vars& x) { return x[0] * x[0]; },
       ew1([](LD a) { return a * a; }), kAlso1x1},
      {"div 3x4/3x4", {{3, 4, A}, {3, 4, P}}, SCG_BIN(/), SCG_BIN_REF(/), kAlso1x1},
      {"div 3x4/1x4", {{3, 4, A}, {1, 4, P}}, SCG_BIN(/), SCG_BIN_REF(/)},
      {"div 3x4/3x1", {{3, 4, A}, {3, 1, P}}, SCG_BIN(/), SCG_BIN_REF(/)},
      {"div 3x4/1x1", {{3, 4, A}, {1, 1, P}}, SCG_BIN(/), SCG_BIN_REF(/)},
      {"div 1x1/3x4", {{1, 1, A}, {3, 4, P}}, SCG_BIN(/), SCG_BIN_REF(/)},
      {"div 1x4/3x1", {{1, 4, A}, {3, 1, P}}, SCG_BIN(/), SCG_BIN_REF(/)},
      {"div x/(x+1) (one operand twice)", {{3, 4, P}}, [](const Vars& x) { return x[0] / (x[0] + 1.0); },
       ew1([](LD a) { return a / (a + 1); }), kAlso1x1},
      // ---- with a double ----
      {"add x+c", {{3, 4, A}}, [](const Vars& x) { return x[0] + 1.7; }, ew1([](LD a) { return a + 1.7L; }), kAlso1x1},
      {"add c+x", {{3, 4, A}}, [](const Vars& x) { return 1.7 + x[0]; }, ew1([](LD a) { return 1.7L + a; }), kAlso1x1},
      {"sub x-c", {{3, 4, A}}, [](const Vars& x) { return x[0] - 1.7; }, ew1([](LD a) { return a - 1.7L; }), kAlso1x1},
      {"sub c-x", {{3, 4, A}}, [](const Vars& x) { return 1.7 - x[0]; }, ew1([](LD a) { return 1.7L - a; }), kAlso1x1},
      {"mul x*c", {{3, 4, A}}, [](const Vars& x) { return x[0] * -1.7; }, ew1([](LD a) { return a * -1.7L; }), kAlso1x1},
      {"mul c*x", {{3, 4, A}}, [](const Vars& x) { return -1.7 * x[0]; }, ew1([](LD a) { return -1.7L * a; }), kAlso1x1},
      {"div x/c", {{3, 4, A}}, [](const Vars& x) { return x[0] / 1.7; }, ew1([](LD a) { return a / 1.7L; }), kAlso1x1},
      {"div c/x", {{3, 4, P}}, [](const Vars& x) { return 1.7 / x[0]; }, ew1([](LD a) { return 1.7L / a; }), kAlso1x1},
      {"neg", {{3, 4, A}}, [](const Vars& x) { return -x[0]; }, ew1([](LD a) { return -a; }), kAlso1x1},
      // ---- elementwise functions ----
      {"exp", {{3, 4, A}}, [](const Vars& x) { return scg::exp(x[0]); }, ew1([](LD a) { return std::exp(a); }), kAlso1x1},
      {"log", {{3, 4, P}}, [](const Vars& x) { return scg::log(x[0]); }, ew1([](LD a) { return std::log(a); }), kAlso1x1},
      {"log1p", {{3, 4, P}}, [](const Vars& x) { return scg::log1p(x[0] - 0.49); },
       ew1([](LD a) { return std::log1p(a - 0.49L); }), kAlso1x1},
      {"log1p (tiny x)", {{3, 4, A}}, [](const Vars& x) { return scg::log1p(x[0] * 1e-12); },
       ew1([](LD a) { return std::log1p(a * 1e-12L); }), kAlso1x1},
      {"expm1", {{3, 4, A}}, [](const Vars& x) { return scg::expm1(x[0]); }, ew1([](LD a) { return std::expm1(a); }), kAlso1x1},
      {"expm1 (tiny x)", {{3, 4, A}}, [](const Vars& x) { return scg::expm1(x[0] * 1e-12); },
       ew1([](LD a) { return std::expm1(a * 1e-12L); }), kAlso1x1},
      {"lgamma", {{3, 4, P}}, [](const Vars& x) { return scg::lgamma(x[0]); }, ew1([](LD a) { return std::lgamma(a); }), kAlso1x1},
      {"lgamma (large)", {{3, 4, P}}, [](const Vars& x) { return scg::lgamma(x[0] * 20.0); },
       ew1([](LD a) { return std::lgamma(20 * a); }), kAlso1x1},
      {"digamma", {{3, 4, P}}, [](const Vars& x) { return scg::digamma(x[0]); }, ew1(digamma_ref), kAlso1x1},
      {"sigmoid", {{3, 4, A}}, [](const Vars& x) { return scg::sigmoid(x[0]); }, ew1(sigmoid), kAlso1x1},
      {"sigmoid (saturating)", {{3, 4, L}}, [](const Vars& x) { return scg::sigmoid(x[0]); }, ew1(sigmoid), kAlso1x1},
      {"log_sigmoid", {{3, 4, L}}, [](const Vars& x) { return scg::log_sigmoid(x[0]); },
       ew1([](LD a) { return -softplus(-a); }), kAlso1x1},
      {"tanh", {{3, 4, A}}, [](const Vars& x) { return scg::tanh(x[0]); }, ew1([](LD a) { return std::tanh(a); }), kAlso1x1},
      {"tanh (saturating)", {{3, 4, L}}, [](const Vars& x) { return scg::tanh(x[0]); },
       ew1([](LD a) { return std::tanh(a); }), kAlso1x1},
      {"softplus", {{3, 4, L}}, [](const Vars& x) { return scg::softplus(x[0]); }, ew1(softplus), kAlso1x1},
      {"relu", {{3, 4, N}}, [](const Vars& x) { return scg::relu(x[0]); }, ew1([](LD a) { return a > 0 ? a : 0; }), kAlso1x1},
      {"square", {{3, 4, A}}, [](const Vars& x) { return scg::square(x[0]); }, ew1([](LD a) { return a * a; }), kAlso1x1},
      {"sqrt", {{3, 4, P}}, [](const Vars& x) { return scg::sqrt(x[0]); }, ew1([](LD a) { return std::sqrt(a); }), kAlso1x1},
      {"abs", {{3, 4, N}}, [](const Vars& x) { return scg::abs(x[0]); }, ew1([](LD a) { return std::fabs(a); }), kAlso1x1},
      {"pow 3 (negative bases too)", {{3, 4, A}}, [](const Vars& x) { return scg::pow(x[0], 3.0); },
       ew1([](LD a) { return a * a * a; }), kAlso1x1},
      {"pow 2", {{3, 4, A}}, [](const Vars& x) { return scg::pow(x[0], 2.0); }, ew1([](LD a) { return a * a; }), kAlso1x1},
      {"pow 1", {{3, 4, A}}, [](const Vars& x) { return scg::pow(x[0], 1.0); }, ew1([](LD a) { return a; }), kAlso1x1},
      {"pow 0", {{3, 4, P}}, [](const Vars& x) { return scg::pow(x[0], 0.0); }, ew1([](LD) { return 1.0L; }), kAlso1x1},
      {"pow 0.5", {{3, 4, P}}, [](const Vars& x) { return scg::pow(x[0], 0.5); }, ew1([](LD a) { return std::sqrt(a); }), kAlso1x1},
      {"pow -1.5", {{3, 4, P}}, [](const Vars& x) { return scg::pow(x[0], -1.5); },
       ew1([](LD a) { return std::pow(a, -1.5L); }), kAlso1x1},
      {"step (derivative 0)", {{3, 4, N}, {3, 4, A}}, [](const Vars& x) { return scg::step(x[0]) * x[1]; },
       ew2([](LD a, LD b) { return a > 0 ? b : 0; })},
      {"sign (derivative 0)", {{3, 4, N}, {3, 4, A}}, [](const Vars& x) { return scg::sign(x[0]) * x[1]; },
       ew2([](LD a, LD b) { return a > 0 ? b : -b; })},
      {"x step(x) (= relu)", {{3, 4, N}}, [](const Vars& x) { return x[0] * scg::step(x[0]); },
       ew1([](LD a) { return a > 0 ? a : 0; }), kAlso1x1},
      {"x sign(x) (= abs)", {{3, 4, N}}, [](const Vars& x) { return x[0] * scg::sign(x[0]); },
       ew1([](LD a) { return std::fabs(a); }), kAlso1x1},
      // ---- reductions ----
      {"sum", {{3, 4, A}}, [](const Vars& x) { return scg::sum(x[0]); }, [](const Tensors& x) { return sum_axis(x[0], -1); }, kAlso1x1},
      {"sum axis 0", {{3, 4, A}}, [](const Vars& x) { return scg::sum(x[0], 0); }, [](const Tensors& x) { return sum_axis(x[0], 0); }, kAlso1x1},
      {"sum axis 1", {{3, 4, A}}, [](const Vars& x) { return scg::sum(x[0], 1); }, [](const Tensors& x) { return sum_axis(x[0], 1); }, kAlso1x1},
      {"sum axis 0 of 1x4", {{1, 4, A}}, [](const Vars& x) { return scg::sum(x[0], 0); }, [](const Tensors& x) { return x[0]; }},
      {"mean", {{3, 4, A}}, [](const Vars& x) { return scg::mean(x[0]); },
       [](const Tensors& x) { return scale(sum_axis(x[0], -1), 1.0L / static_cast<LD>(x[0].shape().size())); }, kAlso1x1},
      {"mean axis 0", {{3, 4, A}}, [](const Vars& x) { return scg::mean(x[0], 0); },
       [](const Tensors& x) { return scale(sum_axis(x[0], 0), 1.0L / static_cast<LD>(x[0].rows())); }, kAlso1x1},
      {"mean axis 1", {{3, 4, A}}, [](const Vars& x) { return scg::mean(x[0], 1); },
       [](const Tensors& x) { return scale(sum_axis(x[0], 1), 1.0L / static_cast<LD>(x[0].cols())); }, kAlso1x1},
      {"group_sum 2 of 4x3", {{4, 3, A}}, [](const Vars& x) { return scg::group_sum(x[0], 2); },
       [](const Tensors& x) { return group_sums(x[0], 2); }},
      {"group_sum 1 (identity)", {{3, 2, A}}, [](const Vars& x) { return scg::group_sum(x[0], 1); },
       [](const Tensors& x) { return x[0]; }, kAlso1x1},
      // ---- matrix ops ----
      {"matmul 3x2@2x4", {{3, 2, A}, {2, 4, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1]); },
       [](const Tensors& x) { return product(x[0], x[1]); }, kAlso1x1},
      {"matmul 1x3@3x1 (to 1x1)", {{1, 3, A}, {3, 1, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1]); },
       [](const Tensors& x) { return product(x[0], x[1]); }},
      {"matmul 4x1@1x3 (outer)", {{4, 1, A}, {1, 3, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1]); },
       [](const Tensors& x) { return product(x[0], x[1]); }},
      {"matmul x@x^T", {{3, 2, A}}, [](const Vars& x) { return scg::matmul(x[0], scg::transpose(x[0])); },
       [](const Tensors& x) { return product(x[0], x[0], false, true); }},
      {"matmul a^T b 2x3,2x4", {{2, 3, A}, {2, 4, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1], true, false); },
       [](const Tensors& x) { return product(x[0], x[1], true, false); }, kAlso1x1},
      {"matmul a b^T 3x2,4x2", {{3, 2, A}, {4, 2, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1], false, true); },
       [](const Tensors& x) { return product(x[0], x[1], false, true); }, kAlso1x1},
      {"matmul a^T b^T 2x3,4x2", {{2, 3, A}, {4, 2, A}}, [](const Vars& x) { return scg::matmul(x[0], x[1], true, true); },
       [](const Tensors& x) { return product(x[0], x[1], true, true); }, kAlso1x1},
      {"matmul x^T@x (folded)", {{3, 2, A}}, [](const Vars& x) { return scg::matmul(scg::transpose(x[0]), x[0]); },
       [](const Tensors& x) { return product(x[0], x[0], true, false); }},
      {"transpose", {{3, 4, A}}, [](const Vars& x) { return scg::transpose(x[0]); }, [](const Tensors& x) { return transposed(x[0]); }, kAlso1x1},
      {"softmax", {{3, 4, A}}, [](const Vars& x) { return scg::softmax(x[0]); }, [](const Tensors& x) { return row_softmax(x[0]); }, kAlso1x1},
      {"softmax (large logits)", {{3, 4, L}}, [](const Vars& x) { return scg::softmax(x[0]); }, [](const Tensors& x) { return row_softmax(x[0]); }},
      {"softmax 3x1 (one column)", {{3, 1, A}}, [](const Vars& x) { return scg::softmax(x[0]); }, [](const Tensors& x) { return row_softmax(x[0]); }},
      {"log_softmax", {{3, 4, A}}, [](const Vars& x) { return scg::log_softmax(x[0]); },
       [](const Tensors& x) { return row_log_softmax(x[0]); }, kAlso1x1},
      {"log_softmax (large logits)", {{3, 4, L}}, [](const Vars& x) { return scg::log_softmax(x[0]); },
       [](const Tensors& x) { return row_log_softmax(x[0]); }},
      // ---- model-building ops ----
      {"logsumexp", {{3, 4, A}}, [](const Vars& x) { return scg::logsumexp(x[0]); },
       [](const Tensors& x) { return lse(x[0], -1); }, kAlso1x1},
      {"logsumexp axis 0", {{3, 4, L}}, [](const Vars& x) { return scg::logsumexp(x[0], 0); },
       [](const Tensors& x) { return lse(x[0], 0); }, kAlso1x1},
      {"logsumexp axis 1", {{3, 4, A}}, [](const Vars& x) { return scg::logsumexp(x[0], 1); },
       [](const Tensors& x) { return lse(x[0], 1); }, kAlso1x1},
      {"log_mean_exp groups of 3 of 6x2", {{6, 2, A}}, [](const Vars& x) { return scg::log_mean_exp(x[0], 3); },
       [](const Tensors& x) { return lme(x[0], 3); }},
      {"log_mean_exp one group of 4 (4x1 to 1x1)", {{4, 1, A}}, [](const Vars& x) { return scg::log_mean_exp(x[0], 4); },
       [](const Tensors& x) { return lme(x[0], 4); }},
      {"log_mean_exp groups of 1 (the operand)", {{3, 2, A}}, [](const Vars& x) { return scg::log_mean_exp(x[0], 1); },
       [](const Tensors& x) { return lme(x[0], 1); }},
      {"log_mean_exp of a product, groups of 2", {{4, 3, A}}, [](const Vars& x) { return scg::log_mean_exp(x[0] * x[0], 2); },
       [](const Tensors& x) { return lme(map2(x[0], x[0], [](LD a, LD b) { return a * b; }), 2); }},
      {"max axis 0", {{3, 4, A}}, [](const Vars& x) { return scg::max(x[0], 0); },
       [](const Tensors& x) { return extreme(x[0], 0, true); }, kAlso1x1},
      {"max axis 1", {{3, 4, A}}, [](const Vars& x) { return scg::max(x[0], 1); },
       [](const Tensors& x) { return extreme(x[0], 1, true); }},
      {"min axis 0", {{3, 4, A}}, [](const Vars& x) { return scg::min(x[0], 0); },
       [](const Tensors& x) { return extreme(x[0], 0, false); }},
      {"min axis 1", {{3, 4, A}}, [](const Vars& x) { return scg::min(x[0], 1); },
       [](const Tensors& x) { return extreme(x[0], 1, false); }, kAlso1x1},
      {"maximum 3x4,3x4", {{3, 4, A}, {3, 4, A}}, [](const Vars& x) { return scg::maximum(x[0], x[1]); },
       ew2([](LD a, LD b) { return std::max(a, b); }), kAlso1x1},
      {"maximum 3x4,1x4", {{3, 4, A}, {1, 4, A}}, [](const Vars& x) { return scg::maximum(x[0], x[1]); },
       ew2([](LD a, LD b) { return std::max(a, b); })},
      {"minimum 1x1,3x4", {{1, 1, A}, {3, 4, A}}, [](const Vars& x) { return scg::minimum(x[0], x[1]); },
       ew2([](LD a, LD b) { return std::min(a, b); }), kAlso1x1},
      {"minimum 3x1,3x4", {{3, 1, A}, {3, 4, A}}, [](const Vars& x) { return scg::minimum(x[0], x[1]); },
       ew2([](LD a, LD b) { return std::min(a, b); })},
      {"clamp", {{3, 4, A}}, [](const Vars& x) { return scg::clamp(x[0], -0.7, 0.9); },
       ew1([](LD a) { return std::min(std::max(a, -0.7L), 0.9L); }), kAlso1x1},
      {"where 3x4 (cond 3x4)", {{3, 4, A}, {3, 4, A}},
       [](const Vars& x) { return scg::where(x[0].graph().constant(pattern(3, 4)), x[0], x[1]); },
       [](const Tensors& x) { return map2(map2(pattern(3, 4), x[0], [](LD c, LD a) { return c * a; }), map2(pattern(3, 4), x[1], [](LD c, LD b) { return (1 - c) * b; }), [](LD a, LD b) { return a + b; }); }},
      {"where 3x4 (cond 3x1, b 1x1)", {{3, 4, A}, {1, 1, A}},
       [](const Vars& x) { return scg::where(x[0].graph().constant(pattern(3, 1)), x[0], x[1]); },
       [](const Tensors& x) { return map2(map2(pattern(3, 1), x[0], [](LD c, LD a) { return c * a; }), map2(pattern(3, 1), x[1], [](LD c, LD b) { return (1 - c) * b; }), [](LD a, LD b) { return a + b; }); }},
      {"concat axis 0", {{2, 3, A}, {1, 3, A}, {3, 3, A}}, [](const Vars& x) { return scg::concat({x[0], x[1], x[2]}, 0); },
       [](const Tensors& x) { return stack(x, 0); }},
      {"concat axis 1", {{3, 2, A}, {3, 1, A}}, [](const Vars& x) { return scg::concat({x[0], x[1], x[0]}, 1); },
       [](const Tensors& x) { return stack({x[0], x[1], x[0]}, 1); }},
      {"reshape 3x4 to 2x6", {{3, 4, A}}, [](const Vars& x) { return scg::reshape(x[0], 2, 6); },
       [](const Tensors& x) { return row_major_reshape(x[0], 2, 6); }},
      {"reshape 3x4 to 12x1 (a column)", {{3, 4, A}}, [](const Vars& x) { return scg::reshape(x[0], 12, 1); },
       [](const Tensors& x) { return row_major_reshape(x[0], 12, 1); }},
      {"reshape 2x6 to 4x3 of a product (not a leaf)", {{2, 6, A}},
       [](const Vars& x) { return scg::reshape(x[0] * x[0], 4, 3); },
       [](const Tensors& x) { return row_major_reshape(map2(x[0], x[0], [](LD a, LD b) { return a * b; }), 4, 3); }},
      {"slice_rows 1+2 of 4x3", {{4, 3, A}}, [](const Vars& x) { return scg::slice_rows(x[0], 1, 2); },
       [](const Tensors& x) { return block(x[0], 1, 0, 2, 3); }},
      {"slice_cols 2+2 of 3x4", {{3, 4, A}}, [](const Vars& x) { return scg::slice_cols(x[0], 2, 2); },
       [](const Tensors& x) { return block(x[0], 0, 2, 3, 2); }},
      {"gather_rows 5 of a 4x3 table (repeats)", {{4, 3, A}}, [](const Vars& x) { return scg::gather_rows(x[0], x[0].graph().constant(indices())); },
       [](const Tensors& x) { return gathered(x[0], indices()); }},
      {"scatter_rows 5x3 into 5 rows (sums, row 4 empty)", {{5, 3, A}},
       [](const Vars& x) { return scg::scatter_rows(x[0], x[0].graph().constant(indices()), 5); },
       [](const Tensors& x) {
         scg::Tensor out(5, 3);
         for (Eigen::Index i = 0; i < 5; ++i)
           for (Eigen::Index c = 0; c < 3; ++c) out(static_cast<Eigen::Index>(indices()(i, 0)), c) += x[0](i, c);
         return out;
       }},
      {"product_sum of three 3-row tables into 4 columns", {{3, 2, A}, {3, 3, A}, {3, 6, A}},
       [](const Vars& x) { return scg::product_sum({x[0], x[1], x[2]}, ps_index(), ps_out(), 4); },
       [](const Tensors& x) { return product_sum_ref(x, ps_index(), ps_out(), 4); }},
      {"product_sum of 1-row tables (the scalar loop)", {{1, 2, A}, {1, 3, A}, {1, 6, A}},
       [](const Vars& x) { return scg::product_sum({x[0], x[1], x[2]}, ps_index(), ps_out(), 4); },
       [](const Tensors& x) { return product_sum_ref(x, ps_index(), ps_out(), 4); }},
      {"product_sum of one table (columns gathered and summed)", {{3, 6, A}},
       [](const Vars& x) { return scg::product_sum({x[0]}, {ps_index()[2]}, ps_out(), 4); },
       [](const Tensors& x) { return product_sum_ref(x, {ps_index()[2]}, ps_out(), 4); }},
      {"product_sum of five tables (any count)", {{2, 2, A}, {2, 3, A}, {2, 6, A}, {2, 2, A}, {2, 3, A}},
       [](const Vars& x) {
         const Index i{ps_index()[0], ps_index()[1], ps_index()[2], ps_index()[0], ps_index()[1]};
         return scg::product_sum({x[0], x[1], x[2], x[3], x[4]}, i, ps_out(), 3);
       },
       [](const Tensors& x) {
         return product_sum_ref(x, {ps_index()[0], ps_index()[1], ps_index()[2], ps_index()[0], ps_index()[1]},
                                ps_out(), 3);
       }},
      // (into 3 columns: every column written; the log of an empty sum would be -inf)
      {"log_product_sum of three 3-row log-tables into 3 columns", {{3, 2, L}, {3, 3, L}, {3, 6, L}},
       [](const Vars& x) { return scg::log_product_sum({x[0], x[1], x[2]}, ps_index(), ps_out(), 3); },
       [](const Tensors& x) { return log_product_sum_ref(x, ps_index(), ps_out(), 3); }},
      {"log_product_sum of 1-row log-tables", {{1, 2, A}, {1, 3, A}, {1, 6, A}},
       [](const Vars& x) { return scg::log_product_sum({x[0], x[1], x[2]}, ps_index(), ps_out(), 3); },
       [](const Tensors& x) { return log_product_sum_ref(x, ps_index(), ps_out(), 3); }},
      {"log_product_sum of one log-table", {{2, 6, A}},
       [](const Vars& x) { return scg::log_product_sum({x[0]}, {ps_index()[2]}, ps_out(), 3); },
       [](const Tensors& x) { return log_product_sum_ref(x, {ps_index()[2]}, ps_out(), 3); }},
      {"gather_sum of three 3-row tables", {{3, 2, A}, {3, 3, A}, {3, 6, A}},
       [](const Vars& x) { return scg::gather_sum({x[0], x[1], x[2]}, ps_index()); },
       [](const Tensors& x) { return gather_sum_ref(x, ps_index()); }},
      {"one_hot times x", {{5, 4, A}}, [](const Vars& x) { return scg::one_hot(x[0].graph().constant(indices()), 4) * x[0]; },
       [](const Tensors& x) { return map2(gathered(identity(4), indices()), x[0], [](LD a, LD b) { return a * b; }); }},
      {"pair_mix of 4x3", {{4, 3, A}}, [](const Vars& x) { return scg::pair_mix(x[0], 0.5, -1.5, 2.0, 0.25); },
       [](const Tensors& x) {
         scg::Tensor out(4, 3);
         for (Eigen::Index r = 0; r < 4; r += 2)
           for (Eigen::Index c = 0; c < 3; ++c) {
             out(r, c) = static_cast<double>(0.5L * x[0](r, c) - 1.5L * x[0](r + 1, c));
             out(r + 1, c) = static_cast<double>(2.0L * x[0](r, c) + 0.25L * x[0](r + 1, c));
           }
         return out;
       }},
      // ---- broadcasting and its inverse ----
      {"broadcast_to 1x4->3x4", {{1, 4, A}}, [](const Vars& x) { return scg::broadcast_to(x[0], {3, 4}); },
       [](const Tensors& x) { return stretched(x[0], {3, 4}); }},
      {"broadcast_to 3x1->3x4", {{3, 1, A}}, [](const Vars& x) { return scg::broadcast_to(x[0], {3, 4}); },
       [](const Tensors& x) { return stretched(x[0], {3, 4}); }},
      {"broadcast_to 1x1->3x4", {{1, 1, A}}, [](const Vars& x) { return scg::broadcast_to(x[0], {3, 4}); },
       [](const Tensors& x) { return stretched(x[0], {3, 4}); }},
      {"broadcast_to 3x4->3x4", {{3, 4, A}}, [](const Vars& x) { return scg::broadcast_to(x[0], {3, 4}); },
       [](const Tensors& x) { return x[0]; }},
      {"sum_to 3x4->1x4", {{3, 4, A}}, [](const Vars& x) { return scg::sum_to(x[0], {1, 4}); }, [](const Tensors& x) { return sum_axis(x[0], 0); }},
      {"sum_to 3x4->3x1", {{3, 4, A}}, [](const Vars& x) { return scg::sum_to(x[0], {3, 1}); }, [](const Tensors& x) { return sum_axis(x[0], 1); }},
      {"sum_to 3x4->1x1", {{3, 4, A}}, [](const Vars& x) { return scg::sum_to(x[0], {1, 1}); }, [](const Tensors& x) { return sum_axis(x[0], -1); }},
      {"sum_to 1x4->1x1", {{1, 4, A}}, [](const Vars& x) { return scg::sum_to(x[0], {1, 1}); }, [](const Tensors& x) { return sum_axis(x[0], -1); }},
      // ---- compositions (gradient rules feeding each other, accumulation over paths) ----
      {"layer: log_softmax(tanh(x W + b))", {{3, 2, A}, {2, 4, A}, {1, 4, A}},
       [](const Vars& x) { return scg::log_softmax(scg::tanh(scg::matmul(x[0], x[1]) + x[2])); },
       [](const Tensors& x) {
         return row_log_softmax(map1(map2(product(x[0], x[1]), x[2], [](LD a, LD b) { return a + b; }),
                                     [](LD a) { return std::tanh(a); }));
       }},
      {"exp x / rowsum(exp x)", {{3, 4, A}}, [](const Vars& x) { return scg::exp(x[0]) / scg::sum(scg::exp(x[0]), 1); },
       [](const Tensors& x) { return row_softmax(x[0]); }},
      {"sqrt(x^2 + 1) * sigmoid(x)", {{3, 4, A}}, [](const Vars& x) { return scg::sqrt(scg::square(x[0]) + 1.0) * scg::sigmoid(x[0]); },
       ew1([](LD a) { return std::sqrt(a * a + 1) * sigmoid(a); }), kAlso1x1},
      {"softplus(x) + log_sigmoid(-x) (= 0)", {{3, 4, L}}, [](const Vars& x) { return scg::softplus(x[0]) + scg::log_sigmoid(-x[0]); },
       ew1([](LD) { return 0.0L; }), kAlso1x1},
      {"x - mean(x, 0) - mean(x) (broadcast)", {{3, 4, A}}, [](const Vars& x) { return x[0] - scg::mean(x[0], 0) - scg::mean(x[0]); },
       [](const Tensors& x) {
         const scg::Tensor m0 = scale(sum_axis(x[0], 0), 1.0L / 3), m = scale(sum_axis(x[0], -1), 1.0L / 12);
         return map2(map2(x[0], m0, [](LD a, LD b) { return a - b; }), m, [](LD a, LD b) { return a - b; });
       }},
  };
  return specs;
}

#undef SCG_BIN
#undef SCG_BIN_REF

/// The spec's inputs, each made 1x1 (for the scalar path).
inline std::vector<Input> as_1x1(std::vector<Input> in) {
  for (Input& i : in) i.rows = i.cols = 1;
  return in;
}

}  // namespace op_specs
