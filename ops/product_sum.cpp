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
//
// log_product_sum(log_tables, index, out_index, cols): the same in log space, stably: column o
// of the result is log sum_{s: out_index[s] = o} exp(sum_i log_tables[i].col(index[i][s])),
// each row shifted by its largest exponent before exp, so products of many tiny factors
// (likelihoods) neither underflow nor overflow. d/dlog_tables[j] scatters g[o(s)] P(s) through
// index[j], with P(s) = exp(S(s) - out[o(s)]) (the weight of joint state s in its sum): built
// from gather_sum, exp and product_sum, so it differentiates again.
//
// gather_sum(tables, index): column s of the result is sum_i tables[i].col(index[i][s]); linear,
// d/dtables[j] = g's columns added back through index[j] (a product_sum of one table).
//
// detail::log_max_sum(log_tables, index, out_index, cols): column o of the result is the largest
// sum_i log_tables[i].col(index[i][s]) over s with out_index[s] = o (max-sum elimination, for the
// posterior mode), and column cols + o, per row, the rank of the first s attaining it among the
// s mapped to o (in an elimination step: the eliminated variable's state), so a traceback reads
// its argmax there instead of summing the tables again. Piecewise linear, used where no
// derivative is taken: none flows through it.
//
// The four are one op class, ContractionOp<Combine>: the same members (index maps, output map,
// columns, bounds) and shape rule; the kernel and the derivative chosen by what they combine.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "scg/ops/detail/contraction.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/detail/vec4.hpp"

namespace scg {
namespace {
using detail::load4;
using detail::store4;
using detail::V4;
using Map = std::shared_ptr<const std::vector<std::uint32_t>>;

/// The maps' largest entries (for shape checks).
std::vector<std::size_t> bounds_of(const std::vector<Map>& maps) {
  std::vector<std::size_t> b;
  for (const Map& m : maps) b.push_back(m->empty() ? 0 : *std::max_element(m->begin(), m->end()));
  return b;
}

/// Checks operand shapes against the maps: equal row counts, map entries within the columns.
void check_tables(const std::string& op, std::span<const Shape> in,
                  const std::vector<std::size_t>& bounds, const std::vector<Map>& maps) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i].rows != in[0].rows)
      shape_error(op, in, "every table must have the same number of rows");
    if (!maps[i]->empty() && bounds[i] >= static_cast<std::size_t>(in[i].cols))
      shape_error(op, in,
                  "index " + std::to_string(i) + " names column " + std::to_string(bounds[i]) +
                      " of table " + std::to_string(i));
  }
}

Map identity_map(std::size_t n) {
  auto m = std::make_shared<std::vector<std::uint32_t>>(n);
  for (std::size_t s = 0; s < n; ++s) (*m)[s] = static_cast<std::uint32_t>(s);
  return m;
}

/// What a contraction combines: the aligned columns' product summed into the output columns
/// (product_sum), their sum (gather_sum: one output column per joint state, no output map), the
/// log of the summed exp of their sums (log_product_sum), or the largest sum (log_max_sum).
enum class Combine { kProduct, kSum, kLogProduct, kLogMax };

/// Column s of g added into column through[s] of a cols-column result.
Var scatter(const Var& g, const Map& through, Eigen::Index cols);

/// f(std::integral_constant<std::size_t, N>) for N the operand count up to 4, else N = 0 (any
/// count): kernels whose loops over operands unroll at compile time.
template <class F>
void by_arity(std::size_t operands, F&& f) {
  switch (operands) {
    case 1:
      return f(std::integral_constant<std::size_t, 1>{});
    case 2:
      return f(std::integral_constant<std::size_t, 2>{});
    case 3:
      return f(std::integral_constant<std::size_t, 3>{});
    case 4:
      return f(std::integral_constant<std::size_t, 4>{});
    default:
      return f(std::integral_constant<std::size_t, 0>{});
  }
}

/// Column s of dst (rows x n) = sum_i column maps[i][s] of in[i]: gather_sum's value, and the
/// exponents of log_product_sum. Four rows at a time in vector registers (N operands, 0: any).
template <std::size_t N>
void gather_sum_n(std::span<const Tensor* const> in, const std::vector<Map>& maps,
                  Eigen::Index rows, double* dst) {
  const std::size_t m = N ? N : in.size();
  for (std::size_t s = 0; s < maps[0]->size(); ++s) {
    std::array<const double*, N ? N : 1> c{};
    for (std::size_t i = 0; N != 0 && i < N; ++i) c[i] = in[i]->data() + (*maps[i])[s] * rows;
    double* const to = dst + static_cast<Eigen::Index>(s) * rows;
    Eigen::Index r = 0;
    if constexpr (N != 0) {
      for (; r + 4 <= rows; r += 4) {
        V4 x = load4(c[0] + r);
        for (std::size_t i = 1; i < N; ++i) x += load4(c[i] + r);
        store4(to + r, x);
      }
    }
    for (; r < rows; ++r) {
      double x = in[0]->data()[(*maps[0])[s] * rows + r];
      for (std::size_t i = 1; i < m; ++i) x += in[i]->data()[(*maps[i])[s] * rows + r];
      to[r] = x;
    }
  }
}

void gather_sum_into(std::span<const Tensor* const> in, const std::vector<Map>& maps,
                     Eigen::Index rows, double* dst) {
  by_arity(in.size(), [&](auto n) { gather_sum_n<decltype(n)::value>(in, maps, rows, dst); });
}

/// The contractions: the same members (the tables' index maps, the output map and
/// column count, the maps' bounds) and shape rule (the tables' rows by cols, every map entry
/// within its table), the kernel and the derivative by what they combine.
template <Combine C>
class ContractionOp final : public Op {
 public:
  ContractionOp(std::vector<Map> maps, Map out_map, Eigen::Index cols)
      : Op(C == Combine::kProduct ? detail::traits(RowLocality::kAll, CostTerms::kScaledOperand)
           : C == Combine::kSum   ? detail::traits(RowLocality::kAll, CostTerms::kSumOfOperands)
                                  : detail::traits(RowLocality::kAll)),
        maps_(std::move(maps)),
        out_(std::move(out_map)),
        cols_(cols),
        bounds_(bounds_of(maps_)) {
    group_by_output();
  }
  std::string name() const override {
    return C == Combine::kProduct      ? "product_sum"
           : C == Combine::kSum        ? "gather_sum"
           : C == Combine::kLogProduct ? "log_product_sum"
                                       : "log_max_sum";
  }
  Shape infer(std::span<const Shape> in) const override {
    check_tables(name(), in, bounds_, maps_);
    return {in[0].rows, C == Combine::kLogMax ? 2 * cols_ : cols_};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    if constexpr (C == Combine::kProduct)
      product_forward(in, out);
    else if constexpr (C == Combine::kSum)
      gather_sum_into(in, maps_, out.rows(), out.data());
    else if constexpr (C == Combine::kLogProduct)
      log_forward(in, out);
    else
      max_forward(in, out);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char> needed) const override {
    if constexpr (C == Combine::kProduct) {
      return product_backward(in, g, needed);
    } else if constexpr (C == Combine::kSum) {
      std::vector<Var> d(in.size());
      for (std::size_t j = 0; j < in.size(); ++j)
        if (needed[j]) d[j] = scatter(g, maps_[j], in[j].cols());
      return d;
    } else if constexpr (C == Combine::kLogProduct) {
      return log_backward(in, out, g, needed);
    } else {
      return std::vector<Var>(in.size());  // log_max_sum: no derivative (see the file comment)
    }
  }

 private:
  void product_forward(std::span<const Tensor* const> in, Tensor& out) const {
    out.matrix().setZero();  // one fused expression per operand count
    by_arity(in.size(), [&](auto n) { run<decltype(n)::value>(in, out); });
  }
  std::vector<Var> product_backward(std::span<const Var> in, const Var& g,
                                    std::span<const char> needed) const {
    std::vector<Var> d(in.size());
    for (std::size_t j = 0; j < in.size(); ++j) {
      if (!needed[j]) continue;
      std::vector<Var> tables{g};
      std::vector<Map> maps{out_};
      for (std::size_t i = 0; i < in.size(); ++i)
        if (i != j) tables.push_back(in[i]), maps.push_back(maps_[i]);
      d[j] = g.graph().apply(std::make_shared<const ContractionOp<Combine::kProduct>>(
                                 std::move(maps), maps_[j], in[j].cols()),
                             tables);
    }
    return d;
  }
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
      // Four rows at a time in vector registers (a per-column Eigen expression costs more than
      // the 16 or so rows of a plate), the rest one by one.
      for (std::size_t s = 0; s < n; ++s) {
        double* const to = out.data() + o[s] * rows;
        std::array<const double*, N> c;
        for (std::size_t i = 0; i < N; ++i) c[i] = src[i] + idx[i][s] * rows;
        Eigen::Index r = 0;
        for (; r + 4 <= rows; r += 4) {
          V4 p = load4(c[0] + r);
          for (std::size_t i = 1; i < N; ++i) p *= load4(c[i] + r);
          store4(to + r, load4(to + r) + p);
        }
        for (; r < rows; ++r) {
          double p = c[0][r];
          for (std::size_t i = 1; i < N; ++i) p *= c[i][r];
          to[r] += p;
        }
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
  /// log_max_sum: per output column o and row, the largest sum over the joint states s mapped
  /// to o, and the rank of the first s attaining it among them (strict >, s ascending); a
  /// column whose sums are all -inf (or NaN) keeps -inf and rank 0.
  void max_forward(std::span<const Tensor* const> in, Tensor& out) const {
    by_arity(in.size(), [&](auto n) { max_run<decltype(n)::value>(in, out); });
  }
  /// N operands (0: any number). Output column by output column, over the joint states mapped
  /// to it (by_out_), the running maximum and its rank held in registers, four rows at a time,
  /// each output written once. Written with the compiler's vector types (GCC and Clang; split
  /// into halves without AVX): Eigen 3.4's select is not vectorized, and a plain loop's
  /// conditional update compiles to a masked store (slow on some x86 cores) or stays scalar.
  template <std::size_t N>
  void max_run(std::span<const Tensor* const> in, Tensor& out) const {
    const std::size_t m = N ? N : in.size();
    const Eigen::Index rows = out.rows();
    double* const best = out.data();
    double* const arg = out.data() + rows * cols_;
    std::array<const double*, N ? N : 1> src{};
    std::array<const std::uint32_t*, N ? N : 1> idx{};
    for (std::size_t i = 0; N != 0 && i < N; ++i) src[i] = in[i]->data(), idx[i] = maps_[i]->data();
    const auto sum_at = [&](std::size_t s, Eigen::Index r) {  // one row's sum at joint state s
      if constexpr (N != 0) {
        double x = src[0][idx[0][s] * rows + r];
        for (std::size_t i = 1; i < N; ++i) x += src[i][idx[i][s] * rows + r];
        return x;
      } else {
        double x = in[0]->data()[(*maps_[0])[s] * rows + r];
        for (std::size_t i = 1; i < m; ++i) x += in[i]->data()[(*maps_[i])[s] * rows + r];
        return x;
      }
    };
    constexpr double kLow = -std::numeric_limits<double>::infinity();
    // The operands' columns for each joint state in by_out_ order, found once per run (a
    // per-thread scratch grown once): the loops below only load through them.
    thread_local std::vector<const double*> col_ptr;
    if constexpr (N != 0) {
      if (col_ptr.size() < by_out_.size() * N) col_ptr.resize(by_out_.size() * N);
      for (std::size_t q = 0; q < by_out_.size(); ++q)
        for (std::size_t i = 0; i < N; ++i) col_ptr[q * N + i] = src[i] + idx[i][by_out_[q]] * rows;
    }
    for (Eigen::Index o = 0; o < cols_; ++o) {
      const std::uint32_t* const states = by_out_.data() + by_out_start_[o];
      const std::uint32_t count = by_out_start_[o + 1] - by_out_start_[o];
      double* const b = best + o * rows;
      double* const a = arg + o * rows;
      Eigen::Index r = 0;
      if constexpr (N != 0) {
        const double* const* const cols = col_ptr.data() + by_out_start_[o] * N;
        for (; r + 4 <= rows; r += 4) {
          V4 top = detail::splat4(kLow), at = detail::splat4(0), rank = detail::splat4(0);
          const V4 one = detail::splat4(1);
          for (std::uint32_t q = 0; q < count; ++q, rank += one) {
            const double* const* const c = cols + q * N;
            V4 x = load4(c[0] + r);
            for (std::size_t i = 1; i < N; ++i) x += load4(c[i] + r);
            const auto gt = x > top;
            top = gt ? x : top;
            at = gt ? rank : at;
          }
          store4(b + r, top);
          store4(a + r, at);
        }
      }
      for (; r < rows; ++r) {  // the rows left (all of them for N = 0)
        double top = kLow, at = 0;
        for (std::uint32_t q = 0; q < count; ++q) {
          const double x = sum_at(states[q], r);
          if (x > top) top = x, at = q;
        }
        b[r] = top, a[r] = at;
      }
    }
  }
  /// log_product_sum.
  void log_forward(std::span<const Tensor* const> in, Tensor& out) const {
    // The exponents S (rows x n) and the shifts (rows x cols) in a per-thread scratch (grown,
    // never shrunk: no allocation once warm), then each output column's shifted sum.
    const Eigen::Index rows = out.rows(), n = static_cast<Eigen::Index>(out_->size());
    thread_local std::vector<double> scratch;
    const auto need = static_cast<std::size_t>(rows * (n + cols_));
    if (scratch.size() < need) scratch.resize(need);
    Eigen::Map<Eigen::ArrayXXd> S(scratch.data(), rows, n),
        shift(scratch.data() + rows * n, rows, cols_);
    gather_sum_into(in, maps_, rows, S.data());
    auto o = out.matrix().array();
    o.setConstant(-std::numeric_limits<double>::infinity());
    // Column by column with rows in vector registers (per-column Eigen expressions cost more
    // than their 16 or so rows here), the exps in one Eigen pass over S.
    const auto each_state = [&](auto&& f) {  // f(column of S, column of out, rows)
      for (Eigen::Index s = 0; s < n; ++s)
        f(S.data() + s * rows, o.data() + static_cast<Eigen::Index>((*out_)[s]) * rows);
    };
    each_state([&](double* x, double* to) {  // the largest exponent
      Eigen::Index r = 0;
      for (; r + 4 <= rows; r += 4) {
        const V4 a = load4(x + r), b = load4(to + r);
        store4(to + r, a > b ? a : b);
      }
      for (; r < rows; ++r) to[r] = x[r] > to[r] ? x[r] : to[r];
    });
    shift = o.isFinite().select(o, 0.0);    // the largest exponent; 0 where every term is 0 (-inf)
    for (Eigen::Index s = 0; s < n; ++s) {  // S - its column's shift, then exp of all at once
      double* const x = S.data() + s * rows;
      const double* const m = shift.data() + static_cast<Eigen::Index>((*out_)[s]) * rows;
      Eigen::Index r = 0;
      for (; r + 4 <= rows; r += 4) store4(x + r, load4(x + r) - load4(m + r));
      for (; r < rows; ++r) x[r] -= m[r];
    }
    S = S.exp();
    o.setZero();
    each_state([&](double* x, double* to) {
      Eigen::Index r = 0;
      for (; r + 4 <= rows; r += 4) store4(to + r, load4(to + r) + load4(x + r));
      for (; r < rows; ++r) to[r] += x[r];
    });
    o = o.log() + shift;
  }
  std::vector<Var> log_backward(std::span<const Var> in, const Var& out, const Var& g,
                                std::span<const char> needed) const {
    // P(s) = exp(S(s) - out[o(s)]); d/dL_j = scatter of g[o(s)] P(s) through index[j].
    std::vector<Var> tables(in.begin(), in.end());
    tables.push_back(-out);
    std::vector<Map> maps = maps_;
    maps.push_back(out_);
    Graph& graph = g.graph();
    const Var p =
        exp(graph.apply(std::make_shared<const ContractionOp<Combine::kSum>>(
                            std::move(maps), Map(), static_cast<Eigen::Index>(out_->size())),
                        tables));
    const Map id = identity_map(out_->size());
    const Var w =
        graph.apply(std::make_shared<const ContractionOp<Combine::kProduct>>(
                        std::vector<Map>{out_, id}, id, static_cast<Eigen::Index>(out_->size())),
                    {g, p});
    std::vector<Var> d(in.size());
    for (std::size_t j = 0; j < in.size(); ++j)
      if (needed[j]) d[j] = scatter(w, maps_[j], in[j].cols());
    return d;
  }

  /// log_max_sum: the joint states by output column, ascending (by_out_ holds those of column
  /// o from by_out_start_[o] to by_out_start_[o + 1]); the rank of a state there is, in an
  /// elimination step's layout, the eliminated variable's state.
  void group_by_output() {
    if (C != Combine::kLogMax) return;
    by_out_start_.assign(static_cast<std::size_t>(cols_) + 1, 0);
    for (std::uint32_t o : *out_) ++by_out_start_[o + 1];
    for (std::size_t c = 0; c < static_cast<std::size_t>(cols_); ++c)
      by_out_start_[c + 1] += by_out_start_[c];
    by_out_.resize(out_->size());
    std::vector<std::uint32_t> next(by_out_start_.begin(), by_out_start_.end() - 1);
    for (std::size_t s = 0; s < out_->size(); ++s)
      by_out_[next[(*out_)[s]]++] = static_cast<std::uint32_t>(s);
  }

  std::vector<Map> maps_;
  Map out_;  // empty for gather_sum (column s is joint state s)
  Eigen::Index cols_;
  std::vector<std::size_t> bounds_;                   // the largest entry of each map
  std::vector<std::uint32_t> by_out_, by_out_start_;  // log_max_sum only: group_by_output()
};

Var scatter(const Var& g, const Map& through, Eigen::Index cols) {
  return g.graph().apply(std::make_shared<const ContractionOp<Combine::kProduct>>(
                             std::vector<Map>{identity_map(through->size())}, through, cols),
                         {g});
}

/// The map `what` of `fn` (entries in [0, limit), columns of `of`), checked.
Map to_map(const char* fn, const std::vector<Eigen::Index>& v, Eigen::Index limit,
           const std::string& what, const std::string& of) {
  auto m = std::make_shared<std::vector<std::uint32_t>>(v.size());
  for (std::size_t s = 0; s < v.size(); ++s) {
    if (v[s] < 0 || v[s] >= limit || v[s] > static_cast<Eigen::Index>(UINT32_MAX))
      throw Error(std::string(fn) + ": " + what + "[" + std::to_string(s) + "] is " +
                  std::to_string(v[s]) + "; " + of + " has columns 0.." +
                  std::to_string(limit - 1));
    (*m)[s] = static_cast<std::uint32_t>(v[s]);
  }
  return m;
}

/// The tables' index maps, checked: one list per table, each with n entries.
std::vector<Map> table_maps(const char* fn, const std::vector<Var>& tables,
                            const std::vector<std::vector<Eigen::Index>>& index, std::size_t n) {
  if (tables.empty()) throw Error(std::string(fn) + ": no tables");
  if (index.size() != tables.size())
    throw Error(std::string(fn) + ": " + std::to_string(tables.size()) + " tables but " +
                std::to_string(index.size()) + " index lists (one per table)");
  std::vector<Map> maps;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].empty())
      throw Error(std::string(fn) + ": table " + std::to_string(i) + " is an empty Var");
    if (index[i].size() != n)
      throw Error(std::string(fn) + ": index[" + std::to_string(i) + "] has " +
                  std::to_string(index[i].size()) + " entries, " +
                  (index[0].size() == n ? "index[0] " : "out_index ") + std::to_string(n) +
                  " (one per joint state)");
    maps.push_back(to_map(fn, index[i], tables[i].cols(), "index[" + std::to_string(i) + "]",
                          tables[i].describe()));
  }
  return maps;
}

template <Combine C>
Var contraction(const char* fn, const std::vector<Var>& tables,
                const std::vector<std::vector<Eigen::Index>>& index,
                const std::vector<Eigen::Index>& out_index, Eigen::Index cols) {
  std::vector<Map> maps = table_maps(fn, tables, index, out_index.size());
  if (cols < 1)
    throw Error(std::string(fn) + ": cols must be at least 1, not " + std::to_string(cols));
  Map out =
      to_map(fn, out_index, cols, "out_index", "the " + std::to_string(cols) + "-column result");
  return detail::make<ContractionOp<C>>(tables, std::move(maps), std::move(out), cols);
}
}  // namespace

Var product_sum(const std::vector<Var>& tables, const std::vector<std::vector<Eigen::Index>>& index,
                const std::vector<Eigen::Index>& out_index, Eigen::Index cols) {
  return contraction<Combine::kProduct>("product_sum", tables, index, out_index, cols);
}

Var log_product_sum(const std::vector<Var>& log_tables,
                    const std::vector<std::vector<Eigen::Index>>& index,
                    const std::vector<Eigen::Index>& out_index, Eigen::Index cols) {
  return contraction<Combine::kLogProduct>("log_product_sum", log_tables, index, out_index, cols);
}

Var detail::log_max_sum(const std::vector<Var>& log_tables,
                        const std::vector<std::vector<Eigen::Index>>& index,
                        const std::vector<Eigen::Index>& out_index, Eigen::Index cols) {
  return contraction<Combine::kLogMax>("log_max_sum", log_tables, index, out_index, cols);
}

Var gather_sum(const std::vector<Var>& tables,
               const std::vector<std::vector<Eigen::Index>>& index) {
  const std::size_t n = index.empty() ? 0 : index[0].size();
  std::vector<Map> maps = table_maps("gather_sum", tables, index, n);
  if (n == 0)
    throw Error("gather_sum: the index lists are empty (the result would have no columns)");
  const auto cols = static_cast<Eigen::Index>(n);
  return detail::make<ContractionOp<Combine::kSum>>(tables, std::move(maps), Map(), cols);
}
}  // namespace scg
