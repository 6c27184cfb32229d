package sync

import (
	"fmt"
	"strings"
	"testing"
)

// scaledTenant returns n directory users built from the 2,000-user fixture,
// with unique ids and addresses, and the accounts a completed sync leaves.
func scaledTenant(b *testing.B, n int) ([]DirectoryUser, []Account) {
	b.Helper()
	base := loadFixture(b, "tenant-2000.json")
	users := make([]DirectoryUser, n)
	for i := range users {
		u := base[i%len(base)]
		u.ID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		if u.Mail != "" {
			local, domain, _ := strings.Cut(u.Mail, "@")
			u.Mail = fmt.Sprintf("%s.%d@%s", local, i/len(base), domain)
		}
		if !strings.Contains(u.UserPrincipalName, "#EXT#") {
			local, domain, _ := strings.Cut(u.UserPrincipalName, "@")
			u.UserPrincipalName = fmt.Sprintf("%s.%d@%s", local, i/len(base), domain)
		}
		users[i] = u
	}
	plan := BuildPlan(Directory{Users: users}, Observed{}, opts())
	accounts := make([]Account, 0, len(plan.Actions))
	for i, a := range plan.Actions {
		acct := Account{ID: fmt.Sprintf("mm%d", i), Username: a.Username, Email: a.Email,
			Nickname: a.Profile.Nickname, FirstName: a.Profile.FirstName, LastName: a.Profile.LastName,
			Position: a.Profile.Position, Roles: "system_user"}
		acct.Props = testLinker.linkProps(&acct, acct.ID, a.EntraID)
		accounts = append(accounts, acct)
	}
	return users, accounts
}

// BenchmarkPlan measures planning 100,000 directory users: the first sync
// (nothing exists yet) and a no-op resync (everything exists and matches).
func BenchmarkPlan(b *testing.B) {
	users, accounts := scaledTenant(b, 100_000)
	b.Run("first-sync-100k", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			BuildPlan(Directory{Users: users}, Observed{}, opts())
		}
	})
	b.Run("noop-resync-100k", func(b *testing.B) {
		b.ReportAllocs()
		obs := Observed{Accounts: accounts}
		for b.Loop() {
			p := BuildPlan(Directory{Users: users}, obs, opts())
			if len(p.Actions) != 0 {
				b.Fatalf("no-op plan has %d actions", len(p.Actions))
			}
		}
	})
}
