'use strict';
// Loads socketsvc.v1 from the .proto files at run time (no generated code),
// once per process. The service definition goes through @grpc/proto-loader
// (camelCase fields, int64 as Number, enums as their names, bytes as
// Buffer); the error model (Status, ErrorDetail) through protobufjs itself,
// because proto-loader exposes no decoder for messages that are not an RPC's
// request or response, and the status details arrive in a trailer.

const path = require('node:path');
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

// The repository's proto/ folder (holding socketsvc/v1/*.proto), found from
// this file: client/node/lib → proto. SOCKETSVC_PROTO_DIR overrides it for
// a copy of this package kept elsewhere.
function protoRoot() {
  const dir = process.env.SOCKETSVC_PROTO_DIR ||
      path.resolve(__dirname, '..', '..', '..', 'proto');
  if (!fs.existsSync(path.join(dir, 'socketsvc', 'v1', 'sockets.proto'))) {
    throw new Error(`socketsvc: no socketsvc/v1/sockets.proto under ${dir} ` +
                    '(set SOCKETSVC_PROTO_DIR to the folder holding socketsvc/)');
  }
  return dir;
}

const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,  // Byte counters and offsets stay far below 2^53.
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let cached = null;

// { SocketService (client constructor), Status, ErrorDetail (protobufjs
// types) }.
function load() {
  if (cached) return cached;
  const root = protoRoot();
  const definition = protoLoader.loadSync('socketsvc/v1/sockets.proto', {
    ...LOADER_OPTIONS,
    includeDirs: [root],
  });
  const v1 = grpc.loadPackageDefinition(definition).socketsvc.v1;

  // google/protobuf/any.proto is bundled with protobufjs; every other import
  // resolves under the proto root.
  const errors = new protobuf.Root();
  errors.resolvePath = (origin, target) => {
    if (target.startsWith('google/protobuf/')) return target;
    return path.join(root, target);
  };
  errors.loadSync('socketsvc/v1/errors.proto', { keepCase: false });
  cached = {
    SocketService: v1.SocketService,
    Status: errors.lookupType('socketsvc.v1.Status'),
    ErrorDetail: errors.lookupType('socketsvc.v1.ErrorDetail'),
    SocketErrorEnum: errors.lookupEnum('socketsvc.v1.SocketError'),
  };
  return cached;
}

module.exports = { load, protoRoot };
