#include "cli_util.hpp"

#include <signal.h>
#include <sys/signalfd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <time.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mcr {

void usageError(const std::string& message) { throw UsageError{message}; }

bool FlagReader::next(std::string& flag) {
  if (++i_ >= argc_) return false;
  flag_ = argv_[i_];
  hasInline_ = false;
  if (const auto eq = flag_.find('='); flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
    inline_ = flag_.substr(eq + 1);
    flag_ = flag_.substr(0, eq);
    hasInline_ = true;
  }
  flag = flag_;
  return true;
}

std::string FlagReader::value() {
  if (hasInline_) return inline_;
  if (i_ + 1 >= argc_) usageError(flag_ + " needs a value");
  return argv_[++i_];
}

bool IpAddress::isMulticast() const {
  if (family == AF_INET6) return IN6_IS_ADDR_MULTICAST(&u.v6.sin6_addr);
  return IN_MULTICAST(ntohl(u.v4.sin_addr.s_addr));
}

void IpAddress::setPort(uint16_t port) {
  if (family == AF_INET6) u.v6.sin6_port = htons(port);
  else u.v4.sin_port = htons(port);
}

const char* familyName(int family) { return family == AF_INET6 ? "IPv6" : "IPv4"; }

IpAddress parseAddress(const std::string& flag, const std::string& value) {
  IpAddress a;
  if (inet_pton(AF_INET, value.c_str(), &a.u.v4.sin_addr) == 1) {
    a.family = AF_INET;
    a.u.v4.sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, value.c_str(), &a.u.v6.sin6_addr) == 1) {
    a.family = AF_INET6;
    a.u.v6.sin6_family = AF_INET6;
  } else {
    usageError(flag + " expects an IPv4 or IPv6 address, got '" + value + "'");
  }
  return a;
}

StreamSpec parseStream(const std::string& flag, const std::string& value) {
  const char* shape = " expects GROUP:PORT (e.g. 239.1.1.1:5000) or [GROUP]:PORT for IPv6 (e.g. [ff3e::1:1]:5000), got '";
  StreamSpec s;
  s.text = value;
  std::string portText;
  if (!value.empty() && value[0] == '[') {
    const auto close = value.find("]:");
    if (close == std::string::npos) usageError(flag + shape + value + "'");
    s.group = value.substr(1, close - 1);
    portText = value.substr(close + 2);
    s.addr = parseAddress(flag, s.group);
    if (s.addr.family != AF_INET6) usageError(flag + ": brackets are for IPv6 groups only, got '" + value + "'");
  } else {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) usageError(flag + shape + value + "'");
    s.group = value.substr(0, colon);
    portText = value.substr(colon + 1);
    if (s.group.find(':') != std::string::npos) {
      usageError(flag + ": an IPv6 group goes in brackets, e.g. [" + s.group + "]:PORT, got '" + value + "'");
    }
    s.addr = parseAddress(flag, s.group);
  }
  s.port = static_cast<uint16_t>(parseUint(flag + " port", portText, 1, 65535));
  s.addr.setPort(s.port);
  return s;
}

uint64_t parseUint(const std::string& flag, const std::string& value, uint64_t min, uint64_t max) {
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
    usageError(flag + " expects an integer in " + std::to_string(min) + ".." + std::to_string(max) +
               ", got '" + value + "'");
  }
  errno = 0;
  const unsigned long long v = std::strtoull(value.c_str(), nullptr, 10);
  if (errno == ERANGE || v < min || v > max) {
    usageError(flag + " expects an integer in " + std::to_string(min) + ".." + std::to_string(max) +
               ", got '" + value + "'");
  }
  return v;
}

double parseSeconds(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || v <= 0 || v > 86400 * 7) {
    usageError(flag + " expects seconds > 0 (decimals allowed), got '" + value + "'");
  }
  return v;
}

std::vector<uint64_t> parseSeqList(const std::string& flag, const std::string& value) {
  std::vector<uint64_t> out;
  size_t start = 0;
  while (start <= value.size()) {
    const auto comma = value.find(',', start);
    const auto end = comma == std::string::npos ? value.size() : comma;
    out.push_back(parseUint(flag + " item", value.substr(start, end - start), 0, UINT64_MAX));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

unsigned interfaceIndex(const std::string& flag, const std::string& name) {
  const unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) usageError(flag + ": no interface named '" + name + "' in this network namespace");
  return idx;
}

int stopSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace mcr
