package scale

import "testing"

func TestRequestCounts(t *testing.T) {
	r := Requests{
		Graph: map[string]int{"GET /v1.0/users": 3, "POST /token": 1},
		MM:    map[string]int{"GET /api/v4/users": 51, "POST /api/v4/users": 7, "PUT /api/v4/users/x/patch": 7},
	}
	if r.GraphTotal() != 4 || r.MMTotal() != 65 || r.MMWrites() != 14 {
		t.Fatalf("graph %d, mattermost %d, writes %d", r.GraphTotal(), r.MMTotal(), r.MMWrites())
	}
	if got, want := Format(r.MM), "`GET /api/v4/users` 51, `POST /api/v4/users` 7, `PUT /api/v4/users/x/patch` 7"; got != want {
		t.Errorf("Format = %s\n want %s", got, want)
	}
}

func TestStartServesATenant(t *testing.T) {
	e := Start(50, Latency{})
	defer e.Close()
	env := e.Env(t.TempDir() + "/report.json")
	if env["MM_API_BASE_URL"] != e.MM.URL() || env["GRAPH_URL"] != e.Graph.GraphURL() || len(e.Users) != 50 {
		t.Fatalf("environment: %v, %d users", env, len(e.Users))
	}
}
