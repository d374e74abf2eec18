'use strict';
// Socket: one handle held by socketd ("s1.…"), driven by unary RPCs. Safe
// to use from concurrent async code the way TCP is: one send and one
// receive may be in flight at once; socketd queues further calls of the
// same direction in arrival order.

const grpc = require('@grpc/grpc-js');
const { SocketError } = require('./errors');
const { closeMode, tlsOptions, toBuffer, withTimeout } = require('./convert');

class Socket {
  // answer: the ConnectResponse (or the same fields from Accept).
  constructor(client, handle, answer = {}) {
    this._client = client;
    this.handle = handle;
    this.localAddress = answer.localAddress;
    this.localPort = answer.localPort;
    this.remoteAddress = answer.remoteAddress;
    this.remotePort = answer.remotePort;
    // TlsInfo of a TLS Connect (version, cipher, alpn, verified, peerSubject…).
    this.tls = answer.tls || null;
  }

  _call(method, request, opts, verb) {
    return this._client._unary(method, { handle: this.handle, ...request }, opts,
                               `${verb} ${this.handle}`, this.handle);
  }

  // Writes all of `data` (Buffer, Uint8Array or string) and resolves with
  // {bytesSent, timedOut, offset}. opts: timeoutMs (then timedOut may be
  // true with fewer bytes sent), offset (exactly-once retries), signal.
  async send(data, opts = {}) {
    const request = withTimeout({ data: toBuffer(data) }, opts.timeoutMs);
    if (opts.offset !== undefined) request.offset = opts.offset;
    const answer = await this._call('Send', request, opts, 'send');
    return { bytesSent: answer.bytesSent, timedOut: answer.timedOut, offset: answer.offset };
  }

  // The raw Receive: resolves with {data, eof, timedOut, offset}. opts:
  // maxBytes, minBytes, timeoutMs, offset, peek, signal.
  async receive(opts = {}) {
    const request = withTimeout({
      maxBytes: opts.maxBytes || 0,
      minBytes: opts.minBytes || 0,
      peek: Boolean(opts.peek),
    }, opts.timeoutMs);
    if (opts.offset !== undefined) request.offset = opts.offset;
    return this._call('Receive', request, opts, 'receive');
  }

  // read(2) in promise form: resolves with a Buffer of 1..maxBytes bytes
  // (at least minBytes unless EOF or the timeout came first), or an empty
  // Buffer at EOF (and on every call after it). A timeout with no byte at
  // all rejects with SocketError code 'TIMED_OUT' (errno ETIMEDOUT); no byte
  // is lost by it.
  async recv(opts = {}) {
    const answer = await this.receive(opts);
    if (answer.data.length > 0 || answer.eof) return answer.data;
    if (answer.timedOut) {
      const after = opts.timeoutMs === undefined ? '' : ` after ${opts.timeoutMs} ms`;
      throw new SocketError(`receive ${this.handle}: timed out${after}`, {
        code: 'TIMED_OUT', errno: 'ETIMEDOUT', osErrno: 110,
        grpcCode: grpc.status.DEADLINE_EXCEEDED, handle: this.handle,
      });
    }
    return answer.data;  // Not reached: socketd answers data, eof or timedOut.
  }

  // Closes: 'complete' (default: FIN, drain until the peer's EOF or
  // timeoutMs, release), 'partial' (FIN only; recv still works; close again
  // to release), 'abort' (RST, release), 'discard' (release, no drain).
  // Resolves with {released, drainedBytes, drainTimedOut}.
  async close(mode = 'complete', opts = {}) {
    const request = withTimeout({ mode: closeMode(mode) }, opts.timeoutMs);
    if (opts.sendOffset !== undefined) request.sendOffset = opts.sendOffset;
    const answer = await this._call('Close', request, opts, `close(${mode})`);
    return {
      released: answer.released,
      drainedBytes: answer.drainedBytes,
      drainTimedOut: answer.drainTimedOut,
    };
  }

  // socketd's SocketInfo: state ('SOCKET_STATE_OPEN'…), addresses, byte
  // counters, idleMs, lastError, tls, piped… (camelCase of sockets.proto).
  async info(opts = {}) {
    return this._call('GetInfo', {}, opts, 'info');
  }

  // Upgrades the connection to TLS in place (STARTTLS); resolves with the
  // TlsInfo. tls: true or TLS options as for connect().
  async startTls(tls = true, opts = {}) {
    const request = withTimeout({ tls: tlsOptions(tls, { forceEnabled: true }) }, opts.timeoutMs);
    const answer = await this._call('StartTls', request, opts, 'starttls');
    this.tls = answer.tls;
    return answer.tls;
  }

  // Sets the SocketOptions fields given (tcpNodelay, keepalive, lingerS,
  // idleTimeoutMs…); resolves with every option as read back.
  async setOptions(options, opts = {}) {
    return this._call('SetOptions', { options }, opts, 'setoptions');
  }

  async getOptions(opts = {}) {
    return this._call('GetOptions', {}, opts, 'getoptions');
  }

  // A Node stream.Duplex over the Pipe RPC; see PipeStream.
  duplex(opts = {}) {
    return this._client.pipe(this.handle, opts);
  }
}

module.exports = { Socket };
