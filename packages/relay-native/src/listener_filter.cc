#include "listener_filter.hpp"

#include <linux/if_packet.h>

#include "listener_wire.hpp"

namespace mcr {
namespace {

constexpr uint32_t kAccept = 0xffffffffu;  // the whole packet
constexpr uint32_t kDrop = 0;
constexpr uint32_t kPacketType = static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE);  // ancillary load

std::vector<sock_filter> Ipv4Program() {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kPacketType),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 7, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 4),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 2),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 1),  // MF or an offset: a fragment
      BPF_STMT(BPF_RET | BPF_K, kDrop),
      BPF_STMT(BPF_RET | BPF_K, kAccept),
  };
}

std::vector<sock_filter> Ipv6Program() {
  std::vector<sock_filter> p = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kPacketType),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kDrop),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x60, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kDrop),
      // X = where the ICMPv6 message starts: 40, or 40 + the Hop-by-Hop header's length.
      BPF_STMT(BPF_LDX | BPF_IMM, 40),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 9, 0),  // straight to the type, X = 40
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kDrop),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40),  // the Hop-by-Hop header's next header
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kDrop),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 41),  // its length in 8-byte units, not counting the first
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 6),  // + 1 unit + the 40-byte header (5 units)
      BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 3),
      BPF_STMT(BPF_MISC | BPF_TAX, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),   // the ICMPv6 type
  };
  const size_t count = sizeof kMldTypes / sizeof kMldTypes[0];
  for (size_t i = 0; i < count; ++i) {
    // Equal: jump over the remaining tests and the drop, to the accept.
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kMldTypes[i], static_cast<uint8_t>(count - i), 0));
  }
  p.push_back(BPF_STMT(BPF_RET | BPF_K, kDrop));
  p.push_back(BPF_STMT(BPF_RET | BPF_K, kAccept));
  return p;
}

}  // namespace

std::vector<sock_filter> BuildListenerFilter(bool ipv6) { return ipv6 ? Ipv6Program() : Ipv4Program(); }

}  // namespace mcr
