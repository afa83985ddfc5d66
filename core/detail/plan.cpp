// Plan compilation: which nodes a target list needs, which take the 1x1 scalar path, slots
// and buffers, in topological (id) order.
#include "scg/core/detail/plan.hpp"

#include <algorithm>

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"

namespace scg::detail {

Tensor* Storage::buffer(std::size_t id) {
  if (const Tensor* v = graph_.value(id)) return const_cast<Tensor*>(v);  // read in place
  auto& b = buffers_[id];
  if (!b) b = std::make_unique<Tensor>(graph_.shape(id));
  return b.get();
}

Tensor* Storage::state(std::size_t id, Shape shape) {
  auto& s = states_[id];
  if (!s) s = std::make_unique<Tensor>(shape);
  return s.get();
}

const Tensor* Storage::find(std::size_t id) const {
  if (const Tensor* v = graph_.value(id)) return v;
  const auto it = buffers_.find(id);
  return it == buffers_.end() ? nullptr : it->second.get();
}

std::vector<std::pair<std::size_t, Tensor>> Storage::states() const {
  std::vector<std::pair<std::size_t, Tensor>> out;
  for (const auto& [id, t] : states_) out.emplace_back(id, *t);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

namespace {

// compile_plan's phases, over the nodes a run needs (ids 0..top).
struct PlanBuilder {
  const Graph& g;
  const std::vector<Var>& vs;
  Storage& storage;
  Plan& plan;
  std::vector<char> needed;
  std::size_t top = 0;
  std::vector<std::uint32_t> slot;
  std::vector<char> scalar, tensor;

  // Which nodes take the scalar path, and which need a Tensor as well.
  void classify() {
    slot.assign(top + 1, Plan::kNone);
    scalar.assign(top + 1, 0);
    tensor.assign(top + 1, 0);
    for (std::size_t id = 0; id <= top; ++id) {
      if (!needed[id]) continue;
      const Op* op = g.op(id);
      const auto in = g.inputs(id);
      bool s = op && g.shape(id).scalar() && !in.empty() && in.size() <= 2 && op->traits().scalar &&
               op->traits().state.size() == 0;
      for (std::size_t i : in) s = s && g.shape(i).scalar();
      scalar[id] = s;
      if (!s)
        for (std::size_t i : in) tensor[i] = 1;  // read by a general step
    }
    for (const Var& v : vs) tensor[v.id()] = 1;
  }

  // Slots: 1x1 leaves first, then 1x1 op outputs in topological order (so each run's outputs
  // are consecutive). node_of_slot relies on this order.
  void assign_slots() {
    std::size_t n_slots = 0, n_scalar = 0;
    for (std::size_t id = 0; id <= top; ++id) {
      n_slots += needed[id] && g.shape(id).scalar();
      n_scalar += scalar[id];
    }
    plan.arena.reserve(n_slots);
    plan.ops.reserve(n_scalar);
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t id = 0; id <= top; ++id) {
        if (pass == 1 && id == 0)
          plan.first_op_slot = static_cast<std::uint32_t>(plan.arena.size());
        if (!needed[id]) continue;
        const NodeKind kind = g.kind(id);
        if (!g.shape(id).scalar() || (kind == NodeKind::kOp) != (pass == 1)) continue;
        slot[id] = static_cast<std::uint32_t>(plan.arena.size());
        plan.arena.push_back(kind == NodeKind::kConstant ? g.value(id)->item() : 0.0);
      }
  }

  // A 1x1 op joins the current run of scalar ops (or starts one).
  void add_scalar(std::size_t id) {
    if (plan.steps.empty() || plan.steps.back().general != Plan::kNone) {
      const auto first = static_cast<std::uint32_t>(plan.ops.size());
      const auto mirror = static_cast<std::uint32_t>(plan.mirrors.size());
      plan.steps.push_back({Plan::kNone, first, 0, slot[id], mirror, 0});
    }
    Plan::Step& run = plan.steps.back();
    const auto in = g.inputs(id);
    // An operand the op does not read (not computed, no slot) points at slot 0.
    auto operand = [&](std::size_t i) { return slot[i] == Plan::kNone ? 0u : slot[i]; };
    plan.ops.push_back({g.op(id), operand(in.front()), operand(in.back())});
    ++run.count;
    if (tensor[id]) {
      plan.mirrors.emplace_back(slot[id], storage.buffer(id)->data());
      ++run.mirror_count;
    }
  }

  // Any other op: a general step over Tensor buffers.
  void add_general(std::size_t id) {
    const Op* op = g.op(id);
    const auto in = g.inputs(id);
    Plan::General gs{plan.in_ptrs.size(), in.size(), storage.buffer(id), nullptr, op, id};
    if (dynamic_cast<const Distribution*>(op))  // its value may be fed
      plan.random.emplace_back(id, static_cast<std::uint32_t>(plan.general.size()));
    for (std::size_t i : in) plan.in_ptrs.push_back(storage.buffer(i));
    if (op->traits().state.size() > 0) gs.state = storage.state(id, op->traits().state);
    plan.steps.push_back({static_cast<std::uint32_t>(plan.general.size()), 0, 0, slot[id], 0, 0});
    plan.general.push_back(gs);
  }

  void emit_steps() {
    for (std::size_t id = 0; id <= top; ++id) {
      if (!needed[id]) continue;
      const NodeKind kind = g.kind(id);
      if (kind == NodeKind::kInput) plan.inputs.emplace_back(id, storage.buffer(id));
      if (kind != NodeKind::kOp) {
        if (kind != NodeKind::kConstant && slot[id] != Plan::kNone)
          plan.leaf_loads.emplace_back(slot[id], storage.buffer(id)->data());
      } else if (scalar[id]) {
        add_scalar(id);
      } else {
        add_general(id);
      }
    }
  }

  void bind_targets() {
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const std::size_t id = vs[i].id();
      plan.target_ptrs.push_back(storage.buffer(id));
      plan.results.emplace_back(vs[i].shape());
      // Swap only buffers this plan rewrites in full each run, that no scalar step mirrors
      // into (mirrors hold raw pointers), and that appear once among the targets.
      bool once = true;
      for (std::size_t j = 0; j < vs.size(); ++j) once = once && (j == i || vs[j].id() != id);
      const bool op = g.kind(id) == NodeKind::kOp;
      plan.swap.push_back(op && !scalar[id] && once && g.shape(id).size() >= 256);
      plan.graph_owned.push_back(g.value(id) != nullptr);
    }
  }
};

}  // namespace

std::unique_ptr<Plan> compile_plan(const Graph& g, const std::vector<Var>& vs, Storage& storage) {
  auto plan = std::make_unique<Plan>();
  for (const Var& v : vs) plan->targets.push_back(v.id());
  // What a run computes: the targets and, through operands the ops read, their ancestors.
  PlanBuilder b{g, vs, storage, *plan, g.ancestors(plan->targets, Graph::Follow::kRead),
                0, {}, {},      {}};
  if (b.needed.empty()) return plan;  // no targets: nothing to run
  b.top = b.needed.size() - 1;
  if (b.top >= Plan::kNone) throw Error("Session: graphs of over 2^32 nodes are not supported");
  b.classify();
  b.assign_slots();
  b.emit_steps();
  b.bind_targets();
  return plan;
}

std::size_t node_of_slot(const Graph& g, const Plan& plan, std::uint32_t slot) {
  const std::vector<char> needed = g.ancestors(plan.targets, Graph::Follow::kRead);
  std::uint32_t at = plan.first_op_slot;
  for (std::size_t id = 0; id < needed.size(); ++id) {
    if (!needed[id] || g.kind(id) != NodeKind::kOp || !g.shape(id).scalar()) continue;
    if (at++ == slot) return id;
  }
  throw Error("Session: no node for arena slot " + std::to_string(slot));
}

}  // namespace scg::detail
