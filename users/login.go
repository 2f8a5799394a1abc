package users

// loginThrottle limits failed sign-ins per user and per address.
type loginThrottle struct{}

func newLoginThrottle() *loginThrottle { return &loginThrottle{} }
