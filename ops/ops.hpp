#pragma once
/// \file
/// Every differentiable op. Each is defined in one file of ops/ (shape rule, forward
/// kernel and gradient rule together); this header declares them. All broadcast on two axes
/// like NumPy where they take two operands, and differentiate to any order.

#include <vector>

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup ops
/// @{

/// a + b, elementwise with broadcasting. d/da = g, d/db = g (summed over stretched axes).
Var operator+(const Var& a, const Var& b);
/// a - b, elementwise with broadcasting.
Var operator-(const Var& a, const Var& b);
/// a * b, elementwise with broadcasting. d/da = g b, d/db = g a.
Var operator*(const Var& a, const Var& b);
/// a / b, elementwise with broadcasting. d/da = g / b, d/db = -g a / b^2.
Var operator/(const Var& a, const Var& b);
/// -a.
Var operator-(const Var& a);
/// a + c with c a constant (likewise the overloads below).
Var operator+(const Var& a, double c);
Var operator+(double c, const Var& a);  ///< c + a
Var operator-(const Var& a, double c);  ///< a - c
Var operator-(double c, const Var& a);  ///< c - a
Var operator*(const Var& a, double c);  ///< a * c
Var operator*(double c, const Var& a);  ///< c * a
Var operator/(const Var& a, double c);  ///< a / c
Var operator/(double c, const Var& a);  ///< c / a

/// e^x. d = g e^x.
Var exp(const Var& x);
/// Natural log. d = g / x. log(exp(t)) returns t itself (exact; no overflow or underflow).
Var log(const Var& x);
/// log(1 + x), accurate for x near 0. d = g / (1 + x).
Var log1p(const Var& x);
/// e^x - 1, accurate for x near 0. d = g (out + 1).
Var expm1(const Var& x);
/// log |Gamma(x)| (Boost.Math). d = g digamma(x).
Var lgamma(const Var& x);
/// digamma(x) = d/dx lgamma(x) (Boost.Math). d = g trigamma(x), and so on to any order.
Var digamma(const Var& x);
/// 1 / (1 + e^-x). d = g s (1 - s).
Var sigmoid(const Var& x);
/// log sigmoid(x) = -softplus(-x), finite for any finite x. d = g sigmoid(-x).
Var log_sigmoid(const Var& x);
/// tanh. d = g (1 - tanh^2).
Var tanh(const Var& x);
/// log(1 + e^x), finite for any finite x. d = g sigmoid(x).
Var softplus(const Var& x);
/// max(x, 0). d = g step(x).
Var relu(const Var& x);
/// x^2. d = 2 g x.
Var square(const Var& x);
/// sqrt(x). d = g / (2 sqrt(x)).
Var sqrt(const Var& x);
/// |x|. d = g sign(x).
Var abs(const Var& x);
/// x^p for a constant p. d = g p x^(p-1).
Var pow(const Var& x, double p);
/// 1 where x > 0, else 0. Derivative 0.
Var step(const Var& x);
/// -1, 0 or 1 by the sign of x. Derivative 0.
Var sign(const Var& x);

/// Sum of all elements, 1x1. d = g broadcast to x's shape.
Var sum(const Var& x);
/// Sum along `axis`: 0 down the rows (1 x cols), 1 across the columns (rows x 1).
Var sum(const Var& x, int axis);
/// Mean of all elements, 1x1.
Var mean(const Var& x);
/// Mean along `axis` (as sum).
Var mean(const Var& x, int axis);
/// Matrix product a (n x k) b (k x m). d/da = g b^T, d/db = a^T g.
Var matmul(const Var& a, const Var& b);
/// Matrix product op(a) op(b), where op(m) is m^T when its flag is set: one product, no
/// transposed copy. matmul(transpose(a), b) builds a node computing the same as matmul(a, b,
/// true, false) (the transpose folds into the flag; no transposed copy is made).
Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b);
/// Transpose. d = g^T. transpose(transpose(x)) is x itself (no node).
Var transpose(const Var& x);
/// Softmax of each row. d = s (g - rowsum(g s)).
Var softmax(const Var& x);
/// Log-softmax of each row, stable. d = g - softmax(x) rowsum(g).
Var log_softmax(const Var& x);
/// The value of `value` with the gradient of `surrogate` (one shape): straight-through
/// estimators. d/dvalue = 0, d/dsurrogate = g.
Var straight_through(const Var& value, const Var& surrogate);
/// Identity in value; no pathwise derivative. (A cost still depends, in expectation, on the
/// stochastic choices that fed it: grad still adds their score terms.)
Var stop_gradient(const Var& x);

/// log sum e^v over every element, 1x1, stable. d = g e^(v - out).
Var logsumexp(const Var& v);
/// log sum e^v along `axis` (0: down the rows, 1 x cols; 1: across the columns, rows x 1).
Var logsumexp(const Var& v, int axis);
/// Rows in consecutive groups of `group` (K samples of one example stacked as K rows): (rows /
/// group) x cols, entry (b, c) the log of the mean of e^v over rows [b group, (b + 1) group) of
/// column c, shifted by the group's largest entry (-inf entries allowed; a group of all -inf
/// gives -inf). The multi-sample bound: log_mean_exp(log_w, K) with log_w = log p(x, h_k) -
/// log q(h_k | x). Row b reads its group's rows only, so grad weights example b's samples by
/// example b's bound alone. rows must be a multiple of group (ShapeError), group >= 1
/// (scg::Error). d = g (each row repeated over its group) .* e^(v - out) / group, exactly 0 in
/// a group of all -inf.
Var log_mean_exp(const Var& v, Eigen::Index group);
/// The largest entry along `axis` (as sum). d = g at the first largest entry, 0 elsewhere.
Var max(const Var& v, int axis);
/// The smallest entry along `axis`. d = g at the first smallest entry, 0 elsewhere.
Var min(const Var& v, int axis);
/// Elementwise larger of a and b (broadcast). d goes to the larger; at ties to b.
Var maximum(const Var& a, const Var& b);
/// Elementwise smaller of a and b (broadcast). d goes to the smaller; at ties to b.
Var minimum(const Var& a, const Var& b);
/// min(max(v, lo), hi) elementwise (lo <= hi). d = g where lo < v < hi, else 0.
Var clamp(const Var& v, double lo, double hi);
/// a where cond is 1, b where cond is 0 (all three broadcast; cond must hold 0/1, checked at
/// run time). d/da = g cond, d/db = g (1 - cond); none to cond.
Var where(const Var& cond, const Var& a, const Var& b);
/// The parts stacked along `axis` (0: rows one after another, 1: columns side by side); the
/// other axis must agree. d = the matching slice of g for each part.
Var concat(const std::vector<Var>& parts, int axis);
/// The elements of v read in row-major order (as NumPy's reshape) as rows x cols: element
/// (i, j) of the result is element i cols + j of v's row-major sequence. rows x cols must
/// equal v's element count (else ShapeError naming both shapes). d = reshape(g, v's shape).
/// reshape to v's own shape is v itself. A reshape that merges consecutive rows in groups of G
/// (v's rows = G rows, cols = G v's cols) keeps rows apart in those groups: grad's causality
/// weights row i of the result by the choices of v's rows [i G, (i + 1) G) only (as
/// log_mean_exp's groups); any other reshape mixes rows.
Var reshape(const Var& v, Eigen::Index rows, Eigen::Index cols);
/// Rows [start, start + count) of v. d = g put back into zeros of v's shape.
Var slice_rows(const Var& v, Eigen::Index start, Eigen::Index count);
/// Columns [start, start + count) of v. d = g put back into zeros of v's shape.
Var slice_cols(const Var& v, Eigen::Index start, Eigen::Index count);
/// Row indices(i) of table for each i (indices: n x 1 of integer values; result n x
/// table.cols), for embeddings. d/dtable = g's rows added back at their indices. A bad index
/// (out of range, not an integer) throws scg::Error naming the node at run time.
Var gather_rows(const Var& table, const Var& indices);
/// Row indices(i) of a rows x cols result accumulates row i of x (indices: x.rows x 1, integer
/// values in [0, rows)); rows no index names are 0. Segment sums; the adjoint of gather_rows.
/// d/dx = gather_rows(g, indices).
Var scatter_rows(const Var& x, const Var& indices, Eigen::Index rows);
/// Sum of products of chosen columns: for s = 0..n-1, column out_index[s] of the rows x cols
/// result accumulates the elementwise product over i of column index[i][s] of tables[i]
/// (every table with `rows` rows; index[i] and out_index with n entries each, checked here).
/// Columns no entry names are 0. The contraction step of variable elimination (tables with one
/// column per joint state, multiplied and one variable summed out in one pass): an einsum over
/// column indices, row by row. d/dtables[j] = product_sum of g and the other tables, g read
/// through out_index and the result written through index[j].
Var product_sum(const std::vector<Var>& tables, const std::vector<std::vector<Eigen::Index>>& index,
                const std::vector<Eigen::Index>& out_index, Eigen::Index cols);
/// product_sum in log space, stably: column o of the result is log sum over s with
/// out_index[s] = o of exp(sum_i log_tables[i].col(index[i][s])), each row shifted by its
/// largest exponent first (products of many tiny likelihood factors neither underflow nor
/// overflow; a column with no entries is -inf). d/dlog_tables[j] = g[o(s)] P(s) added through
/// index[j], with P(s) = exp(S(s) - out[o(s)]) the weight of s in its sum.
Var log_product_sum(const std::vector<Var>& log_tables,
                    const std::vector<std::vector<Eigen::Index>>& index,
                    const std::vector<Eigen::Index>& out_index, Eigen::Index cols);
/// Column s of the result is the sum over i of column index[i][s] of tables[i] (equal row
/// counts; index lists of equal length n >= 1). d/dtables[j] = g's columns added back through
/// index[j].
Var gather_sum(const std::vector<Var>& tables, const std::vector<std::vector<Eigen::Index>>& index);
/// n x k rows with a 1 at column indices(i) (indices: n x 1 integers in [0, k)). No derivative.
Var one_hot(const Var& indices, Eigen::Index k);

/// Rows in consecutive pairs (2i, 2i + 1) mixed by the 2x2 matrix m: out_2i = m00 x_2i + m01
/// x_2i+1, out_2i+1 = m10 x_2i + m11 x_2i+1 (rows must be even). d = pair_mix(g, m^T).
Var pair_mix(const Var& x, double m00, double m01, double m10, double m11);

/// Stretches x to `shape` along axes of length 1. d = sum_to(g, x's shape).
Var broadcast_to(const Var& x, Shape shape);
/// Sums x over the axes where `shape` has length 1 (inverse of broadcast_to). Returns x
/// itself when the shapes already agree.
Var sum_to(const Var& x, Shape shape);

/// DiCE's MagicBox: value 1 (elementwise, t's shape), derivative magic_box(t) dt, to every
/// order; the same as exp(t - stop_gradient(t)), but t is never evaluated for the value, so
/// it costs one fill (so a stateful op, such as a moving average, inside t does not update
/// when only the box is run). For writing surrogate losses by hand; grad builds them with it.
Var magic_box(const Var& t);
/// Sum of x over consecutive groups of k rows, written to every row of its group (rows must
/// be a multiple of k). d = group_sum(g).
Var group_sum(const Var& x, Eigen::Index k);
/// Per-session moving average over runs of mean(x), 1x1: the average before this run's value
/// is folded in, bias-corrected (0 on the first run); decay in [0, 1) weighs the past. No
/// derivative. (grad's moving-average baseline.)
Var moving_average(const Var& x, double decay);

/// @}
}  // namespace scg
