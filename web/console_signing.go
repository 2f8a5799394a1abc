package web

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/oauth"
)

// signingPages registers the pages of the signing keys and their rotation.
func (s *Server) signingPages(r fiber.Router) {
	r.Get("/signing-keys", s.signingList)
	r.Post("/signing-keys/rotate", s.signingRotate)
}

// signingListPage lists the token signing keys, oldest first. The rights
// on them are held on the root organization.
type signingListPage struct {
	page
	Keys      []oauth.KeyState
	CanRotate bool
	// Activation is how long a new key waits before it signs.
	Activation string
	Error      string
}

// signingList reloads the keys first, as the API does: another instance
// may have rotated them.
func (s *Server) signingList(c *fiber.Ctx) error {
	p, err := s.signingData(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "signing_list", p)
}

func (s *Server) signingData(c *fiber.Ctx) (*signingListPage, error) {
	root, err := s.needOnRoot(c.UserContext(), consoleActor(c), readSigningKeys)
	if err != nil {
		return nil, err
	}
	if err := s.OAuth.Keys().Refresh(c.UserContext()); err != nil {
		return nil, err
	}
	p := &signingListPage{page: s.page(c), Keys: s.OAuth.Keys().Keys(), CanRotate: consoleActor(c).Can(root.ID, writeSigningKeys)}
	if d := s.DefaultActivation; d%time.Minute == 0 {
		p.Activation = p.T("signing.delay.minutes", "n", int64(d/time.Minute))
	} else {
		p.Activation = p.T("signing.delay.seconds", "n", int64(d.Round(time.Second)/time.Second))
	}
	return p, nil
}

// signingRotate adds a key of the current key's algorithm that signs
// after the default activation delay, and records it in the audit log as
// the API does, once the rotation is stored. The form asks to confirm.
func (s *Server) signingRotate(c *fiber.Ctx) error {
	actor := consoleActor(c)
	root, err := s.needOnRoot(c.UserContext(), actor, writeSigningKeys)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		p, err := s.signingData(c)
		if err != nil {
			return err
		}
		p.Error = p.T("signing.error.confirm")
		return s.render(c, http.StatusUnprocessableEntity, "signing_list", p)
	}
	k, err := s.OAuth.Keys().Rotate(c.UserContext(), "", s.DefaultActivation)
	if err != nil {
		return err
	}
	view := signingKeyView{ID: k.ID, Algorithm: k.Algorithm, ActivatesAt: k.ActivatesAt}
	if err := s.Orgs.Audit().Record(c.UserContext(), actor.ID, "signing_key.rotate", root.ID, k.ID, nil, view); err != nil {
		return err
	}
	return c.Redirect(consolePrefix+"/signing-keys?flash=signing.rotated", http.StatusSeeOther)
}
