"""Generates Python protobuf and gRPC modules with the system protoc.

As tools/grpc_proto.bzl does for C++: Debian's protoc (3.21) and
grpc_python_plugin (1.51) match Debian's python3-protobuf and python3-grpcio,
and no Bazel Python proto rules work offline with Bazel 4.2.3.
"""

def py_grpc_proto_gen(name, srcs, package_dir):
    """Runs protoc over `srcs` (labels of //proto files).

    `package_dir` is the proto package path ("socketsvc/v1"); outputs go to
    <this package>/<package_dir>/X_pb2.py and X_pb2_grpc.py, with an empty
    __init__.py so that the directory is a regular Python package.
    """
    outs = [package_dir + "/__init__.py"]
    for src in srcs:
        base = src.split("/")[-1][:-len(".proto")]
        outs += [
            package_dir + "/" + base + "_pb2.py",
            package_dir + "/" + base + "_pb2_grpc.py",
        ]
    native.genrule(
        name = name,
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            "protoc",
            "--proto_path=proto",
            "--python_out=$(RULEDIR)",
            "--grpc_python_out=$(RULEDIR)",
            "--plugin=protoc-gen-grpc_python=$$(command -v grpc_python_plugin)",
        ] + ["$(location %s)" % s for s in srcs] + [
            "&& touch $(RULEDIR)/%s/__init__.py" % package_dir,
        ]),
    )
