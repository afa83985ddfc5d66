// max_product_mode: expectation's factors and plan run in the max-sum semiring (log-tables;
// a step adds the aligned tables and takes the largest sum over its variable), then the plan
// walked backwards: each step's variable takes the state of the largest sum of its bucket's
// tables given the states of the later variables of its scope (the lowest state on exact
// ties, per plate row when plated). A step is ops/product_sum.cpp's log_max_sum, which records
// that argmax beside each maximum, so the traceback reads it: O(rows) per step.
// forward_filter_backward_sample: the same walk over the log-sum-exp semiring's steps
// (log_product_sum, the forward filter): each step's variable is drawn from its bucket's
// sums given the later variables' states (one uniform per plate row from the session's
// engine), an exact joint draw. The ops here are piecewise constant: no gradient.
#include "scg/stochastic/expectation/detail/max_product.hpp"

#include <algorithm>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "scg/core/distribution.hpp"
#include "scg/ops/detail/contraction.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/expectation/detail/eliminator.hpp"
#include "scg/stochastic/expectation/detail/tables.hpp"
#include "scg/stochastic/expectation/detail/terms.hpp"

namespace scg::detail {
namespace {
using Map = std::vector<std::uint32_t>;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

Map to_map(const std::vector<Eigen::Index>& v) { return Map(v.begin(), v.end()); }

/// Throws unless every table has the rows of the first, and every state operand after them
/// those rows or one (a global variable's state, read by every row).
void check_rows(const std::string& op, std::span<const Shape> in, std::size_t tables) {
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i].rows != in[0].rows && (i < tables || in[i].rows != 1))
      shape_error(op, in, "every table must have the rows of the first, every state those or one");
}

/// How a decoding step picks its variable's state.
enum class Pick {
  kArgmax,  ///< the largest sum, the lowest state on exact ties (recorded by log_max_sum)
  kSample,  ///< state k with probability exp(x_k) / sum_j exp(x_j) (log-sum-exp tables)
};

OpTraits sample_traits() {
  OpTraits t;
  t.random = true;  // a draw per run: two never merge
  return t;
}

/// k with probability exp(x_k - max) / sum_j exp(x_j - max), by one uniform u: the first k
/// whose cumulative weight exceeds u times the total. States at the maximum weigh 1 exactly
/// (so all -inf, or some +inf, draw uniformly among those at the maximum).
std::size_t draw(std::span<double> x, double u) {
  double m = kNegInf;
  for (double v : x) m = std::max(m, v);
  double total = 0.0;
  for (double& v : x) total += (v = v == m ? 1.0 : std::exp(v - m));
  const double t = u * total;
  double cum = 0.0;
  std::size_t last = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (x[k] > 0.0) last = k;
    cum += x[k];
    if (t < cum) return k;
  }
  return last;  // rounding: the last state of positive weight
}

/// Row r's state index in a state operand (rows x 1, or 1 x 1 for a global variable).
std::size_t state_at(const Tensor& states, Eigen::Index r) {
  // Through a signed integer: one conversion instruction (a state index is far below 2^63).
  return static_cast<std::size_t>(
      static_cast<std::int64_t>(states.data()[states.rows() == 1 ? 0 : r]));
}

/// Per row, the joint state of the step's scope with its variable (at `at`) at state 0, from
/// the state operands in[first..] (the other variables in scope order); *stride: the variable's
/// stride in the joint index.
std::size_t base_state(std::span<const Tensor* const> in, std::size_t first,
                       const std::vector<std::size_t>& radix, std::size_t at, Eigen::Index r,
                       std::size_t* at_stride) {
  std::size_t base = 0, stride = 1;
  for (std::size_t j = 0, operand = first; j < radix.size(); ++j) {
    if (j == at)
      *at_stride = stride;
    else
      base += state_at(*in[operand++], r) * stride;
    stride *= radix[j];
  }
  return base;
}

/// One step of the traceback of the mode: operands the step's log_max_sum (maxima, then the
/// state of the step's variable attaining each), then the states (rows x 1 state indices) of
/// the step's other variables in scope order; per row, the recorded state at the others'
/// states (the lowest on exact ties, as log_max_sum records the first).
class ArgmaxStepOp final : public Op {
 public:
  /// radix: the state counts of the step's scope; at: the position of its variable there.
  ArgmaxStepOp(const std::vector<std::size_t>& radix, std::size_t at) {
    std::size_t stride = 1;  // the contraction's output column: the others' joint state
    for (std::size_t j = 0; j < radix.size(); ++j)
      if (j != at) strides_.push_back(stride), stride *= radix[j];
  }
  std::string name() const override { return "argmax_step"; }
  Shape infer(std::span<const Shape> in) const override {
    check_rows(name(), in, 1);
    return {in[0].rows, 1};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Eigen::Index rows = out.rows();
    const double* const arg = in[0]->data() + rows * (in[0]->cols() / 2);  // the argmax half
    double* const to = out.data();
    if (strides_.size() == 1 && in[1]->rows() == rows) {  // one later variable, per row (a chain)
      const double* const k = in[1]->data();
      const auto stride = static_cast<Eigen::Index>(strides_[0]) * rows;
      for (Eigen::Index r = 0; r < rows; ++r)
        to[r] = arg[static_cast<Eigen::Index>(k[r]) * stride + r];
      return;
    }
    for (Eigen::Index r = 0; r < rows; ++r) {
      std::size_t o = 0;
      for (std::size_t j = 0; j < strides_.size(); ++j) o += state_at(*in[j + 1], r) * strides_[j];
      to[r] = arg[static_cast<Eigen::Index>(o) * rows + r];
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  std::vector<std::size_t> strides_;  // per other variable, its stride in the output column
};

/// One step of the backward walk of a draw: operands the bucket's tables, then the states of
/// the step's other variables in scope order; per row, the sums x_k of the tables at the joint
/// state (the others', k) for every state k of the step's variable, and a state drawn from
/// them.
class SampleStepOp final : public Op {
 public:
  SampleStepOp(std::vector<Map> maps, std::vector<std::size_t> radix, std::size_t at)
      : Op(sample_traits()), maps_(std::move(maps)), radix_(std::move(radix)), at_(at) {}
  std::string name() const override { return "sample_step"; }
  Shape infer(std::span<const Shape> in) const override {
    check_rows(name(), in, maps_.size());
    return {in[0].rows, 1};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const Eigen::Index rows = out.rows();
    const std::size_t m = maps_.size();
    thread_local std::vector<double> x;  // grows to the largest state count once
    x.resize(radix_[at_]);
    boost::random::uniform_01<double> uniform;
    for (Eigen::Index r = 0; r < rows; ++r) {
      std::size_t at_stride = 1;
      const std::size_t base = base_state(in, m, radix_, at_, r, &at_stride);
      for (std::size_t k = 0; k < x.size(); ++k) {
        const std::size_t s = base + k * at_stride;
        x[k] = 0.0;
        for (std::size_t i = 0; i < m; ++i) x[k] += in[i]->data()[maps_[i][s] * rows + r];
      }
      out.data()[r] = static_cast<double>(draw(x, uniform(*ctx.engine)));
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  std::vector<Map> maps_;
  std::vector<std::size_t> radix_;
  std::size_t at_;
};

/// A choice's value from its state index: the node's joint state, or per row (plated) the
/// state of a one-row sample (from a table of a row's states when it is small: a categorical's
/// unit rows, a few bernoulli elements).
class StateValueOp final : public Op {
 public:
  StateValueOp(std::shared_ptr<const Op> dist, Shape shape, bool per_row)
      : dist_(std::move(dist)), shape_(shape), per_row_(per_row) {
    const auto& d = static_cast<const Distribution&>(*dist_);
    const double k = per_row ? d.state_count({1, shape.cols}) : 0.0;
    if (k < 1.0 || k * static_cast<double>(shape.cols) > kMaxTable) return;
    table_ = true;
    row_states_ = Tensor(static_cast<Eigen::Index>(k), shape.cols);
    Tensor unit(1, shape.cols);
    for (Eigen::Index i = 0; i < row_states_.rows(); ++i) {
      d.state(static_cast<std::size_t>(i), unit);
      row_states_.matrix().row(i) = unit.matrix().row(0);
    }
    unit_rows_ = row_states_.rows() == row_states_.cols() && row_states_.matrix().isIdentity(0.0);
  }
  std::string name() const override { return "choice_state"; }
  Shape infer(std::span<const Shape>) const override { return shape_; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& d = static_cast<const Distribution&>(*dist_);
    if (!per_row_) return d.state(static_cast<std::size_t>(in[0]->data()[0]), out);
    if (unit_rows_) {  // a categorical's one-hot rows: zeros, then a 1 per row
      out.matrix().setZero();
      const double* const k = in[0]->data();
      for (Eigen::Index r = 0; r < shape_.rows; ++r)
        out.data()[static_cast<Eigen::Index>(k[r]) * shape_.rows + r] = 1.0;
      return;
    }
    if (table_) {  // column by column: contiguous writes
      const double* const k = in[0]->data();
      const Eigen::Index n = row_states_.rows();
      for (Eigen::Index c = 0; c < shape_.cols; ++c) {
        const double* const from = row_states_.data() + c * n;
        double* const to = out.data() + c * shape_.rows;
        for (Eigen::Index r = 0; r < shape_.rows; ++r)
          to[r] = from[static_cast<Eigen::Index>(k[r])];
      }
      return;
    }
    thread_local Tensor unit;
    if (unit.rows() != 1 || unit.cols() != shape_.cols) unit = Tensor(1, shape_.cols);
    for (Eigen::Index r = 0; r < shape_.rows; ++r) {
      d.state(static_cast<std::size_t>(in[0]->data()[r]), unit);
      out.matrix().row(r) = unit.matrix().row(0);
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  static constexpr double kMaxTable = 4096;  // entries of row_states_ at most
  std::shared_ptr<const Op> dist_;
  Shape shape_;
  bool per_row_;
  bool table_ = false;      // row_states_ holds the states (else they are made per row)
  bool unit_rows_ = false;  // and they are the unit rows (state k: a 1 in column k)
  Tensor row_states_;       // row k: state k of a row
};

/// The elimination, keeping each step's bucket, alignment and contraction (before any
/// collapse of its rows).
struct Forward {
  std::vector<std::vector<Factor>> buckets;
  std::vector<Contraction> contractions;
  std::vector<Var> summed;
};

Forward eliminate_all(const EliminationPlan& plan, std::vector<Factor> factors, const Semiring& s,
                      const Tables& tables, const std::string& verb) {
  factors.resize(plan.scopes.size());
  Forward f;
  for (const EliminationStep& step : plan.steps) {
    tables.check_size(step.scope, verb + " " + tables.describe_variable(step.variable));
    f.contractions.push_back(tables.contraction(plan, step));
    f.buckets.emplace_back();
    for (std::size_t i : step.consumed) f.buckets.back().push_back(factors[i]);
    f.summed.emplace_back();
    factors[step.produced] =
        produce(plan, step, f.buckets.back(), f.contractions.back(), s, &f.summed.back());
  }
  return f;
}

/// Per variable, its state index (rows x 1), the steps walked backwards.
std::vector<Var> traceback(const EliminationPlan& plan, const Forward& f, Pick pick) {
  std::vector<Var> state(plan.states.size());
  for (std::size_t i = plan.steps.size(); i-- > 0;) {
    const EliminationStep& step = plan.steps[i];
    std::vector<Var> in;
    std::vector<Map> maps;
    if (pick == Pick::kArgmax) {
      in.push_back(f.summed[i]);
    } else {
      for (std::size_t j = 0; j < f.buckets[i].size(); ++j)
        if (!f.buckets[i][j].a.empty())
          in.push_back(f.buckets[i][j].a), maps.push_back(to_map(f.contractions[i].index[j]));
    }
    std::vector<std::size_t> radix;
    std::size_t at = 0;
    for (std::size_t j = 0; j < step.scope.size(); ++j) {
      radix.push_back(plan.states[step.scope[j]]);
      if (step.scope[j] == step.variable)
        at = j;
      else
        in.push_back(state[step.scope[j]]);
    }
    state[step.variable] = pick == Pick::kArgmax
                               ? make<ArgmaxStepOp>(in, radix, at)
                               : make<SampleStepOp>(in, std::move(maps), std::move(radix), at);
  }
  return state;
}

/// expectation's factors and plan for `cost` in semiring s, eliminated, then walked back
/// (`pick`); per choice, its value from its variable's state.
std::vector<Var> decode(const Var& cost, const std::vector<Var>& choices,
                        const ExpectationOptions& options, const Semiring& s, Pick pick) {
  const std::string who = pick == Pick::kArgmax ? "posterior_mode" : "posterior_sample";
  Graph& g = cost.graph();
  Tables tables(g, cost.id(), options);
  if (!tables.find_variables()) throw Error(who + ": log_weight reads no choice");
  const std::size_t root = g.inputs(cost.id())[0];
  const LinearTerms terms = linear_terms(g, cost.id(), root, tables.dependent(), tables.var_of());
  tables.find_regions(terms.nodes);
  std::vector<Factor> factors;
  for (std::size_t v = 0; v < tables.variables(); ++v)
    if (tables.reached(v)) factors.push_back(tables.choice_factor(v, s));
  for (std::size_t j = 0; j < terms.nodes.size(); ++j) {
    const Var w = terms.weights.empty() ? Var() : terms.weights[j];
    factors.push_back(tables.term_factor(j, terms.nodes[j], w, factors.size(), s));
  }
  std::vector<std::vector<std::size_t>> scopes;
  for (const Factor& f : factors) scopes.push_back(f.scope);
  const EliminationPlan plan =
      plan_elimination(tables.states(), std::move(scopes), tables.locals());
  const std::string verb = pick == Pick::kArgmax ? "maximizing over" : "summing out";
  const std::vector<Var> state =
      traceback(plan, eliminate_all(plan, std::move(factors), s, tables, verb), pick);
  std::vector<Var> out;
  for (const Var& c : choices) {
    const int v = c.id() < tables.var_of().size() ? tables.var_of()[c.id()] : -1;
    if (v < 0 || state[static_cast<std::size_t>(v)].empty())
      throw Error(who + ": " + c.describe() + " is not a choice of the model");
    out.push_back(make<StateValueOp>({state[static_cast<std::size_t>(v)]}, g.shared_op(c.id()),
                                     c.shape(), tables.plated()));
  }
  return out;
}

}  // namespace

std::vector<Var> max_product_mode(const Var& cost, const std::vector<Var>& choices,
                                  const ExpectationOptions& options) {
  return decode(cost, choices, options, LogSumExpSemiring(&log_max_sum), Pick::kArgmax);
}

std::vector<Var> forward_filter_backward_sample(const Var& cost, const std::vector<Var>& choices,
                                                const ExpectationOptions& options) {
  return decode(cost, choices, options, LogSumExpSemiring(), Pick::kSample);
}

}  // namespace scg::detail
