package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// listParallel is the alternative to eachUser that was measured and not
// adopted (see eachUser): up to k pages in flight, consumed in page order,
// stopping at the first short page. It sends up to k-1 requests past the
// last page.
func (c *Client) listParallel(ctx context.Context, k int) ([]User, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		users []User
		err   error
	}
	pending := map[int]chan page{}
	next := 0
	launch := func() {
		ch := make(chan page, 1)
		pending[next] = ch
		go func(p int) {
			var b []User
			q := url.Values{"page": {strconv.Itoa(p)}, "per_page": {strconv.Itoa(PerPage)}}
			_, err := c.do(ctx, http.MethodGet, "/users", q, nil, &b)
			ch <- page{b, err}
		}(next)
		next++
	}
	for range k {
		launch()
	}
	var all []User
	seen := map[string]bool{}
	for p := 0; ; p++ {
		r := <-pending[p]
		delete(pending, p)
		if r.err != nil {
			return nil, r.err
		}
		for _, u := range r.users {
			if !seen[u.ID] {
				seen[u.ID] = true
				all = append(all, u)
			}
		}
		if len(r.users) < PerPage {
			return all, nil
		}
		launch()
	}
}

// BenchmarkListUsers lists 10,000 and 100,000 accounts with 3 ms per
// request, one page at a time (what the client does) and with 2, 4 and 8
// pages in flight:
//
//	go test -run '^$' -bench ListUsers -benchtime 3x ./mattermost
func BenchmarkListUsers(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		srv := fakemm.New(fakemm.Options{})
		for i := range n {
			srv.AddUser(fakemm.User{Username: fmt.Sprintf("user%06d", i), Email: fmt.Sprintf("user%06d@contoso.example", i),
				Nickname: "User", FirstName: "User", LastName: "Name", Position: "Engineer",
				Props: map[string]string{"entra_object_id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "entra_link": "v1:0123456789abcdef0123456789abcdef0123456789abcdef"}})
		}
		c, err := New(srv.URL(), srv.AdminToken(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		srv.SetLatency(3*time.Millisecond, 0)
		for _, k := range []int{1, 2, 4, 8} {
			name := fmt.Sprintf("%dk/sequential", n/1000)
			if k > 1 {
				name = fmt.Sprintf("%dk/parallel-%d", n/1000, k)
			}
			b.Run(name, func(b *testing.B) {
				srv.ResetCounters()
				i := 0
				for b.Loop() {
					var users []User
					var err error
					if k == 1 {
						users, err = c.ListUsers(context.Background())
					} else {
						users, err = c.listParallel(context.Background(), k)
					}
					if err != nil || len(users) != n+1 {
						b.Fatalf("%d users, %v", len(users), err)
					}
					i++
				}
				b.ReportMetric(float64(srv.TotalRequests())/float64(i), "requests/op")
			})
		}
		srv.Close()
	}
}
