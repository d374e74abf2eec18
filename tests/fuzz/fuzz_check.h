// FUZZ_CHECK: an invariant of a fuzz target. A violation aborts, which
// libFuzzer reports as a crash (and the corpus replay test as a failure),
// with the input that caused it.
#ifndef SOCKETSVC_TESTS_FUZZ_FUZZ_CHECK_H_
#define SOCKETSVC_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                \
  do {                                                                       \
    if (!(condition)) {                                                      \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,       \
                   __LINE__, #condition);                                    \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

#endif  // SOCKETSVC_TESTS_FUZZ_FUZZ_CHECK_H_
