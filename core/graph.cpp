#include "scg/core/graph.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <utility>

#include "scg/core/error.hpp"
#include "scg/core/op.hpp"

namespace scg {

namespace {
const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::kParameter:
      return "parameter";
    case NodeKind::kConstant:
      return "constant";
    case NodeKind::kInput:
      return "input";
    case NodeKind::kOp:
      return "op";
  }
  return "?";
}

std::uint32_t next_serial() {
  static std::atomic<std::uint32_t> counter{0};
  return ++counter;
}

const std::string kNoName;
constexpr auto kMaxDim = static_cast<Eigen::Index>(std::numeric_limits<std::uint32_t>::max());
}  // namespace

void RunContext::fail(const std::string& what) const {
  throw Error(graph->describe(node) + ": " + what);
}

void shape_error(const std::string& op, std::span<const Shape> in, const std::string& why) {
  std::string shapes;
  for (const auto& s : in) shapes += (shapes.empty() ? "" : ", ") + s.str();
  throw ShapeError(op + ": " + why + " (operand shapes " + shapes + ")");
}

// ---- Var ----

Graph& Var::graph() const {
  if (!graph_) throw Error("use of an empty Var (default-constructed, never assigned a node)");
  if (graph_->serial_ != serial_)
    throw Error("use of a Var of node #" + std::to_string(id_) +
                " whose graph no longer exists (a Var must not outlive its Graph)");
  return *graph_;
}

Shape Var::shape() const { return graph().shape(id_); }

const Tensor& Var::value() const {
  const Tensor* v = graph().value(id_);
  if (!v) throw Error(describe() + ": value() is for parameters and constants");
  return *v;
}

void Var::set_value(const Tensor& v) const {
  Graph& g = graph();
  if (g.kind(id_) != NodeKind::kParameter)
    throw Error(describe() + ": set_value() is for parameters only");
  if (v.shape() != g.shape(id_))
    throw ShapeError(describe() + ": set_value with a " + v.shape().str() +
                     " tensor; the parameter's shape is fixed at " + g.shape(id_).str());
  // Assign in place: sessions hold pointers to this storage.
  g.mutable_value(id_)->matrix() = v.matrix();
}

std::string Var::describe() const { return graph().describe(id_); }

// ---- Graph ----

Graph::Graph() : serial_(next_serial()) {}

Graph::~Graph() { serial_ = 0; }  // Vars that outlive the graph see a mismatch, not a match

Var Graph::push(const Record& r) {
  if (size_ >= std::numeric_limits<std::uint32_t>::max())
    throw Error("graphs of 2^32 nodes or more are not supported");
  if ((size_ & (kChunk - 1)) == 0) nodes_.push_back(std::make_unique<Record[]>(kChunk));
  rec(size_) = r;
  const auto id = static_cast<std::uint32_t>(size_++);
  return Var(this, serial_, id);
}

Var Graph::add_leaf(NodeKind kind, std::string name, Shape shape, Tensor* value) {
  if (shape.rows > kMaxDim || shape.cols > kMaxDim)
    throw ShapeError(std::string(kind_name(kind)) + " '" + name + "': shape " + shape.str() +
                     " is too large");
  Record r{};
  r.kind = kind;
  r.rows = static_cast<std::uint32_t>(shape.rows);
  r.cols = static_cast<std::uint32_t>(shape.cols);
  r.first = value ? static_cast<std::uint32_t>(values_.size() - 1) : 0;
  r.flags = derived_depth_ > 0 ? kDerived : 0;
  if (!name.empty()) names_.emplace_back(static_cast<std::uint32_t>(size_), std::move(name));
  return push(r);
}

Var Graph::parameter(std::string name, Tensor init) {
  const Shape s = init.shape();
  if (s.size() == 0)
    throw ShapeError("parameter '" + name + "': shape " + s.str() + " must be at least 1x1");
  values_.push_back(std::move(init));
  return add_leaf(NodeKind::kParameter, std::move(name), s, &values_.back());
}

Var Graph::constant(Tensor value) {
  const Shape s = value.shape();
  if (s.size() == 0) throw ShapeError("constant: shape " + s.str() + " must be at least 1x1");
  std::uint64_t bits = 0;
  if (s.scalar()) {
    const double v = value.item();
    std::memcpy(&bits, &v, sizeof v);
    if (auto it = scalar_constants_.find(bits); it != scalar_constants_.end())
      return Var(this, serial_, it->second);
  }
  values_.push_back(std::move(value));
  Var c = add_leaf(NodeKind::kConstant, "", s, &values_.back());
  if (s.scalar()) scalar_constants_.emplace(bits, static_cast<std::uint32_t>(c.id()));
  return c;
}

Var Graph::input(std::string name, Eigen::Index rows, Eigen::Index cols) {
  if (rows < 1 || cols < 1)
    throw ShapeError("input '" + name + "': shape " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " must be at least 1x1");
  return add_leaf(NodeKind::kInput, std::move(name), {rows, cols}, nullptr);
}

void Graph::not_own(const Var& v, const std::string& who, const std::string& what) const {
  if (v.empty()) throw Error(who + ": " + what + " is an empty Var");
  throw Error(who + ": " + what + " (" + v.describe() + ") belongs to another graph");
}

Var Graph::apply(std::shared_ptr<const Op> op, const std::vector<Var>& inputs) {
  std::vector<Shape> shapes;
  shapes.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& v = inputs[i];
    if (!owns(v)) not_own(v, op->name(), "operand " + std::to_string(i));
    shapes.push_back(shape(v.id_));
  }
  if (inputs.size() > std::numeric_limits<std::uint16_t>::max())
    throw Error(op->name() + ": " + std::to_string(inputs.size()) + " operands; at most 65535");
  Shape out;
  try {
    out = op->infer(shapes);
  } catch (const ShapeError& e) {
    std::string from;
    for (const Var& v : inputs) from += (from.empty() ? "" : ", ") + describe(v.id_);
    throw ShapeError(e.message() + " while building node #" + std::to_string(size()) + " from " +
                     from);
  }
  if (out.rows < 1 || out.cols < 1 || out.rows > kMaxDim || out.cols > kMaxDim)
    throw ShapeError(op->name() + ": result shape " + out.str() + " is empty or too large");
  // Operands of one node lie in one chunk: start a new chunk if they do not fit.
  const std::size_t n = inputs.size();
  std::size_t at = operand_size_;
  if (n > 0 && (at & (kOperandChunk - 1)) + n > kOperandChunk) at = (at | (kOperandChunk - 1)) + 1;
  if (at + n > std::numeric_limits<std::uint32_t>::max())
    throw Error("graphs of 2^32 operands or more are not supported");
  while (operands_.size() * kOperandChunk < at + n)
    operands_.push_back(std::make_unique<std::uint32_t[]>(kOperandChunk));
  for (std::size_t i = 0; i < n; ++i)
    operands_[(at + i) >> kOperandChunkBits][(at + i) & (kOperandChunk - 1)] = inputs[i].id_;
  if (known_ops_.insert(op.get()).second) ops_.push_back(op);
  Record r{};
  r.op = op.get();
  r.kind = NodeKind::kOp;
  r.rows = static_cast<std::uint32_t>(out.rows);
  r.cols = static_cast<std::uint32_t>(out.cols);
  r.first = static_cast<std::uint32_t>(at);
  r.n_inputs = static_cast<std::uint16_t>(n);
  r.flags = derived_depth_ > 0 ? kDerived : 0;
  Var v = push(r);
  operand_size_ = at + n;
  return v;
}

std::span<const std::uint32_t> Graph::inputs(std::size_t id) const {
  const Record& r = rec(id);
  if (r.n_inputs == 0) return {};
  return {&operands_[r.first >> kOperandChunkBits][r.first & (kOperandChunk - 1)], r.n_inputs};
}

std::shared_ptr<const Op> Graph::shared_op(std::size_t id) const {
  const Op* o = op(id);
  return o ? o->shared_from_this() : nullptr;
}

const std::string& Graph::name(std::size_t id) const {
  const auto it =
      std::lower_bound(names_.begin(), names_.end(), id,
                       [](const auto& entry, std::size_t key) { return entry.first < key; });
  return it != names_.end() && it->first == id ? it->second : kNoName;
}

const Tensor* Graph::value(std::size_t id) const {
  const Record& r = rec(id);
  const bool stored = r.kind == NodeKind::kParameter || r.kind == NodeKind::kConstant;
  return stored ? &values_[r.first] : nullptr;
}

Tensor* Graph::mutable_value(std::size_t id) {
  return const_cast<Tensor*>(std::as_const(*this).value(id));
}

Var Graph::var(std::size_t id) {
  if (id >= size()) throw Error("no node #" + std::to_string(id));
  return Var(this, serial_, static_cast<std::uint32_t>(id));
}

std::string Graph::describe(std::size_t id) const {
  const Record& r = rec(id);
  const std::string s = shape(id).str();
  if (r.kind == NodeKind::kOp)
    return "node #" + std::to_string(id) + " (" + r.op->name() + ", " + s + ")";
  const std::string& n = name(id);
  const std::string where = "(#" + std::to_string(id) + ", " + s + ")";
  if (!n.empty()) return std::string(kind_name(r.kind)) + " '" + n + "' " + where;
  return std::string(kind_name(r.kind)) + " " + where;
}

std::vector<char> Graph::ancestors(std::span<const std::size_t> targets, Follow follow) const {
  std::size_t top = 0;
  for (std::size_t t : targets) top = std::max(top, t);
  std::vector<char> mark(targets.empty() ? 0 : top + 1, 0);
  for (std::size_t t : targets) mark[t] = 1;
  for (std::size_t id = mark.size(); id-- > 0;) {
    if (!mark[id]) continue;
    const Record& r = rec(id);
    if (r.kind != NodeKind::kOp) continue;
    if (follow == Follow::kRead && !r.op->traits().reads_operands) continue;
    for (std::uint32_t in : inputs(id)) mark[in] = 1;
  }
  return mark;
}

std::vector<char> Graph::ancestors(const std::vector<Var>& targets, Follow follow) const {
  std::vector<std::size_t> ids;
  ids.reserve(targets.size());
  for (const Var& v : targets) {
    check_own(v, "Graph::ancestors", "a target");
    ids.push_back(v.id());
  }
  return ancestors(ids, follow);
}

const Var* Graph::cached_log_prob(std::size_t id) const {
  const auto it = log_probs_.find(id);
  return it == log_probs_.end() ? nullptr : &it->second;
}

}  // namespace scg
