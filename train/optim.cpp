#include "scg/train/optim.hpp"

#include <cmath>

#include "scg/core/error.hpp"

namespace scg {

namespace {
void check(const std::vector<Var>& params, const std::vector<Tensor>& grads, const char* who) {
  if (grads.size() != params.size())
    throw Error(std::string(who) + "::step: " + std::to_string(grads.size()) + " gradients for " +
                std::to_string(params.size()) + " parameters");
  for (std::size_t i = 0; i < params.size(); ++i)
    if (grads[i].shape() != params[i].shape())
      throw ShapeError(std::string(who) + "::step: gradient " + grads[i].shape().str() + " for " +
                       params[i].describe());
}
std::vector<Tensor> zeros_like(const std::vector<Var>& params) {
  std::vector<Tensor> out;
  for (const Var& p : params) {
    if (p.graph().kind(p.id()) != NodeKind::kParameter)
      throw Error("optimizer: " + p.describe() + " is not a parameter");
    out.emplace_back(p.shape());
  }
  return out;
}
}  // namespace

Sgd::Sgd(std::vector<Var> params, double lr, double momentum)
    : params_(std::move(params)),
      lr_(lr),
      momentum_(momentum),
      velocity_(zeros_like(params_)),
      work_(zeros_like(params_)) {}

void Sgd::step(const std::vector<Tensor>& grads) {
  check(params_, grads, "Sgd");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    velocity_[i].array() = momentum_ * velocity_[i].array() + grads[i].array();
    work_[i].array() = params_[i].value().array() - lr_ * velocity_[i].array();
    params_[i].set_value(work_[i]);
  }
}

namespace {
/// Throws unless `state` holds `offset` leading 1x1 entries and then `copies` tensors per
/// parameter, each of that parameter's shape.
void check_state(const std::vector<Var>& params, const std::vector<Tensor>& state,
                 std::size_t offset, std::size_t copies, const char* who) {
  if (state.size() != offset + copies * params.size())
    throw Error(std::string(who) + "::set_state: " + std::to_string(state.size()) +
                " tensors for " + std::to_string(params.size()) + " parameters (expected " +
                std::to_string(offset + copies * params.size()) + ")");
  for (std::size_t i = 0; i < offset; ++i)
    if (!state[i].shape().scalar())
      throw ShapeError(std::string(who) + "::set_state: entry " + std::to_string(i) +
                       " must be 1x1");
  for (std::size_t c = 0; c < copies; ++c)
    for (std::size_t i = 0; i < params.size(); ++i)
      if (state[offset + c * params.size() + i].shape() != params[i].shape())
        throw ShapeError(std::string(who) + "::set_state: a " +
                         state[offset + c * params.size() + i].shape().str() + " tensor for " +
                         params[i].describe());
}
}  // namespace

void Sgd::set_state(const std::vector<Tensor>& state) {
  check_state(params_, state, 0, 1, "Sgd");
  velocity_ = state;
}

std::vector<Tensor> Adam::state() const {
  std::vector<Tensor> s{Tensor(static_cast<double>(t_))};
  s.insert(s.end(), m_.begin(), m_.end());
  s.insert(s.end(), v_.begin(), v_.end());
  return s;
}

void Adam::set_state(const std::vector<Tensor>& state) {
  check_state(params_, state, 1, 2, "Adam");
  const double t = state[0].item();
  if (!(t >= 0 && t == std::floor(t)))
    throw Error("Adam::set_state: step count " + std::to_string(t) + " is not a count");
  t_ = static_cast<long>(t);
  const std::size_t n = params_.size();
  for (std::size_t i = 0; i < n; ++i) m_[i] = state[1 + i], v_[i] = state[1 + n + i];
}

Adam::Adam(std::vector<Var> params, double lr, double beta1, double beta2, double eps)
    : params_(std::move(params)),
      lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      m_(zeros_like(params_)),
      v_(zeros_like(params_)),
      work_(zeros_like(params_)) {}

void Adam::step(const std::vector<Tensor>& grads) {
  check(params_, grads, "Adam");
  ++t_;
  const double c1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    m_[i].array() = beta1_ * m_[i].array() + (1.0 - beta1_) * grads[i].array();
    v_[i].array() = beta2_ * v_[i].array() + (1.0 - beta2_) * grads[i].array().square();
    work_[i].array() = params_[i].value().array() -
                       lr_ * (m_[i].array() / c1) / ((v_[i].array() / c2).sqrt() + eps_);
    params_[i].set_value(work_[i]);
  }
}

}  // namespace scg
