// Omnis server-socket commands (TCPSocket → TCPBind → TCPListen →
// TCPAccept) and the address/name commands, against raw client sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::omnis {
namespace {

// A plain blocking client socket connected to 127.0.0.1:port.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Write(const std::string& data) {
    return write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  std::string Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r = read(fd_, &out[got], n - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Omnis's canonical server loop: TCPSocket Returns iSocket / TCPBind
// (iSocket,port) / TCPListen (iSocket) / Repeat TCPAccept (iSocket) Returns
// lConnectedSocket Until lConnectedSocket>=0.
TEST_F(OmnisTest, CanonicalAcceptLoopServesARawClient) {
  const int32_t listener = cmds_->TCPSocket();
  ASSERT_GT(listener, 0);
  ASSERT_EQ(cmds_->TCPBind(listener, 0), 0);
  ASSERT_EQ(cmds_->TCPListen(listener), 0);
  const int32_t port = cmds_->TCPGetMyPort(listener);
  ASSERT_GT(port, 0);
  EXPECT_EQ(cmds_->TCPGetMyAddr(listener), "127.0.0.1");
  ASSERT_EQ(cmds_->TCPBlock(listener, 1), 0);

  int32_t connected = cmds_->TCPAccept(listener);
  EXPECT_EQ(connected, kErrWouldBlock);  // Nobody there yet.
  RawClient raw(static_cast<uint16_t>(port));
  ASSERT_TRUE(raw.connected());
  for (int i = 0; i < 500 && connected < 0; ++i) {
    connected = cmds_->TCPAccept(listener);
    if (connected < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(connected, 0);
  // The new socket inherits the listener's non-blocking mode.
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(connected, buffer), kErrWouldBlock);
  ASSERT_EQ(cmds_->TCPBlock(connected, 0), 0);
  ASSERT_TRUE(raw.Write("hi server"));
  EXPECT_EQ(cmds_->TCPReceive(connected, buffer), 9);
  EXPECT_EQ(buffer, "hi server");
  EXPECT_EQ(cmds_->TCPSend(connected, "hi client"), 9);
  EXPECT_EQ(raw.Read(9), "hi client");
  EXPECT_EQ(cmds_->TCPGetRemoteAddr(connected), "127.0.0.1");
  EXPECT_EQ(cmds_->TCPGetMyAddr(connected), "127.0.0.1");
  EXPECT_EQ(cmds_->TCPGetMyPort(connected), port);
  // Complete close drains until the peer's FIN (or the comms timeout).
  raw.ShutdownWrite();
  EXPECT_EQ(cmds_->TCPClose(connected), 0);
  EXPECT_EQ(raw.Read(1), "");  // Our FIN.
  EXPECT_EQ(cmds_->TCPClose(listener), 0);
  RawClient refused(static_cast<uint16_t>(port));
  EXPECT_FALSE(refused.connected());
}

TEST_F(OmnisTest, BlockingAcceptWaitsForTheConnection) {
  const int32_t listener = cmds_->TCPSocket();
  ASSERT_EQ(cmds_->TCPBind(listener, 0), 0);
  ASSERT_EQ(cmds_->TCPListen(listener), 0);
  const int32_t port = cmds_->TCPGetMyPort(listener);
  std::thread connector([port] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    RawClient raw(static_cast<uint16_t>(port));
    raw.Write("late");
    raw.Read(1);
  });
  const int32_t connected = cmds_->TCPAccept(listener);
  ASSERT_GT(connected, 0);
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(connected, buffer, 4), 4);
  EXPECT_EQ(buffer, "late");
  EXPECT_EQ(cmds_->TCPClose(connected, 2), 0);
  connector.join();
}

TEST_F(OmnisTest, ServerSocketCommandsOutOfOrderAreMinus10022) {
  const int32_t socket = cmds_->TCPSocket();
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPListen(socket), kErrInvalidArgument);  // Not bound.
  EXPECT_EQ(cmds_->TCPAccept(socket), kErrInvalidArgument);  // Not listening.
  EXPECT_EQ(cmds_->TCPGetMyPort(socket), kErrInvalidArgument);
  EXPECT_EQ(cmds_->TCPGetMyAddr(socket), "-10022");
  EXPECT_EQ(cmds_->TCPBind(socket, -1), kErrInvalidArgument);
  EXPECT_EQ(cmds_->TCPBind(socket, 65536), kErrInvalidArgument);
  ASSERT_EQ(cmds_->TCPBind(socket, 0), 0);
  EXPECT_EQ(cmds_->TCPBind(socket, 0), kErrInvalidArgument);  // Already bound.
  EXPECT_EQ(cmds_->TCPAccept(socket), kErrInvalidArgument);   // TCPListen missing.
  EXPECT_EQ(cmds_->TCPSend(socket, "x"), kErrNotConnected);
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrNotConnected);
  EXPECT_EQ(cmds_->TCPGetRemoteAddr(socket), "-10057");
  EXPECT_EQ(cmds_->TCPClose(socket, 1), kErrNotConnected);
  EXPECT_EQ(cmds_->TCPClose(socket), 0);
  // An unbound socket closes without ever reaching socketd.
  EXPECT_EQ(cmds_->TCPClose(cmds_->TCPSocket()), 0);
}

TEST_F(OmnisTest, TCPBindErrorCodes) {
  peers::RecordingPeer busy;  // Holds 127.0.0.1:<port>.
  const int32_t socket = cmds_->TCPSocket();
  EXPECT_EQ(cmds_->TCPBind(socket, busy.port()), kErrAddressInUse);
  EXPECT_EQ(cmds_->TCPBind(socket, "no-such-service"), kErrServiceNotFound);
  EXPECT_EQ(cmds_->TCPBind(socket, 0), 0);  // Still usable after the errors.
}

TEST_F(OmnisTest, TCPListenOnAConnectionIsWsaeisconn) {
  peers::EchoPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPListen(socket), -10056);
  EXPECT_EQ(cmds_->TCPAccept(socket), kErrInvalidArgument);
}

TEST_F(OmnisTest, NameAndAddressCommands) {
  EXPECT_EQ(cmds_->TCPName2Addr("localhost"), "127.0.0.1");
  EXPECT_EQ(cmds_->TCPName2Addr("localhost", true), "::1");
  EXPECT_EQ(cmds_->TCPName2Addr("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(cmds_->TCPName2Addr("10.1.2.3", true), "-11004");
  EXPECT_EQ(cmds_->TCPName2Addr(""), "-511");
  EXPECT_EQ(cmds_->TCPName2Addr("no-such-host.invalid"), "-11001");
  EXPECT_EQ(cmds_->TCPAddr2Name("127.0.0.1"), "localhost");
  EXPECT_EQ(cmds_->TCPAddr2Name(""), "-511");
  EXPECT_EQ(cmds_->TCPAddr2Name("localhost"), "-10022");  // Not an address.
  EXPECT_EQ(ResultCode("localhost"), 0);
  EXPECT_EQ(ResultCode("127.0.0.1"), 0);
  EXPECT_EQ(ResultCode("-11001"), kErrHostNotFound);
}

TEST_F(OmnisTest, TCPGetMyAddrWithoutASocketResolvesThisHostsName) {
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof(name) - 1), 0);
  const std::string expected = cmds_->TCPName2Addr(name);
  EXPECT_EQ(cmds_->TCPGetMyAddr(), expected);
  EXPECT_EQ(cmds_->TCPGetMyAddr(0, true), cmds_->TCPName2Addr(name, true));
}

}  // namespace
}  // namespace socketsvc::omnis
