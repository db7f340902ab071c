#pragma once
// time_format: ISO 8601 UTC timestamps as the engine's documents use them
// ("2023-01-05T15:54:06.479Z"), converted to and from milliseconds since the Unix epoch.
// Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::engine {

/// "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]" (no zone = UTC, as .NET reads a
/// DateTimeKind.Unspecified value here); std::nullopt for anything else or an impossible date.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

/// Milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_iso8601_ms(std::int64_t ms);

/// The system clock in milliseconds since the epoch.
std::int64_t now_ms();

}  // namespace idabus::engine
