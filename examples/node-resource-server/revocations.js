// A poller of iamd's revocation feed (resource.Revocations in the iamd
// repository): {"issuer", "tokens": [{"jti", "exp"}], "cutoffs": [{"acct",
// "key"?, "issued_before", "exp"}]}. It polls with If-None-Match, so that an
// unchanged feed costs a 304, as often as the feed's Cache-Control max-age
// says, kept between minAge and maxAge, and keeps its last good list while
// iamd is unreachable or answers an error.

export const REVOCATIONS_PATH = '/oauth2/revocations'

const MAX_FEED_BYTES = 16 << 20

export class RevocationFeed {
  #url
  #issuer
  #minAge
  #maxAge
  #onError
  #etag = ''
  #tokens = new Set()
  /** @type {Map<string, Array<{key?: string, issued_before: number}>>} */
  #cutoffs = new Map()
  #timer = undefined
  #nextWait

  /**
   * @param {string} issuer the issuer the feed must name, whose feed is at
   *   issuer + REVOCATIONS_PATH
   * @param {{minAge?: number, maxAge?: number, onError?: (err: Error) => void}} options
   *   minAge and maxAge in milliseconds (5 s and 60 s by default)
   */
  constructor(issuer, { minAge = 5_000, maxAge = 60_000, onError = () => {} } = {}) {
    this.#issuer = issuer
    this.#url = issuer.replace(/\/+$/, '') + REVOCATIONS_PATH
    this.#maxAge = maxAge
    this.#minAge = Math.min(minAge, maxAge)
    this.#onError = onError
    this.#nextWait = this.#maxAge
  }

  /** poll fetches the feed now; it throws if that fails, keeping the last good list. */
  async poll() {
    const headers = { accept: 'application/json' }
    if (this.#etag) {
      headers['if-none-match'] = this.#etag
    }
    const resp = await fetch(this.#url, { headers, signal: AbortSignal.timeout(10_000) })
    if (resp.status === 304 && this.#etag) {
      if (resp.headers.get('cache-control')) {
        this.#nextWait = this.#age(resp.headers.get('cache-control'))
      }
      this.#etag = resp.headers.get('etag') || this.#etag
      return
    }
    if (resp.status !== 200) {
      await resp.body?.cancel()
      throw new Error(`revocation feed: GET ${this.#url}: ${resp.status}`)
    }
    const feed = JSON.parse(await readAtMost(resp, MAX_FEED_BYTES))
    if (feed.issuer !== this.#issuer) {
      throw new Error(`revocation feed: names issuer ${JSON.stringify(feed.issuer)}, not ${JSON.stringify(this.#issuer)}`)
    }
    const tokens = new Set()
    for (const t of feed.tokens ?? []) {
      tokens.add(t.jti)
    }
    const cutoffs = new Map()
    for (const c of feed.cutoffs ?? []) {
      cutoffs.set(c.acct, [...(cutoffs.get(c.acct) ?? []), c])
    }
    this.#tokens = tokens
    this.#cutoffs = cutoffs
    this.#etag = resp.headers.get('etag') || ''
    this.#nextWait = this.#age(resp.headers.get('cache-control'))
  }

  /** start polls the feed until stop, after a first poll that must succeed. */
  async start() {
    await this.poll()
    const loop = () => {
      this.#timer = setTimeout(async () => {
        try {
          await this.poll()
        } catch (err) {
          this.#onError(err)
          this.#nextWait = this.#minAge
        }
        if (this.#timer !== undefined) {
          loop()
        }
      }, this.#nextWait)
      this.#timer.unref()
    }
    loop()
  }

  /** nextPollIn is how long start waits before its next poll, in milliseconds. */
  get nextPollIn() {
    return this.#nextWait
  }

  stop() {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /**
   * revoked reports whether the feed revokes the token with payload: by its
   * jti, or by a cutoff of its account (and key) after its iat.
   */
  revoked(payload) {
    if (this.#tokens.has(payload.jti)) {
      return true
    }
    return (this.#cutoffs.get(payload.acct) ?? []).some(
      (c) => (!c.key || c.key === payload.key) && payload.iat < c.issued_before,
    )
  }

  // #age is how long to wait before the next poll: the max-age of
  // cacheControl between minAge and maxAge, minAge for no-cache or
  // no-store, maxAge without either.
  #age(cacheControl) {
    let age
    for (const d of (cacheControl ?? '').split(',')) {
      const [name, arg] = d.trim().split('=')
      switch (name.toLowerCase()) {
        case 'no-cache':
        case 'no-store':
          return this.#minAge
        case 'max-age':
          if (/^\d+$/.test(arg ?? '')) {
            age = Number(arg) * 1000
          }
      }
    }
    return age === undefined ? this.#maxAge : Math.min(Math.max(age, this.#minAge), this.#maxAge)
  }
}

/**
 * readAtMost reads a response body as text, refusing it as soon as it
 * passes max bytes, so that an oversized feed is never held whole.
 * @param {Response} resp
 * @param {number} max
 */
export async function readAtMost(resp, max) {
  const chunks = []
  let size = 0
  for await (const chunk of resp.body ?? []) {
    size += chunk.length
    if (size > max) {
      await resp.body.cancel().catch(() => {})
      throw new Error(`revocation feed: larger than ${max} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
