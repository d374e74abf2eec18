"""cc_fuzz_target: one fuzz target, four Bazel targets.

For a target NAME with srcs defining LLVMFuzzerTestOneInput:
  NAME_lib          the entry point (a cc_library)
  NAME_corpus_test  cc_test, normal build (g++): replays corpus/NAME/ once
  NAME              the libFuzzer binary; builds only with --config=fuzz
  NAME_fuzz_test    sh_test, --config=fuzz: fuzzes for `seconds`, starting
                    from corpus/NAME/; fails on a crash, leak or timeout;
                    never cached (a new run explores anew)
NAME and NAME_fuzz_test are tagged manual: `bazel test //...` (g++) skips
them, ./test runs them by name with --config=fuzz (see docs/testing.md).
"""

def cc_fuzz_target(name, srcs, deps = [], seconds = 30):
    corpus = native.glob(["corpus/%s/**" % name])
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        deps = deps + [":fuzz_check"],
        alwayslink = True,
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        args = ["tests/fuzz/corpus/" + name],
        data = corpus,
        deps = [
            ":" + name + "_lib",
            ":replay_main",
        ],
    )
    native.cc_binary(
        name = name,
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":" + name + "_lib"],
    )
    native.sh_test(
        name = name + "_fuzz_test",
        size = "medium",
        srcs = ["run_fuzzer.sh"],
        args = [
            "$(location :%s)" % name,
            "tests/fuzz/corpus/" + name,
            str(seconds),
        ],
        data = [":" + name] + corpus,
        # external: never cached; every run fuzzes anew.
        tags = [
            "external",
            "fuzz",
            "manual",
        ],
    )
