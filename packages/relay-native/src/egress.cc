#include "egress.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "checksum.hpp"
#include "util/multicast_mac.hpp"

namespace mcr {

namespace {

// The UDP header's per-packet fields, the same in both families: source port kept (the destination
// port is the template's), length, and the checksum the caller worked out (forward_path.hpp:
// updated from the input's or computed over the payload).
void WriteUdpHeader(const ParsedFrame& parsed, const RewriteValues& values, uint32_t udpLength, uint8_t* udp) noexcept {
  udp[0] = static_cast<uint8_t>(parsed.sourcePort >> 8);
  udp[1] = static_cast<uint8_t>(parsed.sourcePort);
  udp[4] = static_cast<uint8_t>(udpLength >> 8);
  udp[5] = static_cast<uint8_t>(udpLength);
  udp[6] = static_cast<uint8_t>(values.udpChecksum >> 8);
  udp[7] = static_cast<uint8_t>(values.udpChecksum);
}

void RewriteHeader6(const CompiledOutput& output, const ParsedFrame& parsed, const RewriteValues& values,
                    uint8_t* header) noexcept {
  std::memcpy(header, output.headerTemplate, kHeaderBytes6);
  uint8_t* ip = header + 14;
  uint8_t* udp = ip + 40;
  if (output.mapsRange) {
    // The group's host bits are 0 (validated): or-ing in the input's gives base + offset.
    uint8_t* destination = ip + 24;
    uint8_t host[16];
    Store6(values.mappedHost, host);
    for (int i = 0; i < 16; ++i) destination[i] |= host[i];
    MulticastMac(true, destination, header);
  }
  // Traffic class carried over; flow label 0 (the new source starts its own flows).
  ip[0] = static_cast<uint8_t>(0x60 | (parsed.tos >> 4));
  ip[1] = static_cast<uint8_t>(parsed.tos << 4);
  const uint32_t udpLength = 8 + parsed.payloadLength;
  ip[4] = static_cast<uint8_t>(udpLength >> 8);  // payload length: the UDP datagram alone
  ip[5] = static_cast<uint8_t>(udpLength);
  ip[7] = values.ttl;
  WriteUdpHeader(parsed, values, udpLength, udp);
}

}  // namespace

void RewriteHeader(const CompiledOutput& output, const ParsedFrame& parsed, const RewriteValues& values,
                   uint8_t* header) noexcept {
  if (output.ipv6) return RewriteHeader6(output, parsed, values, header);
  std::memcpy(header, output.headerTemplate, kHeaderBytes);
  uint8_t* ip = header + 14;
  if (output.mapsRange) {
    const uint32_t host = static_cast<uint32_t>(values.mappedHost.lo);
    ip[17] |= static_cast<uint8_t>(host >> 16);
    ip[18] |= static_cast<uint8_t>(host >> 8);
    ip[19] |= static_cast<uint8_t>(host);
    ip[16] |= static_cast<uint8_t>(host >> 24);
    MulticastMac(false, ip + 16, header);
  }
  uint8_t* udp = ip + 20;
  const uint32_t total = 28 + parsed.payloadLength;
  ip[1] = parsed.tos;
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  std::memcpy(ip + 4, &parsed.ipId, 2);
  ip[6] = parsed.dontFragment ? 0x40 : 0x00;
  ip[7] = 0;
  ip[8] = values.ttl;
  // Complete the checksum from the template's constant part and the per-packet words.
  uint64_t sum = output.checksumBase + parsed.tos + total + ((static_cast<uint32_t>(ip[4]) << 8) | ip[5]) +
                 (static_cast<uint32_t>(ip[6]) << 8) + (static_cast<uint32_t>(values.ttl) << 8) + values.mappedSum;
  const uint16_t checksum = static_cast<uint16_t>(~Fold(sum));
  ip[10] = static_cast<uint8_t>(checksum >> 8);
  ip[11] = static_cast<uint8_t>(checksum);
  WriteUdpHeader(parsed, values, 8 + parsed.payloadLength, udp);
}

EgressBatch::EgressBatch(size_t capacity)
    : capacity_(capacity),
      headers_(capacity),
      iov_(capacity * 2),
      controls_(capacity),
      messages_(capacity),
      fds_(capacity, -1),
      outputCounters_(capacity, nullptr),
      done_(capacity, 0),
      run_(capacity),
      runSlots_(capacity, 0) {
  std::memset(messages_.data(), 0, sizeof(mmsghdr) * capacity);
}

void EgressBatch::Queue(const CompiledOutput& output, const ParsedFrame& parsed, const uint8_t* frame,
                        const RewriteValues& values) noexcept {
  const size_t slot = count_++;
  msghdr& msg = messages_[slot].msg_hdr;
  iovec* iov = &iov_[slot * 2];
  uint8_t* payload = const_cast<uint8_t*>(frame) + parsed.payloadOffset;
  if (output.multicast) {
    RewriteHeader(output, parsed, values, headers_[slot].bytes);
    iov[0].iov_base = headers_[slot].bytes;
    iov[0].iov_len = output.headerBytes;
    iov[1].iov_base = payload;
    iov[1].iov_len = parsed.payloadLength;
    msg.msg_iovlen = 2;
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
  } else {
    // Unicast: the kernel's UDP path builds the headers (and the checksum); only the payload and
    // the TTL are handed over.
    iov[0].iov_base = payload;
    iov[0].iov_len = parsed.payloadLength;
    msg.msg_iovlen = 1;
    msg.msg_control = controls_[slot].bytes;
    msg.msg_controllen = sizeof controls_[slot].bytes;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = output.ipv6 ? IPPROTO_IPV6 : IPPROTO_IP;
    cmsg->cmsg_type = output.ipv6 ? IPV6_HOPLIMIT : IP_TTL;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    const int ttl = values.ttl;
    std::memcpy(CMSG_DATA(cmsg), &ttl, sizeof ttl);
  }
  msg.msg_iov = iov;
  msg.msg_name = const_cast<sockaddr*>(output.address);
  msg.msg_namelen = output.addressLength;
  fds_[slot] = output.fd;
  outputCounters_[slot] = output.counters;
  done_[slot] = 0;
}

void EgressBatch::Flush(WorkerCounterBlock& counters) noexcept {
  for (size_t first = 0; first < count_; ++first) {
    if (done_[first]) continue;
    // Gather every queued message for this socket (a handful of sockets per batch at most).
    const int fd = fds_[first];
    size_t n = 0;
    for (size_t slot = first; slot < count_; ++slot) {
      if (done_[slot] || fds_[slot] != fd) continue;
      done_[slot] = 1;
      run_[n] = messages_[slot];
      runSlots_[n] = static_cast<uint32_t>(slot);
      ++n;
    }
    SendRun(fd, n, counters);
  }
  count_ = 0;
}

void EgressBatch::SendRun(int fd, size_t n, WorkerCounterBlock& counters) noexcept {
  size_t offset = 0;
  uint64_t forwarded = 0;
  uint64_t errors = 0;
  while (offset < n) {
    const int sent = sendmmsg(fd, &run_[offset], static_cast<unsigned>(n - offset), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      // A full queue drops the rest of this run; any other error drops just this message.
      const size_t dropped = (errno == EAGAIN || errno == ENOBUFS) ? n - offset : 1;
      for (size_t k = offset; k < offset + dropped; ++k) {
        OutputCounterBlock* oc = outputCounters_[runSlots_[k]];
        if (oc != nullptr) Bump(oc->txErrors, 1);
      }
      errors += dropped;
      offset += dropped;
      continue;
    }
    for (size_t k = offset; k < offset + static_cast<size_t>(sent); ++k) {
      OutputCounterBlock* oc = outputCounters_[runSlots_[k]];
      if (oc == nullptr) continue;
      Bump(oc->packets, 1);
      size_t bytes = 0;
      const msghdr& msg = run_[k].msg_hdr;
      for (size_t v = 0; v < msg.msg_iovlen; ++v) bytes += msg.msg_iov[v].iov_len;
      Bump(oc->bytes, bytes);
    }
    forwarded += static_cast<uint64_t>(sent);
    offset += static_cast<size_t>(sent);
  }
  if (forwarded != 0) Bump(counters.forwarded, forwarded);
  if (errors != 0) Bump(counters.txErrors, errors);
}

}  // namespace mcr
