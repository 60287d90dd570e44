#include "frame_parser.hpp"

#include <cstring>

namespace mcr {
namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr uint16_t kEthTypeIpv4 = 0x0800;
constexpr uint16_t kEthTypeVlan = 0x8100;
constexpr uint16_t kEthTypeIpv6 = 0x86dd;
constexpr uint8_t kProtoUdp = 17;
constexpr size_t kIpv6Header = 40;

// IPv6 next-header values (IANA "IPv6 Extension Header Types").
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kDestinationOptions = 60;
constexpr uint8_t kMobility = 135;
constexpr uint8_t kHip = 139;
constexpr uint8_t kShim6 = 140;
constexpr uint8_t kExperimental1 = 253;
constexpr uint8_t kExperimental2 = 254;

bool IsExtensionHeader(uint8_t next) {
  switch (next) {
    case kHopByHop: case kRouting: case kFragment: case kEsp: case kAh: case kDestinationOptions:
    case kMobility: case kHip: case kShim6: case kExperimental1: case kExperimental2:
      return true;
    default:
      return false;
  }
}

inline uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline void Malformed(ParsedFrame& out, const char* reason) {
  out.kind = FrameKind::Malformed;
  out.reason = reason;
}

// UDP at `udp`, `available` bytes of the IP packet from there on: ports, length, payload.
void ParseUdp(const uint8_t* data, const uint8_t* udp, size_t available, ParsedFrame& out) {
  if (available < 8) return Malformed(out, "truncated UDP header");
  const size_t udpLength = Read16(udp + 4);
  if (udpLength < 8) return Malformed(out, "UDP length below 8");
  if (udpLength > available) {
    return Malformed(out, out.ipv6 ? "UDP length past the end of the IPv6 packet" : "UDP length past the end of the IPv4 packet");
  }
  out.sourcePort = Read16(udp);
  out.port = Read16(udp + 2);
  out.udpChecksum = Read16(udp + 6);
  out.payloadOffset = static_cast<uint32_t>(udp + 8 - data);
  out.payloadLength = static_cast<uint32_t>(udpLength - 8);
  out.kind = FrameKind::Udp;
}

void ParseIpv6(const uint8_t* data, size_t l3, size_t length, ParsedFrame& out, bool checksumPartial) {
  out.ipv6 = true;
  out.l3Offset = static_cast<uint32_t>(l3);
  const size_t available = length - l3;
  if (available < kIpv6Header) return Malformed(out, "truncated IPv6 header");
  const uint8_t* ip = data + l3;
  if ((ip[0] >> 4) != 6) return Malformed(out, "IP version is not 6");
  const size_t payloadLength = Read16(ip + 4);
  // 0 announces a jumbogram (RFC 2675), which no Ethernet frame can carry.
  if (payloadLength == 0) return Malformed(out, "IPv6 payload length 0 (jumbogram)");
  // Ethernet padding may follow the packet: the payload length bounds the packet, not the frame.
  if (payloadLength > available - kIpv6Header) return Malformed(out, "IPv6 payload length past the end of the frame");
  out.tos = static_cast<uint8_t>(((ip[0] & 0x0f) << 4) | (ip[1] >> 4));
  out.ttl = ip[7];
  std::memcpy(out.source6, ip + 8, 16);
  std::memcpy(out.group6, ip + 24, 16);
  const size_t end = kIpv6Header + payloadLength;  // from ip
  size_t offset = kIpv6Header;
  uint8_t next = ip[6];
  for (int walked = 0; next == kHopByHop || next == kDestinationOptions; ++walked) {
    // Hop-by-Hop is only valid right after the IPv6 header (RFC 8200 4.3).
    if ((next == kHopByHop && walked != 0) || walked == kMaxIpv6OptionHeaders) break;
    if (end - offset < 8) return Malformed(out, "truncated IPv6 option header");
    const size_t headerLength = (static_cast<size_t>(ip[offset + 1]) + 1) * 8;
    if (headerLength > end - offset) return Malformed(out, "IPv6 option header past the end of the packet");
    next = ip[offset];
    offset += headerLength;
  }
  if (next == kFragment) {
    out.kind = FrameKind::Fragment;
    return;
  }
  if (next == kProtoUdp) {
    ParseUdp(data, ip + offset, end - offset, out);
    // The checksum is mandatory over IPv6 (RFC 8200 8.1): 0 is an error, unless the field only
    // holds the sender's pseudo-header seed (TP_STATUS_CSUMNOTREADY).
    if (out.kind == FrameKind::Udp && out.udpChecksum == 0 && !checksumPartial) {
      out.payloadOffset = 0;
      out.payloadLength = 0;
      return Malformed(out, "IPv6 UDP checksum 0");
    }
    return;
  }
  if (IsExtensionHeader(next)) {
    out.kind = FrameKind::ExtensionHeader;
    out.nextHeader = next;
    return;
  }
  out.kind = FrameKind::NotUdp;
}

}  // namespace

void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out, bool checksumPartial) noexcept {
  out = ParsedFrame();
  if (length < kEthHeader) return Malformed(out, "truncated Ethernet header");
  size_t l3 = kEthHeader;
  uint16_t ethType = Read16(data + 12);
  if (ethType == kEthTypeVlan) {
    // At most one tag: a second tag (QinQ) leaves a non-IP ethertype and is reported as such.
    if (length < kEthHeader + kVlanTag) return Malformed(out, "truncated 802.1Q tag");
    out.vlan = Read16(data + 14) & 0x0fff;
    ethType = Read16(data + 16);
    l3 += kVlanTag;
  }
  if (ethType == kEthTypeIpv6) return ParseIpv6(data, l3, length, out, checksumPartial);
  if (ethType != kEthTypeIpv4) {
    out.kind = FrameKind::NotIp;
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
  ParseUdp(data, ip + ihl, totalLength - ihl, out);
}

}  // namespace mcr
