'use strict';
// Error mapping: socketd's gRPC code plus the ErrorDetail from the
// grpc-status-details-bin trailer, as SocketError fields.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { SocketClient, SocketError } = require('..');
const { closedPort, eventually, startPeer, startSocketd, tempDir } = require('./helpers');

const UNAVAILABLE = 14;
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const CANCELLED = 1;
const UNAUTHENTICATED = 16;

describe('SocketError', { timeout: 60000 }, () => {
  let socketd;
  let client;

  before(async () => {
    socketd = await startSocketd();
    client = new SocketClient(socketd.address);
  });

  after(async () => {
    client.close();
    await socketd.stop();
  });

  it('connect to a closed loopback port: CONNECTION_REFUSED, ECONNREFUSED', async () => {
    const port = await closedPort();
    await assert.rejects(client.connect('127.0.0.1', port, { timeoutMs: 5000 }), (err) => {
      assert.ok(err instanceof SocketError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'SocketError');
      assert.equal(err.code, 'CONNECTION_REFUSED');
      assert.equal(err.socketError, 'SOCKET_ERROR_CONNECTION_REFUSED');
      assert.equal(err.errno, 'ECONNREFUSED');
      assert.equal(err.osErrno, 111);
      assert.equal(err.grpcCode, UNAVAILABLE);
      assert.equal(err.grpcCodeName, 'UNAVAILABLE');
      assert.match(err.message, new RegExp(`^connect 127\\.0\\.0\\.1:${port}: `));
      return true;
    });
  });

  it('a handle that does not exist: INVALID_HANDLE, NOT_FOUND', async () => {
    for (const handle of ['s1.0123456789abcdef0123456789abcdef', 'bogus']) {
      const sock = client.socket(handle);
      for (const call of [() => sock.send('x'), () => sock.recv({ timeoutMs: 0 }),
                          () => sock.info(), () => sock.close('abort')]) {
        await assert.rejects(call(), (err) => {
          assert.ok(err instanceof SocketError);
          assert.equal(err.code, 'INVALID_HANDLE');
          assert.equal(err.grpcCode, NOT_FOUND);
          assert.equal(err.errno, '');
          assert.equal(err.handle, handle);
          return true;
        });
      }
    }
  });

  it('a bad request field: INVALID_REQUEST, INVALID_ARGUMENT', async () => {
    // A connect cannot finish without waiting: timeout 0 is refused.
    const port = await closedPort();
    await assert.rejects(client.connect('127.0.0.1', port, { timeoutMs: 0 }),
                         { code: 'INVALID_REQUEST', grpcCode: INVALID_ARGUMENT });
    await assert.rejects(client.connect('127.0.0.1', 1, { timeoutMs: -2 }), TypeError);
  });

  it('a peer that resets: CONNECTION_RESET, ECONNRESET, and it sticks', async () => {
    const peer = await startPeer();
    try {
      const sock = await client.connect('127.0.0.1', peer.port);
      const accepted = await peer.accepted();
      accepted.socket.resetAndDestroy();
      const check = (err) => {
        assert.equal(err.code, 'CONNECTION_RESET');
        assert.equal(err.errno, 'ECONNRESET');
        assert.equal(err.grpcCode, UNAVAILABLE);
        return true;
      };
      await assert.rejects(sock.recv({ timeoutMs: 5000 }), check);
      await assert.rejects(sock.send('x'), check);
      const info = await sock.info();
      assert.equal(info.state, 'SOCKET_STATE_BROKEN');
      assert.equal(info.lastError, 'SOCKET_ERROR_CONNECTION_RESET');
      await sock.close('discard');
    } finally {
      await peer.close();
    }
  });

  it('an AbortSignal cancels a pending recv: CANCELLED, and no byte is lost', async () => {
    const peer = await startPeer();
    try {
      const sock = await client.connect('127.0.0.1', peer.port);
      const accepted = await peer.accepted();
      const controller = new AbortController();
      const pending = sock.recv({ timeoutMs: 30000, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(pending, { code: 'CANCELLED', grpcCode: CANCELLED });
      await eventually(async () => (await sock.info()).pendingReceives === 0,
                       'socketd to drop the cancelled receive');
      accepted.socket.write('still here');
      assert.equal((await sock.recv({ minBytes: 10, timeoutMs: 5000 })).toString(), 'still here');
      await sock.close('abort');
    } finally {
      await peer.close();
    }
  });

  it('socketd not reachable: UNAVAILABLE without a socket error', async () => {
    const nobody = new SocketClient(`127.0.0.1:${await closedPort()}`);
    try {
      await assert.rejects(nobody.connect('127.0.0.1', 1, { timeoutMs: 1000 }), (err) => {
        assert.ok(err instanceof SocketError);
        assert.equal(err.grpcCode, UNAVAILABLE);
        assert.equal(err.code, 'UNSPECIFIED');
        return true;
      });
    } finally {
      nobody.close();
    }
  });
});

describe('bearer tokens', { timeout: 60000 }, () => {
  const TOKEN = 'node-client-test-token-0123456789';
  let socketd;

  before(async () => {
    const dir = tempDir('tokens-');
    const file = path.join(dir, 'tokens');
    fs.writeFileSync(file, `${TOKEN} nodetest\n`, { mode: 0o600 });
    socketd = await startSocketd([`--tokens_file=${file}`]);
  });

  after(async () => {
    await socketd.stop();
  });

  it('no token: UNAUTHENTICATED; the right token: served', async () => {
    const port = await closedPort();
    const anonymous = new SocketClient(socketd.address);
    const wrong = new SocketClient(socketd.address, { token: `${TOKEN}-not` });
    const right = new SocketClient(socketd.address, { token: TOKEN });
    try {
      for (const c of [anonymous, wrong]) {
        await assert.rejects(c.connect('127.0.0.1', port, { timeoutMs: 2000 }),
                             { code: 'UNAUTHENTICATED', grpcCode: UNAUTHENTICATED });
      }
      // Authenticated: the call reaches the socket layer.
      await assert.rejects(right.connect('127.0.0.1', port, { timeoutMs: 2000 }),
                           { code: 'CONNECTION_REFUSED' });
    } finally {
      anonymous.close();
      wrong.close();
      right.close();
    }
  });
});
