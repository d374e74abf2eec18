'use strict';
// PipeStream: a Node stream.Duplex over the Pipe RPC, so that a socket held
// by socketd works with .pipe() and stream.pipeline() like a net.Socket.
//
// Backpressure is gRPC's flow control both ways, with nothing buffered here
// beyond one message: a write completes only once grpc-js has handed the
// message to HTTP/2, which it does only while the stream's window is open,
// and socketd reopens the window only once it wrote the previous data to
// the socket. Reads stop (call.pause()) whenever push() says the readable
// buffer is full; socketd reads from the socket only while its previous
// response has been taken.
//
// Ending: end() half-closes the gRPC stream; with halfCloseOnEnd (default)
// socketd then shuts the socket's sending side (FIN). The peer's EOF ends
// the readable side (push(null)) and the whole RPC (docs/semantics.md,
// Pipe): socketd drops requests it had not written yet, so writes after it,
// and written data that socketd reports unwritten (bytesWritten), fail with
// SocketError NOT_CONNECTED (the socket stays open: socket.send() works).
// destroy() cancels the RPC and leaves the socket open for unary calls.
// Errors are SocketErrors ('error' event).

const { Duplex } = require('node:stream');
const { SocketError, fromGrpcError } = require('./errors');
const { callOptions } = require('./convert');

// Largest PipeRequest.data: big writes are cut (without copying) into
// messages of this size, far below socketd's message limit.
const WRITE_CHUNK_BYTES = 256 * 1024;

class PipeStream extends Duplex {
  // opts:
  //   halfCloseOnEnd (true): end() sends FIN to the peer
  //   maxChunkBytes (0 = socketd's 64 KiB): largest data per response
  //   writeChunkBytes (256 KiB): largest data per request
  //   deadlineMs: gRPC deadline of the whole stream (default: none)
  //   readableHighWaterMark, writableHighWaterMark: as for any Duplex
  constructor(client, handle, opts = {}) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
    });
    this.handle = handle;
    // Bytes of this stream written to the socket, as socketd last reported.
    this.bytesWritten = 0;
    // Bytes read from the socket and pushed to the readable side.
    this.bytesRead = 0;
    // Bytes handed to the RPC (each write's callback has run or is pending).
    this._submitted = 0;
    this._writeChunkBytes = opts.writeChunkBytes || WRITE_CHUNK_BYTES;
    this._eof = false;        // The peer's EOF arrived (push(null) done).
    this._rpcEnded = false;   // The RPC has its status (OK or error).
    // No more writes: socketd said eof (it writes nothing after it), or
    // the RPC ended.
    this._writeClosed = false;
    this._pendingWrite = null;  // Callback of the _write in progress.
    this._pendingUnsubmitted = 0;  // Its bytes not yet handed to the RPC.

    const call = client._stub.Pipe(client._metadata(),
                                   callOptions({ deadlineMs: opts.deadlineMs }));
    this._call = call;
    call.write({
      handle,
      halfCloseOnEnd: opts.halfCloseOnEnd !== false,
      maxChunkBytes: opts.maxChunkBytes || 0,
    });
    call.on('data', (response) => this._onResponse(response));
    call.on('end', () => {
      // Every response is in; an OK end without `eof` still ends reading.
      if (!this._eof) {
        this._eof = true;
        this.push(null);
      }
    });
    call.on('status', (status) => {
      this._rpcEnded = true;
      if (status.code === 0) this._closeWrites();
    });
    call.on('error', (err) => {
      this._rpcEnded = true;
      this._writeClosed = true;
      this.destroy(fromGrpcError(err, `pipe ${handle}`, handle));
    });
  }

  _onResponse(response) {
    if (response.bytesWritten > this.bytesWritten) this.bytesWritten = response.bytesWritten;
    if (response.data.length > 0) {
      this.bytesRead += response.data.length;
      if (!this.push(response.data)) this._call.pause();
    }
    if (response.eof && !this._eof) {
      this._eof = true;
      this._closeWrites();
      this.push(null);
    }
  }

  _read() {
    this._call.resume();
  }

  _notConnected(what) {
    return new SocketError(
        `pipe ${this.handle}: ${what}: the Pipe RPC ended with the peer's EOF ` +
        `(${this.bytesWritten} bytes written); use send() on the socket`,
        { code: 'NOT_CONNECTED', handle: this.handle });
  }

  // A write that the ended RPC will never take fails instead of hanging.
  _failPendingWrite(err) {
    const cb = this._pendingWrite;
    if (!cb) return false;
    this._pendingWrite = null;
    cb(err || this._notConnected('write'));
    return true;
  }

  // The peer's EOF: socketd writes nothing more, and bytesWritten is final.
  // A write in progress completes if all of it was written (every piece
  // handed over, and socketd wrote them), else fails;
  // if every write had completed but socketd dropped some of their bytes,
  // the stream errors once its readable side has been read to the end, so
  // no received byte is lost to the error.
  _closeWrites() {
    if (this._writeClosed) return;
    this._writeClosed = true;
    if (this._pendingWrite && this._pendingUnsubmitted === 0 &&
        this._submitted <= this.bytesWritten) {
      const cb = this._pendingWrite;
      this._pendingWrite = null;
      cb(null);
      return;
    }
    if (this._failPendingWrite()) return;
    if (this._submitted <= this.bytesWritten) return;
    const err = this._notConnected(`${this._submitted - this.bytesWritten} bytes not written`);
    if (this.readableEnded) this.destroy(err);
    else this.once('end', () => this.destroy(err));
  }

  _write(chunk, encoding, callback) {
    if (this._writeClosed) {
      callback(this._notConnected('write'));
      return;
    }
    this._pendingWrite = callback;
    this._pendingUnsubmitted = chunk.length;
    let offset = 0;
    const next = (err) => {
      if (this._pendingWrite !== callback) return;  // Already failed.
      if (err || offset >= chunk.length) {
        this._pendingWrite = null;
        callback(err ? fromGrpcError(err, `pipe ${this.handle}`, this.handle) : null);
        return;
      }
      if (this._writeClosed) {
        this._failPendingWrite();
        return;
      }
      const end = Math.min(chunk.length, offset + this._writeChunkBytes);
      const data = chunk.subarray(offset, end);
      offset = end;
      this._pendingUnsubmitted = chunk.length - offset;
      this._submitted += data.length;
      this._call.write({ data }, next);
    };
    next(null);
  }

  _final(callback) {
    // After the RPC ended there is no stream to half-close; the socket
    // itself is the caller's to close.
    if (!this._writeClosed) this._call.end();
    callback();
  }

  _destroy(err, callback) {
    // Cancelling leaves the socket open for unary calls (socketd keeps
    // every byte it had not yet put into a response).
    if (!this._rpcEnded && !this._eof) this._call.cancel();
    this._failPendingWrite(err || new SocketError(`pipe ${this.handle}: destroyed`,
                                                  { code: 'CANCELLED', handle: this.handle }));
    callback(err);
  }
}

module.exports = { PipeStream, WRITE_CHUNK_BYTES };
