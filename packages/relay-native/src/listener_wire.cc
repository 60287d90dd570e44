#include "listener_wire.hpp"

#include <cstring>

#include "checksum.hpp"

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
constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv6HeaderBytes = 40;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void PutBe16(uint8_t* p, size_t value) {
  p[0] = static_cast<uint8_t>(value >> 8);
  p[1] = static_cast<uint8_t>(value);
}

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

const char* ReadIpv4(const uint8_t* p, size_t length, ListenerPacketView& out) {
  if (length < kIpv4HeaderBytes) return "shorter than an IPv4 header";
  if ((p[0] >> 4) != 4) return "not IPv4 (version)";
  const size_t headerLength = static_cast<size_t>(p[0] & 0x0f) * 4;
  if (headerLength < kIpv4HeaderBytes) return "IPv4 header length below 20 bytes";
  if (headerLength > length) return "IPv4 header longer than the packet";
  const size_t total = Be16(p + 2);
  if (total < headerLength) return "IPv4 total length shorter than its header";
  if (total > length) return "truncated: IPv4 total length past the bytes read";
  if (!Ipv4HeaderChecksumOk(p, headerLength)) return "IPv4 header checksum wrong";
  if ((Be16(p + 6) & 0x3fff) != 0) return "IPv4 fragment";
  if (p[9] != kProtocolIgmp) return "not IGMP (protocol)";
  bool routerAlert = false;
  if (const char* why = ReadIpv4Options(p, kIpv4HeaderBytes, headerLength, routerAlert)) return why;
  if (total - headerLength < kMinListenerMessageBytes) return "IGMP message shorter than 8 bytes";
  out.source = p + 12;
  out.destination = p + 16;
  out.payload = p + headerLength;
  out.payloadLength = total - headerLength;
  out.hopLimit = p[8];
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

const char* ReadIpv6(const uint8_t* p, size_t length, ListenerPacketView& out) {
  if (length < kIpv6HeaderBytes) return "shorter than an IPv6 header";
  if ((p[0] >> 4) != 6) return "not IPv6 (version)";
  const size_t payloadLength = Be16(p + 4);
  if (payloadLength == 0) return "IPv6 payload length 0 (a jumbogram)";
  const size_t end = kIpv6HeaderBytes + payloadLength;
  if (end > length) return "truncated: IPv6 payload length past the bytes read";
  uint8_t next = p[6];
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
  out.source = p + 8;
  out.destination = p + 24;
  out.payload = p + offset;
  out.payloadLength = end - offset;
  out.hopLimit = p[7];
  out.routerAlert = routerAlert;
  return nullptr;
}

}  // namespace

const char* ReadListenerPacket(const uint8_t* packet, size_t length, bool ipv6, ListenerPacketView& out) {
  return ipv6 ? ReadIpv6(packet, length, out) : ReadIpv4(packet, length, out);
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
