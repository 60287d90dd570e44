#include "tx_sockets.hpp"

#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <set>

namespace mcr {
namespace {

constexpr int kPacketQdiscBypass = 20;  // PACKET_QDISC_BYPASS

bool Fail(SysError& error, const char* syscall, int fd) {
  error.err = errno;
  error.syscall = syscall;
  if (fd >= 0) close(fd);
  return false;
}

}  // namespace

bool TxSockets::Attach(CompiledOutput& output, SysError& error) {
  if (output.absent()) return true;  // nothing is ever sent on it: no socket
  if (output.multicast) {
    auto it = packet_.find(output.ifindex);
    if (it == packet_.end()) {
      // Protocol 0: this socket never receives, so it costs nothing on the receive path.
      const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
      if (fd < 0) return Fail(error, "socket", -1);
      const int one = 1;
      if (setsockopt(fd, SOL_PACKET, kPacketQdiscBypass, &one, sizeof one) != 0) {
        return Fail(error, "setsockopt", fd);
      }
      auto tx = std::make_unique<PacketTx>();
      tx->address.sll_family = AF_PACKET;
      tx->address.sll_protocol = 0;
      tx->address.sll_ifindex = output.ifindex;
      if (bind(fd, reinterpret_cast<sockaddr*>(&tx->address), sizeof tx->address) != 0) {
        return Fail(error, "bind", fd);
      }
      // Each message names ETH_P_IP or ETH_P_IPV6 so skb->protocol is right on the way out.
      tx->address6 = tx->address;
      tx->address.sll_protocol = htons(ETH_P_IP);
      tx->address6.sll_protocol = htons(ETH_P_IPV6);
      tx->fd = fd;
      it = packet_.emplace(output.ifindex, std::move(tx)).first;
    }
    output.fd = it->second->fd;
    output.address = reinterpret_cast<const sockaddr*>(output.ipv6 ? &it->second->address6 : &it->second->address);
    output.addressLength = sizeof(sockaddr_ll);
    return true;
  }
  if (output.ipv6) return AttachUnicast6(output, error);

  const auto key = std::make_pair(output.ifindex, static_cast<int>(output.ttl));
  auto it = udp_.find(key);
  if (it == udp_.end()) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail(error, "socket", -1);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, output.interfaceName.c_str(),
                   static_cast<socklen_t>(output.interfaceName.size())) != 0) {
      return Fail(error, "setsockopt", fd);
    }
    const int ttl = output.ttl;
    // The default for messages without an IP_TTL control message; the loop sends one with each.
    if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0) return Fail(error, "setsockopt", fd);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = output.sourceAddress;
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return Fail(error, "bind", fd);
    auto tx = std::make_unique<UdpTx>();
    tx->fd = fd;
    it = udp_.emplace(key, std::move(tx)).first;
  }
  auto& address = unicastAddresses_[std::make_pair(output.group, output.port)];
  if (!address) {
    address = std::make_unique<sockaddr_in>();
    address->sin_family = AF_INET;
    address->sin_port = htons(output.port);
    address->sin_addr.s_addr = output.group;
  }
  output.fd = it->second->fd;
  output.address = reinterpret_cast<const sockaddr*>(address.get());
  output.addressLength = sizeof(sockaddr_in);
  return true;
}

bool TxSockets::AttachUnicast6(CompiledOutput& output, SysError& error) {
  // Link-local addresses (fe80::/10) need the interface as their scope; others ignore it.
  const bool linkLocalSource = output.sourceAddress6[0] == 0xfe && (output.sourceAddress6[1] & 0xc0) == 0x80;
  const std::string source(reinterpret_cast<const char*>(output.sourceAddress6), 16);
  const auto key = std::make_tuple(output.ifindex, static_cast<int>(output.ttl), source);
  auto it = udp6_.find(key);
  if (it == udp6_.end()) {
    const int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail(error, "socket", -1);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, output.interfaceName.c_str(),
                   static_cast<socklen_t>(output.interfaceName.size())) != 0) {
      return Fail(error, "setsockopt", fd);
    }
    const int hops = output.ttl;
    // The default for messages without an IPV6_HOPLIMIT control message; the loop sends one with each.
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0) return Fail(error, "setsockopt", fd);
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    std::memcpy(&local.sin6_addr, output.sourceAddress6, 16);
    if (linkLocalSource) local.sin6_scope_id = static_cast<uint32_t>(output.ifindex);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return Fail(error, "bind", fd);
    auto tx = std::make_unique<UdpTx>();
    tx->fd = fd;
    it = udp6_.emplace(key, std::move(tx)).first;
  }
  const std::string group(reinterpret_cast<const char*>(output.group6), 16);
  auto& address = unicastAddresses6_[std::make_tuple(group, output.port, output.ifindex)];
  if (!address) {
    address = std::make_unique<sockaddr_in6>();
    address->sin6_family = AF_INET6;
    address->sin6_port = htons(output.port);
    std::memcpy(&address->sin6_addr, output.group6, 16);
    address->sin6_scope_id = static_cast<uint32_t>(output.ifindex);
  }
  output.fd = it->second->fd;
  output.address = reinterpret_cast<const sockaddr*>(address.get());
  output.addressLength = sizeof(sockaddr_in6);
  return true;
}

void TxSockets::Prune(const std::vector<std::unique_ptr<RuleTable>>& tables) {
  std::set<int> fds;
  std::set<const void*> addresses;
  for (const auto& table : tables) {
    for (const CompiledRule& rule : table->rules()) {
      for (const CompiledOutput& output : rule.outputs) {
        if (output.fd < 0) continue;
        fds.insert(output.fd);
        addresses.insert(output.address);
      }
    }
  }
  auto pruneSockets = [&](auto& sockets) {
    for (auto it = sockets.begin(); it != sockets.end();) {
      if (fds.count(it->second->fd) != 0) {
        ++it;
        continue;
      }
      close(it->second->fd);
      it = sockets.erase(it);
    }
  };
  pruneSockets(packet_);
  pruneSockets(udp_);
  pruneSockets(udp6_);
  auto pruneAddresses = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      it = addresses.count(it->second.get()) != 0 ? std::next(it) : map.erase(it);
    }
  };
  pruneAddresses(unicastAddresses_);
  pruneAddresses(unicastAddresses6_);
}

void TxSockets::Close() {
  for (auto& entry : packet_) close(entry.second->fd);
  for (auto& entry : udp_) close(entry.second->fd);
  for (auto& entry : udp6_) close(entry.second->fd);
  packet_.clear();
  udp_.clear();
  udp6_.clear();
  unicastAddresses_.clear();
  unicastAddresses6_.clear();
}

}  // namespace mcr
