#include "io/files/restore_file.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/chunk.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace idabus::io::files {

namespace {

namespace fs = std::filesystem;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::array<std::string_view, 4> system_properties = {"_rid", "_self", "_etag", "_attachments"};

constexpr std::string_view file_header = "[\n";
constexpr std::string_view file_separator = ",\n";
constexpr std::string_view file_footer = "\n]\n";

}  // namespace

std::string_view to_string(restore_file_problem problem) noexcept {
  switch (problem) {
    case restore_file_problem::missing: return "missing";
    case restore_file_problem::not_an_array: return "not a JSON array";
    case restore_file_problem::not_an_object: return "not a JSON object";
    case restore_file_problem::malformed: return "malformed JSON";
    case restore_file_problem::too_large: return "too large";
  }
  return "unknown";
}

std::string restore_file_name(std::string_view collection, std::uint32_t sequence) {
  std::array<char, 16> digits{};
  std::snprintf(digits.data(), digits.size(), "%06u", sequence);
  return std::string(collection) + "." + digits.data() + ".json";
}

std::optional<std::uint32_t> restore_file_sequence(std::string_view name, std::string_view collection) {
  constexpr std::string_view suffix = ".json";
  if (name.size() <= collection.size() + 1 + suffix.size() || !name.starts_with(collection) ||
      name[collection.size()] != '.' || !name.ends_with(suffix)) {
    return std::nullopt;
  }
  const auto digits = name.substr(collection.size() + 1, name.size() - collection.size() - 1 - suffix.size());
  if (digits.size() < 6 || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::uint32_t sequence = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return sequence;
}

std::vector<fs::path> list_restore_files(const fs::path& folder, std::string_view collection) {
  std::error_code ec;
  std::vector<std::pair<std::uint32_t, fs::path>> found;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (auto sequence = restore_file_sequence(name, collection); sequence && it->is_regular_file()) {
      found.emplace_back(*sequence, it->path());
    }
  }
  if (ec) throw file_error("list " + folder.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  out.reserve(found.size());
  for (auto& [sequence, path] : found) out.push_back(std::move(path));
  return out;
}

// ---- system_property_stripper ----

struct system_property_stripper::impl {
  simdjson::ondemand::parser parser;
  std::string padded;
  std::string out;
  std::vector<std::size_t> key_starts;
  std::vector<bool> strip;

  [[noreturn]] static void fail(restore_file_problem problem, std::string_view what, simdjson::error_code e) {
    throw restore_file_error(problem, std::string(what) + ": " + simdjson::error_message(e));
  }

  std::string_view run(std::string_view raw) {
    padded.assign(raw);
    padded.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (auto e = parser.iterate(padded.data(), raw.size(), padded.size()).get(doc)) {
      fail(restore_file_problem::malformed, "document", e);
    }
    simdjson::ondemand::object object;
    if (auto e = doc.get_object().get(object)) {
      fail(e == simdjson::INCORRECT_TYPE ? restore_file_problem::not_an_object : restore_file_problem::malformed,
           "document", e);
    }
    key_starts.clear();
    strip.clear();
    bool any = false;
    for (auto field_result : object) {
      simdjson::ondemand::field field;
      if (auto e = std::move(field_result).get(field)) fail(restore_file_problem::malformed, "document member", e);
      key_starts.push_back(static_cast<std::size_t>(field.key().raw() - 1 - padded.data()));
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) fail(restore_file_problem::malformed, "document key", e);
      const bool is_system =
          std::find(system_properties.begin(), system_properties.end(), key) != system_properties.end();
      strip.push_back(is_system);
      any = any || is_system;
    }
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
      throw restore_file_error(restore_file_problem::malformed, "document: bytes after the JSON object");
    }
    if (!any) return raw;
    return cut(raw);
  }

  // Removes the flagged members: a member followed by another loses itself and its separator
  // ([key, next key)); a trailing run of flagged members is cut from the comma after the last kept
  // member's value up to the end of the last value, so whatever stood before '}' stays.
  std::string_view cut(std::string_view raw) {
    const std::size_t n = key_starts.size();
    std::size_t trailing = n;  // first index of the trailing run of stripped members
    while (trailing > 0 && strip[trailing - 1]) --trailing;
    const auto close = trim_right(raw).size() - 1;  // the '}'
    const auto last_value_end = trim_right(raw.substr(0, close)).size();
    out.clear();
    std::size_t copied = 0;
    auto remove = [&](std::size_t from, std::size_t to) {
      out.append(raw.substr(copied, from - copied));
      copied = to;
    };
    for (std::size_t i = 0; i < trailing; ++i) {
      if (strip[i]) remove(key_starts[i], key_starts[i + 1]);
    }
    if (trailing < n) {
      std::size_t from = key_starts[trailing];
      if (trailing > 0) {
        from = trim_right(raw.substr(0, key_starts[trailing])).size() - 1;  // the ',' before the run
      }
      remove(from, trailing == 0 ? close : last_value_end);
    }
    out.append(raw.substr(copied));
    return out;
  }
};

system_property_stripper::system_property_stripper() : impl_(std::make_unique<impl>()) {}
system_property_stripper::~system_property_stripper() = default;
system_property_stripper::system_property_stripper(system_property_stripper&&) noexcept = default;
system_property_stripper& system_property_stripper::operator=(system_property_stripper&&) noexcept = default;

std::string_view system_property_stripper::strip(std::string_view raw_document) {
  return impl_->run(raw_document);
}

// ---- restore_file_writer ----

struct restore_file_writer::impl {
  fs::path folder;
  std::string collection;
  restore_file_options options;
  std::uint32_t next_sequence;
  system_property_stripper stripper;
  std::optional<atomic_file_writer> file;  // the file being written, under its temporary name
  sha256_hasher hasher;                    // of that file's bytes so far
  std::string pending;                     // its bytes not yet written (at most one piece)
  std::uint64_t current_documents = 0;
  std::vector<restore_file_entry> written;
  bool finished = false;

  void open() {
    file.emplace(folder / restore_file_name(collection, next_sequence));
    hasher = sha256_hasher();
    // One buffer of one piece for the writer's life: no regrowth copies, its pages stay mapped.
    pending.reserve(options.piece_bytes);
  }

  /// The size of the file being written: what is on disk plus what is pending.
  std::uint64_t current_bytes() const noexcept { return (file ? file->bytes_written() : 0) + pending.size(); }

  void write_through(std::string_view bytes) {
    hasher.update(bytes);
    file->write(bytes);
  }

  void write_pending() {
    write_through(pending);
    pending.clear();
  }

  void append(std::string_view bytes) {
    if (pending.size() + bytes.size() <= options.piece_bytes) {
      pending.append(bytes);
      if (pending.size() == options.piece_bytes) write_pending();
      return;
    }
    write_pending();
    if (bytes.size() >= options.piece_bytes) {  // a document of a piece or more: straight to the file
      write_through(bytes);
    } else {
      pending.append(bytes);
    }
  }

  void flush() {
    if (current_documents == 0) return;
    append(file_footer);
    write_pending();
    file->commit();
    written.push_back(restore_file_entry{file->path().filename().string(), current_documents, file->bytes_written(),
                                         hasher.finish()});
    file.reset();
    ++next_sequence;
    current_documents = 0;
  }
};

restore_file_writer::restore_file_writer(fs::path folder, std::string collection, restore_file_options options)
    : impl_(std::make_unique<impl>()) {
  if (options.max_file_bytes < file_header.size() + file_footer.size() + 2) {
    throw std::invalid_argument("restore_file_writer: max_file_bytes " + std::to_string(options.max_file_bytes) +
                                " is too small for a restore file");
  }
  if (options.piece_bytes == 0) throw std::invalid_argument("restore_file_writer: piece_bytes must be at least 1");
  impl_->folder = std::move(folder);
  impl_->collection = std::move(collection);
  impl_->options = options;
  impl_->next_sequence = options.first_sequence;
}

restore_file_writer::~restore_file_writer() = default;
restore_file_writer::restore_file_writer(restore_file_writer&&) noexcept = default;
restore_file_writer& restore_file_writer::operator=(restore_file_writer&&) noexcept = default;

void restore_file_writer::add(std::string_view raw_document) {
  append_stripped(impl_->stripper.strip(raw_document));
}

void restore_file_writer::append_stripped(std::string_view document) {
  auto& s = *impl_;
  if (s.finished) throw std::logic_error("restore_file_writer: documents added after finish()");
  const auto alone = file_header.size() + document.size() + file_footer.size();
  if (alone > s.options.max_file_bytes) {
    throw restore_file_error(restore_file_problem::too_large,
                             "a document of " + std::to_string(document.size()) + " bytes does not fit into a " +
                                 s.collection + " restore file of at most " +
                                 std::to_string(s.options.max_file_bytes) + " bytes");
  }
  if (s.current_documents > 0 &&
      s.current_bytes() + file_separator.size() + document.size() + file_footer.size() > s.options.max_file_bytes) {
    s.flush();
  }
  if (s.current_documents == 0) s.open();
  s.append(s.current_documents == 0 ? file_header : file_separator);
  s.append(document);
  ++s.current_documents;
}

std::size_t restore_file_writer::buffered_bytes() const noexcept { return impl_->pending.capacity(); }

const std::vector<restore_file_entry>& restore_file_writer::finish() {
  if (!impl_->finished) {
    impl_->flush();
    impl_->finished = true;
  }
  return impl_->written;
}

const std::vector<restore_file_entry>& restore_file_writer::written() const noexcept { return impl_->written; }

void restore_file_writer::discard() noexcept {
  for (const auto& entry : impl_->written) {
    std::error_code ec;
    fs::remove(impl_->folder / entry.file, ec);
  }
  impl_->written.clear();
  impl_->file.reset();  // removes the temporary file of the file being written
  impl_->pending.clear();
  impl_->current_documents = 0;
  impl_->finished = true;
}

// ---- restore_file_reader ----

struct restore_file_reader::impl {
  fs::path path;
  std::optional<read_only_file> file;
  std::vector<char> buffer;  // bytes [start, stop) read and not consumed, then at least simdjson's padding
  std::size_t start = 0;
  std::size_t stop = 0;
  std::uint64_t base = 0;  // file offset of buffer[0]
  bool eof = false;
  bool done = false;
  simdjson::dom::parser validator;  // checks each document completely
  std::uint64_t offset = 0;
  std::uint64_t documents = 0;

  std::uint64_t offset_of(std::size_t rel) const { return base + start + rel; }

  [[noreturn]] void fail(restore_file_problem problem, std::uint64_t at, std::string_view what) const {
    throw restore_file_error(problem, path.string() + ": " + std::string(what) + " at byte offset " +
                                          std::to_string(at) + " (" + std::string(to_string(problem)) + ")");
  }

  // Reads on after `stop` into the rest of the window, first moving the bytes not consumed to the
  // front; a document that fills the window doubles it. False at the end of the file.
  bool fill() {
    if (eof) return false;
    if (start > 0) {
      std::memmove(buffer.data(), buffer.data() + start, stop - start);
      base += start;
      stop -= start;
      start = 0;
    }
    // One window for the reader's life, doubled only when a document fills it; grown exactly
    // (reserve first: resize alone would double the capacity for a few bytes more).
    if (const std::size_t free = buffer.size() - std::min(buffer.size(), stop + simdjson::SIMDJSON_PADDING); free == 0) {
      const std::size_t grown = std::max(restore_read_bytes, 2 * stop) + simdjson::SIMDJSON_PADDING;
      buffer.reserve(grown);
      buffer.resize(grown);
    }
    const std::size_t want = buffer.size() - simdjson::SIMDJSON_PADDING - stop;
    std::size_t n = 0;
    try {
      n = file->read_some(buffer.data() + stop, want);
    } catch (const file_error& e) {
      throw restore_file_error(restore_file_problem::missing, e.what());
    }
    if (n == 0) {
      eof = true;
      return false;
    }
    stop += n;
    return true;
  }

  // Makes buffer[start + rel] readable; false at the end of the file.
  bool has(std::size_t rel) {
    while (start + rel >= stop) {
      if (!fill()) return false;
    }
    return true;
  }
  char at(std::size_t rel) const { return buffer[start + rel]; }

  // Skips white space from `rel`; false when the file ends first.
  bool skip_space(std::size_t& rel) {
    while (has(rel) && is_space(at(rel))) ++rel;
    return has(rel);
  }

  // The index (from start) of the bracket that closes the object opening at `open`. Strings are
  // skipped whatever they hold; brackets of both kinds count (the validator checks they match).
  std::size_t object_end(std::size_t open) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    std::size_t rel = open;
    for (;;) {
      if (!has(rel)) fail(restore_file_problem::malformed, offset_of(open), "document " + std::to_string(documents) + ": the file ends inside it");
      const char* p = buffer.data() + start + rel;
      const char* const end = buffer.data() + stop;
      for (; p < end; ++p) {
        const char c = *p;
        if (in_string) {
          if (escaped) {
            escaped = false;
          } else if (c == '\\') {
            escaped = true;
          } else if (c == '"') {
            in_string = false;
          }
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return static_cast<std::size_t>(p - (buffer.data() + start));
        }
      }
      rel = static_cast<std::size_t>(p - (buffer.data() + start));
    }
  }
};

restore_file_reader::restore_file_reader(fs::path path) : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  s.path = std::move(path);
  try {
    s.file.emplace(s.path);
  } catch (const file_error& e) {
    throw restore_file_error(restore_file_problem::missing, e.what());
  }
  std::size_t rel = 0;
  if (!s.skip_space(rel)) s.fail(restore_file_problem::malformed, s.offset_of(rel), "the file is empty: no JSON array of documents");
  if (s.at(rel) != '[') s.fail(restore_file_problem::not_an_array, s.offset_of(rel), "the file is not a JSON array of documents");
  s.start += rel + 1;
}

restore_file_reader::~restore_file_reader() = default;
restore_file_reader::restore_file_reader(restore_file_reader&&) noexcept = default;
restore_file_reader& restore_file_reader::operator=(restore_file_reader&&) noexcept = default;

std::optional<std::string_view> restore_file_reader::next() {
  auto& s = *impl_;
  if (s.done) return std::nullopt;
  const std::string element = "element " + std::to_string(s.documents);
  std::size_t rel = 0;
  if (!s.skip_space(rel)) s.fail(restore_file_problem::malformed, s.offset_of(rel), "the file ends inside the array");
  if (s.at(rel) == ']') {
    s.start += rel + 1;
    rel = 0;
    if (s.skip_space(rel)) s.fail(restore_file_problem::not_an_array, s.offset_of(rel), "bytes after the closing ']'");
    s.done = true;
    return std::nullopt;
  }
  if (s.documents > 0) {
    if (s.at(rel) != ',') s.fail(restore_file_problem::malformed, s.offset_of(rel), "expected ',' or ']' before " + element);
    ++rel;
    if (!s.skip_space(rel)) s.fail(restore_file_problem::malformed, s.offset_of(rel), "the file ends inside the array");
  }
  const char first = s.at(rel);
  const std::uint64_t offset = s.offset_of(rel);
  if (first != '{') {
    const bool value = first == '[' || first == '"' || first == '-' || (first >= '0' && first <= '9') || first == 't' ||
                       first == 'f' || first == 'n';
    if (value) s.fail(restore_file_problem::not_an_object, offset, element + " of the array is not a JSON object");
    s.fail(restore_file_problem::malformed, offset, element + " of the array is not a JSON value");
  }
  const std::size_t close = s.object_end(rel);
  // The buffer keeps simdjson's padding after `stop`, so it follows the view too.
  const std::string_view raw(s.buffer.data() + s.start + rel, close - rel + 1);
  simdjson::dom::element checked;
  if (auto e = s.validator.parse(raw.data(), raw.size(), false).get(checked)) {
    s.fail(restore_file_problem::malformed, offset, "document " + std::to_string(s.documents) + ": " + simdjson::error_message(e));
  }
  s.start += close + 1;
  s.offset = offset;
  ++s.documents;
  return raw;
}

std::uint64_t restore_file_reader::offset() const noexcept { return impl_->offset; }
std::uint64_t restore_file_reader::documents_read() const noexcept { return impl_->documents; }
std::uint64_t restore_file_reader::file_bytes() const noexcept { return impl_->file->size(); }
std::size_t restore_file_reader::buffered_bytes() const noexcept { return impl_->buffer.capacity(); }
const fs::path& restore_file_reader::path() const noexcept { return impl_->path; }

}  // namespace idabus::io::files
