#include "tools/tenant-gen/options.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace idabus::tenant_gen {

namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> to_double(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

options_result fail(std::string message) {
  options_result r;
  r.error = std::move(message);
  return r;
}

}  // namespace

std::string usage() {
  return "usage: tenant-gen <connectionString> <database> --documents N [--seed S] [--ru-budget R]\n"
         "                  [--throughput T] [--writers K] [--batch B]\n"
         "Creates the database and the collections Resources (/objecttype), Events (/id) and\n"
         "WorkflowExecutions (/id) if missing and upserts a deterministic tenant of N documents\n"
         "(70% Resources, 20% Events, 10% WorkflowExecutions). Same seed, same documents.\n"
         "  --seed S        PRNG seed (default 1)\n"
         "  --ru-budget R   client-side RU/s limit; 0 = none, the server's 429s pace it (default 0)\n"
         "  --throughput T  x-ms-offer-throughput for collections it creates (>= 400)\n"
         "  --writers K     bulk requests in flight per partition key range (default 2)\n"
         "  --batch B       at most B operations per bulk request, 1..100 (default 100)\n"
         "Exit codes: 0 ok, 2 bad command line, 3 connection/auth failure or Cosmos error,\n"
         "4 some documents failed to write, 130 interrupted (SIGINT/SIGTERM).\n";
}

options_result parse_options(std::span<const std::string_view> args) {
  tenant_options o;
  std::vector<std::string_view> positional;
  bool documents_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options_result r;
      r.help = true;
      return r;
    }
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      positional.push_back(arg);
      continue;
    }
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    static constexpr std::string_view known[] = {"--documents", "--seed", "--ru-budget", "--throughput", "--writers",
                                                 "--batch"};
    bool is_known = false;
    for (auto k : known) is_known = is_known || k == name;
    if (!is_known) return fail("unknown option '" + std::string(name) + "' (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) return fail(std::string(name) + ": expected a value");
      value = args[++i];
    }
    const std::string shown(value);
    if (name == "--documents") {
      auto v = to_u64(value);
      if (!v || *v == 0) return fail("--documents: expected a whole number >= 1, got '" + shown + "'");
      o.documents = *v;
      documents_given = true;
    } else if (name == "--seed") {
      auto v = to_u64(value);
      if (!v) return fail("--seed: expected a whole number >= 0, got '" + shown + "'");
      o.seed = *v;
    } else if (name == "--ru-budget") {
      auto v = to_double(value);
      if (!v || *v < 0) return fail("--ru-budget: expected a number >= 0 (0 = no limit), got '" + shown + "'");
      o.ru_budget = *v;
    } else if (name == "--throughput") {
      auto v = to_u64(value);
      if (!v || *v < 400 || *v > 1'000'000) {
        return fail("--throughput: expected a whole number of RU/s from 400 to 1000000, got '" + shown + "'");
      }
      o.throughput = static_cast<int>(*v);
    } else if (name == "--writers") {
      auto v = to_u64(value);
      if (!v || *v < 1 || *v > 256) return fail("--writers: expected a whole number from 1 to 256, got '" + shown + "'");
      o.writers = static_cast<std::size_t>(*v);
    } else if (name == "--batch") {
      auto v = to_u64(value);
      if (!v || *v < 1 || *v > 100) return fail("--batch: expected a whole number from 1 to 100, got '" + shown + "'");
      o.batch = static_cast<std::size_t>(*v);
    }
  }
  if (positional.size() < 2) {
    return fail(positional.empty() ? "expected <connectionString> and <database> (see --help)"
                                   : "expected <database> after the connection string (see --help)");
  }
  if (positional.size() > 2) return fail("unexpected argument '" + std::string(positional[2]) + "' (see --help)");
  try {
    o.connection = io::cosmos::parse_connection_string(positional[0]);
  } catch (const std::invalid_argument& e) {
    return fail(std::string("<connectionString>: ") + e.what());
  }
  o.database = std::string(positional[1]);
  if (o.database.empty() || o.database.find_first_of("/\\?#") != std::string::npos) {
    return fail("<database>: expected a non-empty name without '/', '\\', '?' or '#'");
  }
  if (!documents_given) return fail("--documents: required (a whole number >= 1)");
  options_result r;
  r.options = std::move(o);
  return r;
}

}  // namespace idabus::tenant_gen
