package web

import "github.com/gofiber/fiber/v2"

// orgsPages registers the pages of organizations: the tree and its forms.
func (s *Server) orgsPages(r fiber.Router) {}
