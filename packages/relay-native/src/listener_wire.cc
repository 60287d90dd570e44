#include "listener_wire.hpp"

#include <cstring>

#include "checksum.hpp"
#include "util/ip_header.hpp"

namespace mcr {
namespace {

constexpr uint8_t kProtocolIgmp = 2;
constexpr uint8_t kNextHeaderHopByHop = 0;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kIpv4OptionEnd = 0;
constexpr uint8_t kIpv4OptionNop = 1;
constexpr uint8_t kIpv4OptionRouterAlert = 148;  // copied flag + option 20 (RFC 2113)
constexpr uint8_t kIpv6OptionPad1 = 0;
constexpr uint8_t kIpv6OptionPadN = 1;
constexpr uint8_t kIpv6OptionRouterAlert = 5;    // RFC 2711

// Options between `begin` and `end` of an IPv4 header: well-formed, and whether one is Router Alert.
const char* ReadIpv4Options(const uint8_t* p, size_t begin, size_t end, bool& routerAlert) {
  for (size_t i = begin; i < end;) {
    const uint8_t type = p[i];
    if (type == kIpv4OptionEnd) break;
    if (type == kIpv4OptionNop) {
      ++i;
      continue;
    }
    if (i + 2 > end) return "IPv4 option without its length";
    const size_t length = p[i + 1];
    if (length < 2 || i + length > end) return "IPv4 option length past the header";
    if (type == kIpv4OptionRouterAlert) {
      if (length != 4) return "IPv4 Router Alert option not 4 bytes long";
      routerAlert = true;
    }
    i += length;
  }
  return nullptr;
}

const char* ReadIpv4(const uint8_t* p, const IpHeaderView& ip, ListenerPacketView& out) {
  if (ip.protocol != kProtocolIgmp) return "not IGMP (protocol)";
  bool routerAlert = false;
  if (const char* why = ReadIpv4Options(p, kIpv4HeaderBytes, ip.headerLength, routerAlert)) return why;
  if (ip.end - ip.headerLength < kMinListenerMessageBytes) return "IGMP message shorter than 8 bytes";
  out.payload = p + ip.headerLength;
  out.payloadLength = ip.end - ip.headerLength;
  out.routerAlert = routerAlert;
  return nullptr;
}

// The options of a Hop-by-Hop header occupying [begin, end): well-formed, and whether one is Router Alert.
const char* ReadIpv6Options(const uint8_t* p, size_t begin, size_t end, bool& routerAlert) {
  for (size_t i = begin; i < end;) {
    const uint8_t type = p[i];
    if (type == kIpv6OptionPad1) {
      ++i;
      continue;
    }
    if (i + 2 > end) return "IPv6 option without its length";
    const size_t length = p[i + 1];
    if (i + 2 + length > end) return "IPv6 option length past its header";
    if (type == kIpv6OptionRouterAlert) {
      if (length != 2) return "IPv6 Router Alert option not 2 bytes long";
      routerAlert = true;
    }
    i += 2 + length;
  }
  return nullptr;
}

const char* ReadIpv6(const uint8_t* p, const IpHeaderView& ip, ListenerPacketView& out) {
  const size_t end = ip.end;
  uint8_t next = ip.protocol;
  size_t offset = kIpv6HeaderBytes;
  bool routerAlert = false;
  if (next == kNextHeaderHopByHop) {
    if (offset + 8 > end) return "IPv6 Hop-by-Hop header past the packet";
    const size_t headerLength = (static_cast<size_t>(p[offset + 1]) + 1) * 8;
    if (offset + headerLength > end) return "IPv6 Hop-by-Hop header length past the packet";
    if (const char* why = ReadIpv6Options(p, offset + 2, offset + headerLength, routerAlert)) return why;
    next = p[offset];
    offset += headerLength;
  }
  if (next != kNextHeaderIcmpv6) return "not ICMPv6 (next header)";
  if (end - offset < kMinListenerMessageBytes) return "ICMPv6 message shorter than 8 bytes";
  if (std::memchr(kMldTypes, p[offset], sizeof kMldTypes) == nullptr) return "ICMPv6 type not MLD";
  out.payload = p + offset;
  out.payloadLength = end - offset;
  out.routerAlert = routerAlert;
  return nullptr;
}

}  // namespace

const char* ReadListenerPacket(const uint8_t* packet, size_t length, bool ipv6, ListenerPacketView& out) {
  IpHeaderView ip;
  if (const char* why = ReadIpHeader(packet, length, ipv6, ip)) return why;
  out.source = ip.source;
  out.destination = ip.destination;
  out.hopLimit = ip.hopLimit;
  return ipv6 ? ReadIpv6(packet, ip, out) : ReadIpv4(packet, ip, out);
}

std::vector<uint8_t> BuildListenerHeader(bool ipv6, const uint8_t* source, const uint8_t* destination,
                                         size_t payloadLength, uint16_t id) {
  if (ipv6) {
    std::vector<uint8_t> h(kIpv6HeaderBytes + 8, 0);
    h[0] = 0x60;  // version 6, traffic class 0, flow label 0
    PutBe16(&h[4], 8 + payloadLength);
    h[6] = kNextHeaderHopByHop;
    h[7] = 1;
    std::memcpy(&h[8], source, 16);
    std::memcpy(&h[24], destination, 16);
    const uint8_t hopByHop[8] = {kNextHeaderIcmpv6, 0, kIpv6OptionRouterAlert, 2, 0, 0, kIpv6OptionPadN, 0};
    std::memcpy(&h[kIpv6HeaderBytes], hopByHop, sizeof hopByHop);
    return h;
  }
  std::vector<uint8_t> h(kIpv4HeaderBytes + 4, 0);
  h[0] = 0x46;  // version 4, 6 words: the Router Alert option makes 24 bytes
  h[1] = 0xc0;  // TOS: Internetwork Control, as the kernel's own IGMP
  PutBe16(&h[2], h.size() + payloadLength);
  PutBe16(&h[4], id);
  h[6] = 0x40;  // DF
  h[8] = 1;
  h[9] = kProtocolIgmp;
  std::memcpy(&h[12], source, 4);
  std::memcpy(&h[16], destination, 4);
  h[20] = kIpv4OptionRouterAlert;
  h[21] = 4;
  PutBe16(&h[10], static_cast<uint16_t>(~Fold(SumBytes(h.data(), h.size()))));
  return h;
}

}  // namespace mcr
