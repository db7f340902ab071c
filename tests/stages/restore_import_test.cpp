#include "stages/restore_import.hpp"

#include "io/cosmos/epk.hpp"
#include "io/cosmos/pk_ranges.hpp"
#include "io/files/restore_file.hpp"
#include "pipeline/run_stages.hpp"
#include "bulk_body.hpp"
#include "support/background_run.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_cosmos.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/co_assert.hpp"

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace files = idabus::io::files;
namespace pipeline = idabus::pipeline;
namespace stages = idabus::stages;
using idabus::test::recorded_request;
using idabus::test::reply;
using idabus::test::scripted_server;
using idabus::test::temp_dir;

namespace {

using idabus::test::two_ranges_body;

std::filesystem::path write_text(const temp_dir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A restore file of documents {"id":..,"t":{"k":<key>},"v":<version>}.
std::string restore_text(const std::vector<std::pair<std::string, int>>& docs) {
  std::string out = "[";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    out += (i ? ",\n" : "\n") + std::string(R"({"id":")") + docs[i].first + R"(","t":{"k":")" + docs[i].first +
           R"("},"v":)" + std::to_string(docs[i].second) + "}";
  }
  return out + "\n]\n";
}

/// Documents "k0" to "k<n-1>" at `version`, for restore_text.
std::vector<std::pair<std::string, int>> numbered_keys(int n, int version = 1) {
  std::vector<std::pair<std::string, int>> out;
  for (int i = 0; i < n; ++i) out.emplace_back("k" + std::to_string(i), version);
  return out;
}

using idabus::stages::bulk_body::operations_in;
using applied_operation = idabus::stages::bulk_body::bulk_body_operation;

// A server that applies every operation (recording the versions per id).
struct recording_server {
  std::map<std::string, std::vector<int>> applied;
  std::size_t operations = 0;
  std::chrono::milliseconds delay{0};

  scripted_server::handler handler() {
    return [this](const recorded_request& req) {
      std::string body = "[";
      for (const auto& op : operations_in(req.body)) {
        applied[op.id].push_back(op.version);
        ++operations;
        body += std::string(body.size() > 1 ? "," : "") + R"({"statusCode":200,"requestCharge":5})";
      }
      return reply::ok(body + "]").after(delay);
    };
  }
};

/// Answers every operation, but range "1" only after a minute.
scripted_server::handler import_range_1_stalls() {
  return idabus::test::stalling_range("1", [](const recorded_request& req) {
    std::string body = "[";
    for (std::size_t i = 0; i < operations_in(req.body).size(); ++i) {
      body += std::string(i ? "," : "") + R"({"statusCode":200,"requestCharge":5})";
    }
    return reply::ok(body + "]");
  });
}

// A scripted Cosmos of two_ranges_body's two ranges (`writes` answers every other request) and
// the import's file thread.
struct import_rig : idabus::test::scripted_cosmos {
  import_rig(net::io_context& ctx, scripted_server::handler writes)
      : scripted_cosmos(ctx, idabus::test::answering_ranges(two_ranges_body, std::move(writes))) {}

  pipeline::cpu_pool file_thread{pipeline::cpu_pool_options{1, "file"}};
};

const std::vector<stages::epk_range> two_epk_ranges{{"", "20"}, {"20", "FF"}};

stages::import_tracker tracker_for(const std::vector<std::filesystem::path>& paths,
                                   const files::import_checkpoint* resume = nullptr) {
  return stages::import_tracker(stages::survey_restore_files(paths), two_epk_ranges, resume);
}

/// The first `n` keys "k<i>" on the range "0" ([, 20)) or "1" ([20, FF)) of two_epk_ranges.
std::vector<std::string> keys_on_range(bool low, std::size_t n) {
  std::vector<std::string> out;
  for (int i = 0; out.size() < n; ++i) {
    const std::vector<cosmos::pk_component> pk{"k" + std::to_string(i)};
    if ((cosmos::effective_partition_key_v2(pk) < "20") == low) out.push_back("k" + std::to_string(i));
  }
  return out;
}

stages::restore_import_options import_options(std::vector<std::filesystem::path> paths) {
  stages::restore_import_options o;
  o.files = std::move(paths);
  o.partition_key_path = "t/k";
  o.lanes.database = "d";
  o.lanes.collection = "c";
  o.lanes.lanes_per_range = 4;
  o.lanes.max_batch_operations = 3;
  o.read_batch = 2;
  o.channel_capacity = 4;
  return o;
}

/// Ten files of eight documents, each alternating range "1" and range "0" (40 keys of each in
/// all), every document padded with a string of `padding` bytes.
std::vector<std::filesystem::path> alternating_files(const temp_dir& dir, std::size_t padding = 0) {
  const auto low = keys_on_range(true, 40);
  const auto high = keys_on_range(false, 40);
  const std::string pad = padding ? "\"pad\":\"" + std::string(padding, 'x') + "\"," : "";
  std::vector<std::filesystem::path> paths;
  for (int f = 0; f < 10; ++f) {
    std::vector<std::pair<std::string, int>> docs;
    for (int i = 0; i < 4; ++i) {
      docs.emplace_back(high[f * 4 + i], 1);
      docs.emplace_back(low[f * 4 + i], 1);
    }
    std::string text = restore_text(docs);
    for (auto at = text.find("\"v\":"); !pad.empty() && at != std::string::npos;
         at = text.find("\"v\":", at + pad.size() + 1)) {
      text.insert(at, pad);
    }
    paths.push_back(write_text(dir, "c.0000" + std::to_string(f + 10) + ".json", text));
  }
  return paths;
}

/// import_options for an import whose range "1" stalls (import_range_1_stalls): one lane of
/// four documents per range, so that range's lane and queues fill.
stages::restore_import_options stalling_import_options(std::vector<std::filesystem::path> paths) {
  auto o = import_options(std::move(paths));
  o.lanes.lanes_per_range = 1;
  o.lanes.lane_capacity = 4;
  return o;
}

/// Runs the import `o` against an import_rig answered by `writes`, tracked by `tracker`, under run_coro
/// (whose deadline cancels it); throws what the import throws.
void import_into(scripted_server::handler writes, stages::restore_import_options o, stages::import_tracker& tracker,
                 std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    import_rig r(ctx, std::move(writes));
    stages::write_lanes_counters counters;
    co_await stages::run_restore_import(r.client, r.file_thread, std::move(o), tracker, counters);
  }, deadline);
}

}  // namespace

TEST(KeyOf, FindsNestedPartitionKeysWithOrWithoutALeadingSlash) {
  for (const char* path : {"/meta/type", "meta/type"}) {
    idabus::io::json::document_reader reader(path);
    auto key = stages::key_of(reader, R"({"id":"a","meta":{"type":"Person"}})", path);
    EXPECT_TRUE(key.problem.empty()) << key.problem;
    EXPECT_EQ(key.id, "a");
    ASSERT_EQ(key.partition_key.size(), 1u);
    EXPECT_EQ(std::get<std::string>(key.partition_key[0]), "Person");
  }
}

TEST(KeyOf, NamesWhatIsMissing) {
  idabus::io::json::document_reader reader("objecttype");
  EXPECT_EQ(stages::key_of(reader, R"({"id":"a"})", "objecttype").problem,
            "the document has no value at the partition key path /objecttype");
  EXPECT_EQ(stages::key_of(reader, R"({"id":"a","objecttype":{"x":1}})", "objecttype").problem,
            "the value at the partition key path /objecttype is an object or an array");
  EXPECT_EQ(stages::key_of(reader, R"({"objecttype":"Person"})", "objecttype").problem,
            "the document has no string \"id\"");
  auto null_key = stages::key_of(reader, R"({"id":"n","objecttype":null})", "objecttype");
  EXPECT_TRUE(null_key.problem.empty());  // null is a partition key value
}

TEST(SurveyRestoreFiles, CountsTheDocumentsAndBytesOfEachFile) {
  temp_dir dir;
  const std::string a = restore_text({{"a", 1}, {"b", 1}});
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", a),
                                                 write_text(dir, "c.000002.json", "[]")};
  const auto surveyed = stages::survey_restore_files(paths);
  ASSERT_EQ(surveyed.size(), 2u);
  EXPECT_EQ(surveyed[0], (files::import_input_file{"c.000001.json", 2, a.size()}));
  EXPECT_EQ(surveyed[1], (files::import_input_file{"c.000002.json", 0, 2}));
  const std::vector<std::filesystem::path> bad{write_text(dir, "c.000003.json", R"({"id":"a"})")};
  EXPECT_THROW(stages::survey_restore_files(bad), files::restore_file_error);
}

TEST(EstimateRestoreImport, ChargesEachDocumentToTheRangeHoldingItAndBoundsByTheHottest) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{write_text(
      dir, "c.000001.json", restore_text({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1}}) )};
  const auto ranges = cosmos::parse_partition_key_ranges(two_ranges_body);
  cosmos::cost_model costs;
  const auto e = stages::estimate_restore_import(paths, "/t/k", ranges, 100, 0, costs, "dbs/d/colls/c");
  EXPECT_EQ(e.documents, 6u);
  EXPECT_EQ(e.rejected, 0u);
  const double each = costs.estimate("dbs/d/colls/c", cosmos::operation_kind::bulk_write, 60);
  std::vector<double> expected(2, 0.0);
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) {
    const std::vector<cosmos::pk_component> pk{std::string(id)};
    expected[cosmos::range_for_epk(ranges, cosmos::effective_partition_key_v2(pk))->id == "0" ? 0 : 1] += each;
  }
  ASSERT_EQ(e.range_ru.size(), 2u);
  EXPECT_NEAR(e.range_ru[0], expected[0], 1e-9);
  EXPECT_NEAR(e.range_ru[1], expected[1], 1e-9);
  EXPECT_NEAR(e.bound.min_seconds, std::max(expected[0], expected[1]) / 100, 1e-9);
}

TEST(RestoreImport, WritesEveryVersionInFileOrderAndRejectsDocumentsWithoutAKey) {
  temp_dir dir;
  std::string second_text = restore_text(numbered_keys(20, 2));
  second_text.insert(second_text.rfind(']'), R"(,{"id":"nokey","v":1})");
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", restore_text(numbered_keys(20, 1))),
                                                 write_text(dir, "c.000002.json", second_text)};
  for (const std::size_t readers : {2, 1}) {  // a reader per range; one reader for both ranges
    SCOPED_TRACE("max_readers " + std::to_string(readers));
    recording_server server;
    auto tracker = tracker_for(paths);
    auto o = import_options(paths);
    o.max_readers = readers;
    import_into(server.handler(), std::move(o), tracker);
    EXPECT_EQ(tracker.position(), 41u);
    EXPECT_EQ(tracker.counts().written, 40u);
    EXPECT_EQ(tracker.counts().rejected, 1u);
    const auto persisted = tracker.take_settled_rejections();
    EXPECT_EQ(server.operations, 40u);
    ASSERT_EQ(server.applied.size(), 20u);
    for (const auto& [id, versions] : server.applied) EXPECT_EQ(versions, (std::vector<int>{1, 2})) << id;
    ASSERT_EQ(persisted.size(), 1u);
    EXPECT_EQ(persisted[0].file, "c.000002.json");
    EXPECT_EQ(persisted[0].index, 20u);
    EXPECT_EQ(persisted[0].reason, "the document has no value at the partition key path /t/k");
  }
}

TEST(RestoreImport, ARangeWhoseLanesAreFullDoesNotHoldBackTheOtherRangesDocumentsBehindIt) {
  // The files hold a page of range "1" (more than its lanes queue), then a page of range "0", as
  // a backup lays out its ranges. Range "1" stalls. Range "0"'s documents must still be read and
  // written: a single reader waits on range "1"'s full lane and never reaches them.
  temp_dir dir;
  std::vector<std::pair<std::string, int>> docs;
  for (const auto& k : keys_on_range(false, 40)) docs.emplace_back(k, 1);
  const auto low = keys_on_range(true, 10);
  for (const auto& k : low) docs.emplace_back(k, 1);
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", restore_text(docs))};
  idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    import_rig r(ctx, import_range_1_stalls());
    auto tracker = tracker_for(paths);
    stages::write_lanes_counters counters;
    auto o = stalling_import_options(paths);
    idabus::test::background_run import(ctx, stages::run_restore_import(r.client, r.file_thread, o, tracker, counters));
    // Range "0" finishes its whole input.
    std::function<bool()> range_0_done = [&] {
      return counters.ranges["0"].written >= low.size() && tracker.progress()[0].completed >= docs.size();
    };
    co_await idabus::test::poll_until(std::move(range_0_done));
    EXPECT_EQ(counters.ranges["1"].written, 0u);
    co_await import.stop();
  }, std::chrono::seconds(5));
}

TEST(RestoreImport, ParsesEachFileOnceWhateverTheNumberOfRangeReaders) {
  temp_dir dir;
  std::vector<std::filesystem::path> paths;
  const auto low = keys_on_range(true, 6);
  const auto high = keys_on_range(false, 6);
  for (int f = 0; f < 3; ++f) {
    std::vector<std::pair<std::string, int>> docs;
    for (int i = 0; i < 6; ++i) docs.emplace_back(i % 2 ? low[i] : high[i], f);
    paths.push_back(write_text(dir, "c.00000" + std::to_string(f + 1) + ".json", restore_text(docs)));
  }
  for (const std::size_t readers : {2, 1}) {
    SCOPED_TRACE("max_readers " + std::to_string(readers));
    recording_server server;
    stages::restore_read_counters reading;
    auto tracker = tracker_for(paths);
    auto o = import_options(paths);
    o.max_readers = readers;
    o.read_counters = &reading;
    import_into(server.handler(), std::move(o), tracker);
    EXPECT_EQ(tracker.counts().written, 18u);
    EXPECT_EQ(reading.files_parsed, 3u);
    EXPECT_EQ(reading.documents_parsed, 18u);
    EXPECT_EQ(reading.pieces_held, 0u);
  }
}

TEST(RestoreImport, TheFastestRangeRunsAtMostReadAheadPiecesAheadOfTheSlowest) {
  // Ten files, each alternating range "1" and range "0" documents; range "1" stalls. Range "0"
  // runs ahead, but the parser stops once range "1"'s queue of pieces is full: at most
  // read_ahead + 2 pieces are held, and the later files are not read while range "1" is stalled.
  temp_dir dir;
  const auto paths = alternating_files(dir);
  idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    import_rig r(ctx, import_range_1_stalls());
    auto tracker = tracker_for(paths);
    stages::write_lanes_counters counters;
    stages::restore_read_counters reading;
    auto o = stalling_import_options(paths);
    o.read_ahead = 3;
    o.read_counters = &reading;
    idabus::test::background_run import(ctx, stages::run_restore_import(r.client, r.file_thread, o, tracker, counters));
    // Until the parser waits on range "1"'s full queue, then a while longer: a parser that does not
    // wait would meanwhile read on.
    std::function<bool()> parser_waits = [&] { return reading.pieces_held >= o.read_ahead + 2; };
    co_await idabus::test::poll_until(std::move(parser_waits));
    net::steady_timer a_while(co_await net::this_coro::executor, std::chrono::milliseconds(200));
    co_await a_while.async_wait(net::use_awaitable);
    EXPECT_LE(reading.most_pieces_held, o.read_ahead + 2);
    EXPECT_LT(reading.files_parsed, paths.size());
    EXPECT_GT(counters.ranges["0"].written, 0u);
    EXPECT_EQ(counters.ranges["1"].written, 0u);
    co_await import.stop();
  }, std::chrono::seconds(5));
}

// What the reading side held once range "1" stalled: ten files of eight documents of ~2 KB each,
// alternating range "1" and range "0", read with `o`'s read_batch and read_piece_bytes and 16 KB
// of read-ahead (64 pieces would hold every file: it is the bytes that must bind).
struct stalled_reading {
  stages::restore_read_counters reading;
  std::size_t files = 0;
  std::size_t read_ahead_bytes = 16 << 10;
  std::uint64_t range_0_written = 0;
  std::uint64_t range_1_written = 0;
};

/// Held bytes of one of those documents as parsed (its body and keys, and the parser's bookkeeping).
constexpr std::size_t padded_document_bytes = 2600;

stalled_reading read_until_range_1_stalls(std::size_t read_batch, std::size_t read_piece_bytes) {
  temp_dir dir;
  const auto paths = alternating_files(dir, 2000);
  stalled_reading out;
  out.files = paths.size();
  idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    import_rig r(ctx, import_range_1_stalls());
    auto tracker = tracker_for(paths);
    stages::write_lanes_counters counters;
    auto o = stalling_import_options(paths);
    o.read_batch = read_batch;
    o.read_piece_bytes = read_piece_bytes;
    o.read_ahead = 64;
    o.read_ahead_bytes = out.read_ahead_bytes;
    o.read_counters = &out.reading;
    idabus::test::background_run import(ctx, stages::run_restore_import(r.client, r.file_thread, o, tracker, counters));
    // Until range "1"'s stalled lane and queues hold their documents, then a while longer: a
    // parser that does not wait would meanwhile read on.
    std::function<bool()> holding = [&] { return out.reading.bytes_held >= out.read_ahead_bytes / 2; };
    co_await idabus::test::poll_until(std::move(holding));
    net::steady_timer a_while(co_await net::this_coro::executor, std::chrono::milliseconds(200));
    co_await a_while.async_wait(net::use_awaitable);
    out.range_0_written = counters.ranges["0"].written;
    out.range_1_written = counters.ranges["1"].written;
    co_await import.stop();
  }, std::chrono::seconds(5));
  return out;
}

TEST(RestoreImport, WhatIsParsedAndNotTakenStaysWithinReadAheadBytes) {
  const auto r = read_until_range_1_stalls(2, std::size_t{1} << 20);
  EXPECT_LE(r.reading.most_bytes_held, r.read_ahead_bytes);
  EXPECT_LT(r.reading.files_parsed, r.files);  // the parser stopped reading
  EXPECT_GT(r.range_0_written, 0u);
  EXPECT_EQ(r.range_1_written, 0u);
}

TEST(RestoreImport, APieceEndsOnceItsDocumentsHoldReadPieceBytes) {
  // Up to 100 documents per piece (a whole file), but a piece ends after its first document.
  const auto r = read_until_range_1_stalls(100, 1);
  EXPECT_GT(r.reading.most_piece_bytes, padded_document_bytes / 2);
  EXPECT_LE(r.reading.most_piece_bytes, padded_document_bytes);
  EXPECT_LE(r.reading.most_bytes_held, r.read_ahead_bytes);
}

TEST(RestoreImport, PiecesLargerThanReadAheadBytesAreHandedOutAloneAndEverythingIsWritten) {
  // Every piece (four documents of ~2.6 KB) holds more than the whole read-ahead: each waits until
  // the readers have taken every earlier one, then goes alone; nothing deadlocks.
  temp_dir dir;
  const auto paths = alternating_files(dir, 2000);
  recording_server server;
  auto tracker = tracker_for(paths);
  stages::restore_read_counters reading;
  auto o = import_options(paths);
  o.read_batch = 4;
  o.read_ahead_bytes = 1;
  o.read_counters = &reading;
  import_into(server.handler(), std::move(o), tracker);
  EXPECT_EQ(tracker.counts().written, 80u);
  EXPECT_EQ(server.operations, 80u);
  EXPECT_GT(reading.most_piece_bytes, 1u);
  EXPECT_EQ(reading.most_bytes_held, reading.most_piece_bytes);  // one piece alone at a time
  EXPECT_EQ(reading.bytes_held, 0u);
  EXPECT_EQ(reading.pieces_held, 0u);
}

TEST(RestoreImport, AnEmptyInputEndsWithoutWriting) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", "[]")};
  recording_server server;
  auto tracker = tracker_for(paths);
  import_into(server.handler(), import_options(paths), tracker);
  EXPECT_EQ(tracker.position(), 0u);
  EXPECT_EQ(server.operations, 0u);
}

TEST(RestoreImport, AResumedImportSendsOnlyWhatEachRangeHadNotFinished) {
  temp_dir dir;
  const auto docs = numbered_keys(10);
  const std::vector<std::filesystem::path> paths{
      write_text(dir, "c.000001.json", restore_text({docs.begin(), docs.begin() + 4})),
      write_text(dir, "c.000002.json", restore_text({docs.begin() + 4, docs.end()}))};
  // The earlier run read 8 documents; range "0" finished all of them, range "1" the first 2.
  files::import_checkpoint saved;
  saved.position = 8;
  saved.ranges = {{"", "20", 8}, {"20", "FF", 2}};
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    const std::vector<cosmos::pk_component> pk{"k" + std::to_string(i)};
    const bool low = cosmos::effective_partition_key_v2(pk) < "20";
    if (i >= 8 || (!low && i >= 2)) expected.insert("k" + std::to_string(i));
  }
  recording_server server;
  auto tracker = tracker_for(paths, &saved);
  import_into(server.handler(), import_options(paths), tracker);
  EXPECT_EQ(tracker.position(), 10u);
  EXPECT_EQ(tracker.counts().skipped + tracker.counts().written, 10u);
  std::set<std::string> sent;
  for (const auto& [id, versions] : server.applied) sent.insert(id);
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(server.operations, expected.size());
}

TEST(RestoreImport, PersistsTheCompletedPrefixWhileItRuns) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", restore_text(numbered_keys(30)))};
  recording_server server;
  server.delay = std::chrono::milliseconds(20);
  std::vector<std::uint64_t> checkpoints;
  auto tracker = tracker_for(paths);
  auto o = import_options(paths);
  o.lanes.lanes_per_range = 1;
  o.tick = std::chrono::milliseconds(5);
  o.persist = [&](stages::import_snapshot s) {
    std::uint64_t least = s.position;
    for (const auto& range : s.ranges) least = std::min(least, range.completed);
    checkpoints.push_back(least);
  };
  import_into(server.handler(), std::move(o), tracker);
  // Several checkpoints while the writes were under way, never going back.
  ASSERT_GE(checkpoints.size(), 2u);
  EXPECT_TRUE(std::is_sorted(checkpoints.begin(), checkpoints.end()));
  EXPECT_GT(checkpoints.back(), 0u);
  EXPECT_LT(checkpoints.front(), 30u);
}

TEST(RestoreImport, AMalformedFileFailsNamingTheReaderAndTheFile) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", restore_text({{"a", 1}})),
                                                 write_text(dir, "c.000002.json", R"([{"id":"b","t":{"k":"b"}}, 7])")};
  recording_server server;
  std::string stage, what;
  // The second file as it was surveyed: one document (it was damaged since).
  stages::import_tracker tracker({{"c.000001.json", 1, 0}, {"c.000002.json", 1, 0}}, two_epk_ranges);
  try {
    import_into(server.handler(), import_options(paths), tracker);
  } catch (const pipeline::stage_error& e) {
    stage = e.stage();
    what = e.what();
  }
  EXPECT_EQ(stage, "read restore files");
  EXPECT_NE(what.find("c.000002.json"), std::string::npos) << what;
}

TEST(RestoreImport, AFileThatChangedSinceTheSurveyFails) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{
      write_text(dir, "c.000001.json", restore_text({{"a", 1}, {"b", 1}, {"c", 1}}))};
  recording_server server;
  std::string what;
  stages::import_tracker tracker({{"c.000001.json", 2, 0}}, two_epk_ranges);
  try {
    import_into(server.handler(), import_options(paths), tracker);
  } catch (const pipeline::stage_error& e) {
    what = e.what();
  }
  EXPECT_NE(what.find("it changed"), std::string::npos) << what;
}

TEST(RestoreImport, CancellationWhileWritesAreBlockedEndsPromptly) {
  temp_dir dir;
  const std::vector<std::filesystem::path> paths{write_text(dir, "c.000001.json", restore_text(numbered_keys(200)))};
  const auto start = std::chrono::steady_clock::now();
  auto tracker = tracker_for(paths);
  auto never_answered = [](const recorded_request&) { return reply::ok("[]").after(std::chrono::seconds(60)); };
  EXPECT_THROW(import_into(never_answered, import_options(paths), tracker, std::chrono::milliseconds(300)),
               std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}
