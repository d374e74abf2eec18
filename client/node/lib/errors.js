'use strict';
// SocketError: every failure of this client, with socketd's machine-readable
// detail decoded from the `grpc-status-details-bin` trailer (a
// socketsvc.v1.Status, wire-compatible with google.rpc.Status, whose details
// hold one socketsvc.v1.ErrorDetail; see proto/socketsvc/v1/errors.proto).

const grpc = require('@grpc/grpc-js');
const { load } = require('./proto');

const DETAIL_TYPE_URL_SUFFIX = '/socketsvc.v1.ErrorDetail';
const ENUM_PREFIX = 'SOCKET_ERROR_';

// gRPC code number → name ("UNAVAILABLE").
const GRPC_CODE_NAMES = Object.fromEntries(
    Object.entries(grpc.status).map(([name, number]) => [number, name]));

// When socketd attached no detail (the call never reached it, or gRPC itself
// ended it), the gRPC code still says what happened in these cases.
const CODE_WITHOUT_DETAIL = {
  [grpc.status.DEADLINE_EXCEEDED]: 'TIMED_OUT',
  [grpc.status.CANCELLED]: 'CANCELLED',
  [grpc.status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
};

class SocketError extends Error {
  // fields: { code, errno, osErrno, grpcCode, handle, cause }
  //   code:     SocketError enum name without its prefix ("CONNECTION_REFUSED");
  //             "UNSPECIFIED" when nothing more is known
  //   errno:    the errno's name ("ECONNREFUSED"), '' when none applies
  //   osErrno:  the errno's number (111), 0 when none applies
  //   grpcCode: the gRPC status code (14), undefined for errors this client
  //             raised without a call (a Receive timeout)
  constructor(message, fields = {}) {
    super(message, fields.cause ? { cause: fields.cause } : undefined);
    this.name = 'SocketError';
    this.code = fields.code || 'UNSPECIFIED';
    this.errno = fields.errno || '';
    this.osErrno = fields.osErrno || 0;
    this.grpcCode = fields.grpcCode;
    if (fields.handle) this.handle = fields.handle;
  }

  // The full enum value name ("SOCKET_ERROR_CONNECTION_REFUSED").
  get socketError() {
    return ENUM_PREFIX + this.code;
  }

  // The gRPC code's name ("UNAVAILABLE"), undefined without a gRPC code.
  get grpcCodeName() {
    return this.grpcCode === undefined ? undefined : GRPC_CODE_NAMES[this.grpcCode];
  }
}

// The ErrorDetail in a grpc-status-details-bin value, or null.
function decodeDetail(bytes) {
  const { Status, ErrorDetail } = load();
  let status;
  try {
    status = Status.decode(bytes);
  } catch (e) {
    return null;  // Not ours (a proxy's?): the gRPC code still stands.
  }
  for (const any of status.details) {
    if (!String(any.type_url).endsWith(DETAIL_TYPE_URL_SUFFIX)) continue;
    try {
      return ErrorDetail.toObject(ErrorDetail.decode(any.value), { enums: String });
    } catch (e) {
      return null;
    }
  }
  return null;
}

// A grpc-js error (ServiceError: code, details, metadata) as a SocketError.
// `context` ("connect 127.0.0.1:1") prefixes the message.
function fromGrpcError(err, context, handle) {
  if (err instanceof SocketError) return err;
  const grpcCode = typeof err.code === 'number' ? err.code : grpc.status.UNKNOWN;
  const fields = { grpcCode, cause: err, handle };
  const bins = err.metadata && typeof err.metadata.get === 'function' ?
      err.metadata.get('grpc-status-details-bin') : [];
  const detail = bins.length > 0 ? decodeDetail(bins[0]) : null;
  if (detail && detail.error) {
    fields.code = String(detail.error).startsWith(ENUM_PREFIX) ?
        String(detail.error).slice(ENUM_PREFIX.length) : `UNKNOWN_${detail.error}`;
    fields.errno = detail.osErrnoName || '';
    fields.osErrno = detail.osErrno || 0;
  } else {
    fields.code = CODE_WITHOUT_DETAIL[grpcCode] || 'UNSPECIFIED';
  }
  const text = err.details || err.message || GRPC_CODE_NAMES[grpcCode];
  return new SocketError(context ? `${context}: ${text}` : text, fields);
}

module.exports = { SocketError, fromGrpcError, decodeDetail, GRPC_CODE_NAMES };
