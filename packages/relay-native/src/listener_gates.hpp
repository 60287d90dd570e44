// An output's listener gates (OutputSpec.listeners): the destination groups that have listeners on
// the output's segment, and for each the sources they take traffic from (the IGMPv3 / MLDv2 filter
// modes: INCLUDE the listed sources, or EXCLUDE them). The relay computes the listener state; this
// applies it per frame.
// Built on the JS thread when a table is read: gates sorted by group and each gate's sources sorted,
// in two flat arrays, so the forwarding thread decides with two binary searches (at most 12 + 6
// steps at NATIVE_LIMITS' bounds), without allocating or locking. Pure C++: no Napi, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ip_address.hpp"

namespace mcr {

class ListenerGates {
 public:
  // Reads gates as validate.ts's encodeListeners writes them, one after another: the group
  // (`addressBytes` 4 or 16), the mode (1 byte: 1 include, 0 exclude), the source count (2 bytes,
  // big endian), the sources. Returns false, and leaves the gates as they were, when the bytes do
  // not hold whole gates. Zero bytes: gated, and no group has a listener.
  bool Decode(const uint8_t* bytes, size_t length, size_t addressBytes);

  // False: no gating, every frame goes out (the output has no `listeners`).
  bool enabled() const { return enabled_; }
  size_t gateCount() const { return gates_.size(); }
  size_t sourceCount() const { return sources_.size(); }

  // Whether a frame from `source` to `destination` (the output's destination for it, after offset
  // mapping) goes out. Only meaningful when enabled().
  bool Admits(const Address128& destination, const Address128& source) const noexcept {
    size_t low = 0;
    size_t high = gates_.size();
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      if (gates_[mid].group < destination) low = mid + 1;
      else high = mid;
    }
    if (low == gates_.size() || gates_[low].group != destination) return false;  // nobody listens
    const Gate& gate = gates_[low];
    const Address128* first = sources_.data() + gate.firstSource;
    const Address128* last = first + gate.sourceCount;
    while (first < last) {
      const Address128* mid = first + (last - first) / 2;
      if (*mid < source) first = mid + 1;
      else last = mid;
    }
    const bool listed = first != sources_.data() + gate.firstSource + gate.sourceCount && *first == source;
    return gate.include == listed;
  }

 private:
  struct Gate {
    Address128 group;
    uint32_t firstSource = 0;  // into sources_
    uint32_t sourceCount = 0;
    bool include = false;      // true: only the listed sources; false: all but them
  };
  bool enabled_ = false;
  std::vector<Gate> gates_;           // sorted by group
  std::vector<Address128> sources_;   // each gate's run sorted
};

}  // namespace mcr
