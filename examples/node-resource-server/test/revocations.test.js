import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'

import { REVOCATIONS_PATH, RevocationFeed, readAtMost } from '../revocations.js'

// feedServer serves a revocation feed over loopback as iamd does: an ETag,
// Cache-Control, and 304 on a matching If-None-Match.
async function feedServer(t) {
  const s = { status: 200, etag: '"r1"', cacheControl: 'public, max-age=30', feed: {}, fetches: 0, notModified: 0 }
  const server = http.createServer((req, res) => {
    assert.equal(req.url, REVOCATIONS_PATH)
    s.fetches++
    if (s.status !== 200) {
      res.writeHead(s.status).end()
      return
    }
    const headers = { etag: s.etag, 'cache-control': s.cacheControl }
    if (req.headers['if-none-match'] === s.etag) {
      s.notModified++
      res.writeHead(304, headers).end()
      return
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/json' })
    res.end(JSON.stringify({ issuer: s.issuer, tokens: [], cutoffs: [], ...s.feed }))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  s.issuer = `http://127.0.0.1:${server.address().port}`
  s.close = () => new Promise((resolve) => server.close(resolve))
  return s
}

test('the feed revokes by jti and by cutoffs on an account or a key', async (t) => {
  const s = await feedServer(t)
  s.feed = {
    tokens: [{ jti: 'gone', exp: 2e9 }],
    cutoffs: [
      { acct: 'a1', issued_before: 1000, exp: 2e9 },
      { acct: 'a2', key: 'k1', issued_before: 1000, exp: 2e9 },
    ],
  }
  const feed = new RevocationFeed(s.issuer)
  await feed.poll()
  for (const [payload, want] of [
    [{ jti: 'gone', acct: 'x', iat: 5000 }, true],
    [{ jti: 'kept', acct: 'x', iat: 5 }, false],
    [{ jti: 'j', acct: 'a1', key: 'k9', iat: 999 }, true],
    [{ jti: 'j', acct: 'a1', key: 'k9', iat: 1000 }, false],
    [{ jti: 'j', acct: 'a2', key: 'k1', iat: 999 }, true],
    [{ jti: 'j', acct: 'a2', key: 'k2', iat: 999 }, false],
  ]) {
    assert.equal(feed.revoked(payload), want, JSON.stringify(payload))
  }
})

test('an unchanged feed is revalidated with its ETag, a changed one read again', async (t) => {
  const s = await feedServer(t)
  s.feed = { tokens: [{ jti: 'a', exp: 2e9 }] }
  const feed = new RevocationFeed(s.issuer)
  await feed.poll()
  await feed.poll()
  await feed.poll()
  assert.deepEqual([s.fetches, s.notModified, feed.revoked({ jti: 'a' })], [3, 2, true])
  s.feed = { tokens: [{ jti: 'b', exp: 2e9 }] }
  s.etag = '"r2"'
  await feed.poll()
  assert.deepEqual([feed.revoked({ jti: 'a' }), feed.revoked({ jti: 'b' })], [false, true])
})

test('polls follow max-age between minAge and maxAge', async (t) => {
  const s = await feedServer(t)
  for (const [header, want] of [
    ['public, max-age=30', 30_000],
    ['max-age=86400', 120_000],
    ['max-age=1', 10_000],
    ['no-cache', 10_000],
    ['', 120_000],
  ]) {
    s.cacheControl = header
    s.etag = `"${header}"`
    const feed = new RevocationFeed(s.issuer, { minAge: 10_000, maxAge: 120_000 })
    await feed.poll()
    assert.equal(feed.nextPollIn, want, header)
    // A 304 with another max-age replaces it.
    s.cacheControl = 'max-age=20'
    await feed.poll()
    assert.equal(feed.nextPollIn, 20_000, `${header}, then a 304`)
  }
})

test('the last good list is kept when iamd fails or is unreachable', async (t) => {
  const s = await feedServer(t)
  s.feed = { tokens: [{ jti: 'a', exp: 2e9 }] }
  const feed = new RevocationFeed(s.issuer)
  await feed.poll()
  s.status = 503
  await assert.rejects(feed.poll(), /503/)
  s.status = 200
  s.etag = '"other"'
  s.feed = { issuer: 'https://evil.test', tokens: [] }
  await assert.rejects(feed.poll(), /names issuer/)
  await s.close()
  await assert.rejects(feed.poll())
  assert.equal(feed.revoked({ jti: 'a' }), true)
})

test('start polls until stop and reports failures', async (t) => {
  const s = await feedServer(t)
  s.cacheControl = 'no-cache'
  const errors = []
  const feed = new RevocationFeed(s.issuer, { minAge: 10, maxAge: 20, onError: (err) => errors.push(err) })
  await feed.start()
  t.after(() => feed.stop())
  s.feed = { tokens: [{ jti: 'late', exp: 2e9 }] }
  s.etag = '"r2"'
  const until = async (what, cond) => {
    for (const deadline = Date.now() + 10_000; !cond(); await new Promise((r) => setTimeout(r, 5))) {
      assert.ok(Date.now() < deadline, `${what} within 10 s`)
    }
  }
  await until('learning a new revocation', () => feed.revoked({ jti: 'late' }))
  await until('polling with the ETag', () => s.notModified >= 2)
  s.status = 500
  await until('reporting failed polls', () => errors.length >= 2)
  assert.equal(feed.revoked({ jti: 'late' }), true)
})

test('a feed body is refused as soon as it passes the size limit', async () => {
  const body = () => new ReadableStream({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(100)))
      c.close()
    },
  })
  await assert.rejects(readAtMost(new Response(body()), 999), /larger than 999 bytes/)
  assert.equal(await readAtMost(new Response(body()), 1000), 'x'.repeat(1000))
})
