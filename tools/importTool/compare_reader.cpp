#include "tools/importTool/compare_reader.hpp"

#include "io/files/restore_file.hpp"

#include <algorithm>

namespace idabus::import_tool {

namespace {

// Calls fn(raw, fields) for every document of `files`, in order.
template <class F>
void for_each_restore_document(const std::vector<std::filesystem::path>& files, std::string_view partition_key_path,
                               F&& fn) {
  io::json::document_reader fields_reader(partition_key_path);
  for (const auto& file : files) {
    io::files::restore_file_reader reader(file);
    while (auto raw = reader.next()) {
      const auto fields = fields_reader.read(*raw);
      fn(*raw, fields);
    }
  }
}

}  // namespace

expected_documents load_expected(const std::vector<std::filesystem::path>& files, std::string partition_key_path) {
  expected_documents expected;
  document_digester digester;
  for_each_restore_document(files, partition_key_path, [&](std::string_view raw, const io::json::document_fields& f) {
    expected.add(key_digest(f), digester.content_digest(raw));
  });
  expected.seal();
  return expected;
}

std::vector<std::string> name_missing(const std::vector<std::filesystem::path>& files, std::string partition_key_path,
                                      const std::vector<digest128>& sample) {
  std::vector<std::string> names;
  if (sample.empty()) return names;
  std::vector<bool> named(sample.size(), false);
  for_each_restore_document(files, partition_key_path, [&](std::string_view, const io::json::document_fields& f) {
    const auto key = key_digest(f);
    for (std::size_t i = 0; i < sample.size(); ++i) {
      if (!named[i] && sample[i] == key) {
        named[i] = true;
        names.push_back(key_text(f));
      }
    }
  });
  return names;
}

net::awaitable<io::cosmos::parallel_query_stats> run_compare_pages(stages::page_source source, pipeline::cpu_pool& cpu,
                                                                   comparison& into) {
  io::cosmos::page_sink sink = [&cpu, &into](io::cosmos::query_page page) -> net::awaitable<void> {
    auto digests = [&page] {
      thread_local document_digester digester;  // one per pool thread
      std::vector<digest128> out;
      out.reserve(page.documents.size());
      for (const auto& d : page.documents) out.push_back(digester.content_digest(d.raw));
      return out;
    };
    auto contents = co_await cpu.run(digests);
    for (std::size_t i = 0; i < page.documents.size(); ++i) into.observe(page.documents[i].fields, contents[i]);
  };
  co_return co_await source(std::move(sink));
}

}  // namespace idabus::import_tool
