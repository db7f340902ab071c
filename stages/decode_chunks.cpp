#include "stages/decode_chunks.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/restore_file.hpp"
#include "io/json/document.hpp"

#include <chrono>
#include <cstring>
#include <limits>

namespace idabus::stages {

struct chunk_document_decoder::impl {
  decode_options options;
  io::files::chunk_decoder decoder;
  io::json::document_reader reader;
  io::files::system_property_stripper stripper;
  std::string keys_buffer;  // decode_mode::keys: the decompressed text, reused chunk after chunk

  explicit impl(decode_options o) : options(std::move(o)), reader(options.partition_key_path) {}
};

chunk_document_decoder::chunk_document_decoder(decode_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}
chunk_document_decoder::~chunk_document_decoder() = default;
chunk_document_decoder::chunk_document_decoder(chunk_document_decoder&&) noexcept = default;
chunk_document_decoder& chunk_document_decoder::operator=(chunk_document_decoder&&) noexcept = default;

decoded_chunk chunk_document_decoder::decode(chunk_job job, std::string_view file_bytes, std::string fresh) {
  auto& s = *impl_;
  const bool stripped_mode = s.options.mode == decode_mode::stripped;
  decoded_chunk out;
  // Stripped mode keeps the decompressed buffer and packs the stripped documents into its front
  // (each is no longer than its line, so writing never overtakes reading): the caller's buffer.
  std::string& text = stripped_mode ? fresh : s.keys_buffer;
  s.decoder.decode_into(file_bytes, text, job.label);
  out.raw_bytes = text.size();
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw decode_error(job.label + ": a chunk over 4 GiB is not supported");
  }
  std::size_t packed = 0;
  std::uint64_t line_number = 0;
  for (auto line : io::files::json_lines(text)) {
    ++line_number;
    const auto where = [&] { return job.label + " line " + std::to_string(line_number); };
    io::json::document_fields fields;
    try {
      fields = s.reader.read(line);
    } catch (const io::json::parse_error& e) {
      throw decode_error(where() + ": " + e.what());
    }
    if (!fields.id) throw decode_error(where() + ": the document has no string 'id'");
    decoded_document d;
    d.key = merge_key(fields.partition_key, *fields.id);
    d.ts = fields.ts.value_or(0);
    if (stripped_mode) {
      std::string_view stripped;
      try {
        stripped = s.stripper.strip(line);
      } catch (const io::files::restore_file_error& e) {
        throw decode_error(where() + ": " + e.what());
      }
      std::memmove(text.data() + packed, stripped.data(), stripped.size());
      d.offset = static_cast<std::uint32_t>(packed);
      d.length = static_cast<std::uint32_t>(stripped.size());
      packed += stripped.size();
    }
    out.documents.push_back(std::move(d));
  }
  if (stripped_mode) {
    text.resize(packed);
    out.text = std::move(text);
  }
  out.job = std::move(job);
  return out;
}

net::awaitable<void> run_decode_chunks(pipeline::channel<chunk_job>& in, pipeline::reorder_buffer<decoded_chunk>& out,
                                       pipeline::cpu_pool& cpu, pipeline::cpu_pool& file_thread,
                                       pipeline::buffer_pool& texts, decode_options options,
                                       pipeline::stage_counters& counters) {
  const bool stripped = options.mode == decode_mode::stripped;
  chunk_document_decoder decoder(std::move(options));
  while (auto job = co_await pipeline::counted_receive(in, counters)) {
    auto read = [&job] {
      try {
        return io::files::read_file(job->file);
      } catch (const io::files::file_error& e) {
        throw io::files::chunk_error(io::files::chunk_problem::missing, e.what());
      }
    };
    auto bytes = co_await file_thread.run(read);
    auto text = stripped ? texts.take(0) : std::string();
    auto decode = [&decoder, &job, &bytes, &text] { return decoder.decode(std::move(*job), bytes, std::move(text)); };
    pipeline::sequenced<decoded_chunk> item;
    item.seq = job->seq;
    item.value = co_await cpu.run(decode);
    bytes = std::string();
    const auto raw_bytes = item.value.raw_bytes;
    const auto start = std::chrono::steady_clock::now();
    co_await out.put(std::move(item));
    counters.add_blocked_send(std::chrono::steady_clock::now() - start);
    counters.add_items(1, raw_bytes);
  }
  out.finish();
}

}  // namespace idabus::stages
