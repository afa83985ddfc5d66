#pragma once
// Internal (not installed): implicit reparameterization (Figurnov, Mnih and Mnih 2018) for
// gamma and beta. For a sample z with CDF F(z; theta), dz/dtheta = -(dF/dtheta) / (dF/dz).
// dF/dz is the density (Boost.Math); dF/dtheta, which has no closed form, is a five-point
// central difference of Boost.Math's regularized incomplete function in theta with step
// 1e-3 theta (truncation about 1e-12 relative, rounding about 1e-13 / theta), taken on the
// complement where F > 1/2 so that a tail does not cancel.

#include "scg/core/graph.hpp"

namespace scg::detail {

/// d x / d(shape) of x ~ Gamma(shape, rate) (x = z / rate, z ~ Gamma(shape, 1)), one node of
/// x's shape built from the sample and the parameters. First order only: differentiating it
/// again throws scg::Error.
Var gamma_sample_grad(const Var& x, const Var& shape, const Var& rate);
/// d x / da (which = 0) or d x / db (which = 1) of x ~ Beta(a, b). First order only.
Var beta_sample_grad(const Var& x, const Var& a, const Var& b, int which);

}  // namespace scg::detail
