'use strict';
// Plain-JavaScript options → socketsvc.v1 request fields, and the small
// rules every call shares (timeouts, deadlines, bytes).

const TLS_VERSIONS = {
  '': 'TLS_VERSION_UNSPECIFIED',
  '1.2': 'TLS_VERSION_1_2',
  '1.3': 'TLS_VERSION_1_3',
};

const CLOSE_MODES = {
  complete: 'CLOSE_MODE_COMPLETE',
  partial: 'CLOSE_MODE_PARTIAL',
  abort: 'CLOSE_MODE_ABORT',
  discard: 'CLOSE_MODE_DISCARD',
};

// How much longer than a call's own timeout the gRPC deadline is: socketd
// answers when its timeout passes (with what it has), and that answer must
// not be cut off in flight by the client's deadline.
const DEADLINE_SLACK_MS = 10000;

// Buffer from a Buffer, Uint8Array or string (UTF-8); never copies a Buffer.
function toBuffer(data, what = 'data') {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new TypeError(`${what} must be a Buffer, Uint8Array or string`);
}

// PEM given as a string or Buffer (not a file name: read files yourself).
function pem(value) {
  if (value === undefined || value === null || value === '') return Buffer.alloc(0);
  return toBuffer(value, 'PEM');
}

// `tls: true` or `{skipVerify, serverName, caPem, clientCertPem,
// clientKeyPem, alpn, minVersion}` → TlsOptions; undefined/false → null.
function tlsOptions(tls, { forceEnabled = false } = {}) {
  if (!tls && !forceEnabled) return null;
  const o = tls === true || !tls ? {} : tls;
  const minVersion = TLS_VERSIONS[o.minVersion === undefined ? '' : String(o.minVersion)];
  if (!minVersion) {
    throw new TypeError(`tls.minVersion must be '1.2' or '1.3', not ${o.minVersion}`);
  }
  return {
    enabled: true,
    skipVerify: Boolean(o.skipVerify),
    serverName: o.serverName || '',
    caPem: pem(o.caPem),
    clientCertPem: pem(o.clientCertPem),
    clientKeyPem: pem(o.clientKeyPem),
    alpn: o.alpn ? [].concat(o.alpn) : [],
    minVersion,
  };
}

// Adds timeout_ms to `request` when the caller gave one (unset means:
// socketd's --max_wait_ms).
function withTimeout(request, timeoutMs) {
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < -1) {
      throw new TypeError(`timeoutMs must be an integer >= -1, not ${timeoutMs}`);
    }
    request.timeoutMs = timeoutMs;
  }
  return request;
}

// gRPC call options for a call bounded by `timeoutMs`: a deadline beyond it
// so that socketd's own answer arrives; `deadlineMs` (absolute gRPC deadline
// from now) overrides.
function callOptions({ timeoutMs, deadlineMs } = {}) {
  if (deadlineMs !== undefined) return { deadline: Date.now() + deadlineMs };
  if (Number.isInteger(timeoutMs) && timeoutMs >= 0) {
    return { deadline: Date.now() + timeoutMs + DEADLINE_SLACK_MS };
  }
  return {};
}

function closeMode(mode) {
  const value = CLOSE_MODES[mode === undefined ? 'complete' : mode];
  if (!value) {
    throw new TypeError(
        `close mode must be one of ${Object.keys(CLOSE_MODES).join(', ')}, not ${mode}`);
  }
  return value;
}

// HTTP headers given as {name: value}, [[name, value]...] or
// [{name, value}...] → [{name, value: Buffer}].
function httpHeaders(headers) {
  if (!headers) return [];
  const pairs = Array.isArray(headers) ?
      headers.map((h) => (Array.isArray(h) ? h : [h.name, h.value])) :
      Object.entries(headers).flatMap(
          ([name, value]) => [].concat(value).map((v) => [name, v]));
  return pairs.map(([name, value]) => ({
    name: String(name),
    value: toBuffer(typeof value === 'number' ? String(value) : value, 'header value'),
  }));
}

module.exports = {
  CLOSE_MODES,
  DEADLINE_SLACK_MS,
  callOptions,
  closeMode,
  httpHeaders,
  tlsOptions,
  toBuffer,
  withTimeout,
};
