#pragma once
// Internal (not installed): contractions used by the library but not offered as ops (no
// derivative flows through them, so they are not in the op table). See ops/product_sum.cpp.
#include <vector>

#include "scg/core/graph.hpp"

namespace scg::detail {

/// Column o (of 2 cols): the largest sum_i log_tables[i].col(index[i][s]) over s with
/// out_index[s] = o (product_sum's maps; max instead of log_product_sum's log-sum-exp); column
/// cols + o: per row, the rank of the first such s attaining it among the s mapped to o, in
/// ascending order (the argmax, for a traceback: in an elimination step's layout, the state of
/// the variable summed out; 0 where every sum is -inf). Read through maps into columns below
/// cols, the result is the max-sum table. No derivative.
Var log_max_sum(const std::vector<Var>& log_tables,
                const std::vector<std::vector<Eigen::Index>>& index,
                const std::vector<Eigen::Index>& out_index, Eigen::Index cols);

}  // namespace scg::detail
