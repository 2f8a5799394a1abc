package web

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// dashboardPages registers the dashboard.
func (s *Server) dashboardPages(r fiber.Router) {
	r.Get("/", s.dashboard)
}

// dashboardPage is the console's home; its counts and lists come later.
type dashboardPage struct {
	page
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	return s.render(c, http.StatusOK, "dashboard_index", &dashboardPage{page: s.page(c)})
}
