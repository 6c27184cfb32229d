package sync

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Issue 15, failing input 7: linked users whose addresses are swapped in the
// directory (a mix-up corrected) move in one run, through a placeholder.
func cycleWorld(n int) (Directory, []Account) {
	var dir Directory
	var accts []Account
	for i := range n {
		id := fmt.Sprintf("id-%d", i)
		accts = append(accts, linkedTo(Account{ID: fmt.Sprintf("m%d", i), Username: fmt.Sprintf("p%d", i),
			Email: fmt.Sprintf("p%d@x.example", i), Roles: "system_user", Nickname: fmt.Sprintf("P%d", i)}, id))
		dir.Users = append(dir.Users, user(id, fmt.Sprintf("p%d@x.example", (i+1)%n), fmt.Sprintf("P%d", i)))
	}
	return dir, accts
}

func TestAddressCyclesCompleteInOneRun(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("cycle of %d", n), func(t *testing.T) {
			dir, accts := cycleWorld(n)
			target := newFakeTarget(accts...)
			obs := target.observed()
			plan := BuildPlan(dir, obs, opts())
			if err := plan.Check(dir, obs, opts()); err != nil {
				t.Fatal(err)
			}
			if len(plan.Conflicts) != 0 {
				t.Fatalf("conflicts: %+v", plan.Conflicts)
			}
			temporary := 0
			for _, a := range plan.Actions {
				if a.Kind != KindUpdate || a.Patch.Email == nil {
					t.Fatalf("unexpected action %+v", a)
				}
				if a.Temporary {
					temporary++
					if a.Wave != 0 || !strings.HasSuffix(*a.Patch.Email, "@moving.invalid") || !strings.Contains(a.Reason, "swap") {
						t.Errorf("the placeholder write: %+v", a)
					}
				}
			}
			if temporary != 1 || len(plan.Actions) != n+1 {
				t.Fatalf("%d actions (%d temporary), want %d: one extra write per cycle", len(plan.Actions), temporary, n+1)
			}
			for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: opts(), SelfID: "self", Workers: 4}) {
				if r.Status != StatusDone {
					t.Fatalf("%s %s: %s %s", r.Kind, r.Username, r.Status, r.Error)
				}
			}
			for i := range n {
				if got, want := target.accounts[fmt.Sprintf("m%d", i)].Email, fmt.Sprintf("p%d@x.example", (i+1)%n); got != want {
					t.Errorf("m%d has %s, want %s", i, got, want)
				}
			}
			if again := BuildPlan(dir, target.observed(), opts()); len(again.Actions)+len(again.Conflicts) != 0 {
				t.Fatalf("not converged: %+v %+v", again.Actions, again.Conflicts)
			}
		})
	}
}

// A cycle through an account the sync does not change cannot move: a
// conflict, as before, and no placeholder write.
func TestCycleThroughAProtectedAccountStays(t *testing.T) {
	dir, accts := cycleWorld(2)
	accts[1].Roles = "system_admin system_user"
	plan := BuildPlan(dir, Observed{Accounts: accts, SelfID: "self"}, opts())
	for _, a := range plan.Actions {
		if a.Temporary || a.Patch.Email != nil {
			t.Fatalf("an address moves: %+v", a)
		}
	}
	if len(plan.Conflicts) != 1 {
		t.Fatalf("conflicts: %+v", plan.Conflicts)
	}
}

// The invariant check refuses a swap planned without the placeholder, or with
// both moves in one wave: two accounts would hold one address at once.
func TestCheckRefusesASwapWithoutAPlaceholder(t *testing.T) {
	dir, accts := cycleWorld(2)
	obs := Observed{Accounts: accts, SelfID: "self"}
	for name, edit := range map[string]func(*Plan){
		"no placeholder": func(p *Plan) {
			var kept []Action
			for _, a := range p.Actions {
				if !a.Temporary {
					kept = append(kept, a)
				}
			}
			p.Actions = kept
		},
		"one wave": func(p *Plan) {
			for i := range p.Actions {
				p.Actions[i].Wave = 0
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			plan := BuildPlan(dir, obs, opts())
			edit(plan)
			if err := plan.Check(dir, obs, opts()); err == nil || !strings.Contains(err.Error(), "still holds it") {
				t.Fatalf("Check = %v", err)
			}
		})
	}
}

// With RequireEmailVerification the server keeps the old address: the
// placeholder write fails saying why, records nothing, and the moves that
// waited for it fail without changing an address.
func TestSwapUnderRequiredVerificationFailsClearly(t *testing.T) {
	dir, accts := cycleWorld(2)
	target := newFakeTarget(accts...)
	target.requireVerification = true
	plan := BuildPlan(dir, target.observed(), opts())
	var park Result
	for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: opts(), SelfID: "self"}) {
		if r.Temporary {
			park = r
		}
	}
	if park.Status != StatusFailed || !strings.Contains(park.Error, "RequireEmailVerification") {
		t.Fatalf("the placeholder write: %+v", park)
	}
	for _, a := range target.accounts {
		if a.Props[PropPendingEmail] != "" && strings.Contains(a.Props[PropPendingEmail], "moving.invalid") {
			t.Fatalf("a pending record for the placeholder: %v", a.Props)
		}
	}
	for i, a := range accts {
		if got := target.accounts[a.ID].Email; got != a.Email {
			t.Errorf("account %d moved to %s", i, got)
		}
	}
}
