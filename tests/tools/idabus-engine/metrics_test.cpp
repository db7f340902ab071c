#include "tools/idabus-engine/metrics.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(Metrics, RendersPrometheusTextWithEveryFamily) {
  metrics m;
  m.add_backup_totals(10, 2000, 500, 12.5, 3);
  m.add_backup_totals(5, 1000, 250, 0.25, 0);
  m.add_phase_duration(2, 1.5);
  m.count_backup(backup_outcome::canceled);
  m.count_request(404);
  const auto text = m.render();
  for (const char* line :
       {"idabus_backup_documents_total 15\n", "idabus_backup_raw_bytes_total 3000\n",
        "idabus_backup_compressed_bytes_total 750\n", "idabus_backup_request_units_total 12.750\n",
        "idabus_backup_throttled_requests_total 3\n",
        "idabus_backup_phase_seconds_total{phase=\"InMaintenanceAndReadonlyMode\"} 1.500\n",
        "idabus_backup_phase_seconds_total{phase=\"Basis\"} 0.000\n", "idabus_backups_total{outcome=\"canceled\"} 1\n",
        "idabus_backups_total{outcome=\"completed\"} 0\n", "idabus_http_responses_total{class=\"4xx\"} 1\n",
        "# TYPE idabus_backups_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace idabus::engine
