package web

import "github.com/gofiber/fiber/v2"

// auditPages registers the pages of the audit log.
func (s *Server) auditPages(r fiber.Router) {}
