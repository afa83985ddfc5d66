#include "session.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace scg {

struct Session::Plan {
  struct Step {
    const Op* op;
    std::size_t first_in;  // index into in_ptrs
    std::size_t n_in;
    Tensor* out;
    Tensor* state;
    std::size_t node;
  };
  std::vector<std::size_t> targets;            // target ids, in call order
  std::vector<Step> steps;                     // op nodes in topological order
  std::vector<const Tensor*> in_ptrs;          // operand buffers of all steps, concatenated
  std::vector<std::pair<std::size_t, Tensor*>> inputs;  // input nodes needed, with buffers
  std::vector<const Tensor*> target_ptrs;
  std::vector<Tensor> results;
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
    for (std::size_t in : graph_.node(id).inputs) needed[in] = 1;
  }
  if (states_.size() < graph_.size()) states_.resize(graph_.size());
  for (std::size_t id = 0; id <= top; ++id) {
    if (!needed[id]) continue;
    const Node& n = graph_.node(id);
    if (n.kind == NodeKind::kInput) plan->inputs.emplace_back(id, buffer(id));
    if (n.kind != NodeKind::kOp) continue;
    Plan::Step s{n.op.get(), plan->in_ptrs.size(), n.inputs.size(), buffer(id), nullptr, id};
    for (std::size_t in : n.inputs) plan->in_ptrs.push_back(buffer(in));
    if (n.op->stateful()) {
      if (!states_[id]) states_[id] = std::make_unique<Tensor>(n.op->state_shape(n.shape));
      s.state = states_[id].get();
    }
    plan->steps.push_back(s);
  }
  for (const Var& v : vs) {
    plan->target_ptrs.push_back(buffer(v.id()));
    plan->results.emplace_back(v.shape());
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
  RunContext ctx;
  ctx.engine = &engine_;
  ctx.graph = &graph_;
  for (const Plan::Step& s : plan.steps) {
    ctx.node = s.node;
    ctx.state = s.state;
    s.op->forward(std::span<const Tensor* const>(plan.in_ptrs.data() + s.first_in, s.n_in),
                  *s.out, ctx);
    if (options_.check_finite && !s.out->all_finite()) report_non_finite(plan, s.node, ctx);
  }
}

void Session::report_non_finite(const Plan&, std::size_t node, const RunContext& ctx) const {
  // Blame the leaf the non-finite value came from (a parameter, constant or feed), if any;
  // otherwise this op made it from finite operands.
  std::vector<std::size_t> stack(graph_.node(node).inputs);
  std::vector<char> seen(node + 1, 0);
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (seen[id]) continue;
    seen[id] = 1;
    const Node& n = graph_.node(id);
    if (n.kind == NodeKind::kOp) {
      stack.insert(stack.end(), n.inputs.begin(), n.inputs.end());
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
  for (std::size_t i = 0; i < vs.size(); ++i) plan.results[i].matrix() = plan.target_ptrs[i]->matrix();
  return plan.results;
}

}  // namespace scg
