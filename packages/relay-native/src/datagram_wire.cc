#include "datagram_wire.hpp"

#include <cstring>

#include "checksum.hpp"
#include "util/ip_header.hpp"

namespace mcr {
namespace {

constexpr uint8_t kProtocolUdp = 17;
constexpr size_t kUdpHeaderBytes = 8;

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

}  // namespace

const char* ReadDatagram(const uint8_t* packet, size_t length, bool ipv6, DatagramView& out) {
  IpHeaderView ip;
  if (const char* why = ReadIpHeader(packet, length, ipv6, ip)) return why;
  // No IPv6 extension headers: discovery protocols send none.
  if (ip.protocol != kProtocolUdp) return ipv6 ? "not UDP (next header)" : "not UDP (protocol)";
  out.source = ip.source;
  out.destination = ip.destination;
  out.hopLimit = ip.hopLimit;
  return ReadUdp(packet + ip.headerLength, ip.end - ip.headerLength, out);
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
