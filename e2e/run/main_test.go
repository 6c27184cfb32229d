package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
)

var validUsername = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,21}$`)

func TestFirstSyncThenNoOp(t *testing.T) {
	w := world.New(t, "tenant-2000.json")
	want := world.ExpectedCreates(t, "tenant-2000.json")

	if code := w.Run(); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, w.Stdout.String(), w.Stderr.String())
	}
	if got := w.OutputInt("created"); got != want {
		t.Errorf("created = %d, want %d", got, want)
	}
	for _, name := range []string{"updated", "deactivated", "reactivated", "failed"} {
		if got := w.OutputInt(name); got != 0 {
			t.Errorf("%s = %d, want 0", name, got)
		}
	}
	if got, want := w.OutputInt("skipped"), 2000-want-world.Guests(t, "tenant-2000.json"); got != want {
		t.Errorf("skipped = %d, want %d", got, want)
	}
	users := w.MM.Users()
	if len(users) != want+1 { // + the token owner
		t.Errorf("Mattermost has %d users, want %d", len(users), want+1)
	}
	seen := map[string]bool{}
	for _, u := range users {
		if !validUsername.MatchString(u.Username) || seen[u.Username] {
			t.Errorf("username %q invalid or duplicate", u.Username)
		}
		seen[u.Username] = true
	}
	hashes := w.MM.PasswordHashes()
	distinct := map[string]bool{}
	for _, h := range hashes {
		distinct[h] = true
	}
	if len(distinct) != want {
		t.Errorf("%d distinct passwords for %d created users", len(distinct), want)
	}
	var rep report.Report
	b, err := os.ReadFile(w.Outputs()["report"])
	if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Results) != want || rep.Status != "success" {
		t.Fatalf("report %q: %v, %d results, status %q", w.Outputs()["report"], err, len(rep.Results), rep.Status)
	}
	if s := w.Summary(); !strings.Contains(s, "| created |") || !strings.Contains(s, fmt.Sprintf("| %d | 0 |", want)) {
		t.Errorf("job summary lacks the counts:\n%.600s", s)
	}
	w.AssertNoSecrets(nil)

	// The second run over the same data writes nothing, and reads in bulk:
	// ceil(N/999) Graph pages plus one token, ceil(M/200) Mattermost pages
	// plus the preflight.
	w.MM.ResetCounters()
	w.Graph.ResetCounters()
	if code := w.Run(); code != 0 {
		t.Fatalf("second run exit %d\n%s", code, w.Stderr.String())
	}
	if n := w.MM.Writes(); n != 0 {
		t.Errorf("second run made %d writes", n)
	}
	if got := w.OutputInt("unchanged"); got != want {
		t.Errorf("unchanged = %d, want %d", got, want)
	}
	graphReqs := w.Graph.Requests()
	if n := graphReqs["GET /v1.0/users"]; n > (2000+998)/999 {
		t.Errorf("%d Graph /users requests, want at most %d", n, (2000+998)/999)
	}
	total := 0
	for k, n := range graphReqs {
		if !strings.Contains(k, "openid-configuration") {
			total += n
		}
	}
	// Users in pages of 999, the deleted users (none here: one page), the token.
	if n := graphReqs["GET /v1.0/directory/deletedItems/microsoft.graph.user"]; n != 1 {
		t.Errorf("%d deleted-users requests, want 1", n)
	}
	if total > (2000+998)/999+1+1 {
		t.Errorf("Graph requests %v exceed pages + deleted page + token", graphReqs)
	}
	m := len(users)
	if n, bound := w.MM.TotalRequests(), (m+199)/200+4; n > bound {
		t.Errorf("%d Mattermost requests, want at most %d: %v", n, bound, w.MM.Requests())
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_DRY-RUN"] = "true"
	if code := w.Run(); code != 0 {
		t.Fatalf("exit %d: %s", code, w.Stderr.String())
	}
	if n := w.MM.Writes(); n != 0 {
		t.Fatalf("dry run made %d writes", n)
	}
	want := world.ExpectedCreates(t, "tenant-60.json")
	if got := w.OutputInt("created"); got != want {
		t.Errorf("dry-run created = %d, want the planned %d", got, want)
	}
	if !strings.Contains(w.Stdout.String(), "+ create") || !strings.Contains(w.Summary(), "dry run") {
		t.Errorf("dry run does not show the plan:\n%.500s", w.Stdout.String())
	}
}

func TestBadInputFailsBeforeAnyChange(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *world.World)
		want   string
	}{
		{"missing tenant", func(w *world.World) { delete(w.Env, "INPUT_AZURE-TENANT-ID") }, "azure-tenant-id"},
		{"missing client id", func(w *world.World) { delete(w.Env, "INPUT_AZURE-CLIENT-ID") }, "azure-client-id"},
		{"missing secret", func(w *world.World) { delete(w.Env, "INPUT_AZURE-CLIENT-SECRET") }, "azure-client-secret"},
		{"missing url", func(w *world.World) { delete(w.Env, "INPUT_MATTERMOST-URL") }, "mattermost-url"},
		{"missing token", func(w *world.World) { delete(w.Env, "INPUT_MATTERMOST-TOKEN") }, "mattermost-token"},
		{"malformed url", func(w *world.World) { w.Env["INPUT_MATTERMOST-URL"] = "chat.example.com/api/v4" }, "mattermost-url"},
		{"ftp url", func(w *world.World) { w.Env["INPUT_MATTERMOST-URL"] = "ftp://chat.example.com" }, "mattermost-url"},
		{"client id not a guid", func(w *world.World) { w.Env["INPUT_AZURE-CLIENT-ID"] = "my-app" }, "azure-client-id"},
		{"dry-run not a boolean", func(w *world.World) { w.Env["INPUT_DRY-RUN"] = "maybe" }, "dry-run"},
		{"bad mattermost token", func(w *world.World) { w.Env["INPUT_MATTERMOST-TOKEN"] = "wrongtoken000000000000000a" }, "mattermost-token"},
		{"wrong azure secret", func(w *world.World) { w.Env["INPUT_AZURE-CLIENT-SECRET"] = "not-the-secret" }, "azure-client-secret"},
		{"graph 403", func(w *world.World) { w.Graph.SetForbidden(true) }, "User.Read.All"},
		{"not mattermost", func(w *world.World) { w.Env["INPUT_MATTERMOST-URL"] = w.Graph.GraphURL() }, "mattermost-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			tt.mutate(w)
			code := w.Run()
			if code == 0 {
				t.Fatal("exit 0, want a failure")
			}
			if n := w.MM.Writes(); n != 0 {
				t.Errorf("%d writes before failing", n)
			}
			errLine := firstErrorLine(w.Stdout.String())
			if !strings.Contains(errLine, tt.want) {
				t.Errorf("first ::error:: line %q does not name %q\nstdout:\n%s", errLine, tt.want, w.Stdout.String())
			}
			if got := w.Outputs()["failed"]; got != "0" {
				t.Errorf("failed output = %q, want 0 (no user was attempted)", got)
			}
			w.AssertNoSecrets(nil)
		})
	}
}

func TestOneUsersFailureDoesNotStopOthers(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.FailNext(3, 500, "POST /api/v4/users")
	code := w.Run()
	if code == 0 {
		t.Fatal("exit 0 despite failures")
	}
	want := world.ExpectedCreates(t, "tenant-60.json")
	if f, c := w.OutputInt("failed"), w.OutputInt("created"); f != 3 || c != want-3 {
		t.Errorf("failed=%d created=%d, want 3 and %d", f, c, want-3)
	}
	if !strings.Contains(w.Summary(), "### Failures (3)") {
		t.Errorf("summary lacks the failures:\n%s", w.Summary())
	}
	// The next run converges.
	if code := w.Run(); code != 0 || w.OutputInt("created") != 3 {
		t.Fatalf("second run exit %d created %s\n%s", code, w.Outputs()["created"], w.Stdout.String())
	}
}

func TestErrorAnnotationsAreCapped(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.FailNext(40, 500, "POST /api/v4/users")
	if code := w.Run(); code == 0 {
		t.Fatal("exit 0")
	}
	// GitHub shows at most 10 error annotations per step.
	if n := strings.Count(w.Stdout.String(), "::error"); n > 10 {
		t.Errorf("%d error annotations, want at most 10", n)
	}
}

func TestCLIUsesLegacyEnvironmentNames(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env = map[string]string{
		"AZURE_TENANT_ID": world.TenantID, "AZURE_CLIENT_ID": world.ClientID, "AZURE_CLIENT_SECRET": world.ClientSecret,
		"MM_API_BASE_URL": w.MM.URL() + "/api/v4/", "MM_ADMIN_TOKEN": w.MM.AdminToken(),
		"AZURE_AUTHORITY_HOST": w.Graph.AuthorityHost(),
	}
	code := w.Run("--graph-url", w.Graph.GraphURL(), "--report-path", filepath.Join(w.Dir, "r.json"), "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, w.Stderr.String())
	}
	if strings.Contains(w.Stdout.String(), "::") {
		t.Errorf("workflow commands printed outside Actions:\n%s", w.Stdout.String())
	}
	if !strings.Contains(w.Stdout.String(), "Dry run:") {
		t.Errorf("no summary line:\n%s", w.Stdout.String())
	}
}

// firstErrorLine is the first ::error workflow command in a run's log, ""
// when there is none.
func firstErrorLine(stdout string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "::error") {
			return l
		}
	}
	return ""
}
