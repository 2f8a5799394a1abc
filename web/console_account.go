package web

import "github.com/gofiber/fiber/v2"

// accountPages registers the page of one service account.
func (s *Server) accountPages(r fiber.Router) {}
