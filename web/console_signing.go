package web

import "github.com/gofiber/fiber/v2"

// signingPages registers the pages of the signing keys and their rotation.
func (s *Server) signingPages(r fiber.Router) {}
