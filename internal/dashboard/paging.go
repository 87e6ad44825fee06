package dashboard

import "net/url"

// pager holds the links of a list shown a page at a time.
type pager struct {
	NextURL  string
	FirstURL string
}

// pageLinks returns the link to the next page (when next, the store's
// cursor, is set) and back to the first page (when cursor says this is
// not it); both keep the list's filters.
func pageLinks(path string, filters url.Values, cursor, next string) pager {
	var p pager
	if next != "" {
		q := url.Values{"cursor": {next}}
		for k, vals := range filters {
			q[k] = vals
		}
		p.NextURL = path + "?" + q.Encode()
	}
	if cursor != "" {
		p.FirstURL = path
		if len(filters) > 0 {
			p.FirstURL += "?" + filters.Encode()
		}
	}
	return p
}
