package rbac

import (
	"context"
	"errors"

	"github.com/iamd/iamd/storage"
)

// The catalog is shared by the whole tree: changing it requires
// iam.roles on the root organization; anyone who may read roles somewhere
// may read it, to pick rights from it.
var (
	readRoles   = Right{PermRoles, OpRead}
	writeRoles  = Right{PermRoles, OpWrite}
	deleteRoles = Right{PermRoles, OpDelete}
)

type permissionView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func viewPermission(p Permission) permissionView {
	return permissionView{Name: p.Name, Description: p.Description}
}

// CreatePermission registers a permission of the platform in the catalog;
// it requires iam.roles write on the root organization.
func (s *Service) CreatePermission(ctx context.Context, a Actor, name, description string) (Permission, error) {
	if err := checkPermissionName(name); err != nil {
		return Permission{}, err
	}
	if err := CheckText("description", description, MaxDescriptionLen, true); err != nil {
		return Permission{}, err
	}
	var p Permission
	err := s.change(ctx, func(ctx context.Context) error {
		root, err := s.needOnRoot(ctx, a, writeRoles)
		if err != nil {
			return err
		}
		p = Permission{Name: name, Description: description, CreatedAt: storage.Time(s.now()), CreatedBy: a.ID}
		if err := s.store.CreatePermission(ctx, p); err != nil {
			return conflict(err, "create permission", "permission %s already exists", storage.Quote(name))
		}
		return s.record(ctx, a, "permission.create", root.ID, name, nil, viewPermission(p))
	})
	return p, err
}

func (s *Service) needOnRoot(ctx context.Context, a Actor, r Right) (Org, error) {
	root, err := s.Root(ctx)
	if err != nil {
		return Org{}, err
	}
	return root, a.Need(root.ID, r)
}

// canReadCatalog reports whether the actor may read roles somewhere.
func canReadCatalog(a Actor) error {
	if ids, all := a.Visible(readRoles); all || len(ids) > 0 {
		return nil
	}
	return storage.Errorf(storage.ErrForbidden, "reading the permission catalog requires the right %s on some organization", readRoles)
}

// ListPermissions returns the catalog, ordered by name.
func (s *Service) ListPermissions(ctx context.Context, a Actor) ([]Permission, error) {
	if err := canReadCatalog(a); err != nil {
		return nil, err
	}
	return s.store.ListPermissions(ctx)
}

// GetPermission returns a permission of the catalog.
func (s *Service) GetPermission(ctx context.Context, a Actor, name string) (Permission, error) {
	if err := canReadCatalog(a); err != nil {
		return Permission{}, err
	}
	p, err := s.store.GetPermission(ctx, name)
	if err != nil {
		return Permission{}, notFound("permission "+storage.Quote(name), err)
	}
	return p, nil
}

// DescribePermission changes the description of a permission registered
// by admins; it requires iam.roles write on the root.
func (s *Service) DescribePermission(ctx context.Context, a Actor, name, description string) (Permission, error) {
	if err := CheckText("description", description, MaxDescriptionLen, true); err != nil {
		return Permission{}, err
	}
	var before, after Permission
	err := s.change(ctx, func(ctx context.Context) error {
		root, err := s.needOnRoot(ctx, a, writeRoles)
		if err != nil {
			return err
		}
		err = s.store.UpdatePermission(ctx, name, func(p Permission) (Permission, error) {
			if p.Builtin {
				return p, builtinPermission(name)
			}
			before, p.Description = p, description
			after = p
			return p, nil
		})
		if err != nil {
			return notFound("permission "+storage.Quote(name), err)
		}
		return s.record(ctx, a, "permission.update", root.ID, name, viewPermission(before), viewPermission(after))
	})
	return after, err
}

func builtinPermission(name string) error {
	return storage.Errorf(storage.ErrForbidden, "permission %s is built into iamd and cannot be changed", storage.Quote(name))
}

// DeletePermission removes a permission no role uses; it requires
// iam.roles delete on the root.
func (s *Service) DeletePermission(ctx context.Context, a Actor, name string) error {
	return s.change(ctx, func(ctx context.Context) error {
		root, err := s.needOnRoot(ctx, a, deleteRoles)
		if err != nil {
			return err
		}
		p, err := s.store.GetPermission(ctx, name)
		if err != nil {
			return notFound("permission "+storage.Quote(name), err)
		}
		if p.Builtin {
			return builtinPermission(name)
		}
		if err := s.store.DeletePermission(ctx, name); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return storage.Errorf(storage.ErrConflict, "permission %s is used by a role: remove it from every role first", storage.Quote(name))
			}
			return err
		}
		return s.record(ctx, a, "permission.delete", root.ID, name, viewPermission(p), nil)
	})
}
