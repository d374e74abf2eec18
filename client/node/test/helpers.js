'use strict';
// Real parts for the tests: socketd as a child process on a free loopback
// port, a Node net peer on loopback, a throwaway certificate made by the
// openssl CLI and `openssl s_server`. Everything binds 127.0.0.1 only.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');

// Resolves when `regex` matches the text `child` printed on `stream`
// (kept in holder.text), rejects if it exits first or after `ms`.
function waitForOutput(child, holder, regex, what, ms = 20000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = regex.exec(holder.text);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`${what} exited (${code}) before it was ready:\n${holder.text}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} not ready after ${ms} ms:\n${holder.text}`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      holder.listeners.delete(check);
      child.off('exit', onExit);
    };
    holder.listeners.add(check);
    child.once('exit', onExit);
    check();
  });
}

// Collects what `stream` prints into holder.text (always read, so the child
// never blocks on a full pipe), at most the last 1 MiB.
function collect(stream) {
  const holder = { text: '', listeners: new Set() };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    holder.text = (holder.text + chunk).slice(-(1 << 20));
    for (const listener of holder.listeners) listener();
  });
  return holder;
}

// Waits for `child` to exit; resolves {code, signal}.
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// socketd on 127.0.0.1:<free port>. SOCKETD names the binary (the Bazel
// test passes the one it built); by hand, bazel-bin/service/socketd.
async function startSocketd(args = []) {
  const binary = process.env.SOCKETD || path.join(REPO, 'bazel-bin', 'service', 'socketd');
  const child = spawn(binary, ['--listen=127.0.0.1:0', ...args],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collect(child.stderr);
  // "socketd: listening on 127.0.0.1:PORT" (the address ends the line; a
  // JSON log line would end it with a quote).
  const match = await waitForOutput(child, stderr, /listening on (127\.0\.0\.1:\d+)[^\d]/,
                                    'socketd');
  return {
    address: match[1],
    stderr,
    // SIGTERM drains and exits 0 (under ASan: 1 if it leaked).
    async stop() {
      child.kill('SIGTERM');
      const { code, signal } = await exited(child);
      if (code !== 0) {
        throw new Error(`socketd exited with ${code ?? signal}:\n${stderr.text.slice(-4000)}`);
      }
    },
  };
}

// A TCP peer on 127.0.0.1 that records every connection it accepts:
// {socket, chunks, data(), ended (FIN seen), error (code), closed}. With
// echo, it writes back what it reads. It answers FIN with FIN at once (a
// net.Socket without allowHalfOpen does that), unless halfOpen: then its
// sending side stays open until the test ends it.
async function startPeer({ echo = false, halfOpen = false } = {}) {
  const connections = [];
  const waiters = [];
  const server = net.createServer({ allowHalfOpen: halfOpen }, (socket) => {
    const record = {
      socket,
      chunks: [],
      ended: false,
      error: null,
      closed: false,
      data() { return Buffer.concat(this.chunks); },
    };
    record.done = new Promise((resolve) => socket.on('close', () => {
      record.closed = true;
      resolve(record);
    }));
    socket.on('data', (chunk) => record.chunks.push(chunk));
    socket.on('end', () => { record.ended = true; });
    socket.on('error', (err) => { record.error = err.code; });
    if (echo) socket.pipe(socket);
    connections.push(record);
    const waiter = waiters.shift();
    if (waiter) waiter(record);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  let taken = 0;
  return {
    port: server.address().port,
    connections,
    // The next accepted connection not yet handed out.
    accepted() {
      const index = taken++;
      if (index < connections.length) return Promise.resolve(connections[index]);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      for (const c of connections) c.socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// A loopback port nobody listens on (bound, then released).
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A temporary folder removed at exit.
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A self-signed certificate for 127.0.0.1 and localhost (P-256), made by
// the openssl CLI: {certPath, keyPath, certPem, keyPem}.
function makeCertificate(dir, cn = 'localhost') {
  const certPath = path.join(dir, `${cn}.crt`);
  const keyPath = path.join(dir, `${cn}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    certPath, keyPath,
    certPem: fs.readFileSync(certPath), keyPem: fs.readFileSync(keyPath),
  };
}

// `openssl s_server -rev` on 127.0.0.1:<free port>: answers every line
// reversed. Resolves {port, output, stop()}.
async function startOpensslServer({ certPath, keyPath }) {
  const child = spawn('stdbuf', [
    '-oL', 'openssl', 's_server', '-accept', '127.0.0.1:0',
    '-cert', certPath, '-key', keyPath, '-rev',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child.stdout);
  collect(child.stderr);
  const match = await waitForOutput(child, output, /ACCEPT \S+:(\d+)\r?\n/, 's_server');
  return {
    port: Number(match[1]),
    output,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

// Resolves after `ms`.
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `predicate` every 20 ms until it holds (or throws after `ms`).
async function eventually(predicate, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

module.exports = {
  REPO,
  closedPort,
  eventually,
  makeCertificate,
  sleep,
  startOpensslServer,
  startPeer,
  startSocketd,
  tempDir,
};
