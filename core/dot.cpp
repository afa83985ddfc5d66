#include "dot.hpp"

#include <boost/graph/graphviz.hpp>

#include "op.hpp"

namespace scg {

namespace {

std::string escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}

struct NodeWriter {
  const Graph* g;
  void operator()(std::ostream& out, std::size_t id) const {
    const Node& n = g->node(id);
    std::string label, attrs;
    switch (n.kind) {
      case NodeKind::kParameter:
        label = n.name;
        attrs = "shape=box,color=blue,fontcolor=blue";
        break;
      case NodeKind::kInput:
        label = n.name;
        attrs = "shape=box,color=darkgreen,fontcolor=darkgreen";
        break;
      case NodeKind::kConstant:
        label = n.shape.scalar() ? std::to_string(n.value->item()) : "const";
        if (n.shape.scalar()) label.erase(label.find_last_not_of('0') + 1);
        if (!label.empty() && label.back() == '.') label.pop_back();
        attrs = "shape=plaintext";
        break;
      case NodeKind::kOp:
        label = n.op->label();
        if (n.op->random()) attrs = "shape=doubleoctagon,style=filled,fillcolor=orange";
        break;
    }
    // Escape the text only: the "\\n" (a line break in DOT) must reach dot unescaped.
    label = escape(label) + "\\n#" + std::to_string(id) + " " + n.shape.str();
    if (n.cost) attrs += std::string(attrs.empty() ? "" : ",") + "shape=box,style=bold,color=red";
    if (n.derived && !n.cost)
      attrs += std::string(attrs.empty() ? "" : ",") + "color=gray50,fontcolor=gray40";
    out << "[label=\"" << label << "\"" << (attrs.empty() ? "" : "," + attrs) << "]";
  }
};

}  // namespace

void write_dot(const Graph& g, std::ostream& out) {
  boost::write_graphviz(out, g.boost_graph(), NodeWriter{&g});
}

}  // namespace scg
