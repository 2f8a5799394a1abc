package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

// askAdminUser settles the first human admin init creates: the one of
// --admin-user, with its password from stdin or asked for; else, on a
// terminal, whoever the person typing names; else none, as before there
// were users.
func (f *initFlags) askAdminUser(c *cli) error {
	tty, isTTY := c.in.(*os.File)
	isTTY = isTTY && term.IsTerminal(int(tty.Fd()))
	switch {
	case f.adminPasswordStdin && f.adminUser == "":
		return usagef("--admin-password-stdin goes with --admin-user NAME")
	case f.adminUser != "" && !rbac.ValidID(f.adminUser):
		return usagef("--admin-user: must be %s", rbac.IDRule)
	case f.adminPasswordStdin:
		p, err := readPassword(c.in)
		if err != nil {
			return err
		}
		if err := users.CheckPassword(p, f.adminUser); err != nil {
			return usagef("--admin-password-stdin: %v", err)
		}
		f.adminPassword = p
		return nil
	case !isTTY && f.adminUser != "":
		return usagef("--admin-user needs --admin-password-stdin when stdin is not a terminal")
	case !isTTY:
		return nil
	}
	in := bufio.NewReader(c.in)
	for f.adminUser == "" {
		fmt.Fprint(c.errOut, "Create a human admin for the web console? user name (empty to skip): ")
		line, err := in.ReadString('\n')
		name := strings.TrimSpace(line)
		if name == "" {
			return nil // skipped, or stdin closed
		}
		if !rbac.ValidID(name) {
			fmt.Fprintf(c.errOut, "The name must be %s.\n", rbac.IDRule)
			if err != nil {
				return nil
			}
			continue
		}
		f.adminUser = name
	}
	p, err := askNewPassword(c.errOut, int(tty.Fd()), f.adminUser)
	if err != nil {
		return err
	}
	f.adminPassword = p
	return nil
}

// askNewPassword reads a password twice on the terminal fd, without echo,
// until it passes users.CheckPassword and both match.
func askNewPassword(w io.Writer, fd int, name string) (string, error) {
	for {
		fmt.Fprintf(w, "Password for %s (%d to %d characters): ", name, users.MinPasswordLen, users.MaxPasswordLen)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if err := users.CheckPassword(string(p), name); err != nil {
			fmt.Fprintf(w, "%v.\n", err)
			continue
		}
		fmt.Fprint(w, "Again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(again) != string(p) {
			fmt.Fprintln(w, "The passwords differ.")
			continue
		}
		return string(p), nil
	}
}
