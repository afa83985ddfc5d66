#pragma once
/// \file
/// Optimizers: step parameters from gradient values, behind one interface (a checkpoint
/// saves and restores any of them through state() and set_state()).

#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/tensor.hpp"

namespace scg {
/// \addtogroup training
/// @{

/// An optimizer of a fixed list of parameters.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One step; `grads[i]` has the shape of the i-th parameter. Allocates nothing.
  virtual void step(const std::vector<Tensor>& grads) = 0;
  /// The optimizer's state, for checkpoints.
  virtual std::vector<Tensor> state() const = 0;
  /// Restores a state from state(); throws scg::Error (changing nothing) if it does not fit.
  virtual void set_state(const std::vector<Tensor>& state) = 0;
};

/// Stochastic gradient descent with optional momentum: v = m v + g; p -= lr v.
class Sgd final : public Optimizer {
 public:
  /// Steps `params` with learning rate `lr` and momentum `momentum`.
  Sgd(std::vector<Var> params, double lr, double momentum = 0.0);
  /// One step; `grads[i]` has the shape of `params[i]`. Allocates nothing.
  void step(const std::vector<Tensor>& grads) override;
  /// The optimizer's state (one velocity per parameter), for checkpoints.
  std::vector<Tensor> state() const override { return velocity_; }
  /// Restores a state from state(); throws scg::Error (changing nothing) if it does not fit.
  void set_state(const std::vector<Tensor>& state) override;

 private:
  std::vector<Var> params_;
  double lr_, momentum_;
  std::vector<Tensor> velocity_, work_;
};

/// Adam (Kingma and Ba 2015) with bias correction.
class Adam final : public Optimizer {
 public:
  /// Steps `params` with learning rate `lr` and the usual moment decays.
  Adam(std::vector<Var> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8);
  /// One step; `grads[i]` has the shape of `params[i]`. Allocates nothing.
  void step(const std::vector<Tensor>& grads) override;
  /// The optimizer's state (the step count as a 1x1 tensor, then the first and the second
  /// moments of each parameter), for checkpoints.
  std::vector<Tensor> state() const override;
  /// Restores a state from state(); throws scg::Error (changing nothing) if it does not fit.
  void set_state(const std::vector<Tensor>& state) override;

 private:
  std::vector<Var> params_;
  double lr_, beta1_, beta2_, eps_;
  long t_ = 0;
  std::vector<Tensor> m_, v_, work_;
};

/// @}
}  // namespace scg
