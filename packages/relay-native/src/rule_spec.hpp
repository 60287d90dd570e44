// Reads the rule specs that the TS layer has already validated and converted (addresses as
// network-order Buffers, MACs as 6-byte Buffers, listener gates as encodeListeners writes them) into
// CompiledRule values, the gates sorted for the forwarding thread's binary searches.
#pragma once

#include <napi.h>

#include <vector>

#include "rule_table.hpp"

namespace mcr {

// Counter blocks, sockets and templates are left for the caller to fill in.
std::vector<CompiledRule> ReadRuleSpecs(const Napi::Array& specs);

}  // namespace mcr
