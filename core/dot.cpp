// write_dot: one pass over the nodes, one line per node and per operand edge. (Boost's
// write_graphviz quoted every id through a regular expression: about 30 us a node.)
#include "scg/core/dot.hpp"

#include <cstdio>

#include "scg/core/distribution.hpp"
#include "scg/core/op.hpp"

namespace scg {

namespace {

void write_escaped(std::ostream& out, const std::string& s) {
  for (char c : s) {
    if (c == '"' || c == '\\') out << '\\';
    out << c;
  }
}

}  // namespace

void write_dot(const Graph& g, std::ostream& out) {
  out << "digraph G {\n";
  char buf[32];
  for (std::size_t id = 0; id < g.size(); ++id) {
    std::string label;
    const char* attrs = "";
    switch (g.kind(id)) {
      case NodeKind::kParameter:
        label = g.name(id);
        attrs = ",shape=box,color=blue,fontcolor=blue";
        break;
      case NodeKind::kInput:
        label = g.name(id);
        attrs = ",shape=box,color=darkgreen,fontcolor=darkgreen";
        break;
      case NodeKind::kConstant:
        if (g.shape(id).scalar()) {
          std::snprintf(buf, sizeof buf, "%.6g", g.value(id)->item());
          label = buf;
        } else {
          label = "const";
        }
        attrs = ",shape=plaintext";
        break;
      case NodeKind::kOp:
        label = g.op(id)->label();
        if (dynamic_cast<const Distribution*>(g.op(id)))
          attrs = ",shape=doubleoctagon,style=filled,fillcolor=orange";
        break;
    }
    out << id << " [label=\"";
    write_escaped(out, label);
    // "\n" (backslash, n) is a line break in a DOT label: written after the escaped text.
    out << "\\n#" << id << ' ' << g.shape(id).str() << '"' << attrs;
    if (g.is_cost(id))
      out << ",shape=box,style=bold,color=red";
    else if (g.derived(id))
      out << ",color=gray50,fontcolor=gray40";
    out << "];\n";
  }
  for (std::size_t id = 0; id < g.size(); ++id)
    for (std::uint32_t in : g.inputs(id)) out << in << "->" << id << ";\n";
  out << "}\n";
}

}  // namespace scg
