#include "graph.hpp"

#include "error.hpp"
#include "op.hpp"

namespace scg {

namespace {
const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::kParameter: return "parameter";
    case NodeKind::kConstant: return "constant";
    case NodeKind::kInput: return "input";
    case NodeKind::kOp: return "op";
  }
  return "?";
}
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

const Node& Var::node() const {
  if (!graph_) throw Error("use of an empty Var (default-constructed, never assigned a node)");
  return graph_->g_[id_];
}

Shape Var::shape() const { return node().shape; }

Graph& Var::graph() const {
  if (!graph_) throw Error("use of an empty Var (default-constructed, never assigned a node)");
  return *graph_;
}

const Tensor& Var::value() const {
  const Node& n = node();
  if (!n.value) throw Error(describe() + ": value() is for parameters and constants");
  return *n.value;
}

void Var::set_value(const Tensor& v) const {
  const Node& n = node();
  if (n.kind != NodeKind::kParameter)
    throw Error(describe() + ": set_value() is for parameters only");
  if (v.shape() != n.shape)
    throw ShapeError(describe() + ": set_value with a " + v.shape().str() +
                     " tensor; the parameter's shape is fixed at " + n.shape.str());
  // Assign in place: sessions hold pointers to this storage.
  n.value->matrix() = v.matrix();
}

std::string Var::describe() const { return graph().describe(id_); }

// ---- Graph ----

Var Graph::add_leaf(NodeKind kind, std::string name, Shape shape, std::shared_ptr<Tensor> value) {
  Node n;
  n.kind = kind;
  n.name = std::move(name);
  n.shape = shape;
  n.value = std::move(value);
  n.derived = derived_depth_ > 0;
  const auto id = boost::add_vertex(std::move(n), g_);
  return Var(this, id);
}

Var Graph::parameter(std::string name, Tensor init) {
  const Shape s = init.shape();
  return add_leaf(NodeKind::kParameter, std::move(name), s,
                  std::make_shared<Tensor>(std::move(init)));
}

Var Graph::constant(Tensor value) {
  const Shape s = value.shape();
  return add_leaf(NodeKind::kConstant, "", s, std::make_shared<Tensor>(std::move(value)));
}

Var Graph::input(std::string name, Eigen::Index rows, Eigen::Index cols) {
  if (rows < 1 || cols < 1)
    throw ShapeError("input '" + name + "': shape " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " must be at least 1x1");
  return add_leaf(NodeKind::kInput, std::move(name), {rows, cols}, nullptr);
}

Var Graph::apply(std::shared_ptr<const Op> op, const std::vector<Var>& inputs) {
  std::vector<Shape> shapes;
  shapes.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Var& v = inputs[i];
    if (v.empty())
      throw Error(op->name() + ": operand " + std::to_string(i) + " is an empty Var");
    if (v.graph_ != this)
      throw Error(op->name() + ": operand " + std::to_string(i) + " (" + v.describe() +
                  ") belongs to another graph");
    shapes.push_back(g_[v.id_].shape);
  }
  Shape out;
  try {
    out = op->infer(shapes);
  } catch (const ShapeError& e) {
    std::string from;
    for (const Var& v : inputs) from += (from.empty() ? "" : ", ") + describe(v.id_);
    throw ShapeError(std::string(e.what()).substr(5) + " while building node #" +
                     std::to_string(size()) + " from " + from);
  }
  Node n;
  n.kind = NodeKind::kOp;
  n.op = std::move(op);
  n.shape = out;
  n.derived = derived_depth_ > 0;
  for (const Var& v : inputs) n.inputs.push_back(v.id_);
  const auto id = boost::add_vertex(std::move(n), g_);
  for (const Var& v : inputs) boost::add_edge(v.id_, id, g_);
  return Var(this, id);
}

Var Graph::var(std::size_t id) {
  if (id >= size()) throw Error("no node #" + std::to_string(id));
  return Var(this, id);
}

std::string Graph::describe(std::size_t id) const {
  const Node& n = g_[id];
  const std::string where = "#" + std::to_string(id) + ", " + n.shape.str();
  if (n.kind == NodeKind::kOp) return "node " + where.substr(0, where.find(',')) + " (" +
                                      n.op->name() + ", " + n.shape.str() + ")";
  if (!n.name.empty()) return std::string(kind_name(n.kind)) + " '" + n.name + "' (" + where + ")";
  return std::string(kind_name(n.kind)) + " (" + where + ")";
}

Var* Graph::memo(const std::string& tag, std::size_t id) {
  auto it = memo_.find({tag, id});
  return it == memo_.end() ? nullptr : &it->second;
}

}  // namespace scg
