'use strict';
// An HTTP server held by socketd, answered from Node: socketd listens and
// parses, this loop answers. Start socketd first (./run), then:
//   node client/node/examples/http_hello.js 8080 &
//   curl http://127.0.0.1:8080/hello?name=you
// Ctrl-C stops it (ServerDelete). SOCKETD_ADDRESS as in quickstart.js.

const { SocketClient } = require('..');

async function main() {
  const client = new SocketClient(process.env.SOCKETD_ADDRESS || '127.0.0.1:50051');
  const server = await client.createHttpServer({ port: Number(process.argv[2] || 0) });
  console.log(`listening on http://${server.address}:${server.port}/`);
  process.once('SIGINT', () => server.close());
  process.once('SIGTERM', () => server.close());
  await server.serve(async (req) => ({
    status: 200,
    headers: { 'Content-Type': 'text/plain' },
    body: `hello ${new URLSearchParams(req.query).get('name') || 'world'} from ${req.path}\n`,
  }));
  client.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
