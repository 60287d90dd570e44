#include "cli_util.hpp"

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

StreamSpec parseStream(const std::string& flag, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    usageError(flag + " expects GROUP:PORT (e.g. 239.1.1.1:5000), got '" + value + "'");
  }
  StreamSpec s;
  s.text = value;
  s.group = value.substr(0, colon);
  if (inet_pton(AF_INET, s.group.c_str(), &s.addr) != 1) {
    usageError(flag + " expects an IPv4 address before ':', got '" + s.group + "'");
  }
  s.port = static_cast<uint16_t>(parseUint(flag + " port", value.substr(colon + 1), 1, 65535));
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
