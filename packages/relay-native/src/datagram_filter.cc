#include "datagram_filter.hpp"

#include <linux/if_packet.h>

#include <cstddef>

namespace mcr {
namespace {

constexpr uint32_t kAccept = 0xffffffffu;  // the whole packet
constexpr uint32_t kDrop = 0;
constexpr uint32_t kPacketType = static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE);  // ancillary load

uint32_t Word(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// A straight program whose tests jump to one final drop: Finish appends accept and drop and resolves
// the false branches of RequireEqual; the two tests whose true branch drops are resolved by the caller.
struct Program {
  std::vector<sock_filter> code;
  std::vector<size_t> toDrop;  // conditional jumps whose false branch goes to the drop

  void Op(sock_filter f) { code.push_back(f); }
  void RequireEqual(uint32_t k) {
    toDrop.push_back(code.size());
    code.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0));
  }
  std::vector<sock_filter> Finish() {
    code.push_back(BPF_STMT(BPF_RET | BPF_K, kAccept));
    const size_t drop = code.size();
    code.push_back(BPF_STMT(BPF_RET | BPF_K, kDrop));
    for (size_t at : toDrop) code[at].jf = static_cast<uint8_t>(drop - at - 1);
    return code;
  }
};

}  // namespace

std::vector<sock_filter> BuildDatagramFilter(bool ipv6, const uint8_t* group, uint16_t port) {
  Program p;
  // pkt_type: accepted below PACKET_OTHERHOST. JGE true -> drop (resolved at the end through jt).
  p.Op(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kPacketType));
  const size_t typeJump = p.code.size();
  p.Op(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 0, 0));
  p.Op(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0));
  p.Op(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0));
  if (ipv6) {
    p.RequireEqual(0x60);
    p.Op(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6));
    p.RequireEqual(17);
    for (uint32_t i = 0; i < 4; ++i) {
      p.Op(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 24 + 4 * i));
      p.RequireEqual(Word(group + 4 * i));
    }
    p.Op(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 42));
    p.RequireEqual(port);
  } else {
    p.RequireEqual(0x40);
    p.Op(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9));
    p.RequireEqual(17);
    p.Op(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6));
    // A fragment (MF or an offset): JSET true -> drop, resolved below.
    const size_t fragmentJump = p.code.size();
    p.Op(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 0));
    p.Op(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16));
    p.RequireEqual(Word(group));
    p.Op(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0));  // X = the IPv4 header's length
    p.Op(BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2));   // the UDP destination port
    p.RequireEqual(port);
    std::vector<sock_filter> code = p.Finish();
    const size_t drop = code.size() - 1;
    code[typeJump].jt = static_cast<uint8_t>(drop - typeJump - 1);
    code[fragmentJump].jt = static_cast<uint8_t>(drop - fragmentJump - 1);
    return code;
  }
  std::vector<sock_filter> code = p.Finish();
  const size_t drop = code.size() - 1;
  code[typeJump].jt = static_cast<uint8_t>(drop - typeJump - 1);
  return code;
}

}  // namespace mcr
