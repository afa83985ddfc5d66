// grad: the gradient of an expected cost as a graph transformation.
//
// 1. Dependency analysis: for every ancestor v of the cost and every score-function node s
//    (bernoulli, categorical) it depends on, whether the dependence is row-local (row i of v
//    depends on s only through row i of s) or full. Nodes built by an earlier grad
//    ("derived") already carry their score terms and count as depending on nothing.
// 2. Surrogate T(cost): through ops linear in their dependent operands (add, sub, neg, sum,
//    scaling by something independent of the choices, matmul by such a matrix, ...) the
//    transform recurses; at any other node v it returns v * box(tau_v), where
//    box(t) = magic_box(t) (DiCE's MagicBox exp(t - stop_gradient(t)) as one op: value 1,
//    derivative box dt; a plan never evaluates t for it) and
//    tau_v sums the log-probabilities of the choices v depends on: per row (rows x 1) for
//    row-local dependence, in total otherwise. So each choice is weighted only by the terms
//    and rows of the cost that depend on it.
// 3. Baselines add sum((1 - box(rho_s)) b_s) per node s (value 0, gradient -b_s dlog p).
// 4. Plain reverse mode of the surrogate gives the estimator; its nodes are derived.
#include "expected_grad.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "../core/error.hpp"
#include "../core/reverse.hpp"
#include "../ops/detail.hpp"
#include "distribution.hpp"

namespace scg {
namespace {

bool is_score_node(const Node& n) {
  if (n.kind != NodeKind::kOp) return false;
  const auto* op = dynamic_cast<const StochasticOp*>(n.op.get());
  return op && !op->reparameterized();
}

// Moving average of the mean of x over runs; outputs the average *before* this run's value
// is folded in (so it is independent of this run's sample). State: [sum of weights, average].
class MovingAverageOp final : public Op {
 public:
  explicit MovingAverageOp(double decay) : decay_(decay) {}
  std::string name() const override { return "moving_average"; }
  Shape infer(std::span<const Shape>) const override { return {1, 1}; }
  bool stateful() const override { return true; }
  Shape state_shape(const Shape&) const override { return {1, 2}; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) const override {
    Tensor& st = *ctx.state;
    const double weight = st(0, 0), avg = st(0, 1);
    out(0, 0) = weight > 0.0 ? avg / weight : 0.0;  // bias-corrected
    st(0, 0) = decay_ * weight + (1.0 - decay_);
    st(0, 1) = decay_ * avg + (1.0 - decay_) * in[0]->matrix().mean();
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&) const override {
    return {Var()};
  }

 private:
  double decay_;
};

// DiCE's MagicBox as one op: value 1 (the operand's value is never read, so a plan does not
// compute it), derivative box(t) dt, i.e. exactly exp(t - stop_gradient(t)) to every order.
class MagicBoxOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "magic_box"; }
  void forward(std::span<const Tensor* const>, Tensor& out, const RunContext&) const override {
    out.matrix().setOnes();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double, double) { return 1.0; };
  }
  bool reads_operand(std::size_t) const override { return false; }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {g * out};
  }
};

// Sum of x over consecutive groups of `k` rows, broadcast back to each row of the group.
// Self-adjoint: d = group_sum(g).
class GroupSumOp final : public Op {
 public:
  explicit GroupSumOp(Eigen::Index k) : k_(k) {}
  std::string name() const override { return "group_sum"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % k_ != 0) shape_error(name(), in, "rows not divisible by the group size");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += k_)
      for (Eigen::Index c = 0; c < x.cols(); ++c)
        out.matrix().col(c).segment(r0, k_).setConstant(x.col(c).segment(r0, k_).sum());
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {in[0].graph().apply(std::make_shared<const GroupSumOp>(k_), {g})};
  }

 private:
  Eigen::Index k_;
};

struct Dep {
  std::size_t s;
  bool row_local;
};
using Deps = std::vector<Dep>;  // sorted by s

bool same(const Deps& a, const Deps& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Dep& x, const Dep& y) {
    return x.s == y.s && x.row_local == y.row_local;
  });
}

class Transformer {
 public:
  Transformer(Graph& g, std::size_t top, bool distinct_rho)
      : g_(g), deps_(top + 1), anc_(top + 1, 0), distinct_rho_(distinct_rho) {
    anc_[top] = 1;
    for (std::size_t id = top + 1; id-- > 0;)
      if (anc_[id])
        for (std::size_t in : g.node(id).inputs) anc_[in] = 1;
    for (std::size_t id = 0; id <= top; ++id)
      if (anc_[id]) deps_[id] = analyze(id);
  }

  const Deps& deps(std::size_t id) const { return deps_[id]; }
  bool ancestor(std::size_t id) const { return id < anc_.size() && anc_[id]; }

  // Creates the user-level log_prob nodes of every choice, before any derived node.
  void prepare_log_probs() {
    for (std::size_t id = 0; id < deps_.size(); ++id)
      if (anc_[id] && is_score_node(g_.node(id))) log_prob(g_.var(id));
  }

  Var transform(const Var& v) {
    if (deps_[v.id()].empty()) return v;
    if (auto it = memo_.find(v.id()); it != memo_.end()) return it->second;
    const Node n = v.node();  // a copy: transforming operands appends nodes
    std::vector<Var> in;
    for (std::size_t i : n.inputs) in.push_back(g_.var(i));
    const bool linear = splits(v.id());
    Var out;
    if (linear) {
      for (Var& x : in) x = transform(x);
      out = g_.apply(n.op, in);
    } else {
      out = v * magic_box(tau(deps_[v.id()]));
    }
    memo_.emplace(v.id(), out);
    return out;
  }

  // True if the cost term at `id` is a linear combination of parts with other weights than
  // its own (so T recurses into it); false: it is boxed whole (equivalent then, and one box
  // at the highest point is cheapest).
  bool splits(std::size_t id) {
    if (auto it = splits_.find(id); it != splits_.end()) return it->second;
    const Node& n = g_.node(id);
    bool result = false;
    if (n.kind == NodeKind::kOp && !is_score_node(n) && !deps_[id].empty()) {
      const Deps& own = deps_[id];
      std::size_t dependent = 0;
      for (std::size_t in : n.inputs) dependent += deps_[in].empty() ? 0 : 1;
      // An operand splits the node if it is a term with other weights, or splits itself.
      auto splits_node = [&](std::size_t in) { return !same(deps_[in], own) || splits(in); };
      auto dep_splits = [&](std::size_t in) { return !deps_[in].empty() && splits_node(in); };
      switch (n.op->linearity()) {
        case Linearity::kJoint:  // every operand is a term (a deterministic one too)
          result = std::any_of(n.inputs.begin(), n.inputs.end(), splits_node);
          break;
        case Linearity::kEach:  // terms of the one dependent operand, scaled
          result = dependent == 1 && std::any_of(n.inputs.begin(), n.inputs.end(), dep_splits);
          break;
        case Linearity::kFirst:
          result = dependent == 1 && !deps_[n.inputs[0]].empty() && splits_node(n.inputs[0]);
          break;
        case Linearity::kNone: break;
      }
    }
    splits_.emplace(id, result);
    return result;
  }

  // rows x 1 log-probability of choice s, one entry per row.
  Var rho(std::size_t s) {
    if (auto it = rho_.find(s); it != rho_.end()) return it->second;
    Var r = sum(log_prob(g_.var(s)), 1);
    // Baselines differentiate the surrogate with respect to rho: it must then be a node of
    // its own, not the user's log_prob node (which the cost may use too).
    if (distinct_rho_ && r.id() == log_prob(g_.var(s)).id()) r = r + 0.0;
    rho_.emplace(s, r);
    return r;
  }
  const std::map<std::size_t, Var>& rhos() const { return rho_; }
  bool full_somewhere(std::size_t s) const { return full_.count(s) > 0; }

 private:
  Deps analyze(std::size_t id) const {
    const Node& n = g_.node(id);
    if (n.derived || n.kind != NodeKind::kOp) return {};
    std::map<std::size_t, bool> merged;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const std::size_t in = n.inputs[i];
      const bool local = n.op->row_local(i) && g_.node(in).shape.rows == n.shape.rows;
      for (const Dep& d : deps_[in]) {
        auto [it, fresh] = merged.emplace(d.s, d.row_local && local);
        if (!fresh) it->second = it->second && d.row_local && local;
      }
    }
    if (is_score_node(n)) merged[id] = true;
    Deps out;
    for (auto [s, rl] : merged) out.push_back({s, rl});
    return out;
  }

  Var tau(const Deps& d) {
    Var rows, total;
    for (const Dep& x : d) {
      if (x.row_local) {
        rows = rows.empty() ? rho(x.s) : rows + rho(x.s);
      } else {
        full_.insert(x.s);
        const Var t = sum(rho(x.s));
        total = total.empty() ? t : total + t;
      }
    }
    if (rows.empty()) return total;
    return total.empty() ? rows : rows + total;
  }

  Graph& g_;
  std::vector<Deps> deps_;
  std::vector<char> anc_;
  bool distinct_rho_;
  std::map<std::size_t, Var> memo_, rho_;
  std::map<std::size_t, bool> splits_;
  std::set<std::size_t> full_;
};

std::vector<std::size_t> ancestors_of(const Graph& g, std::size_t top) {
  std::vector<char> anc(top + 1, 0);
  anc[top] = 1;
  std::vector<std::size_t> out;
  for (std::size_t id = top + 1; id-- > 0;)
    if (anc[id]) {
      out.push_back(id);
      for (std::size_t in : g.node(id).inputs) anc[in] = 1;
    }
  return out;
}

}  // namespace

Var magic_box(const Var& t) { return detail::make_shared_op<MagicBoxOp>({t}); }

std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
  if (cost.empty()) throw Error("grad: the cost is an empty Var");
  if (!cost.shape().scalar())
    throw ShapeError("grad: the cost " + cost.describe() + " must be 1x1 (reduce it with sum or mean)");
  Graph& g = cost.graph();
  for (const Var& w : wrt) {
    if (w.empty()) throw Error("grad: a wrt entry is an empty Var");
    if (&w.graph() != &g) throw Error("grad: wrt " + w.describe() + " belongs to another graph");
  }
  for (const auto& [s, b] : options.learned) {
    if (s.empty() || b.empty()) throw Error("grad: a learned baseline entry holds an empty Var");
    if (!stochastic_op(s)) throw Error("grad: learned baseline for " + s.describe() + ", which is not a stochastic node");
  }
  g.mark_cost(cost.id());
  const bool any_baseline = options.baseline != Baseline::kNone || !options.learned.empty();
  Transformer t(g, cost.id(), any_baseline);
  t.prepare_log_probs();
  Graph::DerivedScope derived(g);
  Var surrogate = t.transform(cost);

  const auto& choices = t.deps(cost.id());
  if (any_baseline && !choices.empty()) {
    // c_s = d surrogate / d rho_s: per row, the part of the cost that multiplies s's score.
    std::vector<Var> rhos;
    for (const Dep& d : choices) rhos.push_back(t.rho(d.s));
    const auto coeffs = reverse_mode(surrogate, g.constant(1.0), rhos,
                                     [](const Var& a, const Var& b) { return a + b; });
    Var extra;
    auto add_term = [&](const Var& x) { extra = extra.empty() ? x : extra + x; };
    for (std::size_t k = 0; k < choices.size(); ++k) {
      const std::size_t s = choices[k].s;
      const Var rho = rhos[k];
      const Var c = stop_gradient(coeffs[k]);
      Var b;
      for (const auto& [node, base] : options.learned)
        if (node.id() == s) b = base;
      if (!b.empty()) {
        if (!(b.shape().scalar() || b.shape() == rho.shape()))
          throw ShapeError("grad: learned baseline " + b.describe() + " for " + g.describe(s) +
                           " must be 1x1 or " + rho.shape().str());
        for (std::size_t a : ancestors_of(g, b.id()))
          if (a == s)
            throw Error("grad: learned baseline " + b.describe() + " depends on the choice " +
                        g.describe(s) + " it is a baseline for; that would bias the estimate");
        add_term(sum(square(c - b)));  // trains the baseline through this same grad
        b = stop_gradient(b);
      } else if (options.baseline == Baseline::kMovingAverage) {
        b = detail::make<MovingAverageOp>({c}, options.decay);
      } else if (options.baseline == Baseline::kLeaveOneOut) {
        const Eigen::Index rows = rho.rows();
        const Eigen::Index k_rows = options.group_size == 0
                                        ? rows : static_cast<Eigen::Index>(options.group_size);
        if (t.full_somewhere(s))
          throw Error("grad: leave-one-out baseline for " + g.describe(s) +
                      ": it reaches the cost through ops that mix rows, so the other rows' "
                      "costs depend on this row's choice");
        if (k_rows < 2 || rows % k_rows != 0)
          throw Error("grad: leave-one-out baseline for " + g.describe(s) + " needs groups of at "
                      "least 2 rows dividing its " + std::to_string(rows) + " rows (group size " +
                      std::to_string(k_rows) + ")");
        const Var group = k_rows == rows ? broadcast_to(sum(c), c.shape())
                                         : detail::make<GroupSumOp>({c}, k_rows);
        b = (group - c) / static_cast<double>(k_rows - 1);
      } else {
        continue;
      }
      add_term(sum((1.0 - magic_box(rho)) * b));
    }
    if (!extra.empty()) surrogate = surrogate + extra;
  }
  return reverse_mode(surrogate, g.constant(1.0), wrt,
                      [](const Var& a, const Var& b) { return a + b; });
}

Var expectation(const Var& cost, const ExpectationOptions& options) {
  if (cost.empty()) throw Error("expectation: the cost is an empty Var");
  Graph& g = cost.graph();
  const std::size_t top = cost.id();
  std::vector<std::size_t> anc = ancestors_of(g, top);
  std::reverse(anc.begin(), anc.end());  // topological order
  std::vector<char> affected(top + 1, 0);
  double total = 1.0;
  std::size_t n_choices = 0;
  for (std::size_t id : anc) {
    const Node& n = g.node(id);
    for (std::size_t in : n.inputs) affected[id] |= affected[in];
    const auto* op = n.kind == NodeKind::kOp ? dynamic_cast<const StochasticOp*>(n.op.get()) : nullptr;
    if (!op) continue;
    if (op->reparameterized())
      throw Error("expectation: " + g.describe(id) + " is continuous; expectation enumerates "
                  "discrete choices only");
    affected[id] = 1;
    ++n_choices;
    total *= op->state_count(n.shape);
  }
  if (total > options.max_states)
    throw Error("expectation: " + std::to_string(n_choices) + " discrete choices have " +
                (total < 1e18 ? std::to_string(static_cast<long long>(total)) : std::to_string(total)) +
                " joint states, above the limit of " + std::to_string(static_cast<long long>(options.max_states)) +
                " (ExpectationOptions::max_states)");
  g.mark_cost(top);
  if (!affected[top]) return cost;
  const auto states = static_cast<std::size_t>(total);
  std::vector<Var> clone(top + 1);
  Var result;
  for (std::size_t k = 0; k < states; ++k) {
    std::size_t index = k;
    Var logp;
    for (std::size_t id : anc) {
      if (!affected[id]) {
        clone[id] = g.var(id);
        continue;
      }
      const Node n = g.node(id);  // a copy: building clones appends nodes
      std::vector<Var> in;
      for (std::size_t i : n.inputs) in.push_back(clone[i]);
      if (const auto* op = dynamic_cast<const StochasticOp*>(n.op.get())) {
        const auto radix = static_cast<std::size_t>(op->state_count(n.shape));
        Tensor value(n.shape);
        op->state(index % radix, value);
        index /= radix;
        clone[id] = g.constant(std::move(value));
        const Var lp = sum(op->log_prob(in, clone[id]));
        logp = logp.empty() ? lp : logp + lp;
      } else {
        clone[id] = g.apply(n.op, in);
      }
    }
    const Var term = exp(logp) * clone[top];
    result = result.empty() ? term : result + term;
  }
  return result;
}

}  // namespace scg
