#pragma once
// Internal: observations as batches. A request's observation is either a batch (arrays [B, ...], texts a
// List of B strings) or one observation (OpenPI style), which becomes a batch of one. Requests whose batches
// have the same layout (signature) are concatenated into one act() call and the actions split back.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bridge::detail {

// Rows of a batch: the leading dim of its first array or the length of its first list; -1 when it has
// neither.
std::int64_t batch_rows(const env::Dict& obs);
// Throws InvalidArgument naming the first array or list whose leading size is not `rows`.
void check_rows(const env::Dict& obs, std::int64_t rows, const std::string& path = "");
// One observation as a batch of one: arrays get a leading 1 (a view), texts become a List of one, numbers
// and bools 1-element arrays, nested dicts recursively.
env::Dict as_batch_of_one(const env::Dict& obs);
// Equal for batches that can be concatenated: same keys, kinds, dtypes and shapes after the leading dim.
std::string signature(const env::Dict& obs);
// Concatenates batches of equal signature along the leading dim (copies).
env::Dict concat(const std::vector<const env::Dict*>& parts);

}  // namespace a2w::bridge::detail
