'use strict';
// socketsvc Node.js client: sockets held by socketd, driven over gRPC.
// See README.md in this folder.

const { SocketClient, Listener, DEFAULT_ADDRESS } = require('./lib/client');
const { Socket } = require('./lib/socket');
const { PipeStream } = require('./lib/pipe_stream');
const { HttpServer, HttpRequest } = require('./lib/http_server');
const { SocketError } = require('./lib/errors');

module.exports = {
  DEFAULT_ADDRESS,
  HttpRequest,
  HttpServer,
  Listener,
  PipeStream,
  Socket,
  SocketClient,
  SocketError,
};
