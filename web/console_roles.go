package web

import "github.com/gofiber/fiber/v2"

// rolesPages registers the pages of roles and their perimeters.
func (s *Server) rolesPages(r fiber.Router) {}
