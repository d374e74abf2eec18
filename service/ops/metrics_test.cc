// The registry's series and their text exposition (format 0.0.4).
#include "service/ops/metrics.h"

#include <prometheus/text_serializer.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/ops/counters.h"

namespace socketsvc {
namespace {

std::string Exposition(const Metrics& metrics) {
  std::vector<prometheus::MetricFamily> families = metrics.registry()->Collect();
  for (prometheus::MetricFamily& family : metrics.scrape_time()->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsTest, CountsTimesAndClassifiesRpcs) {
  Metrics metrics({{"socketsvc.v1.SocketService", "Send", "unary"},
                   {"socketsvc.v1.SocketService", "Pipe", "bidi_stream"}},
                  [] {
                    GaugeValues values;
                    values.sessions_by_state["open"] = 3;
                    values.listeners = 2;
                    values.serving = 1;
                    return values;
                  });
  Metrics::Method* send = metrics.Find("/socketsvc.v1.SocketService/Send");
  ASSERT_EQ(send->name.method, "Send");
  metrics.RecordStart(*send);
  metrics.RecordEnd(*send, 0, "", absl::Milliseconds(3));
  metrics.RecordStart(*send);
  metrics.RecordEnd(*send, 5, "SOCKET_ERROR_INVALID_HANDLE", absl::Seconds(2));
  Metrics::Method* unknown = metrics.Find("/made.up/Path");
  EXPECT_EQ(unknown->name.method, "unknown");
  metrics.RecordStart(*unknown);
  metrics.RecordEnd(*unknown, 12, "", absl::Milliseconds(1));
  Metrics::Method* pipe = metrics.Find("/socketsvc.v1.SocketService/Pipe");
  metrics.RecordStart(*pipe);
  metrics.RecordEnd(*pipe, 7, "SOCKET_ERROR_POLICY_DENIED", absl::Milliseconds(1));

  const std::string text = Exposition(metrics);
  const std::string send_labels =
      "grpc_method=\"Send\",grpc_service=\"socketsvc.v1.SocketService\",grpc_type=\"unary\"";
  EXPECT_TRUE(Has(text, "grpc_server_started_total{" + send_labels + "} 2")) << text;
  EXPECT_TRUE(Has(text, "grpc_server_handled_total{grpc_code=\"OK\"," + send_labels + "} 1"))
      << text;
  EXPECT_TRUE(
      Has(text, "grpc_server_handled_total{grpc_code=\"NOT_FOUND\"," + send_labels + "} 1"))
      << text;
  EXPECT_TRUE(Has(text, "grpc_server_handling_seconds_count{" + send_labels + "} 2")) << text;
  EXPECT_TRUE(
      Has(text, "grpc_server_handling_seconds_bucket{" + send_labels + ",le=\"0.005\"} 1"))
      << text;
  EXPECT_TRUE(
      Has(text, "grpc_server_handling_seconds_bucket{" + send_labels + ",le=\"2.5\"} 2"))
      << text;
  EXPECT_TRUE(Has(text,
                  "socketd_rpc_errors_total{grpc_code=\"NOT_FOUND\",grpc_method=\"Send\","
                  "grpc_service=\"socketsvc.v1.SocketService\","
                  "socket_error=\"SOCKET_ERROR_INVALID_HANDLE\"} 1"))
      << text;
  EXPECT_TRUE(Has(text,
                  "grpc_server_handled_total{grpc_code=\"UNIMPLEMENTED\",grpc_method="
                  "\"unknown\",grpc_service=\"unknown\",grpc_type=\"unknown\"} 1"))
      << text;
  EXPECT_EQ(text.find("made.up"), std::string::npos);
  EXPECT_TRUE(Has(text, "socketd_policy_denials_total{grpc_method=\"Pipe\"} 1")) << text;
  EXPECT_TRUE(Has(text, "socketd_sessions{state=\"open\"} 3")) << text;
  EXPECT_TRUE(Has(text, "socketd_sessions{state=\"broken\"} 0")) << text;
  EXPECT_TRUE(Has(text, "socketd_listeners 2")) << text;
  EXPECT_TRUE(Has(text, "socketd_serving 1")) << text;
  EXPECT_NE(text.find("# TYPE grpc_server_handling_seconds histogram"), std::string::npos);
}

TEST(MetricsTest, OpsCountersAddUpOverThreads) {
  const uint64_t before = OpsCounterValue(OpsCounter::kSocketBytesIn);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 10000; ++i) CountOps(OpsCounter::kSocketBytesIn, 3);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(OpsCounterValue(OpsCounter::kSocketBytesIn) - before, 4u * 10000 * 3);
  Metrics metrics({}, nullptr);
  const std::string text = Exposition(metrics);
  EXPECT_NE(text.find("socketd_socket_bytes_total{direction=\"in\"} "), std::string::npos)
      << text;
  EXPECT_EQ(text.find("socketd_sessions"), std::string::npos) << text;
}

}  // namespace
}  // namespace socketsvc
