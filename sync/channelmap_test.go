package sync

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestValidChannelName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"town-square", true},
		{"a", true}, // one character is allowed since 6.x
		{"finance_internal", true},
		{"q3-", true}, // the current pattern allows a trailing - or _
		{"0c5c7fd0a6a34450a513270e26", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"-lead", false},
		{"_lead", false},
		{"Upper", false},
		{"has space", false},
		{"dot.ted", false},
		{"ümlaut", false},
	}
	for _, tt := range tests {
		if got := ValidChannelName(tt.name); got != tt.want {
			t.Errorf("ValidChannelName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseChannels(t *testing.T) {
	tests := []struct {
		name, in string
		want     []ChannelRef
		wantErr  string // substring; "" for success
	}{
		{"empty", "", nil, ""},
		{"comma and newline", "eng/town-square, eng/general\r\nops/alerts\n", []ChannelRef{{"eng", "town-square"}, {"eng", "general"}, {"ops", "alerts"}}, ""},
		{"comments and blanks, lower-cased, de-duplicated", "# all staff\n\n ENG/General , eng/general\n", []ChannelRef{{"eng", "general"}}, ""},
		{"trailing comma", "eng/general,", []ChannelRef{{"eng", "general"}}, ""},
		{"no slash", "eng/general\ngeneral", nil, `line 2: "general" is not team/channel`},
		{"URL path pasted", "eng/channels/general", nil, `line 1: "eng/channels/general" is not team/channel`},
		{"bad team", "e/general", nil, `line 1: "e/general": "e" is not a team name`},
		{"bad channel", "eng/-general", nil, `"-general" is not a channel name`},
		{"empty channel", "eng/", nil, `"" is not a channel name`},
	}
	for _, tt := range tests {
		got, err := ParseChannels(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestParseGroupChannels(t *testing.T) {
	tests := []struct {
		name, in string
		want     []GroupChannels
		wantErr  string
	}{
		{"empty", "\n# nothing\n", nil, ""},
		{"display name and object id",
			"Finance: eng/finance-internal, eng/town-square\n0c5c7fd0-a6a3-4450-a513-270e269e0d37: ops/alerts",
			[]GroupChannels{
				{Group: "Finance", Channels: []ChannelRef{{"eng", "finance-internal"}, {"eng", "town-square"}}, Line: 1},
				{Group: "0c5c7fd0-a6a3-4450-a513-270e269e0d37", Channels: []ChannelRef{{"ops", "alerts"}}, Line: 2},
			}, ""},
		{"group holding a colon and a slash: the last colon splits",
			"# comment\r\nR&D: Site A/B: eng/rnd\n",
			[]GroupChannels{{Group: "R&D: Site A/B", Channels: []ChannelRef{{"eng", "rnd"}}, Line: 2}}, ""},
		{"group named like a comment only after the start", "Team #1: eng/t1",
			[]GroupChannels{{Group: "Team #1", Channels: []ChannelRef{{"eng", "t1"}}, Line: 1}}, ""},
		{"duplicates on a line, case", "Ops: OPS/Alerts, ops/alerts,",
			[]GroupChannels{{Group: "Ops", Channels: []ChannelRef{{"ops", "alerts"}}, Line: 1}}, ""},
		{"no colon", "Ops: ops/alerts\nFinance eng/finance", nil, `line 2 "Finance eng/finance": want`},
		{"no group", ": ops/alerts", nil, "line 1 \": ops/alerts\": no group"},
		{"no channel", "\n\nOps:  , ", nil, "line 3 \"Ops:  ,\": no team/channel"},
		{"team only", "Ops: ops", nil, `line 1 (group "Ops"): "ops" is not team/channel`},
		{"bad channel name", "Ops: ops/alerts, ops/al erts", nil, `line 1 (group "Ops"): "ops/al erts": "al erts" is not a channel name`},
		{"colon after the channels", "Ops: ops/alerts: x", nil, `line 1 (group "Ops: ops/alerts"): "x" is not team/channel`},
	}
	for _, tt := range tests {
		got, err := ParseGroupChannels(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v %v, want %+v", tt.name, got, err, tt.want)
		}
	}
}

// FuzzParseGroupChannels checks that the parser never panics, that what it
// accepts is valid (non-empty trimmed groups, valid URL names, no repeats on
// a line, line numbers in range), and that rendering the result and parsing
// it again gives the same mapping.
func FuzzParseGroupChannels(f *testing.F) {
	for _, seed := range []string{
		"",
		"Finance: eng/finance-internal, eng/town-square",
		"0c5c7fd0-a6a3-4450-a513-270e269e0d37: ops/alerts\n# comment\n",
		"R&D: Site A/B: eng/rnd\r\nOps: OPS/Alerts, ops/alerts,",
		"Team #1: eng/t1",
		": eng/x",
		"Ops: ops",
		"Ops: a/b/c",
		"Ops:\n:\n::eng/a",
		"Ünïcödé Grüppe: eng/a_b-c",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseGroupChannels(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error does not name the line: %v", err)
			}
			return
		}
		nLines := len(inputLines(in))
		var rendered strings.Builder
		for _, gc := range got {
			if gc.Group == "" || gc.Group != strings.TrimSpace(gc.Group) || strings.ContainsAny(gc.Group, "\n") ||
				strings.HasPrefix(gc.Group, "#") {
				t.Fatalf("group %q", gc.Group)
			}
			if gc.Line < 1 || gc.Line > nLines || len(gc.Channels) == 0 {
				t.Fatalf("entry %+v of %d lines", gc, nLines)
			}
			seen := map[ChannelRef]bool{}
			for _, r := range gc.Channels {
				if !ValidTeamName(r.Team) || !ValidChannelName(r.Channel) || seen[r] {
					t.Fatalf("channel %+v in %+v", r, gc)
				}
				seen[r] = true
			}
			refs := make([]string, len(gc.Channels))
			for i, r := range gc.Channels {
				refs[i] = r.String()
			}
			fmt.Fprintf(&rendered, "%s: %s\n", gc.Group, strings.Join(refs, ", "))
		}
		again, err := ParseGroupChannels(rendered.String())
		if err != nil || len(again) != len(got) {
			t.Fatalf("rendered %q: %+v %v", rendered.String(), again, err)
		}
		for i := range got {
			if again[i].Group != got[i].Group || !reflect.DeepEqual(again[i].Channels, got[i].Channels) {
				t.Fatalf("round trip: %+v, want %+v", again[i], got[i])
			}
		}
	})
}
