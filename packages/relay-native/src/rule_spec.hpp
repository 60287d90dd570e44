// Reads the rule specs that the TS layer has already validated and converted (addresses as
// host-order uint32 numbers, MACs as 6-byte Buffers) into CompiledRule values.
#pragma once

#include <napi.h>

#include <vector>

#include "rule_table.hpp"

namespace mcr {

// Counter blocks, sockets and templates are left for the caller to fill in.
std::vector<CompiledRule> ReadRuleSpecs(const Napi::Array& specs);

}  // namespace mcr
