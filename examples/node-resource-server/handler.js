// The example resource server's request handler: GET /invoices?org=ORG
// answers to a verified token for its audience that allows
// billing.invoices:read in ORG, and other requests get the RFC 6750
// answers.

import http from 'node:http'
import { createRemoteJWKSet, errors, jwtVerify } from 'jose'

import { allows } from './rights.js'

// The algorithms iamd signs with; a key's own alg must match the token's.
const ALGORITHMS = ['ES256', 'EdDSA', 'RS256']
const METADATA_PATH = '/.well-known/oauth-authorization-server'

/**
 * challenge answers status with a Bearer WWW-Authenticate challenge
 * (RFC 6750 §3) naming error code (none if empty), its description and
 * the scope the request needs.
 */
function challenge(res, status, code = '', description = '', scope = '') {
  const params = []
  const safe = (s) => s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?').slice(0, 200)
  if (code) {
    params.push(`error="${code}"`)
    if (description) {
      params.push(`error_description="${safe(description)}"`)
    }
  }
  if (scope) {
    params.push(`scope="${safe(scope)}"`)
  }
  res.writeHead(status, {
    'www-authenticate': params.length ? `Bearer ${params.join(', ')}` : 'Bearer',
    'cache-control': 'no-store',
    'content-type': 'text/plain; charset=utf-8',
  })
  res.end(http.STATUS_CODES[status] + '\n')
}

/**
 * bearerToken returns the request's bearer token (RFC 6750 §2.1), or the
 * error to answer with; neither means the request has no bearer token.
 */
function bearerToken(req) {
  const values = req.headersDistinct.authorization ?? []
  if (values.length === 0) {
    return {}
  }
  if (values.length > 1) {
    return { error: 'more than one Authorization header' }
  }
  const [scheme, ...rest] = values[0].split(' ')
  if (scheme.toLowerCase() !== 'bearer') {
    return scheme ? {} : { error: 'an empty Authorization header' }
  }
  const token = rest.join(' ')
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
    return { error: 'the Authorization header is not Bearer and one token' }
  }
  return { token }
}

/**
 * discover reads the issuer's metadata (RFC 8414), which must name issuer.
 */
export async function discover(issuer) {
  const url = issuer.replace(/\/+$/, '') + METADATA_PATH
  const resp = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) })
  if (resp.status !== 200) {
    throw new Error(`GET ${url}: ${resp.status}`)
  }
  const md = await resp.json()
  if (md.issuer !== issuer) {
    throw new Error(`metadata at ${url} names issuer ${JSON.stringify(md.issuer)}, not ${JSON.stringify(issuer)}`)
  }
  return md
}

/**
 * createHandler returns the request handler for tokens of issuer, whose key
 * set is at jwksURI, meant for audience; revoked, if given, says whether a
 * verified token's payload is revoked.
 */
export function createHandler({ issuer, jwksURI, audience, revoked = () => false }) {
  const keys = createRemoteJWKSet(new URL(jwksURI))
  const verify = async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      typ: 'at+jwt',
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub', 'client_id', 'jti'],
      clockTolerance: 60,
    })
    if (revoked(payload)) {
      throw new errors.JWTInvalid('the token is revoked')
    }
    return payload
  }

  return async (req, res) => {
    const url = new URL(req.url, 'http://resource.invalid')
    if (url.pathname !== '/invoices') {
      res.writeHead(404).end()
      return
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end()
      return
    }
    const { token, error } = bearerToken(req)
    if (error) {
      challenge(res, 400, 'invalid_request', error)
      return
    }
    if (!token) {
      challenge(res, 401)
      return
    }
    let claims
    try {
      claims = await verify(token)
    } catch (err) {
      if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout) {
        // The key set could not be fetched: not the token's fault.
        console.error(`verifying a token: ${err.message}`)
        res.writeHead(503, { 'retry-after': '5' }).end()
        return
      }
      challenge(res, 401, 'invalid_token', err.message)
      return
    }
    const org = url.searchParams.get('org') ?? ''
    if (!allows(claims.rights, org, 'billing.invoices', 'read')) {
      challenge(res, 403, 'insufficient_scope',
        `this requires the right billing.invoices:read on organization ${org}`, 'billing.invoices:read')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({
      org,
      client_id: claims.client_id,
      items: [{ id: `${org}-0001`, org, amount_cents: 12000 }],
    }))
  }
}

