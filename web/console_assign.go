package web

import "github.com/gofiber/fiber/v2"

// assignPages registers the pages of role and group assignments of accounts and users.
func (s *Server) assignPages(r fiber.Router) {}
