#include "frame_parser.hpp"

#include <cstring>

namespace mcr {
namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr uint16_t kEthTypeIpv4 = 0x0800;
constexpr uint16_t kEthTypeVlan = 0x8100;
constexpr uint8_t kProtoUdp = 17;

inline uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline void Malformed(ParsedFrame& out, const char* reason) {
  out.kind = FrameKind::Malformed;
  out.reason = reason;
}

}  // namespace

void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out) noexcept {
  out = ParsedFrame();
  if (length < kEthHeader) return Malformed(out, "truncated Ethernet header");
  size_t l3 = kEthHeader;
  uint16_t ethType = Read16(data + 12);
  if (ethType == kEthTypeVlan) {
    // At most one tag: a second tag (QinQ) leaves a non-IPv4 ethertype and is reported as such.
    if (length < kEthHeader + kVlanTag) return Malformed(out, "truncated 802.1Q tag");
    out.vlan = Read16(data + 14) & 0x0fff;
    ethType = Read16(data + 16);
    l3 += kVlanTag;
  }
  if (ethType != kEthTypeIpv4) {
    out.kind = FrameKind::NotIpv4;
    return;
  }
  out.l3Offset = static_cast<uint32_t>(l3);
  const size_t available = length - l3;
  if (available < 20) return Malformed(out, "truncated IPv4 header");
  const uint8_t* ip = data + l3;
  if ((ip[0] >> 4) != 4) return Malformed(out, "IP version is not 4");
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if (ihl < 20) return Malformed(out, "IHL below 5");
  if (ihl > available) return Malformed(out, "IHL past the end of the frame");
  const size_t totalLength = Read16(ip + 2);
  if (totalLength < ihl) return Malformed(out, "IPv4 total length below the header length");
  // Ethernet padding may follow the packet: total length bounds the packet, not the frame.
  if (totalLength > available) return Malformed(out, "IPv4 total length past the end of the frame");

  out.tos = ip[1];
  std::memcpy(&out.ipId, ip + 4, 2);
  const uint16_t fragField = Read16(ip + 6);
  out.ttl = ip[8];
  std::memcpy(&out.source, ip + 12, 4);
  std::memcpy(&out.group, ip + 16, 4);
  // MF set or a non-zero offset: only the first fragment carries the UDP header; none is relayed.
  if ((fragField & 0x2000) != 0 || (fragField & 0x1fff) != 0) {
    out.kind = FrameKind::Fragment;
    return;
  }
  out.dontFragment = (fragField & 0x4000) != 0;
  if (ip[9] != kProtoUdp) {
    out.kind = FrameKind::NotUdp;
    return;
  }
  const size_t l4Available = totalLength - ihl;
  if (l4Available < 8) return Malformed(out, "truncated UDP header");
  const uint8_t* udp = ip + ihl;
  const size_t udpLength = Read16(udp + 4);
  if (udpLength < 8) return Malformed(out, "UDP length below 8");
  if (udpLength > l4Available) return Malformed(out, "UDP length past the end of the IPv4 packet");
  out.sourcePort = Read16(udp);
  out.port = Read16(udp + 2);
  out.udpChecksum = Read16(udp + 6);
  out.payloadOffset = static_cast<uint32_t>(l3 + ihl + 8);
  out.payloadLength = static_cast<uint32_t>(udpLength - 8);
  out.kind = FrameKind::Udp;
}

}  // namespace mcr
