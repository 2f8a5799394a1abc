// An example client that gets an iamd access token with a key file
// (private_key_jwt, RFC 7523) through oauth4webapi: it signs the client
// assertion with the key file's private key and asks the token endpoint
// for a token by client credentials, then prints the token.
//
//   node token.js sa-key.json --scope billing.invoices:read --audience https://billing.example.com
//
// The key file is what `iamd keys create CLIENT --type key-pair --key-file
// sa-key.json` writes: type, client_id, key_id, issuer, token_endpoint and
// private_key, a private JWK with its kid and alg. The assertion's aud is
// the issuer, oauth4webapi's default, which iamd accepts as well as the
// token endpoint. An http:// issuer (iamd on loopback in development) is
// allowed only with --insecure.

import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { importJWK } from 'jose'
import * as oauth from 'oauth4webapi'

/**
 * readKeyFile reads and checks an iamd key file.
 * @param {string} path
 */
async function readKeyFile(path) {
  const kf = JSON.parse(await readFile(path, 'utf8'))
  for (const field of ['client_id', 'key_id', 'issuer']) {
    if (typeof kf[field] !== 'string' || kf[field] === '') {
      throw new Error(`${path}: the key file has no ${field}`)
    }
  }
  const jwk = kf.private_key
  if (!jwk || typeof jwk !== 'object' || !jwk.d || !jwk.alg) {
    throw new Error(`${path}: the key file has no private key with its alg`)
  }
  return kf
}

/**
 * getToken gets an access token for the account of key file kf, with
 * scope and resource (audience) if not empty, and returns the token
 * response.
 */
async function getToken(kf, { scope = '', resource = '', insecure = false } = {}) {
  const issuer = new URL(kf.issuer)
  const opts = insecure ? { [oauth.allowInsecureRequests]: true } : {}
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...opts, algorithm: 'oauth2' }))
  const key = await importJWK(kf.private_key, kf.private_key.alg)
  const client = { client_id: kf.client_id }
  // oauth4webapi signs with an Ed25519 key under RFC 9864's "Ed25519",
  // which iamd accepts for its "EdDSA" keys.
  const auth = oauth.PrivateKeyJwt({ key, kid: kf.private_key.kid ?? kf.key_id })
  const params = new URLSearchParams()
  if (scope) {
    params.set('scope', scope)
  }
  if (resource) {
    params.set('resource', resource)
  }
  const resp = await oauth.clientCredentialsGrantRequest(as, client, auth, params, opts)
  return oauth.processClientCredentialsResponse(as, client, resp)
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scope: { type: 'string', default: '' },
      audience: { type: 'string', default: '' },
      insecure: { type: 'boolean', default: false },
    },
  })
  if (positionals.length !== 1) {
    throw new Error('usage: node token.js KEY_FILE [--scope SCOPE] [--audience URL] [--insecure]')
  }
  const kf = await readKeyFile(positionals[0])
  const tok = await getToken(kf, { scope: values.scope, resource: values.audience, insecure: values.insecure })
  process.stdout.write(tok.access_token + '\n')
}

main().catch(async (err) => {
  // The token endpoint's OAuth error (RFC 6749 §5.2), which names no secret.
  let detail = ''
  if (err instanceof oauth.ResponseBodyError) {
    detail = `${err.error}: ${err.error_description ?? ''}`
  } else if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await err.response.json().catch(() => ({}))
    detail = `${body.error ?? err.cause[0]?.parameters.error ?? ''}: ${body.error_description ?? ''}`
  }
  console.error(detail ? `${err.message} (${detail})` : err.message)
  process.exit(1)
})
