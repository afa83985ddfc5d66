// The usage snippet of README.md, kept compiling and passing here: the Bernoulli NOT gate,
// trained by the single-sample gradient estimator that scg::grad builds, and judged by the
// exact expected cost that scg::expectation builds by enumeration.
#include <cstdio>
#include <scg/scg.hpp>
#include <vector>

int main() {
  scg::Graph g;
  scg::Var w0 = g.parameter("w0", 0.0), b0 = g.parameter("b0", 0.0);
  scg::Var w1 = g.parameter("w1", 0.0), b1 = g.parameter("b1", 0.0);
  scg::Var x = g.constant(scg::Tensor::from_rows({{0.0}, {1.0}}));  // both inputs, one per row
  scg::Var gate = scg::bernoulli(w0 * x + b0);          // B = 1 with probability sigmoid(w0 x + b0)
  scg::Var y = gate * scg::sigmoid(w1 * x + b1);        // the gated neuron
  scg::Var cost = scg::sum(scg::square((1.0 - x) - y));  // NOT: the target is 1 - x

  std::vector<scg::Var> params{w0, b0, w1, b1};
  std::vector<scg::Var> estimate = scg::grad(cost, params);  // unbiased: score terms added for B
  scg::Var expected = scg::expectation(cost);                // exact E[cost] over the 4 states of B
  std::vector<scg::Var> exact = scg::grad(expected, params); // its exact gradient

  scg::Session s(g, /*seed=*/42);
  std::printf("before: E[cost] = %.4f, exact dE/dw0 = %.4f\n", s.run(expected).item(),
              s.run(exact)[0].item());
  for (int step = 0; step < 3000; ++step) {
    const std::vector<scg::Tensor>& d = s.run(estimate);  // one sample of B per run
    for (std::size_t i = 0; i < params.size(); ++i)
      params[i].set_value(params[i].value().item() - 0.2 * d[i].item());
  }
  const double ec = s.run(expected).item();
  std::printf("after:  E[cost] = %.4f\n", ec);
  return ec < 0.1 ? 0 : 1;
}
