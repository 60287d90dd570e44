#include "raw_frame.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "inet_csum.hpp"

namespace mcr {
namespace {

[[noreturn]] void sysFail(const std::string& what) {
  std::fprintf(stderr, "mcr-send: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

LinkInfo readLinkInfo(const std::string& ifname, int family, size_t payloadLen) {
  LinkInfo link;
  link.name = ifname;
  link.ifindex = interfaceIndex("--interface", ifname);

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) sysFail("socket (for interface ioctls)");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) sysFail("ioctl(SIOCGIFHWADDR, " + ifname + ")");
  std::memcpy(link.mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) sysFail("ioctl(SIOCGIFMTU, " + ifname + ")");
  link.mtu = static_cast<unsigned>(ifr.ifr_mtu);
  close(fd);

  const size_t ipLen = (family == AF_INET6 ? kIpv6Header : kIpv4Header) + kUdpHeader + payloadLen;
  if (ipLen > link.mtu) {
    usageError("--raw: a " + std::to_string(payloadLen) + "-byte payload makes " + std::to_string(ipLen) +
               "-byte IP packets, more than " + ifname + "'s MTU of " + std::to_string(link.mtu) +
               " (raw frames are not fragmented): lower --size");
  }

  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) sysFail("getifaddrs");
  bool found = false;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || ifname != a->ifa_name || a->ifa_addr->sa_family != family) continue;
    if (family == AF_INET) {
      link.source.family = AF_INET;
      std::memcpy(&link.source.u.v4, a->ifa_addr, sizeof(sockaddr_in));
      found = true;
      break;
    }
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
    const bool linkLocal = IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr);
    // A global address wins; a link-local one is kept only until one turns up.
    if (!found || !linkLocal) {
      link.source.family = AF_INET6;
      std::memcpy(&link.source.u.v6, v6, sizeof(sockaddr_in6));
      found = true;
      if (!linkLocal) break;
    }
  }
  freeifaddrs(list);
  if (!found) {
    usageError(std::string("--raw: ") + ifname + " has no " + familyName(family) +
               " address to send from (the frames carry the interface's own source address)");
  }
  return link;
}

void multicastMac(const IpAddress& group, uint8_t mac[6]) {
  if (group.family == AF_INET6) {
    const uint8_t* a = group.u.v6.sin6_addr.s6_addr;
    const uint8_t m[6] = {0x33, 0x33, a[12], a[13], a[14], a[15]};
    std::memcpy(mac, m, 6);
  } else {
    const uint32_t g = ntohl(group.u.v4.sin_addr.s_addr);
    const uint8_t m[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>((g >> 16) & 0x7f), static_cast<uint8_t>(g >> 8),
                          static_cast<uint8_t>(g)};
    std::memcpy(mac, m, 6);
  }
}

FrameTemplate buildFrameTemplate(const LinkInfo& link, const IpAddress& dst, uint16_t srcPort, int ttl, size_t payloadLen) {
  FrameTemplate t;
  uint8_t* b = t.bytes;
  multicastMac(dst, b);
  std::memcpy(b + 6, link.mac, 6);
  const uint16_t udpLen = static_cast<uint16_t>(kUdpHeader + payloadLen);
  const uint16_t dstPort = ntohs(dst.family == AF_INET6 ? dst.u.v6.sin6_port : dst.u.v4.sin_port);
  uint64_t pseudo = 0;
  if (dst.family == AF_INET6) {
    put16(b + 12, 0x86dd);
    uint8_t* ip = b + kEthHeader;
    ip[0] = 0x60;  // version 6, traffic class 0, flow label 0
    put16(ip + 4, udpLen);
    ip[6] = IPPROTO_UDP;
    ip[7] = static_cast<uint8_t>(ttl);
    std::memcpy(ip + 8, link.source.u.v6.sin6_addr.s6_addr, 16);
    std::memcpy(ip + 24, dst.u.v6.sin6_addr.s6_addr, 16);
    // Pseudo-header: source, destination, upper-layer length (32 bits), next header (32 bits).
    pseudo = csumAdd(0, ip + 8, 32);
    pseudo += udpLen;
    pseudo += IPPROTO_UDP;
    t.udpOffset = kEthHeader + kIpv6Header;
  } else {
    put16(b + 12, 0x0800);
    uint8_t* ip = b + kEthHeader;
    ip[0] = 0x45;
    put16(ip + 2, static_cast<uint16_t>(kIpv4Header + udpLen));
    put16(ip + 6, 0x4000);  // DF, ID 0
    ip[8] = static_cast<uint8_t>(ttl);
    ip[9] = IPPROTO_UDP;
    std::memcpy(ip + 12, &link.source.u.v4.sin_addr, 4);
    std::memcpy(ip + 16, &dst.u.v4.sin_addr, 4);
    put16(ip + 10, static_cast<uint16_t>(~csumFold(csumAdd(0, ip, kIpv4Header))));
    // Pseudo-header: source, destination, zero + protocol, UDP length.
    pseudo = csumAdd(0, ip + 12, 8);
    pseudo += IPPROTO_UDP;
    pseudo += udpLen;
    t.udpOffset = kEthHeader + kIpv4Header;
  }
  uint8_t* udp = b + t.udpOffset;
  put16(udp, srcPort);
  put16(udp + 2, dstPort);
  put16(udp + 4, udpLen);
  put16(udp + 6, 0);
  t.headerLen = t.udpOffset + kUdpHeader;
  t.csumBase = csumAdd(pseudo, udp, kUdpHeader);
  return t;
}

}  // namespace mcr
