'use strict';
// HttpServer: an HTTP(S) server instance held by socketd (ServerCreate).
// socketd listens and parses; this side takes requests one RPC at a time
// (ServerReceive) and answers each (ServerSend). serve() runs a few
// receive loops concurrently, so one slow handler does not hold the others;
// every request goes to exactly one loop (socketd's FIFO of receivers).

const { httpHeaders, toBuffer, withTimeout } = require('./convert');

// How long one ServerReceive waits before the loop asks again: short
// enough that a dead channel is noticed, long enough to cost nothing.
const RECEIVE_POLL_MS = 30000;

class HttpRequest {
  constructor(server, r) {
    this._server = server;
    this.handle = r.requestHandle;
    this.method = r.method;
    this.uri = r.uri;
    this.path = r.path;
    this.query = r.query;
    this.httpVersion = r.httpVersion;
    // In arrival order, names as sent, values as Buffers (HTTP allows
    // bytes that are not UTF-8).
    this.rawHeaders = r.headers.map((h) => ({ name: h.name, value: h.value }));
    // Lower-case name → value (latin1), repeated names joined by ", " as
    // Node's http module does.
    this.headers = {};
    for (const { name, value } of this.rawHeaders) {
      const key = name.toLowerCase();
      const text = value.toString('latin1');
      this.headers[key] = key in this.headers ? `${this.headers[key]}, ${text}` : text;
    }
    this.body = r.body;
    this.peerAddress = r.peerAddress;
    this.peerPort = r.peerPort;
    this.clientCertSubject = r.clientCertSubject;
    this.responded = false;
  }

  // Answers the request. opts: headers ({name: value} or [[name, value]]),
  // body (Buffer or string), reason, close (close the connection after),
  // timeoutMs. socketd adds Content-Length and Date. Resolves {bytesSent}.
  async respond(status, opts = {}) {
    const request = withTimeout({
      requestHandle: this.handle,
      status,
      reason: opts.reason || '',
      headers: httpHeaders(opts.headers),
      body: opts.body === undefined ? Buffer.alloc(0) : toBuffer(opts.body, 'body'),
      close: Boolean(opts.close),
    }, opts.timeoutMs);
    // The first accepted answer releases the handle, so mark it before the
    // call: a second respond() is a bug either way.
    this.responded = true;
    try {
      const answer = await this._server._client._unary(
          'ServerSend', request, opts, `respond ${this.handle}`, this.handle);
      return { bytesSent: answer.bytesSent };
    } catch (err) {
      if (err.code === 'INVALID_REQUEST') this.responded = false;  // Still waiting.
      throw err;
    }
  }
}

class HttpServer {
  constructor(client, answer) {
    this._client = client;
    this.id = answer.serverId;
    this.address = answer.boundAddress;
    this.port = answer.port;
    this.closed = false;
    // Cancels the receive loops' pending ServerReceives on close().
    this._abort = new AbortController();
  }

  // opts: bindAddress ('' = 127.0.0.1), port (0 = any free one), tls
  // ({certPem, keyPem, clientCaPem}: HTTPS), limits (ServerLimits in
  // camelCase: maxHeaderBytes, maxBodyBytes, idleTimeoutMs,
  // responseTimeoutMs, maxPendingRequests, maxConnections), keepAlive.
  static async create(client, opts = {}) {
    const request = {
      bindAddress: opts.bindAddress || '',
      port: opts.port || 0,
    };
    if (opts.tls) {
      request.tls = {
        certPem: toBuffer(opts.tls.certPem, 'tls.certPem'),
        keyPem: toBuffer(opts.tls.keyPem, 'tls.keyPem'),
        clientCaPem: opts.tls.clientCaPem ? toBuffer(opts.tls.clientCaPem) : Buffer.alloc(0),
      };
    }
    if (opts.limits) request.limits = { ...opts.limits };
    if (opts.keepAlive !== undefined) request.keepAlive = Boolean(opts.keepAlive);
    const answer = await client._unary('ServerCreate', request, opts, 'server create');
    return new HttpServer(client, answer);
  }

  // The next request, or null when timeoutMs passed with none.
  async receive(opts = {}) {
    const answer = await this._client._unary(
        'ServerReceive', withTimeout({ serverId: this.id }, opts.timeoutMs), opts,
        `server receive ${this.id}`, this.id);
    return answer.timedOut ? null : new HttpRequest(this, answer);
  }

  // for await (const request of server.requests()) { await request.respond(…) }
  // Ends when the server is closed.
  async *requests() {
    for (;;) {
      const request = await this._receiveUnlessClosed(this._abort.signal);
      if (request === undefined) return;
      if (request) yield request;
    }
  }

  // A request, null on a quiet poll, undefined once the server is closed
  // or `signal` aborted.
  async _receiveUnlessClosed(signal) {
    if (this.closed || signal.aborted) return undefined;
    try {
      return await this.receive({ timeoutMs: RECEIVE_POLL_MS, signal });
    } catch (err) {
      if (this.closed || signal.aborted) return undefined;
      throw err;
    }
  }

  // Answers requests with `handler(request)` until close(). The handler
  // returns {status = 200, headers, body, reason, close} (or answers with
  // request.respond() itself and returns nothing). A handler that throws
  // gets its request answered 500 and the error passed to opts.onError.
  // opts.concurrency: receive loops (4). Resolves once closed; if a
  // ServerReceive fails for another reason (socketd gone), stops every loop
  // and rejects with that error.
  serve(handler, opts = {}) {
    const onError = opts.onError ||
        ((err) => process.emitWarning(`socketsvc HttpServer handler: ${err.stack || err}`));
    // Stops this serve()'s loops: on close(), or when one of them fails.
    const stop = new AbortController();
    const onClose = () => stop.abort();
    this._abort.signal.addEventListener('abort', onClose, { once: true });
    const loop = async () => {
      for (;;) {
        let request;
        try {
          request = await this._receiveUnlessClosed(stop.signal);
        } catch (err) {
          stop.abort();
          throw err;
        }
        if (request === undefined) return;
        if (!request) continue;
        try {
          const answer = await handler(request);
          if (!request.responded) {
            const a = answer || {};
            await request.respond(a.status || 200, a);
          }
        } catch (err) {
          if (this.closed) return;
          onError(err);
          if (!request.responded) {
            await request.respond(500, { body: 'internal error\n' }).catch(onError);
          }
        }
      }
    };
    const loops = [];
    for (let i = 0; i < (opts.concurrency || 4); ++i) loops.push(loop());
    return Promise.all(loops).then(() => undefined).finally(
        () => this._abort.signal.removeEventListener('abort', onClose));
  }

  // socketd's ServerInfo: connections, queue, counters (camelCase).
  async info(opts = {}) {
    return this._client._unary('GetServerInfo', { serverId: this.id }, opts,
                               `server info ${this.id}`, this.id);
  }

  // Stops the server (ServerDelete): requests not yet answered get 503,
  // serve() loops end. Resolves {rejectedRequests}.
  async close(opts = {}) {
    if (this.closed) return { rejectedRequests: 0 };
    this.closed = true;
    try {
      const answer = await this._client._unary(
          'ServerDelete', { serverId: this.id }, opts, `server delete ${this.id}`, this.id);
      return { rejectedRequests: answer.rejectedRequests };
    } finally {
      this._abort.abort();
    }
  }
}

module.exports = { HttpServer, HttpRequest };
