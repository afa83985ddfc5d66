#pragma once
/// \file
/// Training utilities: optimizers, checkpoints, parameters by name (they use core only).

#include "scg/train/checkpoint.hpp"
#include "scg/train/optim.hpp"
#include "scg/train/parameters.hpp"
