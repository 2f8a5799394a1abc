package web

import "github.com/iamd/iamd/rbac"

// The rights the handlers and pages ask about, by what they allow: the
// API's checks before a domain call, and the console's choice of the
// controls it offers. The domain services check them anyway.
var (
	readAccounts    = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpRead}
	writeAccounts   = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpWrite}
	archiveAccounts = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpArchive}
	deleteAccounts  = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpDelete}

	readKeys   = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpRead}
	writeKeys  = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpWrite}
	deleteKeys = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpDelete}

	readAssignments  = rbac.Right{Permission: rbac.PermAssignments, Operation: rbac.OpRead}
	writeAssignments = rbac.Right{Permission: rbac.PermAssignments, Operation: rbac.OpWrite}

	readGroups   = rbac.Right{Permission: rbac.PermGroups, Operation: rbac.OpRead}
	writeGroups  = rbac.Right{Permission: rbac.PermGroups, Operation: rbac.OpWrite}
	deleteGroups = rbac.Right{Permission: rbac.PermGroups, Operation: rbac.OpDelete}

	writeOrgs  = rbac.Right{Permission: rbac.PermOrganizations, Operation: rbac.OpWrite}
	deleteOrgs = rbac.Right{Permission: rbac.PermOrganizations, Operation: rbac.OpDelete}

	readRoles   = rbac.Right{Permission: rbac.PermRoles, Operation: rbac.OpRead}
	writeRoles  = rbac.Right{Permission: rbac.PermRoles, Operation: rbac.OpWrite}
	deleteRoles = rbac.Right{Permission: rbac.PermRoles, Operation: rbac.OpDelete}

	readUsers    = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpRead}
	writeUsers   = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpWrite}
	archiveUsers = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpArchive}
	deleteUsers  = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpDelete}

	readAudit = rbac.Right{Permission: rbac.PermAudit, Operation: rbac.OpRead}

	// The signing keys serve the whole server: the rights on them are
	// held on the root organization.
	readSigningKeys  = rbac.Right{Permission: rbac.PermSigningKeys, Operation: rbac.OpRead}
	writeSigningKeys = rbac.Right{Permission: rbac.PermSigningKeys, Operation: rbac.OpWrite}
)
