"""Generates C++ protobuf and gRPC code with the system protoc.

Debian ships protoc and grpc_cpp_plugin but no Bazel proto rules that work
offline with Bazel 4.2.3, so one genrule runs protoc on the package's .proto
files and a cc_library compiles the result.
"""

def cc_grpc_proto_library(name, srcs, deps = [], visibility = None):
    """Compiles `srcs` (paths relative to this package) into cc_library `name`.

    The package directory is the proto root: a source at
    `<package>/socketsvc/v1/x.proto` is imported as "socketsvc/v1/x.proto" and
    its generated header is included as "socketsvc/v1/x.pb.h".
    """
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc", base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            "protoc",
            "--proto_path=" + native.package_name(),
            "--cpp_out=$(RULEDIR)",
            "--grpc_out=$(RULEDIR)",
            "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin)",
        ] + ["$(location %s)" % s for s in srcs]),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["//third_party:grpc", "//third_party:protobuf"],
        visibility = visibility,
    )
