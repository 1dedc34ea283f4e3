// RSA keys for the encryption tests, made with the `openssl` command (a missing openssl fails
// the test: scripts/install-deps.sh installs it). One 2048-bit key in every PEM form JuiceFS
// accepts, plus a second RSA key and an EC key, in a fresh /tmp directory per suite.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "object/object_cipher.h"
#include "object/rsa_key.h"

namespace tierfs::object::testing {

inline constexpr const char* kTestPassphrase = "s3cret pass";

class TestKeys {
 public:
  // Generates the keys (with `all` false only pkcs8.pem); returns false (with a gtest failure)
  // when openssl is missing or fails.
  bool Make(bool all = true) {
    char tmpl[] = "/tmp/tierfs-keys-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return false;
    }
    dir_ = tmpl;
    const std::string pass = std::string("pass:'") + kTestPassphrase + "'";
    const std::string base = Path("pkcs8.pem");
    if (!Run("openssl genrsa -out " + base + " 2048")) return false;
    return !all ||
           (Run("openssl pkey -in " + base + " -traditional -out " + Path("pkcs1.pem")) &&
            Run("openssl pkey -in " + base + " -aes256 -passout " + pass + " -out " +
                Path("enc-pkcs8.pem")) &&
            Run("openssl rsa -in " + base + " -traditional -aes256 -passout " + pass + " -out " +
                Path("enc-legacy.pem")) &&
            Run("openssl genrsa -out " + Path("other.pem") + " 2048") &&
            Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                Path("ec.pem")));
  }
  void Remove() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // The text of key file `name` ("pkcs8.pem", "pkcs1.pem", "enc-pkcs8.pem", "enc-legacy.pem",
  // "other.pem", "ec.pem").
  std::string Pem(const std::string& name) const { return Read(Path(name)); }
  // The bytes of a file ("" when it cannot be read).
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void Write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  // Runs a shell command, its stdout to Path("cmd.out"), its stderr to Path("cmd.log"); false,
  // with a gtest failure naming it and showing its stderr, unless it exits 0.
  bool Run(const std::string& cmd) const {
    const std::string log = Path("cmd.log");
    if (std::system(("(" + cmd + ") >" + Path("cmd.out") + " 2>" + log).c_str()) == 0) return true;
    ADD_FAILURE() << "failed: " << cmd << "\n" << Read(log);
    return false;
  }

 private:
  std::string dir_;
};

// Test names for suites parameterised by the algorithm.
inline std::string AlgoName(const ::testing::TestParamInfo<CipherAlgo>& info) {
  return info.param == CipherAlgo::kAes256Gcm ? "aes256gcm" : "chacha20";
}

// A fixture base whose suite shares one TestKeys (made once per suite, removed after it).
template <class Base = ::testing::Test>
class WithTestKeys : public Base {
 protected:
  static void SetUpTestSuite() {
    keys_ = new TestKeys;
    made_ = keys_->Make();
  }
  static void TearDownTestSuite() {
    keys_->Remove();
    delete keys_;
    keys_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(made_) << "no test keys"; }

  // The key of file `name` (see TestKeys::Pem), or null with a test failure.
  static std::shared_ptr<const RsaKey> Key(const std::string& name, std::string_view pass = {}) {
    auto k = RsaKey::FromPem(keys_->Pem(name), pass);
    EXPECT_TRUE(k.has_value()) << name << ": " << k.error().ToString();
    return k ? *k : nullptr;
  }
  // An ObjectCipher over the plain key of file `name`, or null with a test failure.
  static std::shared_ptr<const ObjectCipher> Cipher(const std::string& name, CipherAlgo algo) {
    auto key = Key(name);
    if (!key) return nullptr;
    auto c = ObjectCipher::New(key, algo);
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c ? *c : nullptr;
  }

  static inline TestKeys* keys_ = nullptr;
  static inline bool made_ = false;
};

}  // namespace tierfs::object::testing
