#include "tools/cosmos-emulator/partition.hpp"

namespace idabus::emulator {

std::string document_key(std::string_view pk_key, std::string_view id) {
  std::string key;
  key.reserve(4 + pk_key.size() + id.size());
  const auto n = static_cast<std::uint32_t>(pk_key.size());
  key += static_cast<char>(n & 0xFF);
  key += static_cast<char>((n >> 8) & 0xFF);
  key += static_cast<char>((n >> 16) & 0xFF);
  key += static_cast<char>((n >> 24) & 0xFF);
  key += pk_key;
  key += id;
  return key;
}

document_ptr partition::find(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

document_ptr partition::put(document_ptr doc) {
  document_ptr previous;
  auto [it, inserted] = by_key_.try_emplace(doc->key, doc);
  if (!inserted) {
    previous = std::move(it->second);
    by_ts_.erase({previous->ts, previous->seq});
    bytes_ -= previous->bytes.size();
    it->second = doc;
  }
  bytes_ += doc->bytes.size();
  by_ts_.emplace(order_key{doc->ts, doc->seq}, std::move(doc));
  return previous;
}

document_ptr partition::remove(std::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  document_ptr previous = std::move(it->second);
  by_key_.erase(it);
  by_ts_.erase({previous->ts, previous->seq});
  bytes_ -= previous->bytes.size();
  return previous;
}

}  // namespace idabus::emulator
