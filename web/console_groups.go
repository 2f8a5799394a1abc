package web

import "github.com/gofiber/fiber/v2"

// groupsPages registers the pages of groups, their pairs and members.
func (s *Server) groupsPages(r fiber.Router) {}
