#include "stages/merge_index.hpp"

#include <array>
#include <charconv>
#include <stdexcept>
#include <type_traits>

namespace idabus::stages {

std::string merge_key(const std::optional<io::json::scalar>& partition_key, std::string_view id) {
  // <tag><length>:<value><id>: the length prefix keeps any value byte from running into the id.
  std::string value;
  char tag = 'u';  // undefined: no value, or an object / array
  if (partition_key) {
    std::visit(
        [&](const auto& v) {
          using type = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<type, std::nullptr_t>) {
            tag = 'z';
          } else if constexpr (std::is_same_v<type, bool>) {
            tag = 'b';
            value = v ? "1" : "0";
          } else if constexpr (std::is_same_v<type, double>) {
            tag = 'n';
            std::array<char, 64> buf{};
            auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v == 0 ? 0.0 : v);
            value.assign(buf.data(), ec == std::errc() ? end : buf.data());
          } else if constexpr (std::is_same_v<type, std::string>) {
            tag = 's';
            value = v;
          }
        },
        *partition_key);
  }
  std::string key;
  key.reserve(value.size() + id.size() + 12);
  key.push_back(tag);
  key += std::to_string(value.size());
  key.push_back(':');
  key += value;
  key += id;
  return key;
}

merge_index::merge_index(std::vector<std::optional<std::int64_t>> delta_since_seconds)
    : delta_since_(std::move(delta_since_seconds)) {}

merge_index::entry& merge_index::at_set(std::string key, std::uint32_t set, bool& older) {
  if (resolved_) throw std::logic_error("merge_index: observation after resolve()");
  if (set >= delta_since_.size()) throw std::out_of_range("merge_index: set " + std::to_string(set) + " is not in the chain");
  auto [it, inserted] = entries_.try_emplace(std::move(key));
  auto& e = it->second;
  older = !inserted && set < e.set;
  if (!inserted && set > e.set) {
    e.delta.reset();
    e.basis.reset();
    e.deleted_ms.reset();
  }
  if (inserted || set > e.set) e.set = set;
  return e;
}

void merge_index::keep_newer(std::optional<version_ref>& slot, version_ref candidate) {
  const auto later = [](const version_location& a, const version_location& b) {
    return a.chunk != b.chunk ? a.chunk > b.chunk : a.line > b.line;
  };
  if (!slot || candidate.ts > slot->ts || (candidate.ts == slot->ts && later(candidate.where, slot->where))) {
    slot = candidate;
  }
}

void merge_index::observe_version(std::string key, version_location where, bool delta, std::int64_t ts) {
  bool older = false;
  auto& e = at_set(std::move(key), where.set, older);
  e.any_version = true;
  if (older) return;
  keep_newer(delta ? e.delta : e.basis, version_ref{ts, where});
}

void merge_index::observe_tombstone(std::string key, std::uint32_t set, std::int64_t deleted_ms) {
  bool older = false;
  auto& e = at_set(std::move(key), set, older);
  if (older) return;
  if (!e.deleted_ms || deleted_ms > *e.deleted_ms) e.deleted_ms = deleted_ms;
}

bool merge_index::basis_beats_tombstone(std::int64_t ts, std::int64_t deleted_ms, std::uint32_t set) const {
  // floor division: deletes before 1970 do not happen, but keep the arithmetic honest.
  const std::int64_t delete_second = deleted_ms >= 0 ? deleted_ms / 1000 : -((-deleted_ms + 999) / 1000);
  const auto& delta_since = delta_since_[set];
  return ts > delete_second || (ts == delete_second && delta_since && ts < *delta_since);
}

void merge_index::resolve() {
  for (auto& [key, e] : entries_) {
    if (e.delta) {
      e.winner = e.delta->where;
    } else if (e.basis && e.deleted_ms) {
      if (basis_beats_tombstone(e.basis->ts, *e.deleted_ms, e.set)) e.winner = e.basis->where;
    } else if (e.basis) {
      e.winner = e.basis->where;
    }
    e.delta.reset();
    e.basis.reset();
  }
  resolved_ = true;
}

merge_outcome merge_index::decide(std::string_view key, version_location where) const {
  if (!resolved_) throw std::logic_error("merge_index: decide() before resolve()");
  const auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.winner || !(*it->second.winner == where)) return merge_outcome::superseded;
  return merge_outcome::kept;
}

merge_outcome merge_index::decide_full_basis(std::string_view key, std::int64_t ts) {
  if (!resolved_) throw std::logic_error("merge_index: decide_full_basis() before resolve()");
  const auto it = entries_.find(key);
  if (it == entries_.end()) return merge_outcome::kept;
  auto& e = it->second;
  e.any_version = true;
  // Only the full set's own tombstone stands against it: the same-set rule decides.
  if (e.set == 0 && !e.winner && e.deleted_ms && basis_beats_tombstone(ts, *e.deleted_ms, 0)) {
    e.full_basis_won = true;
    return merge_outcome::kept;
  }
  return merge_outcome::superseded;
}

std::uint64_t merge_index::deletes_applied() const {
  std::uint64_t n = 0;
  for (const auto& [key, e] : entries_) n += (!e.winner && !e.full_basis_won && e.any_version) ? 1 : 0;
  return n;
}

std::uint64_t merge_index::kept_versions() const {
  std::uint64_t n = 0;
  for (const auto& [key, e] : entries_) n += e.winner ? 1 : 0;
  return n;
}

}  // namespace idabus::stages
