'use strict';
// The README's examples run as written, against a socketd of the test's.

const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { promisify } = require('node:util');
const { startSocketd } = require('./helpers');

const run = promisify(execFile);
const EXAMPLES = path.join(__dirname, '..', 'examples');

describe('examples', { timeout: 60000 }, () => {
  let socketd;
  let env;

  before(async () => {
    socketd = await startSocketd();
    env = { ...process.env, SOCKETD_ADDRESS: socketd.address };
  });

  after(async () => {
    await socketd.stop();
  });

  it('quickstart.js', async () => {
    const { stdout } = await run(process.execPath, [path.join(EXAMPLES, 'quickstart.js')],
                                 { env, timeout: 30000 });
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^connected: s1\.[0-9a-f]{32}$/);
    assert.deepEqual(lines.slice(1), [
      'recv: hello through socketd',
      'pipe: streamed through Pipe',
      'closed: released=true',
      'error: CONNECTION_REFUSED ECONNREFUSED (gRPC UNAVAILABLE)',
    ]);
  });

  it('http_hello.js answers curl and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(EXAMPLES, 'http_hello.js'), '0'],
                        { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const match = /listening on (http:\/\/\S+)\n/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const { stdout } = await run('curl', ['-s', '--noproxy', '*', '--max-time', '10',
                                            `${url}hello?name=you`]);
      assert.equal(stdout, 'hello you from /hello\n');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
