// Egress sockets of one worker, opened on the JS thread when a rule table first references an
// output (never in the loop) and closed after the thread is joined. Addresses handed to the loop
// stay valid until Close(): each socket lives in its own heap block that is never moved.
#pragma once

#include <linux/if_packet.h>
#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "rule_table.hpp"
#include "util/errors.hpp"

namespace mcr {

class TxSockets {
 public:
  TxSockets() = default;
  TxSockets(const TxSockets&) = delete;
  TxSockets& operator=(const TxSockets&) = delete;
  ~TxSockets() { Close(); }

  // Opens (or reuses) the socket for `output` and fills output.fd/address. Returns false with
  // `error` set on failure.
  bool Attach(CompiledOutput& output, SysError& error);
  // Closes every socket, and forgets every destination address, that no output of `tables` uses.
  // Outputs go with rules and interfaces (a re-created interface has a new ifindex): a worker that
  // lives for months must not keep a descriptor for each one it ever sent on. The caller passes every
  // table the loop may still be reading.
  void Prune(const std::vector<std::unique_ptr<RuleTable>>& tables);
  void Close();

 private:
  struct PacketTx {  // AF_PACKET SOCK_RAW + PACKET_QDISC_BYPASS, per output ifindex
    int fd = -1;
    sockaddr_ll address{};   // sll_protocol ETH_P_IP: IPv4 frames
    sockaddr_ll address6{};  // sll_protocol ETH_P_IPV6: IPv6 frames
  };
  struct UdpTx {  // unicast outputs: UDP socket bound to the device and the source address
    int fd = -1;
  };
  bool AttachUnicast6(CompiledOutput& output, SysError& error);

  std::map<int, std::unique_ptr<PacketTx>> packet_;
  std::map<std::pair<int, int>, std::unique_ptr<UdpTx>> udp_;  // IPv4, per (ifindex, ttl)
  // IPv6, per (ifindex, ttl, source address bytes).
  std::map<std::tuple<int, int, std::string>, std::unique_ptr<UdpTx>> udp6_;
  // One destination address per distinct (group, port) (IPv6: and ifindex, its scope), kept alive as
  // long as the sockets, so a table swap never invalidates what the loop may still be sending to;
  // repeated swaps reuse them.
  std::map<std::pair<uint32_t, uint16_t>, std::unique_ptr<sockaddr_in>> unicastAddresses_;
  std::map<std::tuple<std::string, uint16_t, int>, std::unique_ptr<sockaddr_in6>> unicastAddresses6_;
};

}  // namespace mcr
