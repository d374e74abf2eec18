'use strict';
// HttpServer: socketd listens and parses, this client answers through
// ServerReceive/ServerSend; curl is the HTTP client.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { describe, it, before, after } = require('node:test');
const { promisify } = require('node:util');
const { SocketClient } = require('..');
const { startSocketd } = require('./helpers');

const run = promisify(execFile);

// curl's answer: {status, headers (lower-case names), body}.
async function curl(args) {
  const { stdout } = await run('curl', [
    '--silent', '--show-error', '--max-time', '20', '--noproxy', '*', '--include', ...args,
  ], { maxBuffer: 1 << 24 });
  const split = stdout.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: stdout.slice(split + 4),
  };
}

describe('HttpServer', { timeout: 60000 }, () => {
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

  it('serve() answers three curl requests, then stops on close()', async () => {
    const server = await client.createHttpServer({ port: 0 });
    assert.match(server.id, /^h1\./);
    assert.equal(server.address, '127.0.0.1');
    const seen = [];
    const serving = server.serve(async (req) => {
      seen.push({
        method: req.method, path: req.path, query: req.query,
        agent: req.headers['user-agent'], body: req.body.toString(),
      });
      return {
        status: req.path === '/missing' ? 404 : 200,
        headers: { 'Content-Type': 'text/plain', 'X-Served-By': 'node' },
        body: `${req.method} ${req.path} ${req.body.length}\n`,
      };
    }, { concurrency: 2 });

    const base = `http://127.0.0.1:${server.port}`;
    const first = await curl([`${base}/hello?name=node`]);
    assert.equal(first.status, 200);
    assert.equal(first.body, 'GET /hello 0\n');
    assert.equal(first.headers['x-served-by'], 'node');
    assert.equal(first.headers['content-length'], '13');

    const second = await curl(['--data-binary', 'posted body', `${base}/submit`]);
    assert.equal(second.status, 200);
    assert.equal(second.body, 'POST /submit 11\n');

    const third = await curl([`${base}/missing`]);
    assert.equal(third.status, 404);

    assert.deepEqual(seen.map((s) => `${s.method} ${s.path} ${s.query}`),
                     ['GET /hello name=node', 'POST /submit ', 'GET /missing ']);
    assert.equal(seen[1].body, 'posted body');
    assert.match(seen[0].agent, /^curl\//);

    const info = await server.info();
    assert.equal(info.responsesSent, 3);
    await server.close();
    await serving;  // The loops end once the server is gone.
  });

  it('requests() iterates; a handler that throws answers 500', async () => {
    const server = await client.createHttpServer();
    const answered = (async () => {
      for await (const req of server.requests()) {
        await req.respond(201, { body: Buffer.from(`got ${req.uri}`), close: true });
        break;
      }
    })();
    const created = await curl([`http://127.0.0.1:${server.port}/a?b`]);
    await answered;
    assert.equal(created.status, 201);
    assert.equal(created.body, 'got /a?b');
    assert.equal(created.headers.connection, 'close');

    const errors = [];
    const serving = server.serve(() => {
      throw new Error('handler bug');
    }, { concurrency: 1, onError: (err) => errors.push(err.message) });
    const failed = await curl([`http://127.0.0.1:${server.port}/`]);
    assert.equal(failed.status, 500);
    assert.deepEqual(errors, ['handler bug']);
    assert.deepEqual(await server.close(), { rejectedRequests: 0 });
    await serving;
    await assert.rejects(server.info(), { code: 'INVALID_HANDLE' });
  });
});
