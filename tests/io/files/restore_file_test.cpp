#include "io/files/restore_file.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/chunk.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace idabus::io::files {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_all(const fs::path& path) {
  restore_file_reader reader(path);
  std::vector<std::string> out;
  while (auto doc = reader.next()) out.emplace_back(*doc);
  return out;
}

using test::names_in;

template <typename F>
restore_file_error restore_file_error_of(F f) {
  try {
    f();
  } catch (const restore_file_error& e) {
    return e;
  }
  ADD_FAILURE() << "expected restore_file_error";
  return restore_file_error(restore_file_problem::missing, "none");
}

/// The error reading a file of `text` (whose first document is good) throws for its second.
restore_file_error second_document_error(const test::temp_dir& dir, const std::string& text) {
  write_file_atomically(dir.path / "f.json", text);
  restore_file_reader reader(dir.path / "f.json");
  EXPECT_TRUE(reader.next());
  return restore_file_error_of([&] { reader.next(); });
}

// ---- names ----

TEST(RestoreFileName, IsCollectionDotSixDigitSequenceDotJson) {
  EXPECT_EQ(restore_file_name("Resources", 1), "Resources.000001.json");
  EXPECT_EQ(restore_file_name("Events", 123456), "Events.123456.json");
  EXPECT_EQ(restore_file_name("Events", 1234567), "Events.1234567.json");
}

TEST(RestoreFileName, SequenceIsReadBackOnlyForThatCollection) {
  EXPECT_EQ(restore_file_sequence("Resources.000042.json", "Resources"), 42u);
  EXPECT_EQ(restore_file_sequence("Resources.1234567.json", "Resources"), 1234567u);
  EXPECT_EQ(restore_file_sequence("Resources.000042.json", "Events"), std::nullopt);
  EXPECT_EQ(restore_file_sequence("Resources.000042.json", "Resource"), std::nullopt);
  EXPECT_EQ(restore_file_sequence("Resources.00042.json", "Resources"), std::nullopt);
  EXPECT_EQ(restore_file_sequence("Resources.000042.json.tmp-12-0", "Resources"), std::nullopt);
  EXPECT_EQ(restore_file_sequence("Resources.00004x.json", "Resources"), std::nullopt);
  EXPECT_EQ(restore_file_sequence("restore-plan.json", "Resources"), std::nullopt);
}

TEST(ListRestoreFiles, AscendingSequenceNumbersNotNames) {
  test::temp_dir dir;
  for (auto name : {"Resources.000010.json", "Resources.000002.json", "Resources.1000000.json",
                    "Events.000001.json", "Resources.000003.json.tmp-1-1", "restore-plan.json"}) {
    write_file_atomically(dir.path / name, "[]");
  }
  const auto files = list_restore_files(dir.path, "Resources");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename(), "Resources.000002.json");
  EXPECT_EQ(files[1].filename(), "Resources.000010.json");
  EXPECT_EQ(files[2].filename(), "Resources.1000000.json");
}

TEST(ListRestoreFiles, MissingFolderIsAFileErrorNamingIt) {
  test::temp_dir dir;
  try {
    list_restore_files(dir.path / "nope", "Resources");
    FAIL() << "expected file_error";
  } catch (const file_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

// ---- stripping ----

TEST(SystemPropertyStripper, RemovesTheFourSystemPropertiesAndNothingElse) {
  system_property_stripper s;
  const std::string doc =
      R"({"id":"a","_rid":"r1==","n":1.50,"_self":"dbs/x/","s":"\u00e9\"","_etag":"\"0\"","_attachments":"attachments/","_ts":1700000000})";
  EXPECT_EQ(s.strip(doc), R"({"id":"a","n":1.50,"s":"\u00e9\"","_ts":1700000000})");
}

TEST(SystemPropertyStripper, KeepsADocumentWithoutSystemPropertiesByteForByte) {
  system_property_stripper s;
  const std::string doc = "{ \"id\" : \"a\",\n  \"v\": [1, {\"_rid\": 2}], \"x\": 1e3 }";
  const auto out = s.strip(doc);
  EXPECT_EQ(out, doc);
  EXPECT_EQ(out.data(), doc.data());  // no copy at all
}

TEST(SystemPropertyStripper, HandlesLeadingTrailingAndAllMembers) {
  system_property_stripper s;
  EXPECT_EQ(s.strip(R"({"_rid":"r","id":"a"})"), R"({"id":"a"})");
  EXPECT_EQ(s.strip(R"({"id":"a", "_etag":"e", "_self":"s"})"), R"({"id":"a"})");
  EXPECT_EQ(s.strip("{\"id\":\"a\",\n \"_rid\":\"r\"\n}"), "{\"id\":\"a\"\n}");
  EXPECT_EQ(s.strip(R"({ "_rid":"r", "_self":"s" })"), "{ }");
  EXPECT_EQ(s.strip(R"({"a":1,"_rid":"r","b":2,"_self":"s","c":3})"), R"({"a":1,"b":2,"c":3})");
  EXPECT_EQ(s.strip("{}"), "{}");
}

TEST(SystemPropertyStripper, NestedSystemPropertyNamesStay) {
  system_property_stripper s;
  EXPECT_EQ(s.strip(R"({"id":"a","o":{"_rid":"inner","_etag":1},"_rid":"outer"})"),
            R"({"id":"a","o":{"_rid":"inner","_etag":1}})");
}

TEST(SystemPropertyStripper, RejectsWhatIsNotOneObject) {
  system_property_stripper s;
  EXPECT_EQ(restore_file_error_of([&] { s.strip("[1]"); }).problem(), restore_file_problem::not_an_object);
  EXPECT_EQ(restore_file_error_of([&] { s.strip(R"({"a":1} {"b":2})"); }).problem(), restore_file_problem::malformed);
  EXPECT_EQ(restore_file_error_of([&] { s.strip(R"({"a":1,)"); }).problem(), restore_file_problem::malformed);
}

// ---- writer ----

TEST(RestoreFileWriter, WritesAJsonArrayOfStrippedDocumentsAndListsIt) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Resources");
  writer.add(R"({"id":"1","_rid":"x","objecttype":"Person"})");
  writer.add(R"({"id":"2","objecttype":"Group","_etag":"\"e\""})");
  const auto files = writer.finish();
  ASSERT_EQ(files.size(), 1u);
  const auto text = read_file(dir.path / "Resources.000001.json");
  EXPECT_EQ(text, "[\n{\"id\":\"1\",\"objecttype\":\"Person\"},\n{\"id\":\"2\",\"objecttype\":\"Group\"}\n]\n");
  EXPECT_EQ(files[0], (restore_file_entry{"Resources.000001.json", 2, text.size(), sha256_hex(text)}));
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"Resources.000001.json"});
}

TEST(RestoreFileWriter, RollsOverBeforeAFileWouldExceedTheLimit) {
  test::temp_dir dir;
  const std::string doc = R"({"id":"0123456789"})";  // 19 bytes
  // One document: 2 + 19 + 3 = 24 bytes; two: 24 + 2 + 19 = 45; three: 66.
  restore_file_writer writer(dir.path, "Events", {.max_file_bytes = 65});
  for (int i = 0; i < 5; ++i) writer.add(doc);
  const auto files = writer.finish();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].documents, 2u);
  EXPECT_EQ(files[1].documents, 2u);
  EXPECT_EQ(files[2].documents, 1u);
  for (const auto& f : files) {
    EXPECT_LE(f.bytes, 65u);
    EXPECT_EQ(fs::file_size(dir.path / f.file), f.bytes);
  }
  EXPECT_EQ(files[2].file, "Events.000003.json");
  EXPECT_EQ(read_all(dir.path / files[1].file), (std::vector<std::string>{doc, doc}));
}

TEST(RestoreFileWriter, AFileExactlyAtTheLimitIsKept) {
  test::temp_dir dir;
  const std::string doc = R"({"id":"0123456789"})";
  restore_file_writer writer(dir.path, "Events", {.max_file_bytes = 45});
  writer.add(doc);
  writer.add(doc);
  writer.add(doc);
  const auto files = writer.finish();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].bytes, 45u);
  EXPECT_EQ(files[0].documents, 2u);
}

TEST(RestoreFileWriter, StartsAtTheFirstSequenceAsked) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {.first_sequence = 7});
  writer.add(R"({"id":"1"})");
  EXPECT_EQ(writer.finish().at(0).file, "Events.000007.json");
}

TEST(RestoreFileWriter, ADocumentLargerThanAFileIsRefused) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {.max_file_bytes = 20});
  const auto e = restore_file_error_of([&] { writer.add(R"({"id":"0123456789"})"); });
  EXPECT_EQ(e.problem(), restore_file_problem::too_large);
  EXPECT_NE(std::string(e.what()).find("19 bytes"), std::string::npos) << e.what();
}

TEST(RestoreFileWriter, NoDocumentsNoFile) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events");
  EXPECT_TRUE(writer.finish().empty());
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(RestoreFileWriter, DiscardRemovesEveryFileItWrote) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "other.txt", "keep");
  restore_file_writer writer(dir.path, "Events", {.max_file_bytes = 30});
  for (int i = 0; i < 3; ++i) writer.add(R"({"id":"0123456789"})");
  EXPECT_EQ(writer.written().size(), 2u);
  writer.discard();
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"other.txt"});
  EXPECT_TRUE(writer.written().empty());
}

TEST(RestoreFileWriter, MalformedDocumentIsRefusedAndNothingIsWritten) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events");
  EXPECT_EQ(restore_file_error_of([&] { writer.add(R"({"id":)"); }).problem(), restore_file_problem::malformed);
  EXPECT_TRUE(writer.finish().empty());
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(RestoreFileWriter, HoldsAtMostOnePieceWhileTheFileGrowsOnDisk) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {.piece_bytes = 64});
  std::string expected = "[\n";
  for (int i = 0; i < 200; ++i) {
    const auto doc = R"({"id":")" + std::to_string(i) + R"(","pad":"0123456789"})";
    writer.add(doc);
    expected += (i == 0 ? "" : ",\n") + doc;
    ASSERT_LE(writer.buffered_bytes(), 64u) << "document " << i;
  }
  expected += "\n]\n";
  // Before finish() all but the last piece is on disk, under the file's temporary name.
  const auto names = names_in(dir.path);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(is_temporary_name(names[0])) << names[0];
  EXPECT_GE(fs::file_size(dir.path / names[0]) + 64, expected.size() - 3);
  const auto files = writer.finish();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_file(dir.path / "Events.000001.json"), expected);
  EXPECT_EQ(files[0], (restore_file_entry{"Events.000001.json", 200, expected.size(), sha256_hex(expected)}));
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"Events.000001.json"});
}

TEST(RestoreFileWriter, DocumentsLargerThanAPieceAreWrittenWholeAndHashed) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {.max_file_bytes = 300, .piece_bytes = 64});
  const std::string small = R"({"id":"1"})";
  const std::string large = R"({"id":"2","pad":")" + std::string(100, 'x') + R"("})";  // 117 bytes
  for (const auto& doc : {small, large, small, large, large}) writer.add(doc);
  EXPECT_LE(writer.buffered_bytes(), 64u);
  const auto files = writer.finish();
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    const auto text = read_file(dir.path / f.file);
    EXPECT_EQ(f.bytes, text.size());
    EXPECT_EQ(f.sha256, sha256_hex(text));
  }
  EXPECT_EQ(read_all(dir.path / files[0].file), (std::vector<std::string>{small, large, small, large}));
  EXPECT_EQ(read_all(dir.path / files[1].file), (std::vector<std::string>{large}));
}

TEST(RestoreFileWriter, DiscardRemovesTheFileBeingWritten) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {.piece_bytes = 8});
  writer.add(R"({"id":"0123456789"})");
  ASSERT_EQ(names_in(dir.path).size(), 1u) << "the temporary file";
  writer.discard();
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(RestoreFileWriter, AZeroPieceSizeIsRefused) {
  test::temp_dir dir;
  EXPECT_THROW(restore_file_writer(dir.path, "Events", {.piece_bytes = 0}), std::invalid_argument);
}

// ---- reader ----

TEST(RestoreFileReader, ReturnsEachDocumentsRawBytesInOrder) {
  test::temp_dir dir;
  const std::string a = R"({"id":"a","n":1.000,"s":"\u00e9"})";
  const std::string b = "{ \"id\" : \"b\", \"arr\": [1, 2, {\"x\": null}] }";
  write_file_atomically(dir.path / "f.json", " [ " + a + " ,\n\t" + b + " ] \n");
  restore_file_reader reader(dir.path / "f.json");
  auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, a);
  EXPECT_EQ(reader.offset(), 3u);
  auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, b);
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_EQ(reader.documents_read(), 2u);
}

TEST(RestoreFileReader, HoldsAReadWindowNotTheFile) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Events", {});
  const std::size_t document_bytes = 1024;  // about: "pad" and the id around it
  for (int i = 0; i < 8000; ++i) writer.add(R"({"id":")" + std::to_string(i) + R"(","pad":")" + std::string(1000, 'x') + "\"}");
  writer.finish();
  restore_file_reader reader(dir.path / "Events.000001.json");
  ASSERT_GT(reader.file_bytes(), 4 * restore_read_bytes);
  std::size_t documents = 0;
  std::size_t most_buffered = 0;
  while (reader.next()) {
    ++documents;
    most_buffered = std::max(most_buffered, reader.buffered_bytes());
  }
  EXPECT_EQ(documents, 8000u);
  // The window, the start of a document that crosses its end and the padding: memory allocated,
  // not only the bytes in use (a buffer grown a few bytes at a time doubled its capacity).
  EXPECT_LE(most_buffered, restore_read_bytes + 2 * document_bytes);
}

TEST(RestoreFileReader, ADocumentLongerThanTheReadWindowIsReadWhole) {
  test::temp_dir dir;
  const std::string small = R"({"id":"s"})";
  const std::string large = R"({"id":"l","pad":")" + std::string(3 * restore_read_bytes, 'y') + "\"}";
  write_file_atomically(dir.path / "f.json", "[" + small + "," + large + "," + small + "]");
  EXPECT_EQ(read_all(dir.path / "f.json"), (std::vector<std::string>{small, large, small}));
}

TEST(RestoreFileReader, StringsMayHoldBracketsAndEscapesAcrossReadBoundaries) {
  // The first document's string has an escaped quote whose backslash is the last byte of the
  // first read, then brackets, then an escaped backslash just before the closing quote.
  test::temp_dir dir;
  const std::string head = "[\n";
  const std::string opening = R"({"id":"0","s":")";
  const std::string pad(restore_read_bytes - 1 - head.size() - opening.size(), 'x');
  const std::string first = opening + pad + R"(\"}]{[\\"})";
  ASSERT_EQ(head.size() + first.find('\\'), restore_read_bytes - 1);
  const std::string second = R"({"id":"1","s":"]}\\\"{","n":[{"a":"}"}]})";
  write_file_atomically(dir.path / "f.json", head + first + ",\n" + second + "\n]\n");
  EXPECT_EQ(read_all(dir.path / "f.json"), (std::vector<std::string>{first, second}));
}

TEST(RestoreFileReader, AMissingCommaBetweenDocumentsIsMalformedAtItsOffset) {
  test::temp_dir dir;
  const auto e = second_document_error(dir, R"([{"id":"a"} {"id":"b"}])");
  EXPECT_EQ(e.problem(), restore_file_problem::malformed);
  EXPECT_NE(std::string(e.what()).find("byte offset 12"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, EmptyArrayHasNoDocuments) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "f.json", "[]");
  EXPECT_TRUE(read_all(dir.path / "f.json").empty());
}

TEST(RestoreFileReader, ReadsWhatTheWriterWrote) {
  test::temp_dir dir;
  restore_file_writer writer(dir.path, "Resources", {.max_file_bytes = 200});
  std::vector<std::string> docs;
  for (int i = 0; i < 20; ++i) {
    docs.push_back(R"({"id":")" + std::to_string(i) + R"(","objecttype":"Person","v":[)" + std::to_string(i) + "]}");
    writer.add(docs.back());
  }
  std::vector<std::string> back;
  for (const auto& f : writer.finish()) {
    for (auto& d : read_all(dir.path / f.file)) back.push_back(std::move(d));
  }
  EXPECT_EQ(back, docs);
}

TEST(RestoreFileReader, MissingFileIsMissing) {
  test::temp_dir dir;
  const auto e = restore_file_error_of([&] { restore_file_reader r(dir.path / "absent.json"); });
  EXPECT_EQ(e.problem(), restore_file_problem::missing);
  EXPECT_NE(std::string(e.what()).find("absent.json"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, ANamedPipeIsRefusedWithoutWaitingForAWriter) {
  // Opening a FIFO for reading blocks until something opens it for writing: never here.
  test::temp_dir dir;
  const auto fifo = dir.path / "f.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto e = restore_file_error_of([&] { restore_file_reader r(fifo); });
  EXPECT_EQ(e.problem(), restore_file_problem::missing);
  EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, AnObjectAtTheTopIsNotAnArrayAtItsOffset) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "f.json", "\n  {\"id\":\"a\"}");
  const auto e = restore_file_error_of([&] { restore_file_reader r(dir.path / "f.json"); });
  EXPECT_EQ(e.problem(), restore_file_problem::not_an_array);
  EXPECT_NE(std::string(e.what()).find("f.json"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("byte offset 3"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, EmptyFileIsAnError) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "f.json", "");
  const auto e = restore_file_error_of([&] { restore_file_reader r(dir.path / "f.json"); });
  EXPECT_NE(std::string(e.what()).find("f.json"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, AScalarElementIsNotAnObjectAtItsOffset) {
  test::temp_dir dir;
  const auto e = second_document_error(dir, R"([{"id":"a"}, 42])");
  EXPECT_EQ(e.problem(), restore_file_problem::not_an_object);
  EXPECT_NE(std::string(e.what()).find("byte offset 13"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("element 1"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, MalformedDocumentIsNamedWithItsOffset) {
  test::temp_dir dir;
  const auto e = second_document_error(dir, R"([{"id":"a"},{"id":tru}])");
  EXPECT_EQ(e.problem(), restore_file_problem::malformed);
  EXPECT_NE(std::string(e.what()).find("byte offset 12"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, TruncatedFileIsAnError) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "f.json", R"([{"id":"a"},{"id":"b")");
  const auto attempt = [&] {
    restore_file_reader reader(dir.path / "f.json");
    while (reader.next()) {
    }
  };
  const auto e = restore_file_error_of(attempt);
  EXPECT_NE(std::string(e.what()).find("f.json"), std::string::npos) << e.what();
}

TEST(RestoreFileReader, BytesAfterTheArrayAreAnError) {
  test::temp_dir dir;
  const auto e = second_document_error(dir, R"([{"id":"a"}] [{"id":"b"}])");
  EXPECT_EQ(e.problem(), restore_file_problem::not_an_array);
  EXPECT_NE(std::string(e.what()).find("byte offset 13"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace idabus::io::files
