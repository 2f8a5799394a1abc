package web

import "github.com/gofiber/fiber/v2"

// permissionsPages registers the pages of the permission catalog.
func (s *Server) permissionsPages(r fiber.Router) {}
