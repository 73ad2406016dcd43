import http from 'node:http'
import type net from 'node:net'
import type { Express } from 'express'

/**
 * The HTTP server for the app, whose requests and responses are made with the app's own
 * prototypes (`app.request`, `app.response`) from the start.
 *
 * Why: Express gives every request and response those prototypes as it receives them
 * (`Object.setPrototypeOf` in `app.handle`). Changing an object's prototype after it is made is
 * costly in V8, and more than it looks: measured on this machine, a bare Express app kept about
 * 7 kB of every request alive past the young generation's collections, so the old generation
 * filled and was marked and compacted about twice a second under load; with the objects made
 * with Express's prototypes, `app.handle` finds them already set (a no-op), nothing is kept and
 * no full collection ran. (Known upstream: expressjs/express#5998, nodejs/node#37457.)
 *
 * Node builds each request and response with the classes given here; they are Node's own,
 * called on an object whose prototype is the app's, which inherits from Node's.
 */
export function createHttpServer(app: Express): http.Server {
  function AppRequest(this: http.IncomingMessage, socket: net.Socket) {
    Reflect.apply(http.IncomingMessage, this, [socket])
  }
  AppRequest.prototype = app.request
  function AppResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: object) {
    Reflect.apply(http.ServerResponse, this, [req, options])
  }
  AppResponse.prototype = app.response
  return http.createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
    },
    app,
  )
}
