// Address matching of policy rules: CIDRs (IPv4, IPv6, IPv4-mapped) and
// host name suffixes.
#include "service/policy/address_match.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

bool InCidr(const std::string& cidr, const std::string& address) {
  absl::StatusOr<Cidr> parsed = Cidr::Parse(cidr);
  EXPECT_TRUE(parsed.ok()) << cidr << ": " << parsed.status();
  return parsed.ok() && parsed->Contains(asio::ip::make_address(address));
}


TEST(CidrTest, Ipv4) {
  EXPECT_TRUE(InCidr("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(InCidr("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(InCidr("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(InCidr("172.16.0.0/12", "172.32.0.0"));
  EXPECT_TRUE(InCidr("192.0.2.7", "192.0.2.7"));  // A bare address is /32.
  EXPECT_FALSE(InCidr("192.0.2.7", "192.0.2.8"));
  EXPECT_TRUE(InCidr("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(InCidr("127.0.0.2/32", "127.0.0.2"));
  EXPECT_FALSE(InCidr("127.0.0.2/32", "127.0.0.1"));
  EXPECT_TRUE(InCidr("192.168.1.128/25", "192.168.1.200"));
  EXPECT_FALSE(InCidr("192.168.1.128/25", "192.168.1.127"));
}

TEST(CidrTest, Ipv6) {
  EXPECT_TRUE(InCidr("fe80::/10", "fe80::1"));
  EXPECT_TRUE(InCidr("fe80::/10", "febf::1"));
  EXPECT_FALSE(InCidr("fe80::/10", "fec0::1"));
  EXPECT_TRUE(InCidr("::1/128", "::1"));
  EXPECT_TRUE(InCidr("::1", "::1"));
  EXPECT_FALSE(InCidr("::1", "::2"));
  EXPECT_TRUE(InCidr("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_TRUE(InCidr("::/0", "2001:db8::1"));
}

TEST(CidrTest, FamiliesDoNotMix) {
  EXPECT_FALSE(InCidr("0.0.0.0/0", "::1"));
  EXPECT_FALSE(InCidr("::/0", "127.0.0.1"));
}

TEST(CidrTest, MappedAddressesCountAsIpv4) {
  // A resolved ::ffff:169.254.169.254 goes out as IPv4 to 169.254.169.254.
  EXPECT_TRUE(InCidr("169.254.0.0/16", "::ffff:169.254.169.254"));
  EXPECT_FALSE(InCidr("169.254.0.0/16", "::ffff:10.0.0.1"));
  // A mapped prefix in a rule is the IPv4 prefix it covers.
  EXPECT_TRUE(InCidr("::ffff:169.254.0.0/112", "169.254.169.254"));
  EXPECT_TRUE(InCidr("::ffff:169.254.0.0/112", "::ffff:169.254.1.1"));
  EXPECT_FALSE(InCidr("::ffff:169.254.0.0/112", "169.253.0.1"));
  EXPECT_EQ(Cidr::Parse("::ffff:169.254.0.0/112")->ToString(),
            "169.254.0.0/16");
  EXPECT_TRUE(InCidr("::ffff:127.0.0.1", "127.0.0.1"));
  // ...so "all of IPv6" does not reach IPv4 through the mapped form.
  EXPECT_FALSE(InCidr("::/0", "::ffff:169.254.169.254"));
  EXPECT_TRUE(InCidr("0.0.0.0/0", "::ffff:169.254.169.254"));
}

TEST(CidrTest, ParseErrors) {
  EXPECT_FALSE(Cidr::Parse("").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/-1").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/8x").ok());
  EXPECT_FALSE(Cidr::Parse("::/129").ok());
  EXPECT_FALSE(Cidr::Parse("example.com/8").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0/8").ok());
  EXPECT_FALSE(Cidr::Parse("fe80::1%1/128").ok());
  absl::StatusOr<Cidr> host_bits = Cidr::Parse("10.1.0.0/8");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_TRUE(absl::StrContains(host_bits.status().message(), "10.0.0.0/8"))
      << host_bits.status();
  EXPECT_FALSE(Cidr::Parse("fe80::1/10").ok());
}

// --- Host suffixes
// ------------------------------------------------------------

TEST(HostSuffixTest, DotBoundary) {
  EXPECT_TRUE(HostMatchesSuffix("example.com", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("api.example.com", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("a.b.example.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evil-example.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evilexample.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.com.evil.net", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.co", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("", "example.com"));
}

TEST(HostSuffixTest, CaseAndTrailingDot) {
  EXPECT_TRUE(HostMatchesSuffix("API.Example.COM", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("example.com.", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("Api.Example.Com.", "example.com"));
}

TEST(HostSuffixTest, LeadingDotMeansSubdomainsOnly) {
  EXPECT_TRUE(HostMatchesSuffix("api.example.com", ".example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.com", ".example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evil-example.com", ".example.com"));
}

TEST(HostSuffixTest, AddressLiteralsAreNoNames) {
  EXPECT_FALSE(HostMatchesSuffix("10.0.0.1", "0.1"));
  EXPECT_FALSE(HostMatchesSuffix("[::1]", "1"));
  EXPECT_FALSE(HostMatchesSuffix("::1", "1"));
  // getaddrinfo reads "127.1" as 127.0.0.1.
  EXPECT_FALSE(HostMatchesSuffix("127.1", "1"));
}

// --- Rules ------------------------------------------------------------------

}  // namespace
}  // namespace socketsvc
