#include "util/ip_header.hpp"

#include "checksum.hpp"

namespace mcr {
namespace {

const char* ReadIpv4Header(const uint8_t* p, size_t length, IpHeaderView& out) {
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
  out.source = p + 12;
  out.destination = p + 16;
  out.hopLimit = p[8];
  out.protocol = p[9];
  out.headerLength = headerLength;
  out.end = total;
  return nullptr;
}

const char* ReadIpv6Header(const uint8_t* p, size_t length, IpHeaderView& out) {
  if (length < kIpv6HeaderBytes) return "shorter than an IPv6 header";
  if ((p[0] >> 4) != 6) return "not IPv6 (version)";
  const size_t payloadLength = Be16(p + 4);
  if (payloadLength == 0) return "IPv6 payload length 0 (a jumbogram)";
  if (kIpv6HeaderBytes + payloadLength > length) return "truncated: IPv6 payload length past the bytes read";
  out.source = p + 8;
  out.destination = p + 24;
  out.hopLimit = p[7];
  out.protocol = p[6];
  out.headerLength = kIpv6HeaderBytes;
  out.end = kIpv6HeaderBytes + payloadLength;
  return nullptr;
}

}  // namespace

const char* ReadIpHeader(const uint8_t* packet, size_t length, bool ipv6, IpHeaderView& out) {
  return ipv6 ? ReadIpv6Header(packet, length, out) : ReadIpv4Header(packet, length, out);
}

}  // namespace mcr
