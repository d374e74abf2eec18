'use strict';
// Connect, send, recv and every close mode against a real socketd and a
// real Node net peer on loopback, as the peer (and its kernel) sees them.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { describe, it, before, after } = require('node:test');
const { SocketClient, SocketError } = require('..');
const { eventually, startPeer, startSocketd } = require('./helpers');

describe('Socket', { timeout: 60000 }, () => {
  let socketd;
  let client;
  let echo;
  let sink;
  let halfOpen;

  before(async () => {
    socketd = await startSocketd();
    client = new SocketClient(socketd.address);
    echo = await startPeer({ echo: true });
    sink = await startPeer();
    halfOpen = await startPeer({ halfOpen: true });
  });

  after(async () => {
    client.close();
    await echo.close();
    await sink.close();
    await halfOpen.close();
    await socketd.stop();
  });

  it('connects, sends and receives through an echo peer', async () => {
    const sock = await client.connect('127.0.0.1', echo.port, { timeoutMs: 5000 });
    assert.match(sock.handle, /^s1\.[0-9a-f]{32}$/);
    assert.equal(sock.remoteAddress, '127.0.0.1');
    assert.equal(sock.remotePort, echo.port);
    assert.equal(sock.localAddress, '127.0.0.1');

    const sent = await sock.send('hello, peer');
    assert.deepEqual(sent, { bytesSent: 11, timedOut: false, offset: 11 });
    const data = await sock.recv({ minBytes: 11, timeoutMs: 5000 });
    assert.equal(data.toString(), 'hello, peer');

    const info = await sock.info();
    assert.equal(info.state, 'SOCKET_STATE_OPEN');
    assert.equal(info.bytesSent, 11);
    assert.equal(info.bytesReceived, 11);
    assert.equal(info.remotePort, echo.port);
    await sock.close();
  });

  it('moves 1 MiB both ways at once with send and recv in flight together', async () => {
    const sock = await client.connect('127.0.0.1', echo.port);
    const payload = crypto.randomBytes(1 << 20);
    const received = [];
    let total = 0;
    const reader = (async () => {
      while (total < payload.length) {
        const chunk = await sock.recv({ maxBytes: 256 * 1024, timeoutMs: 10000 });
        assert.ok(chunk.length > 0, 'no early EOF');
        received.push(chunk);
        total += chunk.length;
      }
    })();
    for (let at = 0; at < payload.length; at += 100000) {
      await sock.send(payload.subarray(at, at + 100000));
    }
    await reader;
    assert.ok(Buffer.concat(received).equals(payload), 'bytes differ');
    await sock.close();
  });

  it('recv: a timeout with nothing rejects TIMED_OUT, receive() says timedOut', async () => {
    const sock = await client.connect('127.0.0.1', echo.port);
    await assert.rejects(sock.recv({ timeoutMs: 100 }), (err) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.code, 'TIMED_OUT');
      assert.equal(err.errno, 'ETIMEDOUT');
      return true;
    });
    const raw = await sock.receive({ timeoutMs: 0 });
    assert.equal(raw.timedOut, true);
    assert.equal(raw.eof, false);
    assert.equal(raw.data.length, 0);
    // Nothing was lost by the timeouts.
    await sock.send('after the timeout');
    assert.equal((await sock.recv({ minBytes: 17, timeoutMs: 5000 })).toString(),
                 'after the timeout');
    await sock.close();
  });

  it('close complete: the peer reads everything, then FIN; the handle is gone', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    await sock.send('last words');
    const closed = await sock.close('complete', { timeoutMs: 5000 });
    assert.equal(closed.released, true);
    assert.equal(closed.drainTimedOut, false);
    await peer.done;
    assert.equal(peer.data().toString(), 'last words');
    assert.equal(peer.ended, true, 'peer saw FIN');
    assert.equal(peer.error, null, 'no reset');
    await assert.rejects(sock.info(), { code: 'INVALID_HANDLE', grpcCode: 5 });
  });

  it('close partial: FIN to the peer, its reply still arrives, then EOF', async () => {
    const sock = await client.connect('127.0.0.1', halfOpen.port);
    const peer = await halfOpen.accepted();
    await sock.send('question');
    const half = await sock.close('partial');
    assert.equal(half.released, false);
    await eventually(() => peer.ended, 'the peer to see FIN');
    assert.equal((await sock.info()).state, 'SOCKET_STATE_HALF_CLOSED');

    peer.socket.end('answer after your FIN');
    const got = [];
    for (;;) {
      const chunk = await sock.recv({ timeoutMs: 5000 });
      if (chunk.length === 0) break;  // EOF
      got.push(chunk);
    }
    assert.equal(Buffer.concat(got).toString(), 'answer after your FIN');
    assert.equal((await sock.recv()).length, 0, 'EOF again');
    await assert.rejects(sock.send('too late'), (err) => {
      assert.equal(err.code, 'BROKEN_PIPE');
      assert.equal(err.grpcCodeName, 'FAILED_PRECONDITION');
      return true;
    });
    assert.equal((await sock.close()).released, true);
    await peer.done;
    assert.equal(peer.data().toString(), 'question');
  });

  it('close abort: the peer gets a reset (ECONNRESET)', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    await sock.send('x');
    await eventually(() => peer.chunks.length > 0, 'the peer to read');
    assert.equal((await sock.close('abort')).released, true);
    await peer.done;
    assert.equal(peer.error, 'ECONNRESET');
    assert.equal(peer.ended, false, 'no FIN before the reset');
  });

  it('close discard: released at once, the peer sees an orderly close', async () => {
    const sock = await client.connect('127.0.0.1', sink.port);
    const peer = await sink.accepted();
    await sock.send('bye');
    assert.equal((await sock.close('discard')).released, true);
    await peer.done;
    assert.equal(peer.data().toString(), 'bye');
    assert.equal(peer.ended, true);
    assert.equal(peer.error, null);
    await assert.rejects(sock.send('x'), { code: 'INVALID_HANDLE' });
  });

  it('close refuses an unknown mode before calling socketd', async () => {
    const sock = client.socket('s1.00000000000000000000000000000000');
    await assert.rejects(sock.close('gently'), TypeError);
  });

  it('listen and accept: a Node client connects to a socketd listener', async () => {
    const listener = await client.listen();
    assert.match(listener.handle, /^l1\./);
    assert.equal(await listener.accept({ timeoutMs: 0 }), null);
    const nodeSide = net.connect(listener.port, '127.0.0.1');
    const connected = new Promise((resolve) => nodeSide.once('connect', resolve));
    const chunks = [];
    nodeSide.on('data', (c) => chunks.push(c));
    const ended = new Promise((resolve) => nodeSide.once('end', resolve));
    const sock = await listener.accept({ timeoutMs: 5000 });
    await connected;
    assert.equal(sock.remotePort, nodeSide.localPort);
    nodeSide.write('from node');
    assert.equal((await sock.recv({ minBytes: 9, timeoutMs: 5000 })).toString(), 'from node');
    await sock.send('from socketd');
    await sock.close('complete', { timeoutMs: 100 });
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'from socketd');
    nodeSide.destroy();
    await listener.close();
  });
});
