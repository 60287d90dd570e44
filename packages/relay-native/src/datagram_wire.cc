#include "datagram_wire.hpp"

#include <cstring>

#include "checksum.hpp"

namespace mcr {
namespace {

constexpr uint8_t kProtocolUdp = 17;
constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv6HeaderBytes = 40;
constexpr size_t kUdpHeaderBytes = 8;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void PutBe16(uint8_t* p, size_t value) {
  p[0] = static_cast<uint8_t>(value >> 8);
  p[1] = static_cast<uint8_t>(value);
}

// The UDP header at `udp` within [udp, end): its length fits, `out` gets ports and payload.
const char* ReadUdp(const uint8_t* udp, size_t available, DatagramView& out) {
  if (available < kUdpHeaderBytes) return "shorter than a UDP header";
  const size_t length = Be16(udp + 4);
  if (length < kUdpHeaderBytes) return "UDP length below 8 bytes";
  if (length > available) return "truncated: UDP length past the IP length";
  out.sourcePort = Be16(udp);
  out.destinationPort = Be16(udp + 2);
  out.payload = udp + kUdpHeaderBytes;
  out.payloadLength = length - kUdpHeaderBytes;
  return nullptr;
}

const char* ReadIpv4(const uint8_t* p, size_t length, DatagramView& out) {
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
  if (p[9] != kProtocolUdp) return "not UDP (protocol)";
  out.source = p + 12;
  out.destination = p + 16;
  out.hopLimit = p[8];
  return ReadUdp(p + headerLength, total - headerLength, out);
}

const char* ReadIpv6(const uint8_t* p, size_t length, DatagramView& out) {
  if (length < kIpv6HeaderBytes) return "shorter than an IPv6 header";
  if ((p[0] >> 4) != 6) return "not IPv6 (version)";
  const size_t payloadLength = Be16(p + 4);
  if (kIpv6HeaderBytes + payloadLength > length) return "truncated: IPv6 payload length past the bytes read";
  if (p[6] != kProtocolUdp) return "not UDP (next header)";
  out.source = p + 8;
  out.destination = p + 24;
  out.hopLimit = p[7];
  return ReadUdp(p + kIpv6HeaderBytes, payloadLength, out);
}

}  // namespace

const char* ReadDatagram(const uint8_t* packet, size_t length, bool ipv6, DatagramView& out) {
  return ipv6 ? ReadIpv6(packet, length, out) : ReadIpv4(packet, length, out);
}

std::vector<uint8_t> BuildDatagramHeader(bool ipv6, const uint8_t* source, uint16_t sourcePort, const uint8_t* destination,
                                         uint16_t destinationPort, uint8_t hopLimit, const uint8_t* payload,
                                         size_t payloadLength, uint16_t id) {
  const size_t addressBytes = ipv6 ? 16 : 4;
  const size_t ipBytes = ipv6 ? kIpv6HeaderBytes : kIpv4HeaderBytes;
  const size_t udpLength = kUdpHeaderBytes + payloadLength;
  std::vector<uint8_t> h(ipBytes + kUdpHeaderBytes, 0);
  if (ipv6) {
    h[0] = 0x60;  // version 6, traffic class 0, flow label 0
    PutBe16(&h[4], udpLength);
    h[6] = kProtocolUdp;
    h[7] = hopLimit;
    std::memcpy(&h[8], source, 16);
    std::memcpy(&h[24], destination, 16);
  } else {
    h[0] = 0x45;
    PutBe16(&h[2], ipBytes + udpLength);
    PutBe16(&h[4], id);
    h[8] = hopLimit;
    h[9] = kProtocolUdp;
    std::memcpy(&h[12], source, 4);
    std::memcpy(&h[16], destination, 4);
    PutBe16(&h[10], static_cast<uint16_t>(~Fold(SumBytes(h.data(), kIpv4HeaderBytes))));
  }
  uint8_t* udp = &h[ipBytes];
  PutBe16(udp, sourcePort);
  PutBe16(udp + 2, destinationPort);
  PutBe16(udp + 4, udpLength);
  // Pseudo-header: both addresses, the protocol and the UDP length (RFC 768; RFC 8200 §8.1).
  uint64_t sum = SumBytes(source, addressBytes) + SumBytes(destination, addressBytes) + kProtocolUdp + udpLength;
  sum += SumBytes(udp, kUdpHeaderBytes);
  sum += SumBytes(payload, payloadLength);
  PutBe16(udp + 6, UdpChecksumField(sum));
  return h;
}

}  // namespace mcr
