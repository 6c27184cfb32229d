package sync

import (
	"reflect"
	"testing"
)

func TestAssembleScope(t *testing.T) {
	reads := map[string]GroupRead{
		"Engineering": {ID: "g1", Members: map[string]bool{"a": true, "b": true}},
		"Sales":       {ID: "g2", Members: map[string]bool{"b": true, "c": true}},
		"Gone":        {Broken: "no group named Gone"},
	}
	for _, tt := range []struct {
		name    string
		groups  []string
		members map[string]bool
		sizes   map[string]int
		ids     []string
		broken  []BrokenMapping
	}{
		{"no groups: everyone", nil, nil, nil, nil, nil},
		{"one group", []string{"Engineering"}, map[string]bool{"a": true, "b": true}, map[string]int{"Engineering": 2}, []string{"g1"}, nil},
		{"the union of groups", []string{"Sales", "Engineering"}, map[string]bool{"a": true, "b": true, "c": true},
			map[string]int{"Engineering": 2, "Sales": 2}, []string{"g2", "g1"}, nil},
		{"a broken group is reported, the others still count", []string{"Gone", "Sales"}, map[string]bool{"b": true, "c": true},
			map[string]int{"Sales": 2}, []string{"g2"}, []BrokenMapping{{Input: InputGroups, Entry: "Gone", Error: "no group named Gone"}}},
	} {
		a := AssembleScope(tt.groups, reads, true, []string{"pilot@x"})
		if !a.Scope.IncludeGuests || len(a.Scope.Only) != 1 {
			t.Errorf("%s: guests and only-users not carried: %+v", tt.name, a.Scope)
		}
		if !reflect.DeepEqual(a.Scope.Members, tt.members) || !reflect.DeepEqual(a.Sizes, tt.sizes) ||
			!reflect.DeepEqual(a.GroupIDs, tt.ids) || !reflect.DeepEqual(a.Broken, tt.broken) {
			t.Errorf("%s: got %+v", tt.name, a)
		}
	}
}

func TestAssembleTeamPolicy(t *testing.T) {
	eng := map[string]bool{"a": true}
	reads := map[string]GroupRead{"Eng": {ID: "g1", Members: eng}, "Gone": {Broken: "no group named Gone"}}
	brokenTeams := map[string]string{"old": "no team named old"}
	p, broken := AssembleTeamPolicy([]string{"town", "old"}, []GroupTeams{
		{Group: "Eng", Teams: []string{"eng"}, Line: 1},
		{Group: "Gone", Teams: []string{"eng"}, Line: 2},
		{Group: "Eng", Teams: []string{"eng", "old"}, Line: 3},
	}, true, brokenTeams, reads)
	want := &TeamPolicy{Everyone: []string{"town"}, Remove: true,
		ByGroup: []GroupMembership{{Group: "Eng", ID: "g1", Members: eng, Teams: []string{"eng"}}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy %+v, want %+v", p, want)
	}
	wantBroken := []BrokenMapping{
		{Input: InputTeams, Entry: "old", Error: "no team named old", Teams: []string{"old"}},
		{Input: InputGroupTeams, Line: 2, Entry: "Gone", Error: "no group named Gone", Teams: []string{"eng"}},
		{Input: InputGroupTeams, Line: 3, Entry: "old", Error: "no team named old", Teams: []string{"eng", "old"}},
	}
	if !reflect.DeepEqual(broken, wantBroken) {
		t.Errorf("broken %+v, want %+v", broken, wantBroken)
	}
}

func TestAssembleChannelPolicy(t *testing.T) {
	eng := map[string]bool{"a": true}
	town, arch := ChannelRef{Team: "t", Channel: "town"}, ChannelRef{Team: "t", Channel: "old"}
	reads := map[string]GroupRead{"Eng": {ID: "g1", Members: eng}, "Gone": {Broken: "no group named Gone"}}
	brokenChannels := map[ChannelRef]string{arch: "archived"}
	p, broken := AssembleChannelPolicy([]ChannelRef{town, arch}, []GroupChannels{
		{Group: "Eng", Channels: []ChannelRef{town}, Line: 1},
		// A broken group is named before a broken channel of the same line.
		{Group: "Gone", Channels: []ChannelRef{arch}, Line: 2},
		{Group: "Eng", Channels: []ChannelRef{town, arch}, Line: 3},
	}, false, brokenChannels, reads)
	want := &ChannelPolicy{Everyone: []ChannelRef{town},
		ByGroup: []ChannelMembership{{Group: "Eng", ID: "g1", Line: 1, Members: eng, Channels: []ChannelRef{town}}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy %+v, want %+v", p, want)
	}
	wantBroken := []BrokenMapping{
		{Input: InputChannels, Entry: "t/old", Error: "archived", Channels: []ChannelRef{arch}},
		{Input: InputGroupChannels, Line: 2, Entry: "Gone", Error: "no group named Gone", Channels: []ChannelRef{arch}},
		{Input: InputGroupChannels, Line: 3, Entry: "t/old", Error: "archived", Channels: []ChannelRef{town, arch}},
	}
	if !reflect.DeepEqual(broken, wantBroken) {
		t.Errorf("broken %+v, want %+v", broken, wantBroken)
	}
}
