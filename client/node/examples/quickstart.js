'use strict';
// socketd holds a TCP socket for us: connect, send, recv, the same socket
// as a Node stream, and an error. Start socketd first (./run), then:
//   node client/node/examples/quickstart.js
// SOCKETD_ADDRESS overrides socketd's address (default 127.0.0.1:50051).

const net = require('node:net');
const { once } = require('node:events');
const { SocketClient, SocketError } = require('..');

async function main() {
  // A peer to talk to: an echo server on loopback.
  const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');

  const client = new SocketClient(process.env.SOCKETD_ADDRESS || '127.0.0.1:50051');
  const sock = await client.connect('127.0.0.1', echo.address().port, { timeoutMs: 5000 });
  console.log(`connected: ${sock.handle}`);

  await sock.send('hello through socketd\n');
  const reply = await sock.recv({ timeoutMs: 5000 });
  console.log(`recv: ${reply.toString().trim()}`);

  // The same socket as a stream.Duplex (Pipe RPC): end() sends FIN, the
  // echo server answers and closes, the loop ends at its EOF.
  const stream = sock.duplex();
  stream.end('streamed through Pipe\n');
  for await (const chunk of stream) console.log(`pipe: ${chunk.toString().trim()}`);
  const { released } = await sock.close();
  console.log(`closed: released=${released}`);

  try {
    await client.connect('127.0.0.1', 1, { timeoutMs: 2000 });
  } catch (err) {
    if (!(err instanceof SocketError)) throw err;
    console.log(`error: ${err.code} ${err.errno} (gRPC ${err.grpcCodeName})`);
  }
  client.close();
  echo.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
