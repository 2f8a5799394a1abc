package main

import (
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// page is one page of an API listing, or the pages fetched joined: the
// JSON of web.AccountList and web.UserList.
type page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// pageFlags reads --page-size, --page-token and --all.
type pageFlags struct {
	size  int
	token string
	all   bool
}

func (f *pageFlags) register(cmd *cobra.Command, noun string) {
	fl := cmd.Flags()
	fl.IntVar(&f.size, "page-size", 0, noun+" per page (default 50, at most 500)")
	fl.StringVar(&f.token, "page-token", "", "continue from a previous page")
	fl.BoolVar(&f.all, "all", false, "fetch every page")
}

// listPages fetches path's listing with the non-empty filters, from
// --page-token on: one page, or every page with --all.
func listPages[T any](c *cli, cmd *cobra.Command, path string, filters map[string]string, f pageFlags) (page[T], error) {
	out := page[T]{Items: []T{}}
	token := f.token
	for {
		q := url.Values{}
		for k, v := range filters {
			if v != "" {
				q.Set(k, v)
			}
		}
		if token != "" {
			q.Set("page_token", token)
		}
		if f.size > 0 {
			q.Set("page_size", strconv.Itoa(f.size))
		}
		var p page[T]
		if err := c.call(cmd, "GET", path+"?"+q.Encode(), nil, &p); err != nil {
			return page[T]{}, err
		}
		out.Items = append(out.Items, p.Items...)
		out.NextPageToken, token = p.NextPageToken, p.NextPageToken
		if !f.all || token == "" {
			return out, nil
		}
	}
}
