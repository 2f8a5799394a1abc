// An example resource server that accepts iamd access tokens, with the
// jose package and node:http: GET /invoices?org=ORG answers to a token for
// its audience that allows billing.invoices:read in ORG, like
// examples/go-resource-server. Other requests get the RFC 6750 answers.
//
//   ISSUER=http://127.0.0.1:8080 AUDIENCE=https://billing.example.com node server.js
//
// ADDR is where to listen (127.0.0.1:8081 by default; port 0 picks one).
// With REVOCATIONS=1 it polls iamd's revocation feed and refuses the
// tokens revoked before they expire; REVOCATIONS_MAX_AGE bounds the time
// between polls, in seconds (60 by default).

import http from 'node:http'

import { createHandler, discover } from './handler.js'
import { RevocationFeed } from './revocations.js'

async function main() {
  const issuer = process.env.ISSUER
  if (!issuer) {
    throw new Error('ISSUER is required')
  }
  const audience = process.env.AUDIENCE || 'https://billing.example.com'
  const [host, port] = (process.env.ADDR || '127.0.0.1:8081').split(/:(?=\d+$)/)
  const md = await discover(issuer)
  let revoked
  if (process.env.REVOCATIONS === '1') {
    const feed = new RevocationFeed(issuer, {
      maxAge: Number(process.env.REVOCATIONS_MAX_AGE || 60) * 1000,
      onError: (err) => console.error(`polling the revocation feed: ${err.message} (the last good list stays in use)`),
    })
    await feed.start()
    revoked = (payload) => feed.revoked(payload)
  }
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 },
    createHandler({ issuer, jwksURI: md.jwks_uri, audience, revoked }))
  server.listen(Number(port), host, () => {
    const a = server.address()
    // In logfmt, as iamd logs it.
    console.error(`msg=listening addr=${a.address}:${a.port} issuer=${issuer}`)
  })
  const stop = () => server.close(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => {
  console.error(err.message)
  process.exit(1)
})
