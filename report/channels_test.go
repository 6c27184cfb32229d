package report

import (
	"bytes"
	"strings"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Channel changes read like team changes everywhere: the plan text, the
// job summary, the counts; each names team/channel and the mapping line.
func TestChannelChangesAreReported(t *testing.T) {
	add := mmsync.Action{Kind: mmsync.KindChannelAdd, Email: "ann@x.example", Username: "ann", Team: "eng", Channel: "on-call", ChannelID: "c1",
		Reason: "group-channels line 2 (On call)"}
	rm := mmsync.Action{Kind: mmsync.KindChannelRemove, Email: "bob@x.example", Username: "bob", Team: "eng", Channel: "secret", ChannelID: "c2",
		Reason: "no mapping puts this user in channel eng/secret any more (remove-from-channels)"}
	plan := &mmsync.Plan{Actions: []mmsync.Action{add, rm}}
	var text bytes.Buffer
	WritePlan(&text, plan)
	for _, want := range []string{
		"; 1 channel memberships to add, 1 to remove.",
		"+ channel-add     ann                    eng/on-call (group-channels line 2 (On call))",
		"- channel-remove  bob                    eng/secret (no mapping puts this user in channel eng/secret any more (remove-from-channels))",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, text.String())
		}
	}
	r := New(plan, []mmsync.Result{{Action: add, Status: mmsync.StatusDone}, {Action: rm, Status: mmsync.StatusDone}}, false)
	if r.Counts.ChannelAdded != 1 || r.Counts.ChannelRemoved != 1 {
		t.Errorf("counts %+v, want one channel add and one removal", r.Counts)
	}
	md := r.Markdown()
	for _, want := range []string{"Channel memberships: 1 added, 1 removed.", "| channel-add | ann@x.example | `ann` | join channel eng/on-call (group-channels line 2 (On call)) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	var done bytes.Buffer
	r.WriteText(&done)
	if !strings.Contains(done.String(), "; 1 channel memberships added, 1 removed.") {
		t.Errorf("text report: %s", done.String())
	}
	withheld := New(&mmsync.Plan{WithheldRemovals: []mmsync.Action{rm}, RemovalError: "over"}, nil, false).Markdown()
	if !strings.Contains(withheld, "| channel-remove eng/secret | bob@x.example |") {
		t.Errorf("withheld removals do not name the channel:\n%s", withheld)
	}
}
