#include "session.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace scg {

struct Session::Plan {
  static constexpr std::uint32_t kNone = UINT32_MAX;
  // Scalar nodes (operands and output 1x1, op has a scalar kernel) read and write slots of
  // `arena`, a contiguous array of every 1x1 value in the plan. Consecutive scalar nodes form
  // a run whose outputs are consecutive slots, replayed as a tight loop over 24-byte records;
  // other nodes run the op's forward on Tensor buffers.
  struct ScalarOp {
    ScalarKernel fn;
    const void* self;
    std::uint32_t a, b;  // operand slots
  };
  struct Step {
    std::uint32_t general;  // index into `general`, or kNone for a run of scalar ops
    std::uint32_t first, count;  // run: ops[first, first + count), outputs arena[out, out + count)
    std::uint32_t out;           // run: first output slot; general: slot for a 1x1 output, or kNone
    std::uint32_t first_mirror, mirror_count;  // run: mirrors[...] to copy out after it
  };
  struct General {
    std::size_t first_in, n_in;  // operand buffers: in_ptrs[first_in .. first_in + n_in)
    Tensor* out;
    Tensor* state;
    const Op* op;
    std::size_t node;
  };
  std::vector<std::size_t> targets;  // target ids, in call order
  std::vector<Step> steps;           // in topological order
  std::vector<ScalarOp> ops;
  std::vector<std::uint32_t> op_node;  // node id of each scalar op (for error messages)
  std::vector<std::pair<std::uint32_t, double*>> mirrors;  // scalar values also needed as Tensors
  std::vector<General> general;
  std::vector<const Tensor*> in_ptrs;
  std::vector<double> arena;
  std::vector<std::pair<std::uint32_t, const double*>> leaf_loads;  // 1x1 parameters and feeds
  std::vector<std::pair<std::size_t, Tensor*>> inputs;  // input nodes needed, with buffers
  std::vector<Tensor*> target_ptrs;
  std::vector<Tensor> results;
  std::vector<char> handover;  // per target: swap storage with its buffer instead of copying
};

Session::Session(const Graph& g, std::uint64_t seed, SessionOptions options)
    : graph_(g), engine_(seed), options_(options) {}

Session::~Session() = default;

Tensor* Session::buffer(std::size_t id) {
  const Node& n = graph_.node(id);
  if (n.value) return n.value.get();  // parameters and constants are read in place
  if (buffers_.size() <= id) buffers_.resize(graph_.size());
  if (!buffers_[id]) buffers_[id] = std::make_unique<Tensor>(n.shape);
  return buffers_[id].get();
}

Session::Plan& Session::plan_for(const std::vector<Var>& vs) {
  for (auto& p : plans_) {
    if (p->targets.size() != vs.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < vs.size() && same; ++i) same = p->targets[i] == vs[i].id();
    if (same) return *p;
  }
  // Compile: mark the ancestors of the targets, then lay them out in id (= topological) order.
  auto plan = std::make_unique<Plan>();
  std::size_t top = 0;
  for (const Var& v : vs) {
    if (v.empty()) throw Error("Session::run: target is an empty Var");
    if (&v.graph() != &graph_)
      throw Error("Session::run: target " + v.describe() + " belongs to another graph");
    plan->targets.push_back(v.id());
    top = std::max(top, v.id());
  }
  std::vector<char> needed(top + 1, 0);
  for (const Var& v : vs) needed[v.id()] = 1;
  for (std::size_t id = top + 1; id-- > 0;) {
    if (!needed[id]) continue;
    const Node& n = graph_.node(id);
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
      if (n.kind != NodeKind::kOp || n.op->reads_operand(i)) needed[n.inputs[i]] = 1;
  }
  if (states_.size() < graph_.size()) states_.resize(graph_.size());
  if (top >= Plan::kNone) throw Error("Session: graphs of over 2^32 nodes are not supported");
  // Which nodes take the scalar path, and which need a Tensor as well.
  std::vector<std::uint32_t> slot(top + 1, Plan::kNone);
  std::vector<char> scalar(top + 1, 0), tensor(top + 1, 0);
  for (std::size_t id = 0; id <= top; ++id) {
    if (!needed[id]) continue;
    const Node& n = graph_.node(id);
    bool s = n.kind == NodeKind::kOp && n.shape.scalar() && n.inputs.size() <= 2 &&
             !n.inputs.empty() && !n.op->stateful() && !n.op->random() && n.op->scalar_kernel();
    for (std::size_t in : n.inputs) s = s && graph_.node(in).shape.scalar();
    scalar[id] = s;
    if (!s)
      for (std::size_t in : n.inputs) tensor[in] = 1;  // read by a general step
  }
  for (const Var& v : vs) tensor[v.id()] = 1;
  // Slots: 1x1 leaves first, then 1x1 op outputs in topological order (so each run's outputs
  // are consecutive).
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t id = 0; id <= top; ++id) {
      if (!needed[id]) continue;
      const Node& n = graph_.node(id);
      if (!n.shape.scalar() || (n.kind == NodeKind::kOp) != (pass == 1)) continue;
      slot[id] = static_cast<std::uint32_t>(plan->arena.size());
      plan->arena.push_back(n.kind == NodeKind::kConstant ? n.value->item() : 0.0);
    }
  for (std::size_t id = 0; id <= top; ++id) {
    if (!needed[id]) continue;
    const Node& n = graph_.node(id);
    if (n.kind == NodeKind::kInput) plan->inputs.emplace_back(id, buffer(id));
    if (n.kind != NodeKind::kOp) {
      if (n.kind != NodeKind::kConstant && slot[id] != Plan::kNone)
        plan->leaf_loads.emplace_back(slot[id], buffer(id)->data());
      continue;
    }
    if (scalar[id]) {
      if (plan->steps.empty() || plan->steps.back().general != Plan::kNone) {
        const auto first = static_cast<std::uint32_t>(plan->ops.size());
        const auto mirror = static_cast<std::uint32_t>(plan->mirrors.size());
        plan->steps.push_back({Plan::kNone, first, 0, slot[id], mirror, 0});
      }
      Plan::Step& run = plan->steps.back();
      // An operand the op does not read (not computed, no slot) points at slot 0.
      auto operand = [&](std::size_t in) { return slot[in] == Plan::kNone ? 0u : slot[in]; };
      plan->ops.push_back({n.op->scalar_kernel(), n.op.get(), operand(n.inputs[0]), operand(n.inputs.back())});
      plan->op_node.push_back(static_cast<std::uint32_t>(id));
      ++run.count;
      if (tensor[id]) {
        plan->mirrors.emplace_back(slot[id], buffer(id)->data());
        ++run.mirror_count;
      }
      continue;
    }
    Plan::General gs{plan->in_ptrs.size(), n.inputs.size(), buffer(id), nullptr, n.op.get(), id};
    for (std::size_t in : n.inputs) plan->in_ptrs.push_back(buffer(in));
    if (n.op->stateful()) {
      if (!states_[id]) states_[id] = std::make_unique<Tensor>(n.op->state_shape(n.shape));
      gs.state = states_[id].get();
    }
    plan->steps.push_back({static_cast<std::uint32_t>(plan->general.size()), 0, 0, slot[id], 0, 0});
    plan->general.push_back(gs);
  }
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const std::size_t id = vs[i].id();
    plan->target_ptrs.push_back(buffer(id));
    plan->results.emplace_back(vs[i].shape());
    // Swap only buffers this plan rewrites in full each run, that no scalar step mirrors into
    // (mirrors hold raw pointers), and that appear once among the targets.
    bool once = true;
    for (std::size_t j = 0; j < vs.size(); ++j) once = once && (j == i || vs[j].id() != id);
    const Node& n = graph_.node(id);
    plan->handover.push_back(n.kind == NodeKind::kOp && !scalar[id] && once &&
                             n.shape.rows * n.shape.cols >= 256);
  }
  plans_.push_back(std::move(plan));
  return *plans_.back();
}

void Session::execute(Plan& plan, const std::vector<Feed>& feeds) {
  for (const Feed& f : feeds) {
    const Node& n = f.input.node();
    if (&f.input.graph() != &graph_)
      throw Error("Session::run: feed for " + f.input.describe() + " of another graph");
    if (n.kind != NodeKind::kInput)
      throw Error("Session::run: feed for " + f.input.describe() + ", which is not an input");
    if (f.value->shape() != n.shape)
      throw ShapeError("Session::run: feed for " + f.input.describe() + " has shape " +
                       f.value->shape().str() + ", expected " + n.shape.str());
  }
  for (auto& [id, buf] : plan.inputs) {
    const Feed* found = nullptr;
    for (const Feed& f : feeds)
      if (f.input.id() == id) found = &f;
    if (!found) throw Error("Session::run: no feed for " + graph_.describe(id));
    buf->matrix() = found->value->matrix();
  }
  for (auto [slot, value] : plan.leaf_loads) plan.arena[slot] = *value;
  RunContext ctx;
  ctx.engine = &engine_;
  ctx.graph = &graph_;
  double* const arena = plan.arena.data();
  const bool check = options_.check_finite;
  for (const Plan::Step& s : plan.steps) {
    if (s.general == Plan::kNone) {
      double* const out = arena + s.out;
      const Plan::ScalarOp* const ops = plan.ops.data() + s.first;
      // An operand that is the previous op's output is taken from a register, not reloaded
      // from the slot just stored (chains then do not wait on store-to-load forwarding).
      double prev = 0.0;  // read only once prev_slot names a slot
      std::uint32_t prev_slot = Plan::kNone;
      for (std::uint32_t i = 0; i < s.count; ++i) {
        const Plan::ScalarOp& o = ops[i];
        double a, b;
        if (o.a == prev_slot) a = prev; else a = arena[o.a];
        if (o.b == prev_slot) b = prev; else b = arena[o.b];
        prev = o.fn(o.self, a, b);
        out[i] = prev;
        prev_slot = s.out + i;
      }
      // One vectorized pass over the run's outputs; the first bad one is located on failure.
      if (check && !Eigen::Map<const Eigen::ArrayXd>(out, s.count).allFinite()) {
        std::uint32_t i = 0;
        while (std::isfinite(out[i])) ++i;
        ctx.node = plan.op_node[s.first + i];
        report_non_finite(ctx.node, ctx);
      }
      for (std::uint32_t m = s.first_mirror; m < s.first_mirror + s.mirror_count; ++m)
        *plan.mirrors[m].second = arena[plan.mirrors[m].first];
      continue;
    }
    const Plan::General& gs = plan.general[s.general];
    ctx.node = gs.node;
    ctx.state = gs.state;
    gs.op->forward(std::span<const Tensor* const>(plan.in_ptrs.data() + gs.first_in, gs.n_in),
                   *gs.out, ctx);
    // A sum is non-finite iff some element is, barring overflow (then confirmed exactly).
    if (check && !std::isfinite(gs.out->matrix().sum()) && !gs.out->all_finite())
      report_non_finite(gs.node, ctx);
    if (s.out != Plan::kNone) arena[s.out] = *gs.out->data();
  }
}

void Session::report_non_finite(std::size_t node, const RunContext& ctx) const {
  // Blame the leaf the non-finite value came from (a parameter, constant or feed), if any;
  // otherwise this op made it from finite operands. Operands an op does not read are not
  // followed (they were not computed, and cannot be the source).
  std::vector<std::size_t> stack;
  auto push_read = [&](std::size_t id) {
    const Node& n = graph_.node(id);
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
      if (n.op->reads_operand(i)) stack.push_back(n.inputs[i]);
  };
  push_read(node);
  std::vector<char> seen(node + 1, 0);
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (seen[id]) continue;
    seen[id] = 1;
    const Node& n = graph_.node(id);
    if (n.kind == NodeKind::kOp) {
      push_read(id);
      continue;
    }
    const Tensor* t = n.value ? n.value.get() : (id < buffers_.size() ? buffers_[id].get() : nullptr);
    if (t && !t->all_finite())
      ctx.fail("non-finite value: it comes from " + graph_.describe(id) + ", which holds NaN or infinity");
  }
  std::string operands;
  for (std::size_t in : graph_.node(node).inputs) operands += (operands.empty() ? "" : ", ") + graph_.describe(in);
  ctx.fail("produced a non-finite value (NaN or infinity) from finite operands " + operands);
}

const Tensor& Session::run(const Var& v, const std::vector<Feed>& feeds) {
  if (single_.empty()) single_.emplace_back();
  single_[0] = v;
  Plan& plan = plan_for(single_);
  execute(plan, feeds);
  return *plan.target_ptrs[0];
}

const std::vector<Tensor>& Session::run(const std::vector<Var>& vs,
                                        const std::vector<Feed>& feeds) {
  Plan& plan = plan_for(vs);
  execute(plan, feeds);
  // Large results computed by general steps are handed over by swapping storage with their
  // buffer (which the next run overwrites anyway); the rest are copied.
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (plan.handover[i]) plan.results[i].matrix().swap(plan.target_ptrs[i]->matrix());
    else plan.results[i].matrix() = plan.target_ptrs[i]->matrix();
  }
  return plan.results;
}

}  // namespace scg
