// write_dot: one pass over the nodes, one line per node and per operand edge, formatted into a
// buffer with std::to_chars and handed to the stream in blocks (about 0.1 us a node; a stream
// insertion per field cost 5 to 8 times building the graph). Boost's write_graphviz quoted
// every id through a regular expression: about 30 us a node.
#include "scg/core/dot.hpp"

#include <charconv>
#include <cstdio>

#include "scg/core/distribution.hpp"
#include "scg/core/op.hpp"

namespace scg {

namespace {

class DotBuffer {
 public:
  explicit DotBuffer(std::ostream& out) : out_(out) { buf_.reserve(kBlock + 4096); }
  ~DotBuffer() { flush(); }
  DotBuffer& operator<<(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  DotBuffer& operator<<(char c) {
    buf_.push_back(c);
    return *this;
  }
  DotBuffer& operator<<(std::size_t v) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    buf_.append(digits, r.ptr);
    return *this;
  }
  void escaped(std::string_view s) {
    for (char c : s) {
      if (c == '"' || c == '\\') buf_.push_back('\\');
      buf_.push_back(c);
    }
  }
  void end_line() {
    buf_.push_back('\n');
    if (buf_.size() >= kBlock) flush();
  }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr std::size_t kBlock = 1 << 16;
  std::ostream& out_;
  std::string buf_;
};

// The label of a node and its drawing attributes by kind.
std::string_view node_label(const Graph& g, std::size_t id, std::string& scratch,
                            const char*& attrs) {
  switch (g.kind(id)) {
    case NodeKind::kParameter:
      attrs = ",shape=box,color=blue,fontcolor=blue";
      return g.name(id);
    case NodeKind::kInput:
      attrs = ",shape=box,color=darkgreen,fontcolor=darkgreen";
      return g.name(id);
    case NodeKind::kConstant: {
      attrs = ",shape=plaintext";
      if (!g.shape(id).scalar()) return "const";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", g.value(id)->item());
      scratch = buf;
      return scratch;
    }
    case NodeKind::kOp:
      attrs = dynamic_cast<const Distribution*>(g.op(id))
                  ? ",shape=doubleoctagon,style=filled,fillcolor=orange"
                  : "";
      scratch = g.op(id)->label();
      return scratch;
  }
  attrs = "";
  return {};
}

}  // namespace

void write_dot(const Graph& g, std::ostream& out) {
  DotBuffer b(out);
  b << "digraph G {";
  b.end_line();
  std::string scratch;
  for (std::size_t id = 0; id < g.size(); ++id) {
    const char* attrs = "";
    const std::string_view label = node_label(g, id, scratch, attrs);
    b << id << " [label=\"";
    b.escaped(label);
    // "\n" (backslash, n) is a line break in a DOT label: written after the escaped text.
    const Shape s = g.shape(id);
    b << "\\n#" << id << ' ' << static_cast<std::size_t>(s.rows) << 'x'
      << static_cast<std::size_t>(s.cols) << '"' << attrs;
    if (g.is_cost(id))
      b << ",shape=box,style=bold,color=red";
    else if (g.derived(id))
      b << ",color=gray50,fontcolor=gray40";
    b << "];";
    b.end_line();
  }
  for (std::size_t id = 0; id < g.size(); ++id)
    for (std::uint32_t in : g.inputs(id)) {
      b << static_cast<std::size_t>(in) << "->" << id << ';';
      b.end_line();
    }
  b << '}';
  b.end_line();
}

}  // namespace scg
