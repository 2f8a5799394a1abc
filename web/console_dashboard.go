package web

import (
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
)

// dashboardPages registers the dashboard.
func (s *Server) dashboardPages(r fiber.Router) {
	r.Get("/", s.dashboard)
}

// dashboardPage is the console's home: counts of accounts and keys, and
// the keys and accounts that need attention, of the organizations where
// the user may read them. A user who may read none sees zeros and empty
// lists.
type dashboardPage struct {
	page
	Accounts accounts.AccountCounts
	Keys     accounts.KeyCounts
	// Limit is how many entries a list shows at most.
	Limit                  int
	ExpiringKeys           []dashboardKey
	NeverUsedAccounts      []dashboardAccount
	UnusedAccounts         []dashboardAccount
	NeverUsedKeys          []dashboardKey
	UnusedKeys             []dashboardKey
	ExpiringDays, IdleDays int
}

// dashboardAccount is an account in a list of the dashboard.
type dashboardAccount struct {
	ClientID, Name, Org, Href string
	Created, LastUsed         string
}

// dashboardKey is a key in a list of the dashboard, with its account.
type dashboardKey struct {
	ClientID, AccountHref string
	Label, KeyHref        string
	Expires, LastUsed     string
	Created               string
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	d, err := s.Accounts.Dashboard(c.UserContext(), consoleActor(c))
	if err != nil {
		return err
	}
	p := &dashboardPage{page: s.page(c), Accounts: d.Accounts, Keys: d.Keys, Limit: accounts.DashboardLimit,
		ExpiringDays: int(accounts.ExpiringWithin.Hours() / 24), IdleDays: int(accounts.UnusedFor.Hours() / 24)}
	p.ExpiringKeys = p.keys(d.ExpiringKeys)
	p.NeverUsedKeys = p.keys(d.NeverUsedKeys)
	p.UnusedKeys = p.keys(d.UnusedKeys)
	p.NeverUsedAccounts = p.accounts(d.NeverUsedAccounts)
	p.UnusedAccounts = p.accounts(d.UnusedAccounts)
	return s.render(c, http.StatusOK, "dashboard_index", p)
}

func (p *dashboardPage) keys(ks []accounts.DashboardKey) []dashboardKey {
	out := make([]dashboardKey, 0, len(ks))
	for _, k := range ks {
		label := k.Key.Label
		if label == "" {
			label = k.Key.ID
		}
		out = append(out, dashboardKey{ClientID: k.ClientID, AccountHref: dashboardAccountHref(k.ClientID),
			Label: label, KeyHref: consolePrefix + "/keys/" + url.PathEscape(k.Key.ID),
			Expires: p.When(k.Key.ExpiresAt), LastUsed: p.When(k.Key.LastUsedAt), Created: p.When(k.Key.CreatedAt)})
	}
	return out
}

func (p *dashboardPage) accounts(as []accounts.DashboardAccount) []dashboardAccount {
	out := make([]dashboardAccount, 0, len(as))
	for _, a := range as {
		name := a.Account.DisplayName
		if name == "" {
			name = a.Account.Name
		}
		out = append(out, dashboardAccount{ClientID: a.ClientID, Name: name, Org: a.Account.OrgID, Href: dashboardAccountHref(a.ClientID),
			Created: p.When(a.Account.CreatedAt), LastUsed: p.When(a.Account.LastUsedAt)})
	}
	return out
}

// dashboardAccountHref is the console page of the account with that client
// ID.
func dashboardAccountHref(clientID string) string {
	return consolePrefix + "/accounts/" + url.PathEscape(clientID)
}
