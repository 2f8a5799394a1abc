package web

import "github.com/gofiber/fiber/v2"

// usersPages registers the pages of human admin users.
func (s *Server) usersPages(r fiber.Router) {}
