#include "tools/cosmos-emulator/system_properties.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace idabus::emulator {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

// `i` at an opening quote; returns one past the closing quote, or npos.
std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return npos;
}

// `i` at the first byte of a value; returns one past its last byte, or npos.
std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return npos;
  const char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char d = s[i];
      if (d == '"') {
        i = skip_string(s, i);
        if (i == npos) return npos;
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return npos;
  }
  const std::size_t begin = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i])) ++i;
  return i == begin ? npos : i;
}

std::string base64_rid(const unsigned char* bytes, std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const unsigned v = (bytes[i] << 16) | ((i + 1 < n ? bytes[i + 1] : 0) << 8) |
                       (i + 2 < n ? bytes[i + 2] : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? alphabet[v & 63] : '=';
  }
  return out;
}

void put_be32(unsigned char* p, std::uint32_t v) noexcept {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xFF);
}

void put_be64(unsigned char* p, std::uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xFF);
}

}  // namespace

std::optional<std::vector<member_span>> scan_members(std::string_view s) {
  std::vector<member_span> members;
  std::size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == '}') {
    i = skip_ws(s, i + 1);
    if (i != s.size()) return std::nullopt;
    return members;
  }
  for (;;) {
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    member_span m;
    m.key_begin = i;
    i = skip_string(s, i);
    if (i == npos) return std::nullopt;
    m.key_end = i;
    i = skip_ws(s, i);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    i = skip_ws(s, i + 1);
    m.value_begin = i;
    i = skip_value(s, i);
    if (i == npos) return std::nullopt;
    m.value_end = i;
    members.push_back(m);
    i = skip_ws(s, i);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == ',') {
      i = skip_ws(s, i + 1);
      continue;
    }
    if (s[i] != '}') return std::nullopt;
    i = skip_ws(s, i + 1);
    if (i != s.size()) return std::nullopt;
    return members;
  }
}

bool is_system_property(std::string_view key) noexcept {
  return key == "_rid" || key == "_self" || key == "_etag" || key == "_ts" || key == "_attachments";
}

std::optional<std::string> splice_system_properties(std::string_view object,
                                                    const system_properties& p,
                                                    std::size_t padding) {
  auto members = scan_members(object);
  if (!members) return std::nullopt;
  std::string out;
  out.reserve(object.size() + p.rid.size() + p.self.size() + p.etag.size() + 96 + padding);
  const auto& ms = *members;
  if (ms.empty()) {
    out += '{';
  } else {
    out.append(object.substr(0, ms.front().key_begin));
  }
  bool any_kept = false;
  for (std::size_t j = 0; j < ms.size(); ++j) {
    if (is_system_property(ms[j].key(object))) continue;
    if (any_kept) out.append(object.substr(ms[j - 1].value_end, ms[j].key_begin - ms[j - 1].value_end));
    out.append(object.substr(ms[j].key_begin, ms[j].value_end - ms[j].key_begin));
    any_kept = true;
  }
  if (any_kept) out += ',';
  out += "\"_rid\":\"";
  out += p.rid;
  out += "\",\"_self\":\"";
  out += p.self;
  out += "\",\"_etag\":\"";
  for (char c : p.etag) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\",\"_attachments\":\"attachments/\",\"_ts\":";
  out += std::to_string(p.ts);
  out += '}';
  return out;
}

std::string make_etag(std::uint64_t sequence) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%08x-0000-0000-%04x-%012llx\"",
                static_cast<unsigned>(sequence >> 60), static_cast<unsigned>((sequence >> 48) & 0xFFF),
                static_cast<unsigned long long>(sequence & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string database_rid(std::uint32_t database_number) {
  std::array<unsigned char, 4> b{};
  put_be32(b.data(), database_number);
  return base64_rid(b.data(), b.size());
}

std::string collection_rid(std::uint32_t database_number, std::uint32_t collection_number) {
  std::array<unsigned char, 8> b{};
  put_be32(b.data(), database_number);
  put_be32(b.data() + 4, collection_number | 0x80000000u);  // high bit marks a collection
  return base64_rid(b.data(), b.size());
}

namespace {

std::string child_rid(std::uint32_t db, std::uint32_t coll, std::uint64_t number, unsigned type) {
  std::array<unsigned char, 16> b{};
  put_be32(b.data(), db);
  put_be32(b.data() + 4, coll | 0x80000000u);
  put_be64(b.data() + 8, number << 4 | type);  // low nibble of the last byte: resource type
  // Cosmos keeps the type in the high nibble of the last byte; this layout keeps ids unique
  // and short, which is all clients rely on (they treat _rid as opaque).
  return base64_rid(b.data(), b.size());
}

}  // namespace

std::string document_rid(std::uint32_t db, std::uint32_t coll, std::uint64_t document_number) {
  return child_rid(db, coll, document_number, 0);
}

std::string partition_range_rid(std::uint32_t db, std::uint32_t coll, std::uint32_t range_number) {
  return child_rid(db, coll, range_number, 5);
}

std::string offer_rid(std::uint32_t offer_number) {
  std::array<unsigned char, 3> b{static_cast<unsigned char>(offer_number >> 16),
                                 static_cast<unsigned char>(offer_number >> 8),
                                 static_cast<unsigned char>(offer_number)};
  return base64_rid(b.data(), b.size());
}

void append_number(std::string& out, double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<long long>(v));
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out += buf;
}

}  // namespace idabus::emulator
