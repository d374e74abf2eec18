// main() of the corpus replay tests (<target>_corpus_test): runs every file
// of the given files and directories (recursively) through the fuzz target's
// LLVMFuzzerTestOneInput once, with the normal compiler and no libFuzzer.
// So the seed corpus and every crash kept in it are regression tests in the
// normal build, and with --config=asan under AddressSanitizer.
//
//   bazel run //tests/fuzz:http_request_fuzzer_corpus_test -- /tmp/crash-1234
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Test runfiles are relative to $TEST_SRCDIR/$TEST_WORKSPACE under
// `bazel test`; `bazel run` starts in that directory already.
std::string Resolve(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return path;
  const std::string in_runfiles = std::string(srcdir) + "/" + workspace + "/" + path;
  struct stat st;
  return stat(in_runfiles.c_str(), &st) == 0 ? in_runfiles : path;
}

void Collect(const std::string& path, std::vector<std::string>& files) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "replay: cannot stat %s\n", path.c_str());
    std::exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    files.push_back(path);
    return;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    Collect(path + "/" + name, files);
  }
  closedir(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) Collect(Resolve(argv[i]), files);
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input files\n");
    return 2;
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::string data = content.str();
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), data.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, all passed\n", files.size());
  return 0;
}
