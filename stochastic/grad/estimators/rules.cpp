// The table of estimator rules, one row per Estimator value, in the enum's order (a test checks
// that every value has its row). Adding an estimator: its file in this folder, its value in
// grad.hpp, its row here.
#include <array>

#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {

const EstimatorRule& score_rule();
const EstimatorRule& pathwise_rule();
const EstimatorRule& disarm_rule();
const EstimatorRule& enumerate_rule();
const EstimatorRule& relax_rule();
const EstimatorRule& dreg_rule();
const EstimatorRule& unordered_set_rule();

std::span<const EstimatorRule* const> estimator_rules() {
  static const std::array<const EstimatorRule*, 7> rules{
      &score_rule(), &pathwise_rule(), &disarm_rule(),        &enumerate_rule(),
      &relax_rule(), &dreg_rule(),     &unordered_set_rule(),
  };
  return rules;
}

}  // namespace scg::detail
