// Small helpers shared by mcr-send and mcr-recv: flag value parsing, usage errors, clocks.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mcr {

// An IPv4 or IPv6 address with its family; `sa` is ready for sendto/bind once port is set.
struct IpAddress {
  int family = AF_UNSPEC;  // AF_INET or AF_INET6
  union {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } u{};
  socklen_t length() const { return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  bool isMulticast() const;
  void setPort(uint16_t port);
};

struct StreamSpec {
  std::string text;   // "GROUP:PORT" as given, echoed in reports
  std::string group;  // the address alone (no brackets)
  IpAddress addr;     // port set
  uint16_t port = 0;
};

// Thrown for a bad command line; main() prints it with the usage and exits 2.
struct UsageError {
  std::string message;
};

[[noreturn]] void usageError(const std::string& message);

// Walks a command line of `--flag VALUE` and `--flag=VALUE` items, the way both tools take them.
class FlagReader {
 public:
  FlagReader(int argc, char** argv) : argc_(argc), argv_(argv) {}
  // The next flag (without any "=VALUE"), or false at the end.
  bool next(std::string& flag);
  // The current flag's value: the inline "=VALUE", else the next argument; a usage error if none.
  std::string value();
  // Whether the current flag came as "--flag=VALUE" (for flags that take no value).
  bool hasInlineValue() const { return hasInline_; }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string flag_;
  std::string inline_;
  bool hasInline_ = false;
};

// "GROUP:PORT" with an IPv4 group, or "[GROUP]:PORT" with an IPv6 one.
StreamSpec parseStream(const std::string& flag, const std::string& value);
// A bare IPv4 or IPv6 address (e.g. a source filter).
IpAddress parseAddress(const std::string& flag, const std::string& value);
const char* familyName(int family);
uint64_t parseUint(const std::string& flag, const std::string& value, uint64_t min, uint64_t max);
double parseSeconds(const std::string& flag, const std::string& value);
std::vector<uint64_t> parseSeqList(const std::string& flag, const std::string& value);

// Returns the ifindex of name, or throws UsageError naming the flag.
unsigned interfaceIndex(const std::string& flag, const std::string& name);

uint64_t monotonicNs();

// Blocks SIGINT and SIGTERM and returns a non-blocking signalfd that reports them (-1 on failure,
// errno set): the tools stop through their poll loop, with no handler racing their counters.
int stopSignalFd();

// JSON string escaping for the few strings the tools echo (groups, interface names).
std::string jsonString(const std::string& s);

}  // namespace mcr
