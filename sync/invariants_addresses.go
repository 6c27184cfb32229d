package sync

import (
	"cmp"
	"slices"
	"strings"
)

// checkAddresses checks the end state: every address claimed once, by one
// account, and no username taken twice; an account parked on a
// placeholder moves on in the same plan.
func (p *Plan) checkAddresses(obs Observed, byID map[string]*Account, bad func(string, ...any)) {
	holder := make(map[string]string, len(obs.Accounts)) // address → account id at the end of the run
	usernames := make(map[string]bool, len(obs.Accounts))
	for i := range obs.Accounts {
		a := &obs.Accounts[i]
		if a.Email != "" {
			holder[strings.ToLower(a.Email)] = a.ID
		}
		usernames[strings.ToLower(a.Username)] = true
	}
	// First take every address away from the accounts that move, then give
	// each claimed address out once.
	type move struct{ id, to string }
	var moves []move
	for _, a := range p.Actions {
		if a.AccountID != "" && a.Patch.Email != nil {
			acct := byID[a.AccountID]
			if acct == nil {
				bad("%s %s changes the address of an account that was not observed", a.Kind, a.AccountID)
				continue
			}
			delete(holder, strings.ToLower(acct.Email))
			moves = append(moves, move{a.AccountID, strings.ToLower(*a.Patch.Email)})
		}
		if a.Kind == KindCreate {
			moves = append(moves, move{"new:" + a.EntraID, strings.ToLower(a.Email)})
			if u := strings.ToLower(a.Username); usernames[u] {
				bad("create %s: username %s is already taken or claimed twice", a.Email, a.Username)
			} else {
				usernames[u] = true
			}
		}
	}
	for _, m := range moves {
		if prev, taken := holder[m.to]; taken && prev != m.id {
			bad("address %s is claimed by %s while %s holds or claims it", m.to, m.id, prev)
		}
		holder[m.to] = m.id
	}
	// An account parked on a placeholder always moves on in the same plan:
	// a cycle whose other moves were dropped must not strand it on .invalid.
	movesOn := map[string]bool{}
	for _, a := range p.Actions {
		if !a.Temporary && a.Patch.Email != nil {
			movesOn[a.AccountID] = true
		}
	}
	for _, a := range p.Actions {
		if a.Temporary && !movesOn[a.AccountID] {
			bad("park %s on a placeholder address with no move on planned", a.Username)
		}
	}
}

// checkAddressOrder replays the plan's address changes in the order Apply
// runs them: deactivations, releases, then wave by wave the reactivations
// and, concurrently, the creates and updates. Within one step the writes run
// in parallel in any order, so an address a write takes must be free before
// the step starts: an address freed in the same step does not count. Any
// moment at which two accounts would hold one address is a broken plan (the
// server would refuse the second write, or worse, a swap could never be
// finished).
func (p *Plan) checkAddressOrder(obs Observed, bad func(string, ...any)) {
	holder := make(map[string]string, len(obs.Accounts)) // address → account id
	addrOf := make(map[string]string, len(obs.Accounts)) // account id → address
	for i := range obs.Accounts {
		a := &obs.Accounts[i]
		if e := strings.ToLower(a.Email); e != "" {
			holder[e], addrOf[a.ID] = a.ID, e
		}
	}
	type step struct {
		stage int // 0 deactivate, 1 release, 2 reactivate, 3 create and update
		wave  int
	}
	stepOf := func(a *Action) (step, bool) {
		switch a.Kind {
		case KindDeactivate:
			return step{0, 0}, true
		case KindRelease:
			return step{1, 0}, true
		case KindReactivate:
			return step{2, a.Wave}, true
		case KindCreate, KindUpdate:
			return step{3, a.Wave}, true
		}
		return step{}, false
	}
	steps := map[step][]*Action{}
	var order []step
	for i := range p.Actions {
		a := &p.Actions[i]
		if st, ok := stepOf(a); ok {
			if _, seen := steps[st]; !seen {
				order = append(order, st)
			}
			steps[st] = append(steps[st], a)
		}
	}
	slices.SortFunc(order, func(x, y step) int {
		if x.stage < 2 || y.stage < 2 {
			return cmp.Compare(x.stage, y.stage)
		}
		return cmp.Or(cmp.Compare(x.wave, y.wave), cmp.Compare(x.stage, y.stage))
	})
	for _, st := range order {
		taking := map[string]string{} // address → account taking it in this step
		moved := map[string]bool{}
		for _, a := range steps[st] {
			id, to := a.AccountID, ""
			switch {
			case a.Kind == KindCreate:
				id, to = "new:"+a.EntraID, strings.ToLower(a.Email)
			case a.Patch.Email != nil:
				to = strings.ToLower(*a.Patch.Email)
			}
			if to == "" || addrOf[id] == to {
				continue
			}
			if moved[id] {
				bad("%s %s changes its address twice in one step (wave %d)", a.Kind, a.Username, a.Wave)
			}
			moved[id] = true
			if h, held := holder[to]; held && h != id {
				bad("%s %s takes %s in wave %d while %s still holds it", a.Kind, a.Username, to, a.Wave, h)
			}
			if other, dup := taking[to]; dup && other != id {
				bad("%s %s and %s take %s at once (wave %d)", a.Kind, a.Username, other, to, a.Wave)
			}
			taking[to] = id
		}
		for _, id := range taking {
			if old := addrOf[id]; old != "" && holder[old] == id {
				delete(holder, old)
			}
		}
		for to, id := range taking {
			holder[to], addrOf[id] = id, to
		}
	}
}
