#include "tools/cosmos-emulator/options.hpp"

#include "io/cosmos/base64.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace idabus::emulator {

namespace {

template <class Int>
std::optional<Int> parse_integer(std::string_view text, Int min, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text, double min, double max) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string usage() {
  return "usage: cosmos-emulator [--host 127.0.0.1] [--port 8081] [--key <base64>]\n"
         "                       [--tls-cert FILE --tls-key FILE] [--partitions 4] [--ru-per-second N]\n"
         "                       [--data-dir DIR] [--latency-ms N] [--fault-429 P] [--fault-503 P]\n"
         "                       [--fault-reset P] [--seed S] [--fault-only 'METHOD /path-prefix']\n"
         "                       [--fault-limit N] [--threads N]\n"
         "A local Azure Cosmos DB (NoSQL) REST endpoint. --port 0 picks a free port; the first line of\n"
         "stdout is always 'listening on <url>'. Exit codes: 0 after SIGINT/SIGTERM, 1 on a start-up or\n"
         "runtime failure, 2 on a bad command line.\n";
}

options_result parse_options(std::span<const std::string_view> args) {
  options_result result;
  emulator_options opts;
  auto fail = [&](std::string message) {
    result.error = std::move(message);
    return result;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg.substr(0, 2) != "--") return fail("unexpected argument '" + std::string(arg) + "' (options start with --)");
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    static constexpr std::string_view known[] = {"--host",       "--port",      "--key",        "--tls-cert",
                                                 "--tls-key",    "--partitions", "--ru-per-second", "--data-dir",
                                                 "--latency-ms", "--fault-429", "--fault-503",  "--fault-reset",
                                                 "--seed",       "--fault-only", "--fault-limit", "--threads"};
    bool is_known = false;
    for (auto k : known) is_known = is_known || k == name;
    if (!is_known) return fail("unknown option " + std::string(name) + " (see --help)");
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(std::string(name) + ": missing value");
    }
    std::string n(name);
    if (name == "--host") {
      if (value.empty()) return fail("--host: expected a host name or IP address, got an empty value");
      opts.host = value;
    } else if (name == "--port") {
      auto v = parse_integer<std::uint32_t>(value, 0, 65535);
      if (!v) return fail("--port: expected an integer 0..65535, got '" + std::string(value) + "'");
      opts.port = static_cast<std::uint16_t>(*v);
    } else if (name == "--key") {
      auto decoded = io::cosmos::base64_decode(value);
      if (!decoded || decoded->empty()) return fail("--key: expected a base64 master key (the value is not valid base64)");
      opts.key = value;
      opts.decoded_key = std::move(*decoded);
    } else if (name == "--tls-cert") {
      if (value.empty()) return fail("--tls-cert: expected a PEM certificate file path");
      opts.tls_cert = value;
    } else if (name == "--tls-key") {
      if (value.empty()) return fail("--tls-key: expected a PEM private key file path");
      opts.tls_key = value;
    } else if (name == "--partitions") {
      auto v = parse_integer<std::uint32_t>(value, 1, 1024);
      if (!v) return fail("--partitions: expected an integer 1..1024, got '" + std::string(value) + "'");
      opts.partitions = *v;
    } else if (name == "--ru-per-second") {
      auto v = parse_number(value, 0, 1e9);
      if (!v) return fail("--ru-per-second: expected a number >= 0 (0 = unlimited), got '" + std::string(value) + "'");
      opts.ru_per_second = *v;
    } else if (name == "--data-dir") {
      if (value.empty()) return fail("--data-dir: expected a directory path");
      opts.data_dir = value;
    } else if (name == "--latency-ms") {
      auto v = parse_integer<std::uint32_t>(value, 0, 600000);
      if (!v) return fail("--latency-ms: expected an integer 0..600000, got '" + std::string(value) + "'");
      opts.latency_ms = *v;
    } else if (name == "--fault-429" || name == "--fault-503" || name == "--fault-reset") {
      auto v = parse_number(value, 0, 1);
      if (!v) return fail(n + ": expected a probability between 0 and 1, got '" + std::string(value) + "'");
      (name == "--fault-429" ? opts.fault_429 : name == "--fault-503" ? opts.fault_503 : opts.fault_reset) = *v;
    } else if (name == "--seed") {
      auto v = parse_integer<std::uint64_t>(value, 0, std::numeric_limits<std::uint64_t>::max());
      if (!v) return fail("--seed: expected an unsigned 64-bit integer, got '" + std::string(value) + "'");
      opts.seed = *v;
    } else if (name == "--fault-only") {
      if (value.empty()) return fail("--fault-only: expected the start of '<METHOD> <path>', e.g. 'PUT /dbs/db/colls/c/docs/id'");
      opts.fault_only = value;
    } else if (name == "--fault-limit") {
      auto v = parse_integer<std::uint64_t>(value, 0, std::numeric_limits<std::uint64_t>::max());
      if (!v) return fail("--fault-limit: expected an unsigned 64-bit integer (0 = no limit), got '" + std::string(value) + "'");
      opts.fault_limit = *v;
    } else if (name == "--threads") {
      auto v = parse_integer<std::uint32_t>(value, 1, 256);
      if (!v) return fail("--threads: expected an integer 1..256, got '" + std::string(value) + "'");
      opts.threads = *v;
    }
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    return fail(opts.tls_cert.empty() ? "--tls-key: requires --tls-cert as well" : "--tls-cert: requires --tls-key as well");
  }
  if (opts.fault_429 + opts.fault_503 + opts.fault_reset > 1.0) {
    return fail("--fault-429, --fault-503, --fault-reset: expected probabilities that add up to at most 1");
  }
  if (opts.decoded_key.empty()) opts.decoded_key = *io::cosmos::base64_decode(opts.key);
  result.options = std::move(opts);
  return result;
}

}  // namespace idabus::emulator
