// write_dot: the DOT text names the nodes, draws kinds distinctly, and `dot -Tsvg` accepts it.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <scg/scg.hpp>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {
// Per-process names: other build trees may run this test at the same time.
std::string temp_stem(const char* what) {
  return "scg_dot_test_" + std::string(what) + "_" + std::to_string(::getpid());
}
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("write_dot of a graph with gradient nodes is valid Graphviz") {
  scg::Graph g;
  auto x = g.input("features", 2, 3);
  auto w = g.parameter("weights", scg::Tensor(3, 1, 0.5));
  auto odd = g.parameter("odd \"name\" \\ here", 1.0);  // quotes and backslashes are escaped
  auto logits = scg::matmul(x, w) * odd;
  auto b = scg::bernoulli(logits);
  auto cost = scg::sum(scg::tanh(logits) * b) + 0.5;
  auto grads = scg::grad(cost, {w, odd});
  const std::size_t nodes = g.size();

  std::ostringstream os;
  scg::write_dot(g, os);
  const std::string dot = os.str();
  CHECK(dot.find("digraph") != std::string::npos);
  CHECK(dot.find("features") != std::string::npos);
  CHECK(dot.find("weights") != std::string::npos);
  CHECK(dot.find("matmul") != std::string::npos);
  CHECK(dot.find("tanh") != std::string::npos);
  CHECK(dot.find("bernoulli") != std::string::npos);
  CHECK(dot.find("doubleoctagon") != std::string::npos);  // the stochastic node
  CHECK(dot.find("color=red") != std::string::npos);      // the cost
  CHECK(dot.find("gray50") != std::string::npos);         // gradient nodes
  CHECK(dot.find("tanh_backward") != std::string::npos);  // one of them
  CHECK(count(dot, "label=") == nodes);                   // every node, once
  CHECK(count(dot, "->") >= nodes - 6);                   // and the edges (all but leaves)

  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem = temp_stem("graph");
  const auto dot_file = dir / (stem + ".dot");
  const auto svg_file = dir / (stem + ".svg");
  {
    std::ofstream f(dot_file);
    f << dot;
  }
  const std::string cmd =
      "dot -Tsvg '" + dot_file.string() + "' -o '" + svg_file.string() + "' 2>/dev/null";
  const int status = std::system(cmd.c_str());
  CHECK(status == 0);
  REQUIRE(std::filesystem::exists(svg_file));
  std::ifstream in(svg_file);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("weights") != std::string::npos);
  CHECK(svg.find("odd &quot;name&quot; \\ here") != std::string::npos);  // escaped, intact
  // Labels are two lines (name, then "#id shape"): dot must get a line break, not a literal
  // backslash-n, so each line is its own SVG text element.
  CHECK(svg.find(">weights</text>") != std::string::npos);
  CHECK(svg.find("\\n#") == std::string::npos);
  CHECK(svg.find(">#" + std::to_string(w.id()) + " 3x1</text>") != std::string::npos);
  std::filesystem::remove(dot_file);
  std::filesystem::remove(svg_file);
  (void)grads;
}

TEST_CASE("write_dot: an empty graph is valid too, and dot rejects garbage (the check works)") {
  scg::Graph g;
  std::ostringstream os;
  scg::write_dot(g, os);
  const auto dir = std::filesystem::temp_directory_path();
  const auto good = dir / (temp_stem("empty") + ".dot"), bad = dir / (temp_stem("bad") + ".dot");
  std::ofstream(good) << os.str();
  std::ofstream(bad) << "digraph G { 0 [label=\"unterminated ] }";
  CHECK(std::system(("dot -Tsvg '" + good.string() + "' -o /dev/null 2>/dev/null").c_str()) == 0);
  CHECK(std::system(("dot -Tsvg '" + bad.string() + "' -o /dev/null 2>/dev/null").c_str()) != 0);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST_CASE("write_dot draws small and large constants with their value, not 0") {
  scg::Graph g;
  auto x = g.parameter("x", 1.0);
  auto y = (x * 1e-7 + 0.5) * 1234567.0;
  (void)y;
  std::ostringstream os;
  scg::write_dot(g, os);
  const std::string dot = os.str();
  CHECK(dot.find("label=\"1e-07\\n#") != std::string::npos);
  CHECK(dot.find("label=\"0.5\\n#") != std::string::npos);
  CHECK(dot.find("label=\"1.23457e+06\\n#") != std::string::npos);
  CHECK(dot.find("label=\"0\\n#") == std::string::npos);
}
