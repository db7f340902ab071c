#include "tools/importTool/compare_reader.hpp"

#include "io/json/page.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
using idabus::test::run_coro;
using idabus::test::write_file;


io::json::document_fields reader_fields(std::string pk, std::string id) {
  io::json::document_fields f;
  f.partition_key = std::move(pk);
  f.id = std::move(id);
  return f;
}

// A query page holding the documents of a JSON array, split as the Cosmos client splits pages.
io::cosmos::query_page page_of(std::string array) {
  io::cosmos::query_page page;
  page.body = std::make_shared<const io::http::body_buffer>(io::http::body_buffer::copy_of(array));
  io::json::page_reader reader("/pk");
  page.documents = reader.split_array(page.body->view());
  return page;
}

// A source handing its pages to the sink in order, like one range of the parallel query.
stages::page_source pages_source(std::vector<std::string> bodies) {
  return [bodies](io::cosmos::page_sink sink) -> net::awaitable<io::cosmos::parallel_query_stats> {
    io::cosmos::parallel_query_stats stats;
    for (const auto& body : bodies) {
      auto page = page_of(body);
      stats.documents += page.documents.size();
      ++stats.pages;
      co_await sink(std::move(page));
    }
    co_return stats;
  };
}

struct RestoreFilesAndPages : ::testing::Test {
  idabus::test::temp_dir dir;
  std::vector<fs::path> files;
  void SetUp() override {
    files = {dir.path / "C.000001.json", dir.path / "C.000002.json"};
    write_file(files[0], R"([{"id":"a","pk":"P","v":1,"_ts":1},{"id":"b","pk":"P","v":1,"_ts":1}])");
    write_file(files[1], R"([{"id":"a","pk":"P","v":2,"_ts":2},{"id":"c","pk":"Q","v":1,"_ts":2}])");
  }
};

TEST_F(RestoreFilesAndPages, LoadExpectedKeepsTheNewestVersionOfEachDocument) {
  const auto expected = load_expected(files, "/pk");
  EXPECT_EQ(expected.versions(), 4u);
  EXPECT_EQ(expected.size(), 3u);
  document_digester d;
  ASSERT_NE(expected.find(key_digest(reader_fields("P", "a"))), nullptr);
  EXPECT_EQ(expected.find(key_digest(reader_fields("P", "a")))->content, d.content_digest(R"({"id":"a","pk":"P","v":2})"));
}

TEST_F(RestoreFilesAndPages, ThePagesOfTheCollectionAreComparedDocumentByDocument) {
  const auto expected = load_expected(files, "pk");
  comparison result(expected, 5);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{2, "cpu"});
  auto source = pages_source({R"([{"_rid":"r1","pk":"P","id":"a","v":2.0,"_ts":99}])",
                              R"([{"id":"b","pk":"P","v":7},{"id":"z","pk":"Q","v":1}])"});
  const auto stats = run_coro([&](net::io_context&) { return run_compare_pages(source, cpu, result); });
  EXPECT_EQ(stats.documents, 3u);
  const auto n = result.counts();
  EXPECT_EQ(n.observed, 3u);
  EXPECT_EQ(n.equal, 1u);      // a (newest version, system properties and number form ignored)
  EXPECT_EQ(n.different, 1u);  // b
  EXPECT_EQ(n.extra, 1u);      // z
  EXPECT_EQ(n.missing, 1u);    // c
  EXPECT_EQ(name_missing(files, "/pk", result.missing_sample()), std::vector<std::string>{R"(pk "Q" id "c")"});
}

TEST_F(RestoreFilesAndPages, AnEmptyCollectionMissesEveryExpectedDocument) {
  const auto expected = load_expected(files, "/pk");
  comparison result(expected, 5);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{1, "cpu"});
  auto source = pages_source({});
  run_coro([&](net::io_context&) { return run_compare_pages(source, cpu, result); });
  EXPECT_EQ(result.counts().missing, 3u);
  EXPECT_EQ(result.counts().observed, 0u);
}

TEST_F(RestoreFilesAndPages, AFailingSourceFailsTheRead) {
  const auto expected = load_expected(files, "/pk");
  comparison result(expected, 5);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{1, "cpu"});
  stages::page_source source = [](io::cosmos::page_sink) -> net::awaitable<io::cosmos::parallel_query_stats> {
    throw std::runtime_error("range 3 unreachable");
    co_return io::cosmos::parallel_query_stats{};
  };
  EXPECT_THROW(run_coro([&](net::io_context&) { return run_compare_pages(source, cpu, result); }), std::runtime_error);
}

TEST_F(RestoreFilesAndPages, AMalformedDocumentOfTheCollectionFailsTheRead) {
  const auto expected = load_expected(files, "/pk");
  comparison result(expected, 5);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{1, "cpu"});
  // split_array accepts non-objects in an array (SELECT VALUE); the digest does not.
  auto source = pages_source({R"([5])"});
  EXPECT_THROW(run_coro([&](net::io_context&) { return run_compare_pages(source, cpu, result); }), io::json::parse_error);
}

TEST_F(RestoreFilesAndPages, CancellingWhileTheSourceWaitsEndsTheRead) {
  const auto expected = load_expected(files, "/pk");
  comparison result(expected, 5);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{1, "cpu"});
  stages::page_source source = [](io::cosmos::page_sink) -> net::awaitable<io::cosmos::parallel_query_stats> {
    net::steady_timer never(co_await net::this_coro::executor, std::chrono::hours(1));
    co_await never.async_wait(net::use_awaitable);
    co_return io::cosmos::parallel_query_stats{};
  };
  EXPECT_THROW(run_coro([&](net::io_context&) { return run_compare_pages(source, cpu, result); },
                        std::chrono::milliseconds(200)),
               std::runtime_error);  // run_coro's deadline cancels it; it ends instead of hanging
  EXPECT_EQ(result.counts().observed, 0u);
}

TEST(RestoreFiles, AFileThatIsNotAJsonArrayIsAnError) {
  idabus::test::temp_dir dir;
  write_file(dir.path / "C.000001.json", R"({"id":"a"})");
  EXPECT_THROW(load_expected({dir.path / "C.000001.json"}, "/pk"), std::exception);
}

}  // namespace
}  // namespace idabus::import_tool
