#include "tools/idabus-engine/problem.hpp"

#include "io/json/write.hpp"

namespace idabus::engine {

io::http::response problem(unsigned status, std::string_view slug, std::string_view title, std::string_view detail) {
  std::string body = "{\"type\":";
  io::json::append_json_string(body, std::string(problem_type_base) + std::string(slug));
  body += ",\"title\":";
  io::json::append_json_string(body, title);
  body += ",\"status\":" + std::to_string(status) + ",\"detail\":";
  io::json::append_json_string(body, detail);
  body += "}";
  io::http::response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/problem+json");
  r.body = std::move(body);
  return r;
}

io::http::response json_response(std::string body, unsigned status) {
  io::http::response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

io::http::response text_response(std::string body, unsigned status, std::string_view content_type) {
  io::http::response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

io::http::response empty_response(unsigned status) {
  io::http::response r;
  r.status = status;
  return r;
}

}  // namespace idabus::engine
