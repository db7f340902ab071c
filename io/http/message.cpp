#include "io/http/message.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <locale>

namespace idabus::io::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
  // The classic locale: header names are ASCII, whatever the process locale says.
  return a.size() == b.size() && boost::algorithm::iequals(a, b, std::locale::classic());
}

std::string_view find_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool has_header(const header_list& headers, std::string_view name) noexcept {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

void set_header(header_list& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace idabus::io::http
