package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

const secret = "n8n-shared-secret-0123456789"

// fast waits on a fake clock: no test sleeps.
var fast = Options{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, AttemptTimeout: 2 * time.Second, MaxTotal: 10 * time.Second, Clock: clock.NewFake()}

func samplePayload() Payload {
	start := time.Date(2026, 3, 1, 2, 17, 0, 0, time.FixedZone("CET", 3600))
	p := Payload{
		Status: StatusFailure, DryRun: false,
		Counts:     report.Counts{Created: 3, Updated: 5, Deactivated: 1, Reactivated: 1, Unchanged: 50, Skipped: 4, Failed: 2},
		RunURL:     "https://github.com/acme/people-sync/actions/runs/42",
		Repository: "acme/people-sync", Event: "repository_dispatch",
		StartedAt: Timestamp(start), FinishedAt: Timestamp(start.Add(90 * time.Second)),
	}
	p.AddFailure(Failure{Action: "create", Email: "a@example.com", Username: "a", Error: "token " + secret + " rejected <&>", ErrorID: "app.user.save.email_exists.app_error"})
	p.AddFailure(Failure{Action: "update", Email: "b@example.com", Username: "b", Error: "boom"})
	p.Redact(secret)
	return p
}

// The payload's counts keep the names receivers read: the seven step outputs,
// plus the team and channel membership changes (added when the payload took the
// report's Counts). Renaming a field of report.Counts breaks this test.
func TestPayloadCountsContract(t *testing.T) {
	body, err := Payload{Status: StatusSuccess, Counts: report.Counts{Created: 1, Updated: 2, Deactivated: 3,
		Reactivated: 4, Unchanged: 5, Skipped: 6, Failed: 7, TeamAdded: 8, TeamRemoved: 9, ChannelAdded: 10, ChannelRemoved: 11, Onboarded: 12}}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"created": 1, "updated": 2, "deactivated": 3, "reactivated": 4, "unchanged": 5,
		"skipped": 6, "failed": 7, "team_added": 8, "team_removed": 9, "conflicts": 0, "not_attempted": 0, "released": 0,
		"channel_added": 10, "channel_removed": 11, "onboarded": 12, "changed_since_plan": 0, "not_in_approved_plan": 0}
	if !maps.Equal(m.Counts, want) {
		t.Errorf("counts = %v, want %v", m.Counts, want)
	}
}

func TestPayloadJSON(t *testing.T) {
	body, err := samplePayload().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["started_at"] != "2026-03-01T01:17:00Z" || m["finished_at"] != "2026-03-01T01:18:30Z" || m["status"] != "failure" {
		t.Fatalf("%s", body)
	}
	c := m["counts"].(map[string]any)
	for k, v := range map[string]float64{"created": 3, "updated": 5, "deactivated": 1, "reactivated": 1, "unchanged": 50, "skipped": 4, "failed": 2} {
		if c[k] != v {
			t.Errorf("%s = %v", k, c[k])
		}
	}
	if strings.Contains(string(body), secret) || !strings.Contains(string(body), "<&>") {
		t.Fatalf("%s", body)
	}
	if _, ok := m["error"]; ok {
		t.Error("empty error present")
	}

	empty, _ := Payload{Status: StatusDryRun, DryRun: true}.Marshal()
	if !strings.Contains(string(empty), `"failures":[]`) {
		t.Fatalf("%s", empty)
	}
	if _, err := (Payload{Status: "ok"}).Marshal(); err == nil {
		t.Fatal("bad status accepted")
	}

	var p Payload
	for i := 0; i < MaxFailures+7; i++ {
		p.AddFailure(Failure{Action: "update", Error: fmt.Sprint(i)})
	}
	p.Status = StatusFailure
	p.Failures = append(p.Failures, Failure{Action: "x"}) // over the cap by hand
	body, _ = p.Marshal()
	var back Payload
	_ = json.Unmarshal(body, &back)
	if len(back.Failures) != MaxFailures || back.FailuresTruncated != 8 {
		t.Fatalf("%d %d", len(back.Failures), back.FailuresTruncated)
	}
}

func TestSignVerify(t *testing.T) {
	// Known vector: HMAC-SHA256("It's a Secret to Everybody", "Hello, World!") from GitHub's webhook docs.
	got := Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	if got != "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Fatal(got)
	}
	if !Verify([]byte("It's a Secret to Everybody"), []byte("Hello, World!"), got) || Verify([]byte("x"), []byte("Hello, World!"), got) {
		t.Fatal("verify")
	}
}

func TestSendSignedBody(t *testing.T) {
	body, _ := samplePayload().Marshal()
	var got Payload
	var gotUA, gotCT, gotSig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		gotUA, gotCT, gotSig = r.UserAgent(), r.Header.Get("Content-Type"), r.Header.Get(SignatureHeader)
		if r.Method != http.MethodPost || !Verify([]byte(secret), raw, gotSig) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	if err := Send(context.Background(), srv.URL+"/webhook/entra-mattermost-sync", secret, body, fast); err != nil {
		t.Fatal(err)
	}
	if gotUA != "entra-mattermost-sync" || gotCT != "application/json" || got.Counts.Unchanged != 50 || len(got.Failures) != 2 {
		t.Fatalf("%q %q %+v", gotUA, gotCT, got)
	}
	// Without a secret there is no signature header.
	if err := Send(context.Background(), srv.URL, "", body, fast); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("%v", err)
	}
	if gotSig != "" {
		t.Fatalf("signature sent without a secret: %q", gotSig)
	}
}

func TestSendRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "3600") // capped to WaitMax
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	start := time.Now()
	opts := fast
	clk := clock.NewFake()
	opts.Clock = clk
	if err := Send(context.Background(), srv.URL, secret, []byte(`{}`), opts); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 || time.Since(start) > 5*time.Second {
		t.Fatalf("attempts %d in %s", n.Load(), time.Since(start))
	}
	if got := clk.Sleeps(); fmt.Sprint(got) != "[1ms 5ms]" {
		t.Errorf("waits %v, want the backoff's 1ms, then the Retry-After cut to WaitMax", got)
	}
}

func TestSendNoRetryOn4xx(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, `{"code":404,"message":"The requested webhook \"POST entra-mattermost-sync\" is not registered."}`, http.StatusNotFound)
	}))
	defer srv.Close()
	err := Send(context.Background(), srv.URL+"/webhook-test/x?token=QUERYSECRET", secret, []byte(`{}`), fast)
	if err == nil || n.Load() != 1 || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), srv.URL+"/…") {
		t.Fatalf("%d %v", n.Load(), err)
	}
	t.Log(err)
	// The path is a webhook's secret as often as the query is.
	for _, leak := range []string{"QUERYSECRET", secret, "webhook-test/x"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("%q leaked: %v", leak, err)
		}
	}
}

func TestSendServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var hits atomic.Int32
	tr := &countingTransport{next: http.DefaultTransport, n: &hits}
	opts := fast
	opts.HTTPClient = &http.Client{Transport: tr}
	err = Send(context.Background(), "http://user:pw@"+addr+"/hook?token=QUERYSECRET#frag", secret, []byte(`{}`), opts)
	if err == nil || !strings.Contains(err.Error(), "after 4 attempt(s)") || hits.Load() != 4 {
		t.Fatalf("%d %v", hits.Load(), err)
	}
	for _, leak := range []string{"QUERYSECRET", secret, "pw", "frag", "/hook"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("%q leaked: %v", leak, err)
		}
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "http://"+addr+"/…") {
		t.Fatalf("%v", err)
	}
}

func TestSendBoundedTotal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	clk := clock.NewFake()
	opts := Options{Attempts: 10, WaitMin: time.Second, WaitMax: time.Second, MaxTotal: 300 * time.Millisecond, Clock: clk}
	start, virtualStart := time.Now(), clk.Now()
	err := Send(context.Background(), srv.URL, "", []byte(`{}`), opts)
	if err == nil || time.Since(start) > 2*time.Second || clk.Now().Sub(virtualStart) > opts.MaxTotal {
		t.Fatalf("%v after %s (%s on the clock)", err, time.Since(start), clk.Now().Sub(virtualStart))
	}
}

func TestURLValidation(t *testing.T) {
	for _, bad := range []string{"", "ftp://host/x?token=QUERYSECRET", "file:///etc/passwd", "https:///nohost", "n8n.example.com/webhook", "::"} {
		err := ValidateURL(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "QUERYSECRET") {
			t.Errorf("leak: %v", err)
		}
		if Send(context.Background(), bad, "", nil, fast) == nil {
			t.Errorf("Send accepted %q", bad)
		}
	}
	for _, good := range []string{"https://n8n.example.com/webhook/entra-mattermost-sync", "http://n8n.internal:5678/webhook/x?token=abc"} {
		if err := ValidateURL(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for raw, want := range map[string]string{
		"https://u:p@n8n.example.com/webhook/x?token=abc#f":       "https://n8n.example.com/…",
		"https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXX": "https://hooks.slack.com/…",
		"https://n8n.example.com":                                 "https://n8n.example.com",
		"https://n8n.example.com/":                                "https://n8n.example.com",
		"http://n8n.internal:5678/webhook/uuid":                   "http://n8n.internal:5678/…",
	} {
		if got := SafeURL(raw); got != want {
			t.Errorf("SafeURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestFromReport(t *testing.T) {
	rep := &report.Report{Status: "failure", Error: "boom", Results: []mmsync.Result{{Action: mmsync.Action{Kind: mmsync.KindCreate, Email: "a@x.example"}, Status: mmsync.StatusFailed, Error: "nope"}}}
	env := map[string]string{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42", "GITHUB_EVENT_NAME": "schedule"}
	p := FromReport(rep, func(k string) string { return env[k] })
	if p.RunURL != "https://github.com/o/r/actions/runs/42" || p.Event != "schedule" || len(p.Failures) != 1 || p.Failures[0].Email != "a@x.example" {
		t.Fatalf("%+v", p)
	}
	if p := FromReport(rep, func(string) string { return "" }); p.RunURL != "" || p.Repository != "" {
		t.Fatalf("outside Actions: %+v", p)
	}
}

// Every attempt of one delivery carries the same X-Delivery-Id; the next
// delivery has another.
func TestDeliveryIDIsStableAcrossRetries(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get(DeliveryHeader))
		mu.Unlock()
		if n.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for range 2 {
		if err := Send(context.Background(), srv.URL, secret, []byte(`{}`), fast); err != nil {
			t.Fatal(err)
		}
	}
	if len(ids) != 4 || ids[0] == "" || len(ids[0]) != 32 || ids[0] != ids[1] || ids[1] != ids[2] || ids[2] == ids[3] {
		t.Fatalf("delivery ids %q: want one id on the three attempts of the first delivery, another on the second", ids)
	}
}
