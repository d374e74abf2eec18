// Checks each peer against raw client sockets, so that an end-to-end test that
// fails can blame socketd, not its peers.
#include "tests/peers/peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "gtest/gtest.h"

namespace socketsvc::peers {
namespace {

using std::chrono::milliseconds;

// Owns a client socket; every read has a timeout so a broken peer fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      connect_error_ = errno;
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }

  int connect_error() const { return connect_error_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(n);
    }
    return true;
  }

  // Reads exactly `n` bytes, or fewer if the stream ends or fails first.
  std::string ReadExactly(size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      out.append(buf, got);
    }
    return out;
  }

  // Reads until the stream ends; *error is 0 for EOF, else the errno
  // (ECONNRESET for an RST, EAGAIN for the receive timeout).
  std::string ReadToEnd(int* error) {
    std::string out;
    char buf[64 * 1024];
    for (;;) {
      ssize_t got = recv(fd_, buf, sizeof(buf), 0);
      if (got > 0) {
        out.append(buf, got);
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      *error = got == 0 ? 0 : errno;
      return out;
    }
  }

  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }

  // Closes with RST instead of FIN.
  void Reset() {
    linger abort{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int connect_error_ = 0;
};

TEST(GuardedTest, WaitsForPredicateOrTimesOut) {
  Guarded<int> value(0);
  EXPECT_FALSE(value.WaitFor(milliseconds(20), [](int v) { return v > 0; }));
  std::thread writer([&] { value.Update([](int& v) { v = 42; }); });
  EXPECT_TRUE(value.WaitFor(kDefaultWait, [](int v) { return v == 42; }));
  writer.join();
  EXPECT_EQ(value.Get(), 42);
}

TEST(EchoPeerTest, EchoesAndAnswersEofWithEof) {
  EchoPeer peer;
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  ASSERT_TRUE(client.Send("hello"));
  EXPECT_EQ(client.ReadExactly(5), "hello");
  client.ShutdownWrite();
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "");
  EXPECT_EQ(error, 0);
  EXPECT_TRUE(peer.WaitForFinished(1));
}

TEST(EchoPeerTest, EchoesLargeStreamsPerConnection) {
  EchoPeer peer;
  Client big(peer.port());
  Client small(peer.port());
  ASSERT_EQ(big.connect_error(), 0);
  ASSERT_EQ(small.connect_error(), 0);
  // Larger than the socket buffers: the writer runs on its own thread or
  // both directions would fill up and stall.
  const std::string data = BulkSenderPeer::Pattern(4 << 20);
  std::thread writer([&] {
    EXPECT_TRUE(big.Send(data));
    big.ShutdownWrite();
  });
  ASSERT_TRUE(small.Send("tiny"));
  small.ShutdownWrite();
  int error = -1;
  EXPECT_EQ(small.ReadToEnd(&error), "tiny");
  EXPECT_EQ(error, 0);
  std::string echoed = big.ReadToEnd(&error);
  writer.join();
  EXPECT_EQ(error, 0);
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_TRUE(echoed == data);  // Not EXPECT_EQ: 4 MiB in a failure message.
  EXPECT_EQ(peer.connections(), 2);
}

TEST(RecordingPeerTest, SendsGreetingRecordsBytesAndEof) {
  RecordingPeer peer(RecordingPeer::Options{"hi", false});
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  EXPECT_EQ(client.ReadExactly(2), "hi");
  ASSERT_TRUE(client.Send("abc"));
  ASSERT_TRUE(peer.WaitForReceived(3));
  EXPECT_EQ(peer.ending(), Ending::kOpen);
  client.ShutdownWrite();
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "abc");
  EXPECT_EQ(peer.ending(), Ending::kEof);
  // The peer closes its side after the client's EOF.
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "");
  EXPECT_EQ(error, 0);
}

TEST(RecordingPeerTest, RecordsReset) {
  RecordingPeer peer;
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  ASSERT_TRUE(client.Send("xyz"));
  ASSERT_TRUE(peer.WaitForReceived(3));
  client.Reset();
  ASSERT_TRUE(peer.WaitForEnding());
  Recording rec = peer.recording();
  EXPECT_EQ(rec.received, "xyz");
  EXPECT_EQ(rec.ending, Ending::kReset);
  EXPECT_EQ(rec.error, ECONNRESET);
}

TEST(RecordingPeerTest, KeepsConnectionsApart) {
  RecordingPeer peer;
  Client first(peer.port());
  ASSERT_TRUE(peer.WaitForConnections(1));  // Fixes the accept order.
  Client second(peer.port());
  ASSERT_TRUE(peer.WaitForConnections(2));
  ASSERT_TRUE(second.Send("two"));
  ASSERT_TRUE(first.Send("one"));
  second.ShutdownWrite();
  first.Reset();
  ASSERT_TRUE(peer.WaitForEnding(kDefaultWait, 0));
  ASSERT_TRUE(peer.WaitForEnding(kDefaultWait, 1));
  EXPECT_EQ(peer.received(1), "two");
  EXPECT_EQ(peer.ending(1), Ending::kEof);
  EXPECT_EQ(peer.ending(0), Ending::kReset);
  // Whether "one" was read before the RST depends on timing; only a prefix
  // of it can have arrived.
  EXPECT_EQ(std::string("one").rfind(peer.received(0), 0), 0u);
  EXPECT_EQ(peer.received(7), "");
  EXPECT_EQ(peer.ending(7), Ending::kOpen);
}

TEST(SendThenHalfClosePeerTest, SendsEofThenStillReceives) {
  SendThenHalfClosePeer peer("payload");
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "payload");
  EXPECT_EQ(error, 0);  // EOF, not a reset.
  ASSERT_TRUE(client.Send("still here"));
  ASSERT_TRUE(peer.WaitForReceived(10));
  EXPECT_EQ(peer.ending(), Ending::kOpen);
  client.ShutdownWrite();
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "still here");
  EXPECT_EQ(peer.ending(), Ending::kEof);
}

TEST(ResetPeerTest, ClientSeesConnectionReset) {
  ResetPeer peer;
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  ASSERT_TRUE(peer.WaitForResets(1));
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "");
  EXPECT_EQ(error, ECONNRESET);
}

TEST(ResetPeerTest, GreetsReadsThenResets) {
  ResetPeer peer(ResetPeer::Options{"bye", 4, milliseconds(10)});
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  EXPECT_EQ(client.ReadExactly(3), "bye");
  EXPECT_EQ(peer.resets(), 0);  // Still waiting for 4 bytes.
  ASSERT_TRUE(client.Send("ping"));
  ASSERT_TRUE(peer.WaitForResets(1));
  EXPECT_EQ(peer.received(), "ping");
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "");
  EXPECT_EQ(error, ECONNRESET);
  // After an RST the socket cannot send either.
  EXPECT_FALSE(client.Send("more"));
}

TEST(ResetPeerTest, GreetingArrivesBeforeReset) {
  ResetPeer peer(ResetPeer::Options{"last words", 0, milliseconds(0)});
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  ASSERT_TRUE(peer.WaitForResets(1));
  // The peer waited for the ACK before resetting, so the bytes are in the
  // client's receive queue and come out before the error.
  int error = -1;
  EXPECT_EQ(client.ReadToEnd(&error), "last words");
  EXPECT_EQ(error, ECONNRESET);
}

TEST(BulkSenderPeerTest, PatternIsDeterministic) {
  EXPECT_EQ(BulkSenderPeer::Pattern(0), "");
  EXPECT_EQ(BulkSenderPeer::Pattern(3), std::string("\x07\x26\x45", 3));
  const std::string p = BulkSenderPeer::Pattern(1000);
  EXPECT_EQ(static_cast<unsigned char>(p[999]), (999 * 31 + 7) & 0xff);
}

TEST(BulkSenderPeerTest, SendsExactBytesThenEof) {
  constexpr size_t kSize = 3 * 1024 * 1024 + 17;
  BulkSenderPeer peer(kSize);
  Client client(peer.port());
  ASSERT_EQ(client.connect_error(), 0);
  int error = -1;
  const std::string got = client.ReadToEnd(&error);
  EXPECT_EQ(error, 0);
  EXPECT_EQ(got.size(), kSize);
  EXPECT_TRUE(got == BulkSenderPeer::Pattern(kSize));
  EXPECT_TRUE(peer.WaitForCompleted(1));
  // The peer drains until our EOF, so sending after its FIN is still fine.
  EXPECT_TRUE(client.Send("ack"));
  client.ShutdownWrite();
  EXPECT_TRUE(peer.WaitForFinished(1));
}

TEST(ScriptedPeerTest, RunsHandlerPerConnection) {
  ScriptedPeer peer([](PeerConnection& conn) {
    conn.SendAll("conn " + std::to_string(conn.index()));
  });
  for (int i = 0; i < 3; ++i) {
    Client client(peer.port());
    int error = -1;
    EXPECT_EQ(client.ReadToEnd(&error), "conn " + std::to_string(i));
    EXPECT_EQ(error, 0);
  }
  EXPECT_TRUE(peer.WaitForFinished(3));
  EXPECT_EQ(peer.address(), "127.0.0.1:" + std::to_string(peer.port()));
}

TEST(ClosedPortTest, RefusesConnections) {
  const uint16_t port = ClosedPort();
  EXPECT_NE(port, 0);
  Client client(port);
  EXPECT_EQ(client.connect_error(), ECONNREFUSED);
}

TEST(PeerTest, DestructorDoesNotWaitForClients) {
  // Clients that neither close nor read must not keep a peer alive: each
  // peer here has a thread blocked in poll() when it is destroyed.
  const auto start = std::chrono::steady_clock::now();
  auto echo = std::make_unique<EchoPeer>();
  auto recording = std::make_unique<RecordingPeer>();
  auto bulk = std::make_unique<BulkSenderPeer>(64 << 20);  // Backpressure.
  auto reset =
      std::make_unique<ResetPeer>(ResetPeer::Options{"", 1, milliseconds(0)});
  auto slow = std::make_unique<ResetPeer>(
      ResetPeer::Options{"", 0, milliseconds(60000)});
  Client c1(echo->port()), c2(recording->port()), c3(bulk->port()),
      c4(reset->port()), c5(slow->port());
  ASSERT_TRUE(echo->WaitForConnections(1));
  ASSERT_TRUE(recording->WaitForConnections(1));
  ASSERT_TRUE(bulk->WaitForConnections(1));
  ASSERT_TRUE(reset->WaitForConnections(1));
  ASSERT_TRUE(slow->WaitForConnections(1));
  echo.reset();
  recording.reset();
  bulk.reset();
  reset.reset();
  slow.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A stopped recording peer closes normally: its client sees EOF.
  int error = -1;
  EXPECT_EQ(c2.ReadToEnd(&error), "");
  EXPECT_EQ(error, 0);
}

}  // namespace
}  // namespace socketsvc::peers
