package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The property tests draw small worlds where the interesting collisions are
// likely: a handful of addresses and names shared by directory users,
// deleted users and accounts, with valid, forged and removed links, every
// accountEnabled value, admins, bots, the token owner and ignore-users.
// Run more cases with: go test ./sync -run Prop -rapid.checks=5000

var (
	propAddrs = []string{"ann@x.example", "bob@x.example", "cy@x.example", "dee@x.example", "eve@x.example", "fay@y.example"}
	propNames = []string{"ann", "bob", "cy", "dee", "eve", "fay", "gus"}
)

type world struct {
	dir  Directory
	obs  Observed
	opts Options
}

func drawWorld(t *rapid.T) world {
	var w world
	nUsers := rapid.IntRange(0, 6).Draw(t, "users")
	for i := range nUsers {
		u := DirectoryUser{ID: fmt.Sprintf("u%d", i), UserType: "Member", DisplayName: fmt.Sprintf("User %d", i)}
		u.AccountEnabled = rapid.SampledFrom([]Bool{BoolTrue, BoolTrue, BoolFalse, BoolUnknown}).Draw(t, "enabled")
		if rapid.IntRange(0, 4).Draw(t, "hasMail") > 0 {
			u.Mail = rapid.SampledFrom(propAddrs).Draw(t, "mail")
		}
		u.UserPrincipalName = rapid.SampledFrom(append([]string{"u" + fmt.Sprint(i) + "@x.onmicrosoft.com"}, propAddrs...)).Draw(t, "upn")
		u.JobTitle = rapid.SampledFrom([]string{"", "Engineer", "Lead"}).Draw(t, "title")
		w.dir.Users = append(w.dir.Users, u)
	}
	for i := range rapid.IntRange(0, 2).Draw(t, "deleted") {
		w.dir.Deleted = append(w.dir.Deleted, DeletedUser{ID: fmt.Sprintf("d%d", i), Mail: rapid.SampledFrom(propAddrs).Draw(t, "deletedMail")})
	}
	owners := []string{"u0", "u1", "u2", "u3", "d0", "gone"}
	usedEmail, usedName := map[string]bool{}, map[string]bool{}
	for i := range rapid.IntRange(0, 6).Draw(t, "accounts") {
		a := Account{ID: fmt.Sprintf("m%d", i), Roles: "system_user"}
		if i == 0 && rapid.Bool().Draw(t, "self") {
			a.ID = "self"
		}
		a.Username = rapid.SampledFrom(propNames).Draw(t, "username")
		a.Email = rapid.SampledFrom(propAddrs).Draw(t, "email")
		if usedName[a.Username] || usedEmail[a.Email] {
			continue // the server keeps both unique
		}
		usedName[a.Username], usedEmail[a.Email] = true, true
		a.Position = rapid.SampledFrom([]string{"", "Engineer"}).Draw(t, "position")
		if rapid.IntRange(0, 3).Draw(t, "inactive") == 0 {
			a.DeleteAt = 1000 + int64(i)
		}
		switch rapid.IntRange(0, 9).Draw(t, "special") {
		case 0:
			a.Roles = "system_admin system_user"
		case 1:
			a.IsBot = true
		}
		switch rapid.IntRange(0, 5).Draw(t, "link") {
		case 1, 2:
			a = linkedTo(a, rapid.SampledFrom(owners).Draw(t, "owner"))
		case 3: // forged: a link copied from another account
			b := linkedTo(Account{ID: "other"}, rapid.SampledFrom(owners).Draw(t, "forgedOwner"))
			a.Props = b.Props
		case 4: // link removed by the user, id left
			a.Props = map[string]string{PropEntraID: rapid.SampledFrom(owners).Draw(t, "strippedOwner")}
		case 5:
			if a.DeleteAt != 0 && rapid.Bool().Draw(t, "markedBySync") {
				owner := rapid.SampledFrom(owners).Draw(t, "deactOwner")
				a = linkedTo(a, owner)
				a.Props[PropDeactivated] = testLinker.DeactivatedMark(a.ID, owner, a.DeleteAt)
			}
		}
		w.obs.Accounts = append(w.obs.Accounts, a)
	}
	w.obs.SelfID = "self"
	w.opts = opts()
	w.opts.Deactivate = rapid.IntRange(0, 4).Draw(t, "deactivate") > 0
	w.opts.AdoptExisting = rapid.Bool().Draw(t, "adopt")
	w.opts.ReleaseAddresses = rapid.Bool().Draw(t, "release")
	w.opts.ManageAdmins = rapid.IntRange(0, 4).Draw(t, "manageAdmins") == 0
	w.opts.Reactivate = rapid.SampledFrom([]ReactivatePolicy{ReactivateBySync, ReactivateAny, ReactivateNever}).Draw(t, "reactivate")
	if rapid.IntRange(0, 3).Draw(t, "capped") == 0 {
		w.opts.MaxDeactivations = Threshold{Count: rapid.IntRange(0, 2).Draw(t, "max")}
	}
	if rapid.IntRange(0, 4).Draw(t, "ignore") == 0 {
		w.opts.Ignore = []string{rapid.SampledFrom(propNames).Draw(t, "ignored")}
	}
	return w
}

// planJSON renders what a plan does, for comparisons.
func planJSON(p *Plan) string {
	b, _ := json.Marshal(struct {
		A  []Action
		S  []Skip
		C  []Conflict
		W  []Action
		U  int
		E1 string
	}{p.Actions, p.Skipped, p.Conflicts, p.Withheld, p.Unchanged, p.ThresholdError + p.StopError})
	return string(b)
}

func TestPropPlanIsSafe(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		plan := BuildPlan(w.dir, w.obs, w.opts)
		if err := plan.Check(w.dir, w.obs); err != nil {
			t.Fatal(err)
		}
		// (e) The plan does not depend on the order of the inputs.
		perm := rapid.Permutation(w.dir.Users).Draw(t, "dirOrder")
		accts := rapid.Permutation(w.obs.Accounts).Draw(t, "accountOrder")
		again := BuildPlan(Directory{Users: perm, Deleted: w.dir.Deleted}, Observed{Accounts: accts, SelfID: "self"}, w.opts)
		if planJSON(plan) != planJSON(again) {
			t.Fatalf("the plan depends on input order:\n%s\n%s", planJSON(plan), planJSON(again))
		}
	})
}

func TestPropApplyConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		target := newFakeTarget(w.obs.Accounts...)
		target.loseCreates = rapid.IntRange(0, 2).Draw(t, "lostAnswers")
		plan := BuildPlan(w.dir, target.observed(), w.opts)
		before := target.observed()
		results := Apply(context.Background(), plan, target, ApplyOptions{Workers: 3, CreateWorkers: 2})

		// (c) Apply executes exactly the plan: one result per action, the
		// same action, and every one succeeds against a faithful server.
		if len(results) != len(plan.Actions) {
			t.Fatalf("%d results for %d actions", len(results), len(plan.Actions))
		}
		for i, r := range results {
			if r.Kind != plan.Actions[i].Kind || r.Action.AccountID != plan.Actions[i].AccountID {
				t.Fatalf("result %d is for another action: %+v vs %+v", i, r.Action, plan.Actions[i])
			}
			if r.Status != StatusDone && r.Status != StatusAdopted {
				t.Fatalf("%s %s: %s %s", r.Kind, r.Email, r.Status, r.Error)
			}
		}
		after := target.observed()
		checkProtectedUnchanged(t, w, before, after)
		checkNoActiveLeaverAddress(t, w, plan, before, after)

		// (b) A second plan over the result is empty.
		second := BuildPlan(w.dir, after, w.opts)
		if plan.ThresholdError == "" && len(second.Actions) != 0 {
			t.Fatalf("second plan not empty: %+v\nfirst: %+v", second.Actions, plan.Actions)
		}
	})
}

// (d) Protected accounts are unchanged, field for field.
func checkProtectedUnchanged(t *rapid.T, w world, before, after Observed) {
	r := newRules(w.opts.withDefaults(), "self")
	now := map[string]Account{}
	for _, a := range after.Accounts {
		now[a.ID] = a
	}
	for _, a := range before.Accounts {
		if r.protection(&a) != "" && !reflect.DeepEqual(a, now[a.ID]) {
			t.Fatalf("protected account %s changed:\n%+v\n%+v", a.Username, a, now[a.ID])
		}
	}
}

// (a) No disabled or deleted user's address keeps an active, unprotected
// account (one that belongs to no enabled directory user), unless a rail
// stopped the run, in which case none of those deactivations happened.
func checkNoActiveLeaverAddress(t *rapid.T, w world, plan *Plan, before, after Observed) {
	if !w.opts.Deactivate {
		return
	}
	if plan.ThresholdError != "" || plan.StopError != "" {
		was := map[string]int64{}
		for _, a := range before.Accounts {
			was[a.ID] = a.DeleteAt
		}
		for _, a := range after.Accounts {
			if was[a.ID] == 0 && a.DeleteAt != 0 {
				t.Fatalf("a rail withheld deactivations, but %s was deactivated", a.Username)
			}
		}
		return
	}
	claimed := map[string]Bool{} // address → the strongest claim by a directory user
	leaverAddr := map[string]bool{}
	enabled := map[string]bool{}
	for _, u := range w.dir.Users {
		e, _, ok := Email(u)
		if !ok {
			continue
		}
		if u.AccountEnabled != BoolFalse {
			claimed[e] = BoolTrue
			enabled[u.ID] = true
		} else if claimed[e] != BoolTrue {
			claimed[e] = BoolFalse
		}
	}
	for e, c := range claimed {
		if c == BoolFalse {
			leaverAddr[e] = true
		}
	}
	for _, d := range w.dir.Deleted {
		if e, _, ok := Email(DirectoryUser{Mail: d.Mail}); ok && claimed[e] == BoolUnknown {
			leaverAddr[e] = true
		}
	}
	r := newRules(w.opts.withDefaults(), "self")
	for _, a := range after.Accounts {
		if !a.Active() || r.protection(&a) != "" || !leaverAddr[strings.ToLower(a.Email)] {
			continue
		}
		owner, _ := testLinker.Linked(&a)
		if owner == "" {
			owner, _ = testLinker.CreatedBy(&a)
		}
		if !enabled[owner] {
			t.Fatalf("account %s <%s> is active although its address belongs to a disabled or deleted user (owner %q)", a.Username, a.Email, owner)
		}
	}
}
