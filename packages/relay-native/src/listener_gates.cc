#include "listener_gates.hpp"

#include <algorithm>

namespace mcr {
namespace {

// 4 bytes (IPv4, in the low 32 bits) or 16, network order.
Address128 ReadAddress(const uint8_t* p, size_t addressBytes) {
  if (addressBytes == 16) return Load6(p);
  return {0, (static_cast<uint64_t>(p[0]) << 24) | (static_cast<uint64_t>(p[1]) << 16) |
                 (static_cast<uint64_t>(p[2]) << 8) | p[3]};
}

}  // namespace

bool ListenerGates::Decode(const uint8_t* bytes, size_t length, size_t addressBytes) {
  if (addressBytes != 4 && addressBytes != 16) return false;
  std::vector<Gate> gates;
  std::vector<Address128> sources;
  size_t offset = 0;
  while (offset < length) {
    if (length - offset < addressBytes + 3) return false;
    const uint8_t mode = bytes[offset + addressBytes];
    if (mode > 1) return false;
    Gate gate;
    gate.group = ReadAddress(bytes + offset, addressBytes);
    gate.include = mode == 1;
    gate.firstSource = static_cast<uint32_t>(sources.size());
    gate.sourceCount = (static_cast<uint32_t>(bytes[offset + addressBytes + 1]) << 8) | bytes[offset + addressBytes + 2];
    offset += addressBytes + 3;
    if ((length - offset) / addressBytes < gate.sourceCount) return false;
    for (uint32_t k = 0; k < gate.sourceCount; ++k, offset += addressBytes) sources.push_back(ReadAddress(bytes + offset, addressBytes));
    std::sort(sources.begin() + gate.firstSource, sources.end());
    gates.push_back(gate);
  }
  std::sort(gates.begin(), gates.end(), [](const Gate& a, const Gate& b) { return a.group < b.group; });
  gates_ = std::move(gates);
  sources_ = std::move(sources);
  enabled_ = true;
  return true;
}

}  // namespace mcr
