package fakegraph

import (
	"strings"
	"testing"
)

const deletedPath = "/directory/deletedItems/microsoft.graph.user"

func TestDeletedUsersPagingSelectAndPrefix(t *testing.T) {
	s := newServer(t, Options{DeletedUsers: GenerateUsers(5)})
	tok := token(t, s)
	var got []map[string]any
	next := s.GraphURL() + deletedPath + "?$select=id,mail,userPrincipalName&$top=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		code, _, m := do(t, s, "GET", next, nil, tok)
		if code != 200 {
			t.Fatalf("%d %v", code, m)
		}
		for _, v := range m["value"].([]any) {
			got = append(got, v.(map[string]any))
		}
		next, _ = m["@odata.nextLink"].(string)
	}
	if len(got) != 5 || s.Requests()["GET /v1.0"+deletedPath] != 3 {
		t.Fatalf("%d users in %v", len(got), s.Requests())
	}
	want := GenerateUsers(5)
	for i, u := range got {
		if len(u) != 3 {
			t.Errorf("$select ignored: %v", u)
		}
		id := want[i].ID()
		upn := want[i]["userPrincipalName"].(string)
		// 00000000-0000-4000-8000-000000000001 → 00000000000040008000000000000001user0001@contoso.example
		if u["id"] != id || u["mail"] != want[i]["mail"] || u["userPrincipalName"] != strings.ReplaceAll(id, "-", "")+upn {
			t.Errorf("deleted user %v", u)
		}
	}
	// Graph's paths are case-insensitive; the cast is required.
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/directory/deleteditems/microsoft.graph.user", nil, tok); code != 200 {
		t.Errorf("lower-case path: %d", code)
	}
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/directory/deletedItems", nil, tok); code != 400 {
		t.Errorf("no cast: %d", code)
	}
}

func TestDeleteUser(t *testing.T) {
	users := GenerateUsers(3)
	s := newServer(t, Options{Users: users, Groups: []Group{{ID: "g", Members: []string{users[0].ID(), users[1].ID()}}}})
	tok := token(t, s)
	if !s.DeleteUser(users[1].ID()) || s.DeleteUser("missing") {
		t.Fatal("DeleteUser reported wrongly")
	}
	_, _, m := do(t, s, "GET", s.GraphURL()+"/users", nil, tok)
	if n := len(m["value"].([]any)); n != 2 {
		t.Fatalf("%d users left", n)
	}
	_, _, m = do(t, s, "GET", s.GraphURL()+"/groups/g/members", nil, tok)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != users[0].ID() {
		t.Fatalf("members %v", v)
	}
	_, _, m = do(t, s, "GET", s.GraphURL()+deletedPath+"?$select=id,userPrincipalName,deletedDateTime", nil, tok)
	v := m["value"].([]any)
	if len(v) != 1 {
		t.Fatalf("deleted %v", v)
	}
	d := v[0].(map[string]any)
	if d["userPrincipalName"] != DeletedUPN(users[1].ID(), "user0002@contoso.example") || d["deletedDateTime"] == nil {
		t.Fatalf("deleted user %v", d)
	}
	if users[1]["userPrincipalName"] != "user0002@contoso.example" {
		t.Fatal("DeleteUser changed the caller's map")
	}
}

// A missing permission answers as Graph's other 403s do.
func TestForbiddenDeletedUsers(t *testing.T) {
	s := newServer(t, Options{Users: GenerateUsers(2), DeletedUsers: GenerateUsers(1), ForbiddenDeletedUsers: true})
	tok := token(t, s)
	code, _, m := do(t, s, "GET", s.GraphURL()+deletedPath, nil, tok)
	e, _ := m["error"].(map[string]any)
	if code != 403 || e["code"] != "Authorization_RequestDenied" || e["message"] != "Insufficient privileges to complete the operation." {
		t.Fatalf("%d %v", code, m)
	}
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/users", nil, tok); code != 200 {
		t.Fatalf("/users: %d", code)
	}
	s.SetForbiddenDeletedUsers(false)
	if code, _, _ := do(t, s, "GET", s.GraphURL()+deletedPath, nil, tok); code != 200 {
		t.Fatalf("switched off: %d", code)
	}
	s.SetForbiddenDeletedUsers(true)
	s.ClearFaults()
	if code, _, _ := do(t, s, "GET", s.GraphURL()+deletedPath, nil, tok); code != 200 {
		t.Fatalf("after ClearFaults: %d", code)
	}
}

// Real tenants have users whose accountEnabled is null; the fake serves a
// nil property as JSON null, present in the answer.
func TestAccountEnabledNull(t *testing.T) {
	users := GenerateUsers(2)
	users[0]["accountEnabled"] = nil
	s := newServer(t, Options{Users: users})
	tok := token(t, s)
	if !s.SetUserProperty(users[1].ID(), "accountEnabled", nil) || s.SetUserProperty("missing", "x", 1) {
		t.Fatal("SetUserProperty reported wrongly")
	}
	_, _, m := do(t, s, "GET", s.GraphURL()+"/users?$select=id,accountEnabled", nil, tok)
	for _, v := range m["value"].([]any) {
		u := v.(map[string]any)
		if ae, present := u["accountEnabled"]; !present || ae != nil {
			t.Errorf("user %v: accountEnabled %v (present %v), want null", u["id"], ae, present)
		}
	}
	if users[1]["accountEnabled"] != true {
		t.Fatal("SetUserProperty changed the caller's map")
	}
}
