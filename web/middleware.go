package web

import (
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
)

// recover turns a panic in a handler into a logged 500.
func (s *Server) recover(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error("panic", "method", c.Method(), "path", loggedPath(c.Path()), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// logRequests logs every request once its response is final. It logs the
// path without the query string, and never headers or bodies, which may hold
// credentials.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := s.errorHandler(c, err); err != nil {
			return err
		}
	}
	level := slog.LevelInfo
	if p := c.Path(); p == "/healthz" || p == "/readyz" {
		level = slog.LevelDebug
	}
	s.logRequest(c, level, c.Method(), c.Path(), c.Response().StatusCode(), time.Since(start), s.addr(c))
	return nil
}

// logRequest writes the one log line of a request.
func (s *Server) logRequest(c *fiber.Ctx, level slog.Level, method, path string, status int, took time.Duration, addr string, extra ...slog.Attr) {
	attrs := append([]slog.Attr{
		slog.String("method", method),
		slog.String("path", loggedPath(path)),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.String("addr", addr),
	}, extra...)
	s.Log.LogAttrs(c.UserContext(), level, "request", attrs...)
}

// secureHeaders sets headers that keep browsers from misusing responses.
func secureHeaders(c *fiber.Ctx) error {
	setSecureHeaders(c)
	return c.Next()
}

// setSecureHeaders is also called by the error handler, for errors raised
// before routing: every response is JSON or plain text, never a page.
func setSecureHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'")
}

// secretInPath matches what could be an iamd secret, or its start.
var secretInPath = regexp.MustCompile(accounts.SecretPrefix + `([a-z2-7]{16})_[a-z2-7]+`)

// loggedPath is path as logged: cut to maxLoggedPath, and with anything
// that looks like a secret pasted into it reduced to its key ID.
func loggedPath(path string) string {
	path = truncate(path, maxLoggedPath)
	if strings.Contains(path, accounts.SecretPrefix) {
		path = secretInPath.ReplaceAllString(path, accounts.SecretPrefix+"${1}_...")
	}
	return path
}
