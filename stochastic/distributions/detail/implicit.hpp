#pragma once
// Internal (not installed): implicit reparameterization (Figurnov, Mnih and Mnih 2018) for
// gamma and beta. For a sample z with CDF F(z; theta), dz/dtheta = -(dF/dtheta) / (dF/dz).
// dF/dz is the density f (Boost.Math); dF/dtheta, which has no closed form, is F times
// d log F / dtheta, a six-point central difference (error O(h^6)) in theta of the log of
// Boost.Math's regularized incomplete function, taken on the smaller side (F or 1 - F) so
// that a tail does not cancel. The step is h = 0.01 min(theta, sqrt(theta)), the scale over
// which the distribution changes with theta (its spread is sqrt(a) in the gamma's a for large
// a), and log F, unlike F, stays smooth on that scale in the tails: the relative error is
// about 1e-11 for shapes from 1e-2 to 1e8 (tests/stochastic/distributions/implicit_test.cpp).
// F / f is taken in log space where f over- or underflows a double (x^(a - 1) at the smallest
// doubles for a < 1). Boost.Math's errors, and a result that is not finite, are scg::Error
// naming the node.

#include "scg/core/graph.hpp"

namespace scg::detail {

/// d x / d(shape) of x ~ Gamma(shape, rate) (x = z / rate, z ~ Gamma(shape, 1)), one node of
/// x's shape built from the sample and the parameters. First order only: differentiating it
/// again throws scg::Error.
Var gamma_sample_grad(const Var& x, const Var& shape, const Var& rate);
/// d x / da (which = 0) or d x / db (which = 1) of x ~ Beta(a, b). First order only.
Var beta_sample_grad(const Var& x, const Var& a, const Var& b, int which);

}  // namespace scg::detail
