'use strict';
// SocketClient: one gRPC channel to socketd and the calls that create
// things (Connect, Listen, ServerCreate) or need no handle (Resolve).
// Everything is async/await; every failure rejects with a SocketError.

const grpc = require('@grpc/grpc-js');
const { load } = require('./proto');
const { SocketError, fromGrpcError } = require('./errors');
const { callOptions, tlsOptions, withTimeout, toBuffer } = require('./convert');
const { Socket } = require('./socket');
const { PipeStream } = require('./pipe_stream');
const { HttpServer } = require('./http_server');

const DEFAULT_ADDRESS = '127.0.0.1:50051';

// HTTP bodies travel whole in one message (up to 32 MiB, see
// ServerLimits.max_body_bytes): take what socketd may send.
const MAX_RECEIVE_MESSAGE_BYTES = 33 * 1024 * 1024;

class SocketClient {
  // address: socketd's gRPC address ("127.0.0.1:50051").
  // options:
  //   token:   bearer token, sent as `authorization: Bearer …` on every call
  //   tls:     true, or {caPem, certPem, keyPem, serverName}: the gRPC
  //            channel speaks TLS (socketd --tls_cert); certPem/keyPem for
  //            mutual TLS (--client_ca); serverName overrides the name
  //            checked in socketd's certificate
  //   channelOptions: extra grpc-js channel options
  constructor(address = DEFAULT_ADDRESS, options = {}) {
    const { SocketService } = load();
    this.address = address;
    this._token = options.token;
    const channelOptions = {
      'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_RECEIVE_MESSAGE_BYTES,
      ...(options.channelOptions || {}),
    };
    let credentials = grpc.credentials.createInsecure();
    if (options.tls) {
      const t = options.tls === true ? {} : options.tls;
      const optional = (v) => (v ? toBuffer(v, 'PEM') : null);
      credentials = grpc.credentials.createSsl(
          optional(t.caPem), optional(t.keyPem), optional(t.certPem));
      if (t.serverName) {
        channelOptions['grpc.ssl_target_name_override'] = t.serverName;
        channelOptions['grpc.default_authority'] = t.serverName;
      }
    }
    this._stub = new SocketService(address, credentials, channelOptions);
  }

  // Closes the gRPC channel; calls in flight fail.
  close() {
    // Not this._stub.close(): grpc-js also names each RPC in lower camel
    // case, so on this stub close() is the Close RPC.
    grpc.Client.prototype.close.call(this._stub);
  }

  // Bearer token metadata, fresh for every call (grpc-js may modify it).
  _metadata() {
    const metadata = new grpc.Metadata();
    if (this._token) metadata.set('authorization', `Bearer ${this._token}`);
    return metadata;
  }

  // Runs unary RPC `method`; resolves with its answer, rejects with a
  // SocketError whose message starts with `context`. opts: timeoutMs (for
  // the deadline), deadlineMs, signal (AbortSignal: cancels the call).
  _unary(method, request, opts = {}, context = method, handle = undefined) {
    return new Promise((resolve, reject) => {
      const { signal } = opts;
      if (signal && signal.aborted) {
        reject(new SocketError(`${context}: aborted`, {
          code: 'CANCELLED', grpcCode: grpc.status.CANCELLED, handle,
        }));
        return;
      }
      const done = (err, answer) => {
        if (signal) signal.removeEventListener('abort', onAbort);
        if (err) reject(fromGrpcError(err, context, handle));
        else resolve(answer);
      };
      let call;
      const onAbort = () => call.cancel();
      try {
        call = this._stub[method](request, this._metadata(), callOptions(opts), done);
      } catch (err) {  // A request grpc-js cannot encode.
        reject(new SocketError(`${context}: ${err.message}`, {
          code: 'INVALID_REQUEST', cause: err, handle,
        }));
        return;
      }
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // Connects socketd to host:port (port: number, or a service name such as
  // "http"). opts: timeoutMs, tls (true or TLS options, see README), signal.
  async connect(host, port, opts = {}) {
    const request = withTimeout({ host: String(host) }, opts.timeoutMs);
    if (typeof port === 'string' && !/^\d+$/.test(port)) request.service = port;
    else request.port = Number(port);
    const tls = tlsOptions(opts.tls);
    if (tls) request.tls = tls;
    const answer = await this._unary('Connect', request, opts, `connect ${host}:${port}`);
    return new Socket(this, answer.handle, answer);
  }

  // A Socket for a handle that already exists (from another process, Accept…).
  socket(handle) {
    return new Socket(this, handle, { handle });
  }

  // A Node stream.Duplex over the Pipe RPC for socket `handle`; see
  // PipeStream for the options.
  pipe(handle, opts = {}) {
    return new PipeStream(this, handle, opts);
  }

  // Name → {addresses, names} (forward), or an address literal → names.
  async resolve(name, opts = {}) {
    const answer = await this._unary(
        'Resolve', withTimeout({ name }, opts.timeoutMs), opts, `resolve ${name}`);
    return { addresses: answer.addresses, names: answer.names };
  }

  // Listens on bindAddress:port (defaults 127.0.0.1 and a free port).
  async listen(opts = {}) {
    const request = {
      bindAddress: opts.bindAddress || '',
      port: opts.port || 0,
      backlog: opts.backlog || 0,
    };
    const answer = await this._unary('Listen', request, opts, 'listen');
    return new Listener(this, answer);
  }

  // Starts an HTTP(S) server instance; see HttpServer.
  async createHttpServer(opts = {}) {
    return HttpServer.create(this, opts);
  }
}

// A listening socket held by socketd (Listen); accept() hands out Sockets.
class Listener {
  constructor(client, answer) {
    this._client = client;
    this.handle = answer.listener;
    this.address = answer.boundAddress;
    this.port = answer.port;
  }

  // The next connection as a Socket, or null when timeoutMs passed first.
  async accept(opts = {}) {
    const answer = await this._client._unary(
        'Accept', withTimeout({ listener: this.handle }, opts.timeoutMs), opts,
        `accept ${this.handle}`, this.handle);
    if (answer.timedOut) return null;
    return new Socket(this._client, answer.handle, {
      handle: answer.handle,
      localAddress: answer.localAddress,
      localPort: answer.localPort,
      remoteAddress: answer.peerAddress,
      remotePort: answer.peerPort,
    });
  }

  async close() {
    await this._client._unary('Close', { handle: this.handle }, {},
                              `close ${this.handle}`, this.handle);
  }
}

module.exports = { SocketClient, Listener, DEFAULT_ADDRESS };
