#include "stages/read_pages.hpp"

namespace idabus::stages {

page_source all_ranges_source(io::cosmos::client& client, io::cosmos::page_request request,
                              io::cosmos::parallel_query_options options) {
  return [&client, request = std::move(request), options](io::cosmos::page_sink sink) {
    return io::cosmos::query_all_ranges(client, request, options, std::move(sink));
  };
}

net::awaitable<void> run_read_pages(page_source source, pipeline::channel<io::cosmos::query_page>& out,
                                    pipeline::stage_counters& counters, io::cosmos::parallel_query_stats& stats) {
  io::cosmos::page_sink sink = [&out, &counters](io::cosmos::query_page page) {
    const auto bytes = page.body ? page.body->size() : 0;
    return pipeline::counted_send(out, std::move(page), counters, bytes);
  };
  stats = co_await source(std::move(sink));
  out.finish();
}

}  // namespace idabus::stages
