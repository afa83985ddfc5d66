// Every op of ops.hpp against finite differences, to second order, through the one spec
// table (tests/ops/op_specs.hpp; its value test is in ops_values_test.cpp).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <scg/core/op.hpp>
#include <set>

#include "op_specs.hpp"

using scg_test::Domain;
using scg_test::Input;
using scg_test::Vars;

TEST_CASE("gradcheck table: every op, first and second order") {
  int runs = 0;
  double worst = 0.0;
  std::string worst_case;
  auto run = [&](const std::string& name, const std::vector<Input>& in, const scg_test::Builder& f) {
    const auto rep = scg_test::gradcheck(name, in, f);
    CHECK(rep.compared > 0);
    if (rep.worst_ratio > worst) worst = rep.worst_ratio, worst_case = name;
    ++runs;
  };
  for (const op_specs::Spec& c : op_specs::table()) {
    run(c.name, c.in, c.f);
    if (c.paths == op_specs::kAlso1x1) run(std::string(c.name) + " [1x1 fast path]", op_specs::as_1x1(c.in), c.f);
  }
  CHECK(runs > 100);
  // Worst |analytic - numeric| as a fraction of the tolerance (below 1 passes).
  MESSAGE("gradcheck: " << runs << " runs, worst error/tolerance " << worst << " in " << worst_case);
}

TEST_CASE("the spec table has a row for every op declared in ops.hpp") {
  // Reads the declarations of ops/ops.hpp (so a new op without a row fails here): each
  // function name, operators by their op name, must be the first word of some row's name.
  std::ifstream header(SCG_OPS_HEADER);
  REQUIRE(header.good());
  const std::map<std::string, std::string> operators = {
      {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}};
  // Not finite-difference checkable, each tested on its own (see op_specs.hpp).
  const std::set<std::string> own_tests = {"stop_gradient", "magic_box", "moving_average", "straight_through"};
  std::set<std::string> names;
  for (std::string line; std::getline(header, line);) {
    // "Var name(" or "Var operator?(", at the start of a line.
    if (line.rfind("Var ", 0) != 0) continue;
    const std::size_t open = line.find('(');
    if (open == std::string::npos) continue;
    const std::string fn = line.substr(4, open - 4);
    if (fn.rfind("operator", 0) != 0) {
      names.insert(fn);
      continue;
    }
    const bool unary = line.compare(open + 1, 13, "const Var& a)") == 0;
    names.insert(unary ? "neg" : operators.at(fn.substr(8)));
  }
  CHECK(names.size() > 25);
  for (const std::string& op : names) {
    if (own_tests.count(op)) continue;
    bool found = false;
    // The row's op is its name's first word, matched exactly (so "expm1" is no row of "exp").
    for (const op_specs::Spec& c : op_specs::table()) {
      const std::string row = c.name;
      found = found || row.substr(0, row.find(' ')) == op;
    }
    INFO(op);
    CHECK(found);
  }
}

TEST_CASE("stop_gradient: identity in value, zero derivative, at first and second order") {
  scg::Graph g;
  const scg::Tensor x0 = scg::Tensor::from_rows({{0.5, -1.25, 2.0}, {3.0, -0.75, 1.5}});
  auto x = g.parameter("x", x0);
  auto sg = scg::stop_gradient(x);
  auto w = g.constant(scg::Tensor::from_rows({{1.0, -2.0, 0.5}, {0.25, 3.0, -1.0}}));
  scg::Session s(g, 1);
  CHECK(s.run(sg) == x0);
  // d/dx sum(w * sg(x)) = 0 exactly.
  auto dz = scg::grad(scg::sum(w * sg), {x});
  CHECK(s.run(dz[0]) == scg::Tensor(2, 3, 0.0));
  // d/dx sum(w * x * sg(x)) = w * sg(x) (the stopped factor is a constant), valued w * x, not
  // 2 w x; it is built from sg(x), so its own derivative is 0, not w.
  auto d1 = scg::grad(scg::sum(w * x * sg), {x});
  CHECK(s.run(d1[0]).matrix().isApprox((w.value().array() * x0.array()).matrix(), 1e-15));
  auto d2 = scg::grad(scg::sum(d1[0]), {x});
  CHECK(s.run(d2[0]) == scg::Tensor(2, 3, 0.0));
  // Where x also enters directly, the second derivative comes from that path only.
  auto d2b = scg::grad(scg::sum(d1[0] * x), {x});  // d/dx sum(w sg(x) x) = w sg(x)
  CHECK(s.run(d2b[0]).matrix().isApprox((w.value().array() * x0.array()).matrix(), 1e-15));
  // 1x1 fast path too.
  auto y = g.parameter("y", 0.75);
  auto dy = scg::grad(y * scg::stop_gradient(y) * 3.0, {y});
  CHECK(s.run(scg::stop_gradient(y)).item() == 0.75);
  CHECK(s.run(dy[0]).item() == doctest::Approx(2.25));
  CHECK(s.run(scg::grad(dy[0], {y})[0]).item() == 0.0);  // dy = 3 sg(y): constant in y
  CHECK(s.run(scg::grad(dy[0] * y, {y})[0]).item() == doctest::Approx(2.25));
}

TEST_CASE("step and sign: exactly zero derivatives, and their values") {
  scg::Graph g;
  auto x = g.parameter("x", scg::Tensor::from_rows({{-2.0, 0.0, 3.0}}));
  scg::Session s(g, 1);
  CHECK(s.run(scg::step(x)) == scg::Tensor::from_rows({{0.0, 0.0, 1.0}}));
  CHECK(s.run(scg::sign(x)) == scg::Tensor::from_rows({{-1.0, 0.0, 1.0}}));
  for (auto f : {&scg::step, &scg::sign}) {
    auto d = scg::grad(scg::sum(f(x) * x), {x});  // = f(x): the f factor contributes nothing
    CHECK(s.run(d[0]) == s.run(f(x)));
    CHECK(s.run(scg::grad(scg::sum(f(x)), {x})[0]) == scg::Tensor(1, 3, 0.0));
  }
  auto y = g.parameter("y", -0.5);  // 1x1 fast path
  CHECK(s.run(scg::step(y)).item() == 0.0);
  CHECK(s.run(scg::sign(y)).item() == -1.0);
  CHECK(s.run(scg::grad(scg::sign(y) * 4.0, {y})[0]).item() == 0.0);
}

// The checker itself has teeth: an op with a wrong first derivative fails (a), and an op whose
// first derivative is right but is built so that its own derivative is wrong fails (b) only.
namespace {
class CubeOp final : public scg::Op {  // x^3 with a gradient rule picked by `mode`
 public:
  explicit CubeOp(int mode) : mode_(mode) {}
  std::string name() const override { return "test_cube"; }
  scg::Shape infer(std::span<const scg::Shape> in) const override { return in[0]; }
  void forward(std::span<const scg::Tensor* const> in, scg::Tensor& out,
               const scg::RunContext&) const override {
    out.array() = in[0]->array().cube();
  }
  std::vector<scg::Var> backward(std::span<const scg::Var> in, const scg::Var&,
                                 const scg::Var& g, std::span<const char>) const override {
    if (mode_ == 0) return {g * 3.0 * scg::square(in[0])};                     // right
    if (mode_ == 1) return {g * 2.0 * scg::square(in[0])};                     // wrong factor
    return {g * 3.0 * scg::square(scg::stop_gradient(in[0]))};  // right value, no 2nd order
  }

 private:
  int mode_;
};
scg::Var cube(const scg::Var& x, int mode) {
  return x.graph().apply(std::make_shared<const CubeOp>(mode), {x});
}
}  // namespace

TEST_CASE("gradcheck catches wrong first and second derivatives") {
  scg_test::GradcheckOptions measure;
  measure.assert_close = false;
  const std::vector<Input> in = {{2, 3, Domain::kAny}};
  auto right = scg_test::gradcheck("cube", in, [](const Vars& x) { return cube(x[0], 0); }, measure);
  auto wrong1 = scg_test::gradcheck("cube", in, [](const Vars& x) { return cube(x[0], 1); }, measure);
  auto wrong2 = scg_test::gradcheck("cube", in, [](const Vars& x) { return cube(x[0], 2); }, measure);
  CHECK(right.compared == 6 + 2 * 6);
  CHECK(right.worst_ratio < 1.0);
  CHECK(wrong1.worst_first > 1000.0);
  CHECK(wrong2.worst_first < 1.0);
  CHECK(wrong2.worst_second > 1000.0);
}

TEST_CASE("reverse mode builds no gradient node for operands off the path to wrt") {
  // Constants and inputs are multiplied, added, divided and multiplied by matrices; every node
  // grad builds must be an ancestor of a returned gradient, at first and second order.
  scg::Graph g;
  auto x = g.constant(scg::Tensor::from_rows({{0.5, -1.0, 2.0}, {1.5, 0.3, -0.7}}));
  auto w = g.parameter("w", scg::Tensor::from_rows({{0.2, -0.1}, {0.4, 0.3}, {-0.5, 0.6}}));
  auto b = g.parameter("b", scg::Tensor::from_rows({{0.1, -0.2}}));
  auto h = scg::tanh(scg::matmul(x, w) + b) * 3.0 - 1.0;
  auto cost = scg::sum(scg::sigmoid(h / 2.0) * h + scg::matmul(x, w, false, false) / (b + 2.0));
  auto dead = [&](std::size_t first, const std::vector<scg::Var>& results) {
    std::vector<char> live(g.size(), 0);
    for (const auto& r : results) live[r.id()] = 1;
    std::size_t count = 0;
    for (std::size_t id = g.size(); id-- > first;) {
      if (!live[id]) { ++count; MESSAGE("dead: " << g.describe(id)); continue; }
      for (std::size_t in : g.inputs(id)) live[in] = 1;
    }
    return count;
  };
  std::size_t before = g.size();
  const auto g1 = scg::grad(cost, {w, b});
  CHECK(dead(before, g1) == 0);
  const auto second = scg::sum(g1[0]) + scg::sum(g1[1]);
  before = g.size();
  const auto g2 = scg::grad(second, {w, b});
  CHECK(dead(before, g2) == 0);
  // The gradients are still right: compared with the plain rule on one entry, by differences.
  scg::Session s(g, 1);
  const double base = s.run(cost).item(), eps = 1e-6;
  const scg::Tensor w0 = w.value();
  scg::Tensor w1 = w0;
  w1(2, 1) += eps;
  const double analytic = s.run(g1[0])(2, 1);
  w.set_value(w1);
  CHECK((s.run(cost).item() - base) / eps == doctest::Approx(analytic).epsilon(1e-5));
  w.set_value(w0);
}
