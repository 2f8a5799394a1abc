package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// confirm asks the user to type want before an irreversible change. Without
// a terminal on standard input it refuses unless --yes was given.
func (c *cli) confirm(yes bool, what, want string) error {
	if yes {
		return nil
	}
	if f, ok := c.in.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return usagef("%s cannot be undone: pass --yes to confirm", what)
	}
	fmt.Fprintf(c.errOut, "%s cannot be undone. Type %s to confirm: ", what, want)
	line, _ := bufio.NewReader(c.in).ReadString('\n')
	if strings.TrimSpace(line) != want {
		return fmt.Errorf("not confirmed; nothing changed")
	}
	return nil
}
