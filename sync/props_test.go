package sync

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestRebaseProps(t *testing.T) {
	tests := []struct {
		name      string
		now, want map[string]string
		out       map[string]string // nil: nothing to write
	}{
		{"the user's key survives, the sync's is set",
			map[string]string{"customStatus": "busy"}, map[string]string{PropEntraID: "o", PropLink: "sig"},
			map[string]string{"customStatus": "busy", PropEntraID: "o", PropLink: "sig"}},
		{"a user's key the plan did not see is kept, one it saw and the user removed stays removed",
			map[string]string{"theme": "dark"}, map[string]string{"customStatus": "old", PropLink: "sig"},
			map[string]string{"theme": "dark", PropLink: "sig"}},
		{"a sync key the plan drops is removed",
			map[string]string{"customStatus": "busy", PropDeactivated: "m"}, map[string]string{"customStatus": "busy"},
			map[string]string{"customStatus": "busy"}},
		{"nothing changes: no write", map[string]string{"x": "1", PropLink: "sig"}, map[string]string{PropLink: "sig"}, nil},
		{"nil props now", nil, map[string]string{PropLink: "sig"}, map[string]string{PropLink: "sig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rebaseProps(tt.now, tt.want)
			if (got == nil) != (tt.out == nil) || !maps.Equal(got, tt.out) {
				t.Fatalf("rebaseProps = %v, want %v", got, tt.out)
			}
		})
	}
}

// Issue 15, failing input 8: every props write of the applier keeps what the
// user set after the plan read the account.
func TestPropsWritesKeepTheUsersKeys(t *testing.T) {
	const status = `{"emoji":"palm_tree","text":"On holiday"}`
	linkedJane := linkedTo(Account{ID: "mj", Username: "jane", Email: "jane@x.example", Roles: "system_user"}, "id-jane")
	tests := []struct {
		name string
		dir  []DirectoryUser
		acct Account
		opts func(*Options)
		kind Kind
		mark string // a sync key the write must set ("" none)
		gone string // a sync key the write must remove ("" none)
	}{
		{name: "adoption", dir: []DirectoryUser{user("id-jane", "jane@x.example", "Jane")},
			acct: Account{ID: "mj", Username: "jane", Email: "jane@x.example", Roles: "system_user", EmailVerified: true}, kind: KindUpdate, mark: PropLink},
		{name: "link from the creation mark", dir: []DirectoryUser{user("id-jane", "jane@x.example", "Jane")},
			acct: Account{ID: "mj", Username: "jane", Email: "jane@x.example", Roles: "system_user",
				Props: map[string]string{PropEntraID: "id-jane", PropCreated: testLinker.CreatedMark("id-jane", "jane@x.example", "jane")}}, kind: KindUpdate, mark: PropLink},
		{name: "reactivation drops the deactivation mark", dir: []DirectoryUser{user("id-jane", "jane@x.example", "Jane")},
			acct: func() Account {
				a := linkedJane
				a.DeleteAt = 7
				a.Props = maps.Clone(a.Props)
				a.Props[PropDeactivated] = testLinker.DeactivatedMark("mj", "id-jane", 7)
				return a
			}(), kind: KindReactivate, gone: PropDeactivated},
		{name: "deactivation marks it", dir: []DirectoryUser{func() DirectoryUser {
			u := user("id-jane", "jane@x.example", "Jane")
			u.AccountEnabled = BoolFalse
			return u
		}()},
			acct: linkedJane, kind: KindDeactivate, mark: PropDeactivated},
		{name: "a held-back address change is recorded", dir: []DirectoryUser{user("id-jane", "jane.new@x.example", "Jane")},
			acct: linkedJane, kind: KindUpdate, mark: PropPendingEmail},
		{name: "a release drops the pending record", dir: []DirectoryUser{user("id-new", "jane@x.example", "New Jane")},
			acct: func() Account {
				a := linkedJane
				a.DeleteAt = 7
				a.Props = maps.Clone(a.Props)
				a.Props[PropPendingEmail] = testLinker.PendingMark("mj", "jane.old@x.example")
				return a
			}(), kind: KindRelease, gone: PropPendingEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := newFakeTarget(tt.acct)
			target.requireVerification = tt.mark == PropPendingEmail
			plan := BuildPlan(Directory{Users: tt.dir}, target.observed(), opts())
			if plan.Count(tt.kind) != 1 {
				t.Fatalf("no %s planned: %v", tt.kind, kindsOf(plan))
			}
			// The user sets a custom status after the run read the account.
			target.accounts["mj"].Props = maps.Clone(target.accounts["mj"].Props)
			if target.accounts["mj"].Props == nil {
				target.accounts["mj"].Props = map[string]string{}
			}
			target.accounts["mj"].Props["customStatus"] = status
			for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: opts(), SelfID: "self"}) {
				if r.Status != StatusDone {
					t.Fatalf("%s: %s %s", r.Kind, r.Status, r.Error)
				}
			}
			props := target.accounts["mj"].Props
			if props["customStatus"] != status {
				t.Fatalf("the user's custom status is gone: %v", props)
			}
			if tt.mark != "" && props[tt.mark] == "" {
				t.Errorf("%s not written: %v", tt.mark, props)
			}
			if tt.gone != "" && props[tt.gone] != "" {
				t.Errorf("%s not removed: %v", tt.gone, props)
			}
		})
	}
}

// Whatever the plan writes, a key a user sets on any account while the run
// applies survives it, and the run still converges.
func TestPropUsersPropsSurviveTheSync(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		target := newFakeTarget(w.obs.Accounts...)
		plan := BuildPlan(w.dir, target.observed(), w.opts)
		// After the plan read them, every user sets a status. (A change
		// inside the one round trip between the applier's re-read and its
		// write can still be lost: the API has no conditional write.)
		for _, a := range target.accounts {
			a.Props = maps.Clone(a.Props)
			if a.Props == nil {
				a.Props = map[string]string{}
			}
			a.Props["customStatus"] = "busy " + a.ID
		}
		results := Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 3, CreateWorkers: 2})
		for _, r := range results {
			if r.Status != StatusDone && r.Status != StatusAdopted && !strings.Contains(r.Error, "changed") {
				t.Fatalf("%s %s: %s %s", r.Kind, r.Email, r.Status, r.Error)
			}
		}
		for _, a := range w.obs.Accounts {
			if got := target.accounts[a.ID].Props["customStatus"]; got != "busy "+a.ID {
				t.Fatalf("%s lost the status its user set: %v", a.Username, target.accounts[a.ID].Props)
			}
		}
		if second := BuildPlan(w.dir, target.observed(), w.opts); !plan.Failed() && len(second.Actions) != 0 {
			t.Fatalf("the run does not converge: %+v", second.Actions)
		}
	})
}

// Every mark the sync writes is one of its own keys: a Prop… constant whose
// value lacked the prefix would be treated as the user's, and Apply would
// never write it. This reads the package's source so that a mark added later
// is held to the rule too.
func TestEveryMarkHasTheSyncPrefix(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset, n := token.NewFileSet(), 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			vs, ok := node.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Prop") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					n++
					if v, _ := strconv.Unquote(lit.Value); !IsSyncProp(v) {
						t.Errorf("%s = %q does not start with %q", name.Name, v, SyncPropPrefix)
					}
				}
			}
			return false
		})
	}
	if n < 5 {
		t.Fatalf("found %d marks; the scan is broken", n)
	}
}
