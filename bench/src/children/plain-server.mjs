// Case 4's server: node:http with keep-alive and a fixed small JSON answer, so the client's cost
// is what differs. It counts the requests that carried a bearer token, so the harness can check
// @baton/fetch really sent one.
import { createServer } from 'node:http'
import { serve } from '../lib/child.mjs'

const body = JSON.stringify({ ok: true, items: [1, 2, 3] })
let withToken = 0
const server = createServer((req, res) => {
  if (req.headers.authorization?.startsWith('Bearer ')) withToken++
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
})
server.keepAliveTimeout = 60_000
await new Promise((resolve) =>
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
)
serve(
  {
    withToken: () => {
      const count = withToken
      withToken = 0
      return count
    },
  },
  { port: server.address().port },
)
