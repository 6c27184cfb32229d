package sync

import (
	"strings"
	"testing"
)

// An employee drops their link and writes another instance's name into
// their own props, then is deleted from Entra ID without being disabled
// first. The instance name is a prop the employee can write: it never
// switches the address rule for deleted users off, in a single sync as in
// several. Only an account this sync signed for the deleted user (a link
// no employee can make up) shows that the address went on to someone the
// other instance manages, as after a merger.
func TestForeignNameDoesNotEscapeDeletedAddressRule(t *testing.T) {
	ops := NewLinkerKeys("ops", []byte("ops key, sixteen+"))
	insider := Account{ID: "m-x", Username: "cy", Email: "cy@x.example", Roles: "system_user",
		Props: map[string]string{PropLink: strings.Repeat("0", 64), PropInstance: "ops"}}
	withObject := insider
	withObject.Props = map[string]string{PropEntraID: "u-x", PropLink: strings.Repeat("0", 64), PropInstance: "ops"}
	gone := Directory{Users: []DirectoryUser{user("u-1", "ann@x.example", "Ann")}, Deleted: []DeletedUser{{ID: "u-x", Mail: "cy@x.example"}}}
	for _, name := range []string{"", "hr"} {
		self := NewLinkerKeys(name, []byte("hr key, sixteen+"))
		// The merger: this sync's own account for the deleted user,
		// deactivated, its address released; the other instance's user
		// has the address now.
		released := linkedWith(self, Account{ID: "m-old", Username: "cy.old", Email: "released-m-old@entra-sync.invalid", Roles: "system_user", DeleteAt: 5}, "u-x")
		theirs := linkedWith(ops, Account{ID: "m-ops", Username: "cy", Email: "cy@x.example", Roles: "system_user"}, "u-ops")
		for _, tt := range []struct {
			name     string
			accounts []Account
			deact    string
		}{
			{"insider, no object id", []Account{insider}, "m-x"},
			{"insider, their own object id", []Account{withObject}, "m-x"},
			{"merger: this sync's own account for the user released the address", []Account{released, theirs}, ""},
		} {
			t.Run(InstanceLabel(name)+": "+tt.name, func(t *testing.T) {
				o := opts()
				o.Linker = self
				obs := Observed{Accounts: tt.accounts, SelfID: "self"}
				p := BuildPlan(gone, obs, o)
				if err := p.Check(gone, obs, o); err != nil {
					t.Fatal(err)
				}
				var got string
				for _, a := range p.Actions {
					if a.Kind == KindDeactivate {
						got += a.AccountID
						if a.Patch.Props != nil || !strings.Contains(a.Reason, "deleted user's address never keeps an active account") {
							t.Errorf("deactivation %+v", a)
						}
					}
				}
				if got != tt.deact {
					t.Fatalf("deactivated %q, want %q: %+v", got, tt.deact, p.Actions)
				}
			})
		}
	}
}
