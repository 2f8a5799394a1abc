// The rights check of iamd tokens, as resource/doc.go in the iamd
// repository defines it: a token allows operation O on permission P in
// organization X if and only if some entry of its "rights" claim has X or
// "*" in its orgs and "P:O" or "*" in its scope. A token without a rights
// claim allows nothing, whatever its scope says.

const WILDCARD = '*'

/**
 * allows reports whether the rights claim grants operation on permission
 * in org. Empty arguments are never allowed.
 * @param {unknown} rights the token's "rights" claim
 * @param {string} org
 * @param {string} permission
 * @param {string} operation
 */
export function allows(rights, org, permission, operation) {
  if (!Array.isArray(rights) || !org || !permission || !operation) {
    return false
  }
  const want = `${permission}:${operation}`
  return rights.some(
    (entry) =>
      entry !== null &&
      typeof entry === 'object' &&
      Array.isArray(entry.orgs) &&
      typeof entry.scope === 'string' &&
      (entry.orgs.includes(org) || entry.orgs.includes(WILDCARD)) &&
      entry.scope.split(' ').some((right) => right === want || right === WILDCARD),
  )
}
