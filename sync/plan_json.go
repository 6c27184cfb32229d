package sync

import "encoding/json"

// A plan's JSON form is its Go form, field for field (the JSON names on
// Plan, Action and the types they hold), with one canonical rule for empty
// lists: in Go an empty list is nil, in JSON the lists every plan has
// (actions, skipped) are written as [] and the others are left out. So a
// plan marshals to JSON and back to an equal value (reflect.DeepEqual),
// which a saved plan needs to be applied as it was reviewed.

// MarshalJSON writes the plan with actions and skipped as [] when empty,
// never null.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan // without the methods: no recursion
	q := plain(p)
	if q.Actions == nil {
		q.Actions = []Action{}
	}
	if q.Skipped == nil {
		q.Skipped = []Skip{}
	}
	return json.Marshal(q)
}

// UnmarshalJSON reads a plan written by MarshalJSON (or by hand), with
// every empty list made nil, as BuildPlan makes them.
func (p *Plan) UnmarshalJSON(b []byte) error {
	type plain Plan
	var q plain
	if err := json.Unmarshal(b, &q); err != nil {
		return err
	}
	*p = Plan(q)
	p.canonical()
	return nil
}

// canonical makes every empty list in the plan nil.
func (p *Plan) canonical() {
	p.Actions = canonicalActions(p.Actions)
	p.Withheld = canonicalActions(p.Withheld)
	p.WithheldRemovals = canonicalActions(p.WithheldRemovals)
	p.Blocked = canonicalActions(p.Blocked)
	p.Skipped = nilIfEmpty(p.Skipped)
	p.Conflicts = nilIfEmpty(p.Conflicts)
	p.NeedTeamChannels = nilIfEmpty(p.NeedTeamChannels)
	p.ResolvedGroups = nilIfEmpty(p.ResolvedGroups)
	p.TakenUsernames = nilIfEmpty(p.TakenUsernames)
	p.Broken = nilIfEmpty(p.Broken)
	for i := range p.Broken {
		p.Broken[i].Teams = nilIfEmpty(p.Broken[i].Teams)
		p.Broken[i].Channels = nilIfEmpty(p.Broken[i].Channels)
	}
	p.Unconfirmed = nilIfEmpty(p.Unconfirmed)
	for i := range p.Unconfirmed {
		p.Unconfirmed[i].Groups = nilIfEmpty(p.Unconfirmed[i].Groups)
	}
}

func canonicalActions(list []Action) []Action {
	list = nilIfEmpty(list)
	for i := range list {
		list[i].Changes = nilIfEmpty(list[i].Changes)
	}
	return list
}

func nilIfEmpty[T any](list []T) []T {
	if len(list) == 0 {
		return nil
	}
	return list
}
