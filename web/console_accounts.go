package web

import "github.com/gofiber/fiber/v2"

// accountsPages registers the pages of service accounts: list, detail and their forms.
func (s *Server) accountsPages(r fiber.Router) {}
