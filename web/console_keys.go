package web

import "github.com/gofiber/fiber/v2"

// keysPages registers the pages of an account's keys.
func (s *Server) keysPages(r fiber.Router) {}
