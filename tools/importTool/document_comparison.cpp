#include "tools/importTool/document_comparison.hpp"

#include "io/json/write.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <variant>

namespace idabus::import_tool {

namespace {

// Type tag + value: a string "1" and a number 1 are different partition key values.
void append_scalar(std::string& out, const std::optional<io::json::scalar>& value) {
  if (!value) {
    out += 'a';
    return;
  }
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out += 'u';
        } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
          out += 'n';
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? 't' : 'f';
        } else if constexpr (std::is_same_v<T, double>) {
          char buffer[32];
          auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
          (void)ec;
          out += 'd';
          out.append(buffer, end);
        } else {
          out += 's';
          out += v;
        }
      },
      *value);
}

}  // namespace

digest128 digest_of(std::string_view bytes) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), full, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  digest128 d;
  std::copy_n(full, d.bytes.size(), d.bytes.begin());
  return d;
}

digest128 key_digest(const io::json::document_fields& fields) {
  std::string encoded;
  append_scalar(encoded, fields.partition_key);
  // The value's own bytes may contain anything; a length prefix keeps the two parts apart.
  encoded.insert(0, std::to_string(encoded.size()) + ':');
  if (fields.id) {
    encoded += 'i';
    encoded += *fields.id;
  } else {
    encoded += 'a';
  }
  return digest_of(encoded);
}

std::string key_text(const io::json::document_fields& fields) {
  std::string out = "pk ";
  if (!fields.partition_key) {
    out += "(absent)";
  } else {
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            out += "(undefined)";
          } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
            out += "null";
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            char buffer[32];
            auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
            (void)ec;
            out.append(buffer, end);
          } else {
            io::json::append_json_string(out, v);
          }
        },
        *fields.partition_key);
  }
  out += " id ";
  if (fields.id) {
    io::json::append_json_string(out, *fields.id);
  } else {
    out += "(absent)";
  }
  return out;
}

digest128 document_digester::content_digest(std::string_view raw_document) {
  writer_.write(raw_document, canonical_);
  return digest_of(canonical_);
}

void expected_documents::add(digest128 key, digest128 content) {
  if (sealed_) throw std::logic_error("expected_documents: add after seal");
  entries_.push_back(entry{key, content});
  ++versions_;
}

void expected_documents::seal() {
  if (sealed_) return;
  sealed_ = true;
  // Stable: versions of one key stay in restore order, so the last one is the newest.
  std::stable_sort(entries_.begin(), entries_.end(), [](const entry& a, const entry& b) { return a.key < b.key; });
  std::vector<entry> newest;
  newest.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (i + 1 < entries_.size() && entries_[i + 1].key == entries_[i].key) continue;
    newest.push_back(entries_[i]);
  }
  newest.shrink_to_fit();
  entries_ = std::move(newest);
}

const expected_documents::entry* expected_documents::find(const digest128& key) const {
  if (!sealed_) throw std::logic_error("expected_documents: find before seal");
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, [](const entry& e, const digest128& k) { return e.key < k; });
  if (it == entries_.end() || it->key != key) return nullptr;
  return &*it;
}

comparison::comparison(const expected_documents& expected, std::size_t max_examples)
    : expected_(expected), max_examples_(max_examples), seen_(expected.size(), false) {
  counts_.expected = expected.size();
}

void comparison::observe(const io::json::document_fields& fields, const digest128& content) {
  ++counts_.observed;
  const auto* found = expected_.find(key_digest(fields));
  auto note = [this, &fields](std::vector<std::string>& examples) {
    if (examples.size() < max_examples_) examples.push_back(key_text(fields));
  };
  if (!found) {
    ++counts_.extra;
    note(extra_examples_);
    return;
  }
  const auto index = static_cast<std::size_t>(found - expected_.entries().data());
  if (seen_[index]) {
    ++counts_.repeated;
    note(repeated_examples_);
    return;
  }
  seen_[index] = true;
  if (found->content == content) {
    ++counts_.equal;
  } else {
    ++counts_.different;
    note(different_examples_);
  }
}

compare_counts comparison::counts() const {
  compare_counts c = counts_;
  c.missing = static_cast<std::uint64_t>(std::count(seen_.begin(), seen_.end(), false));
  return c;
}

std::vector<digest128> comparison::missing_sample() const {
  std::vector<digest128> out;
  for (std::size_t i = 0; i < seen_.size() && out.size() < max_examples_; ++i) {
    if (!seen_[i]) out.push_back(expected_.entries()[i].key);
  }
  return out;
}

}  // namespace idabus::import_tool
