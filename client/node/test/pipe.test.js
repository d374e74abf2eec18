'use strict';
// sock.duplex(): a Node stream.Duplex over the Pipe RPC, against real Node
// net peers on loopback: byte-exact bulk transfers with pipeline() and
// .pipe(), backpressure both ways, half-close, errors, cancellation.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { describe, it, before, after } = require('node:test');
const { SocketClient, SocketError, PipeStream } = require('..');
const { eventually, sleep, startPeer, startSocketd, tempDir } = require('./helpers');

const MiB = 1024 * 1024;

// `total` random bytes in chunks of varied sizes (1 byte to 300 KiB), and
// the SHA-256 of all of them.
function randomSource(total) {
  const hash = crypto.createHash('sha256');
  const chunks = [];
  for (let left = total; left > 0;) {
    const size = Math.min(left, 1 + crypto.randomInt(300 * 1024));
    const chunk = crypto.randomBytes(size);
    hash.update(chunk);
    chunks.push(chunk);
    left -= size;
  }
  return { chunks, digest: hash.digest('hex') };
}

// A Writable that hashes and counts what it is given.
function hashingSink() {
  const hash = crypto.createHash('sha256');
  const sink = new Writable({
    write(chunk, encoding, callback) {
      hash.update(chunk);
      sink.bytes += chunk.length;
      callback();
    },
  });
  sink.bytes = 0;
  sink.digest = () => hash.digest('hex');
  return sink;
}

// A peer that writes `total` bytes as fast as the kernel takes them; counts
// in `written` what the kernel accepted (write callbacks run).
async function startFirehose(total) {
  const state = { written: 0, done: null };
  // Half-open: our FIN must not end the peer's writing.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    state.done = (async () => {
      const block = Buffer.alloc(256 * 1024, 0x5a);
      for (let sent = 0; sent < total; sent += block.length) {
        const ok = socket.write(block, () => { state.written += block.length; });
        if (!ok) await new Promise((resolve) => socket.once('drain', resolve));
      }
      socket.end();
    })();
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = server.address().port;
  state.close = () => new Promise((resolve) => server.close(resolve));
  return state;
}

describe('PipeStream (sock.duplex())', { timeout: 120000 }, () => {
  let socketd;
  let client;
  let echo;
  let sink;

  before(async () => {
    socketd = await startSocketd();
    client = new SocketClient(socketd.address);
    echo = await startPeer({ echo: true });
    sink = await startPeer({ halfOpen: true });
  });

  after(async () => {
    client.close();
    await echo.close();
    await sink.close();
    await socketd.stop();
  });

  it('pipeline(): 8 MiB through an echo peer, byte-exact', async (t) => {
    const sock = await client.connect('127.0.0.1', echo.port);
    const { chunks, digest } = randomSource(8 * MiB);
    const duplex = sock.duplex();
    assert.ok(duplex instanceof PipeStream);
    const out = hashingSink();
    const started = Date.now();
    await pipeline(Readable.from(chunks), duplex, out);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(out.bytes, 8 * MiB);
    assert.equal(out.digest(), digest);
    assert.equal(duplex.bytesWritten, 8 * MiB);
    assert.equal(duplex.bytesRead, 8 * MiB);
    t.diagnostic(`8 MiB echoed through Pipe in ${seconds.toFixed(2)} s`);
    // end() sent FIN (half_close_on_end), the echo peer answered with EOF.
    const info = await sock.info();
    assert.equal(info.state, 'SOCKET_STATE_BOTH_CLOSED');
    assert.equal(info.piped, false);
    assert.equal((await sock.close()).released, true);
  });

  it('.pipe(): a file through the socket into another file', async () => {
    const dir = tempDir('pipe-');
    const input = path.join(dir, 'in.bin');
    const output = path.join(dir, 'out.bin');
    fs.writeFileSync(input, crypto.randomBytes(3 * MiB + 17));
    const sock = await client.connect('127.0.0.1', echo.port);
    const written = fs.createWriteStream(output);
    fs.createReadStream(input).pipe(sock.duplex()).pipe(written);
    await new Promise((resolve, reject) => {
      written.on('finish', resolve);
      written.on('error', reject);
    });
    assert.ok(fs.readFileSync(output).equals(fs.readFileSync(input)));
    await sock.close();
  });

  it('reading backpressure: a reader that stops stops the peer', async (t) => {
    const total = 64 * MiB;
    const firehose = await startFirehose(total);
    try {
      const sock = await client.connect('127.0.0.1', firehose.port);
      const duplex = sock.duplex();
      duplex.end();  // Nothing to send; reading goes on.
      await sleep(1000);  // Not reading.
      const stalledAt = firehose.written;
      assert.ok(stalledAt < total, `peer wrote all ${total} bytes to nobody reading`);
      assert.ok(duplex.readableLength <= MiB, `buffered ${duplex.readableLength}`);
      const out = hashingSink();
      await pipeline(duplex, out);
      assert.equal(out.bytes, total);
      await firehose.done;
      t.diagnostic(`peer stalled at ${(stalledAt / MiB).toFixed(1)} MiB while nobody read`);
      await sock.close();
    } finally {
      await firehose.close();
    }
  });

  it('writing backpressure: a peer that does not read stops the writer', async (t) => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    peer.socket.pause();
    const total = 64 * MiB;
    const block = crypto.randomBytes(MiB);
    let completed = 0;
    const duplex = sock.duplex();
    const writing = (async () => {
      for (let sent = 0; sent < total; sent += block.length) {
        const ok = duplex.write(block, () => { completed += block.length; });
        if (!ok) await new Promise((resolve) => duplex.once('drain', resolve));
      }
      duplex.end();
    })();
    await sleep(1000);
    assert.ok(completed < total, `all ${total} bytes written to a peer that does not read`);
    const stalledAt = completed;
    peer.socket.resume();
    await writing;
    await eventually(() => peer.ended, 'the peer to see FIN', 60000);
    assert.equal(peer.data().length, total);
    assert.ok(peer.data().subarray(0, MiB).equals(block));
    t.diagnostic(`writer stalled at ${(stalledAt / MiB).toFixed(1)} MiB`);
    duplex.destroy();
    await sock.close('abort');
  });

  it('halfCloseOnEnd false: no FIN; destroy() leaves the socket to unary calls', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    const duplex = sock.duplex({ halfCloseOnEnd: false });
    const got = [];
    duplex.on('data', (chunk) => got.push(chunk));
    await new Promise((resolve) => duplex.end('via pipe', resolve));
    await eventually(() => peer.data().length === 8, 'the peer to read');
    peer.socket.write('to the pipe');
    await eventually(() => Buffer.concat(got).length === 11, 'the pipe to read');
    assert.equal(Buffer.concat(got).toString(), 'to the pipe');
    assert.equal(peer.ended, false, 'no FIN without halfCloseOnEnd');
    assert.equal((await sock.info()).piped, true);

    duplex.destroy();
    await eventually(async () => !(await sock.info()).piped, 'the pipe to detach');
    await sock.send(' and unary');
    peer.socket.write('unary again');
    assert.equal((await sock.recv({ minBytes: 11, timeoutMs: 5000 })).toString(), 'unary again');
    await eventually(() => peer.data().toString() === 'via pipe and unary', 'the peer to read');
    assert.equal((await sock.info()).state, 'SOCKET_STATE_OPEN');
    await sock.close('abort');
  });

  it('the peer closing ends reading; a later write fails NOT_CONNECTED', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    const duplex = sock.duplex();
    const errors = [];
    duplex.on('error', (err) => errors.push(err));
    peer.socket.end('goodbye');
    const got = [];
    duplex.on('data', (chunk) => got.push(chunk));
    await new Promise((resolve) => duplex.once('end', resolve));
    assert.equal(Buffer.concat(got).toString(), 'goodbye');
    await new Promise((resolve) => duplex.write('too late', (err) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, 'NOT_CONNECTED');
      resolve();
    }));
    assert.equal(errors.length, 1);
    // The socket is still there for unary calls.
    assert.equal((await sock.info()).state, 'SOCKET_STATE_PEER_CLOSED');
    await sock.close('abort');
  });

  it('the peer closing while writes wait: they fail, bytesWritten is exact', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    peer.socket.pause();
    const duplex = sock.duplex();
    const block = crypto.randomBytes(MiB);
    let failed = null;
    const writing = (async () => {
      for (let i = 0; i < 64 && !failed; ++i) {
        const ok = duplex.write(block, (err) => { if (err) failed = err; });
        if (!ok) {
          await new Promise((resolve) => {
            const done = () => {
              duplex.off('drain', done);
              duplex.off('error', done);
              resolve();
            };
            duplex.on('drain', done);
            duplex.on('error', done);
          });
        }
      }
    })();
    duplex.on('data', () => {});
    duplex.on('error', () => {});
    await sleep(500);  // Writes are stalled by now (see above).
    peer.socket.end();  // FIN: the pipe ends, unwritten requests are dropped.
    await writing;
    assert.ok(failed instanceof SocketError, `no write failed: ${failed}`);
    assert.equal(failed.code, 'NOT_CONNECTED');
    assert.match(failed.message, /use send\(\) on the socket/);
    assert.ok(duplex.bytesWritten < 64 * MiB);
    assert.equal((await sock.info()).state, 'SOCKET_STATE_PEER_CLOSED');
    // What socketd reports written is exactly what reaches the peer.
    peer.socket.resume();
    await sock.close('complete', { timeoutMs: 5000 });
    await peer.done;
    assert.equal(peer.data().length, duplex.bytesWritten);
  });

  it('errors: unknown handle, second pipe, peer reset', async () => {
    const bogus = client.pipe('s1.0123456789abcdef0123456789abcdef');
    const [unknown] = await onceError(bogus);
    assert.equal(unknown.code, 'INVALID_HANDLE');
    assert.equal(unknown.grpcCodeName, 'NOT_FOUND');

    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    const first = sock.duplex();
    first.on('data', () => {});
    first.on('error', () => {});
    await eventually(async () => (await sock.info()).piped, 'the first pipe to attach');
    const [busy] = await onceError(sock.duplex());
    assert.equal(busy.code, 'HANDLE_BUSY');

    const reset = onceError(first);
    peer.socket.resetAndDestroy();
    const [err] = await reset;
    assert.equal(err.code, 'CONNECTION_RESET');
    assert.equal(err.errno, 'ECONNRESET');
    assert.equal(err.grpcCodeName, 'UNAVAILABLE');
    await sock.close('discard');
  });
});

// Resolves with [error] at the stream's first 'error' (reading it, so that
// a stream that ends without error is noticed as a failure).
function onceError(stream) {
  return new Promise((resolve, reject) => {
    stream.once('error', (err) => resolve([err]));
    stream.on('data', () => {});
    stream.once('end', () => reject(new Error('stream ended without an error')));
  });
}
