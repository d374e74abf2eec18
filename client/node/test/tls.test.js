'use strict';
// TLS: socketd connects to `openssl s_server` with a certificate made by the
// openssl CLI for this test; and the gRPC channel itself over TLS.

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { SocketClient } = require('..');
const { makeCertificate, startOpensslServer, startSocketd, tempDir } = require('./helpers');

// Reads until `sock` has returned a line (or EOF).
async function readLine(sock) {
  const chunks = [];
  for (;;) {
    const chunk = await sock.recv({ timeoutMs: 5000 });
    if (chunk.length === 0) break;
    chunks.push(chunk);
    if (chunk.includes(0x0a)) break;
  }
  return Buffer.concat(chunks).toString();
}

describe('TLS connect', { timeout: 60000 }, () => {
  let cert;
  let sServer;
  let socketd;
  let client;

  before(async () => {
    cert = makeCertificate(tempDir('tls-'));
    sServer = await startOpensslServer(cert);
    socketd = await startSocketd();
    client = new SocketClient(socketd.address);
  });

  after(async () => {
    client.close();
    await socketd.stop();
    await sServer.stop();
  });

  it('verifies s_server against caPem and talks through TLS', async () => {
    const sock = await client.connect('127.0.0.1', sServer.port, {
      timeoutMs: 10000,
      tls: { caPem: cert.certPem },
    });
    assert.equal(sock.tls.verified, true);
    assert.match(sock.tls.version, /^TLSv1\.[23]$/);
    assert.equal(sock.tls.peerSubject, 'CN=localhost');
    assert.ok(sock.tls.peerSans.includes('IP:127.0.0.1'));

    await sock.send('hello over tls\n');
    assert.equal(await readLine(sock), 'slt revo olleh\n');  // s_server -rev
    const info = await sock.info();
    assert.equal(info.tls.verified, true);
    await sock.close('complete', { timeoutMs: 2000 });
  });

  it('refuses a certificate it cannot verify: CERT_VERIFY_FAILED', async () => {
    await assert.rejects(
        client.connect('127.0.0.1', sServer.port, { timeoutMs: 10000, tls: true }),
        (err) => {
          assert.equal(err.code, 'CERT_VERIFY_FAILED');
          assert.equal(err.grpcCodeName, 'FAILED_PRECONDITION');
          assert.match(err.message, /self.signed|unable to get local issuer/);
          return true;
        });
  });

  it('skipVerify encrypts without checking', async () => {
    const sock = await client.connect('127.0.0.1', sServer.port, {
      timeoutMs: 10000,
      tls: { skipVerify: true, minVersion: '1.3' },
    });
    assert.equal(sock.tls.verified, false);
    assert.equal(sock.tls.version, 'TLSv1.3');
    await sock.send('abc\n');
    assert.equal(await readLine(sock), 'cba\n');
    await sock.close('abort');
  });
});

describe('gRPC channel over TLS', { timeout: 60000 }, () => {
  let cert;
  let socketd;

  before(async () => {
    cert = makeCertificate(tempDir('grpc-tls-'));
    socketd = await startSocketd([`--tls_cert=${cert.certPath}`, `--tls_key=${cert.keyPath}`]);
  });

  after(async () => {
    await socketd.stop();
  });

  it('reaches socketd with caPem; a plaintext client does not', async () => {
    const secure = new SocketClient(socketd.address, { tls: { caPem: cert.certPem } });
    const plain = new SocketClient(socketd.address);
    try {
      const answer = await secure.resolve('127.0.0.1');
      assert.ok(Array.isArray(answer.names));
      await assert.rejects(plain.resolve('127.0.0.1', { deadlineMs: 3000 }),
                           { grpcCodeName: 'UNAVAILABLE' });
    } finally {
      secure.close();
      plain.close();
    }
  });
});
