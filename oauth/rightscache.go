package oauth

import (
	"sync"

	"github.com/iamd/iamd/rbac"
)

// maxCachedRights bounds the rights kept in memory; past it the cache
// starts over, which costs one grants query per account.
const maxCachedRights = 50_000

// rightsCache keeps the rights computed for accounts at one version of the
// authorization model (accounts.Credential.RightsVersion). The key lookup
// of every token request reads the version, and every change that can
// change anyone's rights, made by any instance, advances it in its own
// transaction: rights found here at the version just read are the rights
// the database holds, so the token path costs no query more than the key
// lookup until something changes.
type rightsCache struct {
	mu      sync.Mutex
	version int64
	rights  map[string]*rbac.Rights
}

// get returns the rights of the account cached at version.
func (c *rightsCache) get(version int64, accountID string) (*rbac.Rights, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return nil, false
	}
	r, ok := c.rights[accountID]
	return r, ok
}

// put caches rights computed after version was read. A newer version
// empties the cache; rights of an older one are not kept.
func (c *rightsCache) put(version int64, accountID string, r *rbac.Rights) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case version < c.version:
		return
	case version > c.version || c.rights == nil || len(c.rights) >= maxCachedRights:
		c.version, c.rights = version, map[string]*rbac.Rights{}
	}
	c.rights[accountID] = r
}
