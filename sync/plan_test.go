package sync

import (
	"fmt"
	"strings"
	"testing"
)

func user(id, mail, display string) DirectoryUser {
	return DirectoryUser{ID: id, AccountEnabled: BoolTrue, UserType: "Member", Mail: mail, UserPrincipalName: mail, DisplayName: display}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		name string
		u    DirectoryUser
		want string
		ok   bool
	}{
		{"mail wins", DirectoryUser{Mail: "A@X.example", UserPrincipalName: "b@x.onmicrosoft.com"}, "a@x.example", true},
		{"upn fallback", DirectoryUser{UserPrincipalName: "82021972@contoso.example"}, "82021972@contoso.example", true},
		{"guest upn", DirectoryUser{UserPrincipalName: "p_vendor.example#EXT#@c.onmicrosoft.com"}, "", false},
		{"nothing", DirectoryUser{}, "", false},
		{"bad mail", DirectoryUser{Mail: "Jane <jane@x.example>"}, "", false},
		{"two ats", DirectoryUser{Mail: "a@b@c.example"}, "", false},
		{"no dot domain", DirectoryUser{UserPrincipalName: "admin@localhost"}, "", false},
		{"too long", DirectoryUser{Mail: strings.Repeat("a", 120) + "@x.example"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, ok := Email(tt.u)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Email = %q, %v (%s); want %q, %v", got, ok, reason, tt.want, tt.ok)
			}
			if !ok && reason == "" {
				t.Fatal("a skip needs a reason")
			}
		})
	}
}

func TestCleanField(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  Jane Doe ", 64, "Jane Doe"},
		{"Jane\u202eDoe", 64, "JaneDoe"},
		{"a\nb", 64, "ab"},
		{strings.Repeat("가", 70), 64, strings.Repeat("가", 64)},
		{"abc def", 4, "abc"},
	}
	for _, tt := range tests {
		if got := CleanField(tt.in, tt.max); got != tt.want {
			t.Errorf("CleanField(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

var testLinker = NewLinker([]byte("test link key"))

func opts() Options {
	return Options{Linker: testLinker, AdoptExisting: true, Deactivate: true, MaxDeactivations: Percent(100), MaxRemovals: Percent(100), ReleaseAddresses: true, Reactivate: ReactivateAny}
}

// linkedTo returns a copy of a with a valid link to objectID.
func linkedTo(a Account, objectID string) Account {
	a.Props = testLinker.linkProps(&a, a.ID, objectID)
	return a
}

func TestBuildPlan(t *testing.T) {
	jane := user("id-jane", "Jane.Doe@contoso.example", "Jane Doe")
	jane.GivenName, jane.Surname, jane.JobTitle = "Jane", "Doe", "Engineer"
	janeAcct := Account{ID: "mm-jane", Username: "jane.doe", Email: "jane.doe@contoso.example", Nickname: "Jane Doe", FirstName: "Jane", LastName: "Doe", Position: "Engineer", Roles: "system_user", EmailVerified: true}
	janeLinked := linkedTo(janeAcct, "id-jane")
	disabled := user("id-off", "off@contoso.example", "Off")
	disabled.AccountEnabled = BoolFalse
	janeOff := jane
	janeOff.AccountEnabled = BoolFalse
	deactivated := func(a Account) Account { a.DeleteAt = 1; return a }
	admin := Account{ID: "a", Username: "adm", Email: "adm@contoso.example", Roles: "system_admin system_user", EmailVerified: true}
	renamed := user("id-jane", "jane.smith@contoso.example", "Jane Smith")

	tests := []struct {
		name      string
		dir       []DirectoryUser
		accounts  []Account
		opts      func(*Options)
		want      []string // "kind username field..." per action
		skipped   []string // reasons, substring
		unchanged int
		withheld  int
		conflicts int
	}{
		{name: "create with derived username", dir: []DirectoryUser{jane}, want: []string{"create jane.doe"}},
		{name: "linked and unchanged makes no action", dir: []DirectoryUser{jane}, accounts: []Account{janeLinked}, unchanged: 1},
		{name: "unlinked account with the address is adopted", dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, want: []string{"update jane.doe link"}},
		{name: "adoption off leaves it alone", dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, opts: func(o *Options) { o.AdoptExisting = false }, skipped: []string{"adopt-existing is off"}},
		{name: "changed nickname is one update", dir: []DirectoryUser{user("id-jane", "jane.doe@contoso.example", "Jane Q. Doe")}, accounts: []Account{janeLinked}, want: []string{"update jane.doe nickname"}},
		{name: "rename and new mail keep the account", dir: []DirectoryUser{renamed}, accounts: []Account{janeLinked}, want: []string{"update jane.doe email nickname"}},
		{name: "new mail already taken by another account: the rest still changes", dir: []DirectoryUser{renamed}, accounts: []Account{janeLinked, {ID: "x", Username: "js", Email: "jane.smith@contoso.example"}}, want: []string{"update jane.doe nickname"}, conflicts: 1},
		{name: "username clash with an existing account gets a suffix", dir: []DirectoryUser{user("id-j2", "jane.doe@other.example", "Jane Other")}, accounts: []Account{janeAcct}, want: []string{"create jane.doe2"}},
		{name: "two new users with one local part", dir: []DirectoryUser{user("b", "sam@b.example", "Sam B"), user("a", "sam@a.example", "Sam A")}, want: []string{"create sam", "create sam2"}},
		{name: "disabled and unknown is skipped", dir: []DirectoryUser{disabled}, skipped: []string{"disabled"}},
		{name: "disabled and linked is deactivated", dir: []DirectoryUser{janeOff}, accounts: []Account{janeLinked}, want: []string{"deactivate jane.doe"}},
		{name: "disabled, linked, already deactivated is unchanged", dir: []DirectoryUser{janeOff}, accounts: []Account{deactivated(janeLinked)}, unchanged: 1},
		{name: "deactivate off", dir: []DirectoryUser{janeOff}, accounts: []Account{janeLinked}, opts: func(o *Options) { o.Deactivate = false }, skipped: []string{"deactivate is off"}},
		{name: "gone from the directory is deactivated", accounts: []Account{janeLinked}, want: []string{"deactivate jane.doe"}},
		{name: "returner is reactivated with its profile", dir: []DirectoryUser{user("id-jane", "jane.doe@contoso.example", "Jane D")}, accounts: []Account{deactivated(janeLinked)}, want: []string{"reactivate jane.doe nickname"}},
		{name: "unlinked deactivated account is not adopted", dir: []DirectoryUser{jane}, accounts: []Account{deactivated(janeAcct)}, skipped: []string{"deactivated"}},
		{name: "unlinked accounts are never deactivated", accounts: []Account{janeAcct, admin}},
		{name: "forged link counts as no link", dir: []DirectoryUser{user("id-new", "new@contoso.example", "New")},
			accounts: []Account{func() Account {
				a := linkedTo(janeAcct, "id-jane")
				a.ID = "mm-manual"
				a.Props = map[string]string{PropEntraID: "id-new", PropLink: janeLinked.Props[PropLink]}
				return a
			}()},
			want: []string{"create new"}},
		{name: "two accounts linked to one user is a conflict", dir: []DirectoryUser{jane},
			accounts: []Account{janeLinked, linkedTo(Account{ID: "mm-2", Username: "jane2", Email: "j2@contoso.example"}, "id-jane")}, skipped: []string{"conflict"}},
		{name: "linked admin is left alone", dir: []DirectoryUser{janeOff}, accounts: []Account{func() Account { a := janeLinked; a.Roles = "system_admin system_user"; return a }()}, skipped: []string{"system admin"}},
		{name: "bot is never touched", dir: []DirectoryUser{user("id-bot", "bot@contoso.example", "Bot")}, accounts: []Account{{ID: "b", Username: "bot", Email: "bot@contoso.example", IsBot: true}}, skipped: []string{"bot"}},
		{name: "admin left alone by default", dir: []DirectoryUser{user("id-adm", "adm@contoso.example", "New Name")}, accounts: []Account{admin}, skipped: []string{"system admin"}},
		{name: "admin managed when asked", dir: []DirectoryUser{user("id-adm", "adm@contoso.example", "New Name")}, accounts: []Account{admin}, opts: func(o *Options) { o.ManageAdmins = true }, want: []string{"update adm nickname link"}},
		{name: "token owner is never touched", dir: []DirectoryUser{user("id-me", "me@contoso.example", "Me")}, accounts: []Account{{ID: "self", Username: "me", Email: "me@contoso.example"}}, skipped: []string{"owner of mattermost-token"}},
		{name: "ignored address", dir: []DirectoryUser{user("id-x", "x.y@contoso.example", "X")}, opts: func(o *Options) { o.Ignore = []string{"X.Y@contoso.example"} }, skipped: []string{"ignore-users"}},
		{name: "ignored leaver", accounts: []Account{janeLinked}, opts: func(o *Options) { o.Ignore = []string{"Jane.Doe@contoso.example"} }, skipped: []string{"ignore-users"}},
		// Its user renamed the account to an ignore-users entry: a username
		// is the user's to change, and names no account the sync manages.
		{name: "leaver renamed into ignore-users", accounts: []Account{janeLinked}, opts: func(o *Options) { o.Ignore = []string{"jane.doe"} }, want: []string{"deactivate jane.doe"}},
		{name: "shared address is a conflict", dir: []DirectoryUser{user("1", "dup@contoso.example", "One"), user("2", "DUP@contoso.example", "Two")}, skipped: []string{"shared", "shared"}},
		{name: "own mail beats another user's UPN", dir: []DirectoryUser{user("1", "dup@contoso.example", "One"), {ID: "2", AccountEnabled: BoolTrue, UserPrincipalName: "dup@contoso.example", DisplayName: "Two"}}, want: []string{"create dup"}, skipped: []string{"One's"}},
		{name: "no usable address", dir: []DirectoryUser{{ID: "g", AccountEnabled: BoolTrue, UserPrincipalName: "p_v.example#EXT#@c.onmicrosoft.com"}}, skipped: []string{"#EXT#"}},
		{name: "local part without latin letters", dir: []DirectoryUser{user("k", "서윤@contoso.example", "서윤")}, skipped: []string{"no username"}},
		{name: "empty directory attribute does not clear a field", dir: []DirectoryUser{{ID: "id-jane", AccountEnabled: BoolTrue, Mail: "jane.doe@contoso.example", DisplayName: "Jane Doe"}}, accounts: []Account{janeLinked}, unchanged: 1},
		{name: "threshold withholds every deactivation", accounts: []Account{janeLinked, linkedTo(Account{ID: "mm-2", Username: "bob", Email: "bob@contoso.example"}, "id-bob"), linkedTo(Account{ID: "mm-3", Username: "eve", Email: "eve@contoso.example"}, "id-eve")},
			dir: []DirectoryUser{user("id-eve", "eve@contoso.example", "")}, opts: func(o *Options) { o.MaxDeactivations = Threshold{Count: 1} }, withheld: 2, unchanged: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			p := BuildPlan(Directory{Users: tt.dir}, Observed{Accounts: tt.accounts, SelfID: "self"}, o)
			var got []string
			for _, a := range p.Actions {
				s := string(a.Kind) + " " + a.Username
				for _, c := range a.Changes {
					s += " " + c.Field
				}
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("actions = %q, want %q", got, tt.want)
			}
			if len(p.Skipped) != len(tt.skipped) {
				t.Fatalf("skipped = %+v, want %d", p.Skipped, len(tt.skipped))
			}
			for i, s := range p.Skipped {
				if !strings.Contains(s.Reason, tt.skipped[i]) {
					t.Errorf("skip reason %q does not mention %q", s.Reason, tt.skipped[i])
				}
			}
			if p.Unchanged != tt.unchanged {
				t.Errorf("unchanged = %d, want %d", p.Unchanged, tt.unchanged)
			}
			if len(p.Conflicts) != tt.conflicts {
				t.Errorf("conflicts = %+v, want %d", p.Conflicts, tt.conflicts)
			}
			if err := p.Check(Directory{Users: tt.dir}, Observed{Accounts: tt.accounts, SelfID: "self"}, o); err != nil {
				t.Error(err)
			}
			if len(p.Withheld) != tt.withheld || (tt.withheld > 0) != (p.ThresholdError != "") {
				t.Errorf("withheld = %d (%q), want %d", len(p.Withheld), p.ThresholdError, tt.withheld)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	tests := []struct {
		in      string
		managed int
		limit   int
		ok      bool
	}{
		{"25", 1000, 25, true}, {"10%", 1000, 100, true}, {"10%", 5, 1, true}, {"12.5%", 80, 10, true},
		{"0", 10, 0, true}, {"100%", 7, 7, true}, {"0%", 10, 0, true},
		{"-1", 0, 0, false}, {"101%", 0, 0, false}, {"ten", 0, 0, false}, {"%", 0, 0, false}, {"NaN%", 0, 0, false},
	}
	for _, tt := range tests {
		th, err := ParseThreshold(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseThreshold(%q) err = %v", tt.in, err)
			continue
		}
		if err == nil && th.Limit(tt.managed) != tt.limit {
			t.Errorf("%q of %d = %d, want %d", tt.in, tt.managed, th.Limit(tt.managed), tt.limit)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"25", "10%", "0", "100%", "1e9", "%", " 5 % "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			return
		}
		for _, m := range []int{0, 1, 7, 1000} {
			if l := th.Limit(m); l < 0 || th.IsShare() && l > m {
				t.Fatalf("ParseThreshold(%q).Limit(%d) = %d", s, m, l)
			}
		}
	})
}

func TestCapacity(t *testing.T) {
	dir := []DirectoryUser{user("a", "a1@x.example", "A"), user("b", "b1@x.example", "B"), user("c", "c1@x.example", "C")}
	o := opts()
	o.Capacity = Capacity{HardLimit: 250, Active: 248}
	p := BuildPlan(Directory{Users: dir}, Observed{}, o)
	if p.Count(KindCreate) != 2 || len(p.Blocked) != 1 || !strings.Contains(p.CapacityError, "250") {
		t.Fatalf("creates %d blocked %d: %s", p.Count(KindCreate), len(p.Blocked), p.CapacityError)
	}
	o.Capacity = Capacity{HardLimit: 250, Active: 260}
	if p := BuildPlan(Directory{Users: dir}, Observed{}, o); p.Count(KindCreate) != 0 || len(p.Blocked) != 3 {
		t.Fatalf("over the limit: creates %d blocked %d", p.Count(KindCreate), len(p.Blocked))
	}
}

// The plan must not depend on the order Graph returns users in.
func TestBuildPlanDeterministic(t *testing.T) {
	users := loadFixture(t, "tenant-2000.json")
	a := BuildPlan(Directory{Users: users}, Observed{}, opts())
	rev := make([]DirectoryUser, len(users))
	for i := range users {
		rev[len(users)-1-i] = users[i]
	}
	b := BuildPlan(Directory{Users: rev}, Observed{}, opts())
	if len(a.Actions) != len(b.Actions) {
		t.Fatalf("%d vs %d actions", len(a.Actions), len(b.Actions))
	}
	for i := range a.Actions {
		if a.Actions[i].Username != b.Actions[i].Username || a.Actions[i].Email != b.Actions[i].Email {
			t.Fatalf("action %d differs: %+v vs %+v", i, a.Actions[i], b.Actions[i])
		}
	}
}

// Failures the property tests found, kept as examples.
func TestShrunkPropertyFailures(t *testing.T) {
	off := func(u DirectoryUser) DirectoryUser { u.AccountEnabled = BoolFalse; return u }
	tests := []struct {
		name     string
		dir      []DirectoryUser
		accounts []Account
		opts     func(*Options)
		want     []string
	}{
		{name: "a disabled user's address held by an unlinked account besides its linked one",
			dir:      []DirectoryUser{off(user("u1", "dee@x.example", "U1"))},
			accounts: []Account{linkedTo(Account{ID: "m1", Username: "bob", Email: "bob@x.example"}, "u1"), {ID: "m2", Username: "cy", Email: "dee@x.example"}},
			want:     []string{"deactivate bob", "deactivate cy"}},
		{name: "a disabled user whose linked account is protected still loses the unlinked holder",
			dir:      []DirectoryUser{off(user("u2", "fay@y.example", "U2"))},
			accounts: []Account{linkedTo(Account{ID: "m1", Username: "ann", Email: "ann@x.example", IsBot: true}, "u2"), {ID: "m2", Username: "cy", Email: "fay@y.example"}},
			want:     []string{"deactivate cy"}},
		{name: "an address shared by two disabled users is a disabled user's",
			dir:      []DirectoryUser{off(user("u1", "ann@x.example", "U1")), off(user("u4", "ann@x.example", "U4"))},
			accounts: []Account{{ID: "m2", Username: "bob", Email: "ann@x.example"}},
			want:     []string{"deactivate bob"}},
		{name: "several accounts linked to a disabled user are all deactivated",
			dir:      []DirectoryUser{off(user("u0", "", "U0"))},
			accounts: []Account{linkedTo(Account{ID: "m1", Username: "ann", Email: "ann@x.example"}, "u0"), linkedTo(Account{ID: "m2", Username: "bob", Email: "bob@x.example"}, "u0")},
			want:     []string{"deactivate ann", "deactivate bob"}},
		{name: "a name in ignore-users is never given to a new account",
			dir: []DirectoryUser{user("u1", "ann@x.example", "Ann")}, opts: func(o *Options) { o.Ignore = []string{"ann"} },
			want: []string{"create ann2"}},
		{name: "a reactivation that takes an address another account frees runs a wave later",
			dir: []DirectoryUser{user("u0", "cy@x.example", "U0"), user("u1", "u1@x.example", "U1")},
			accounts: []Account{
				func() Account {
					a := linkedTo(Account{ID: "m0", Username: "ann", Email: "ann@x.example", DeleteAt: 7}, "u0")
					a.Props[PropDeactivated] = testLinker.DeactivatedMark("m0", "u0", 7)
					return a
				}(),
				linkedTo(Account{ID: "m1", Username: "bob", Email: "cy@x.example"}, "u1")},
			opts: func(o *Options) { o.Reactivate = ReactivateBySync },
			want: []string{"reactivate ann email@1", "update bob email@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			obs := Observed{Accounts: tt.accounts, SelfID: "self"}
			p := BuildPlan(Directory{Users: tt.dir}, obs, o)
			var got []string
			for _, a := range p.Actions {
				s := string(a.Kind) + " " + a.Username
				if a.Patch.Email != nil {
					s += fmt.Sprintf(" email@%d", a.Wave)
				}
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("actions = %q, want %q", got, tt.want)
			}
			if err := p.Check(Directory{Users: tt.dir}, obs, o); err != nil {
				t.Error(err)
			}
		})
	}
}

// Found by review: the scope must not hide a leaver's address, nor make a
// live person's address look like a deleted user's.
func TestOutOfScopeUsersStillCount(t *testing.T) {
	dee := user("u-dee", "dee@x.example", "Dee")
	dee.AccountEnabled = BoolFalse
	ann := user("u-ann", "ann@x.example", "Ann")
	annAcct := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Nickname: "Ann", Roles: "system_user"}, "u-ann")
	deeAcct := Account{ID: "m-dee", Username: "dee", Email: "dee@x.example", Roles: "system_user", Props: map[string]string{}}
	// Dee removed her link, was disabled and taken out of the sync's group.
	p := BuildPlan(Directory{Users: []DirectoryUser{ann}, OutOfScope: []DirectoryUser{dee}}, Observed{Accounts: []Account{deeAcct, annAcct}, SelfID: "self"}, opts())
	if got := fmt.Sprint(kindsOf(p)); got != "[deactivate dee]" {
		t.Errorf("disabled and out of scope: %s", got)
	}
	// A guest deleted and invited again: the new, enabled guest is out of
	// scope (include-guests: false); the hand-made account stays.
	guest := DirectoryUser{ID: "u-new-guest", AccountEnabled: BoolTrue, UserType: "Guest", Mail: "pat@partner.example", DisplayName: "Pat"}
	pat := Account{ID: "m-pat", Username: "pat", Email: "pat@partner.example", Roles: "system_user"}
	p = BuildPlan(Directory{Users: []DirectoryUser{ann}, OutOfScope: []DirectoryUser{guest}, Deleted: []DeletedUser{{ID: "u-old-guest", Mail: "pat@partner.example"}}},
		Observed{Accounts: []Account{pat, annAcct}, SelfID: "self"}, opts())
	if got := fmt.Sprint(kindsOf(p)); got != "[]" {
		t.Errorf("a live guest's address was taken for a deleted user's: %s", got)
	}
}

// Found by review: a disabled user whose account is protected stays active,
// and the run must say so as a warning.
func TestDisabledProtectedAccountNeedsAttention(t *testing.T) {
	boss := user("u-boss", "boss@x.example", "Boss")
	boss.AccountEnabled = BoolFalse
	acct := linkedTo(Account{ID: "m-boss", Username: "boss", Email: "boss@x.example", Roles: "system_admin system_user"}, "u-boss")
	p := BuildPlan(Directory{Users: []DirectoryUser{boss}}, Observed{Accounts: []Account{acct}, SelfID: "self"}, opts())
	if len(p.Actions) != 0 || len(p.Skipped) != 1 || !p.Skipped[0].Attention || !strings.Contains(p.Skipped[0].Reason, "system admin") {
		t.Fatalf("actions %v, skipped %+v", kindsOf(p), p.Skipped)
	}
}

func kindsOf(p *Plan) []string {
	out := []string{}
	for _, a := range p.Actions {
		out = append(out, string(a.Kind)+" "+a.Username)
	}
	return out
}

// Issue 15, failing input 1: an address typed into one's own profile is
// unverified, and adoption under adopt-existing: verified refuses it.
func TestAdoptionNeedsAVerifiedAddress(t *testing.T) {
	newHire := user("id-new", "new.hire@contoso.example", "New Hire")
	// X removed the link and typed the new hire's address into their profile.
	x := Account{ID: "mm-x", Username: "xavier", Email: "new.hire@contoso.example", Roles: "system_user"}
	verified := x
	verified.EmailVerified = true
	lost := Account{ID: "mm-lost", Username: "new.hire", Email: "new.hire@contoso.example", Roles: "system_user",
		Props: map[string]string{PropEntraID: "id-new", PropCreated: testLinker.CreatedMark("id-new", "new.hire@contoso.example", "new.hire")}}
	teams := &TeamPolicy{Everyone: []string{"eng"}}
	obsTeams := map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: map[string]bool{}}}
	tests := []struct {
		name       string
		acct       Account
		adopt, any bool
		adopted    bool
		unverified bool
		conflict   []string // substrings of the conflict's reason
	}{
		{name: "unverified: a conflict naming the holder and the fix", acct: x, adopt: true,
			conflict: []string{"xavier", "unverified", "mmctl user verify xavier", "adopt-existing: any"}},
		{name: "verified: adopted", acct: verified, adopt: true, adopted: true},
		{name: "any: adopted, marked for review", acct: x, adopt: true, any: true, adopted: true, unverified: true},
		{name: "false: left alone", acct: verified},
		{name: "the sync's own lost create, unverified, adoption off", acct: lost, adopted: true},
		{name: "the sync's own lost create under verified", acct: lost, adopt: true, adopted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			o.AdoptExisting, o.AdoptUnverified, o.Teams = tt.adopt, tt.any, teams
			dir := Directory{Users: []DirectoryUser{newHire}}
			obs := Observed{Accounts: []Account{tt.acct}, SelfID: "self", Teams: obsTeams}
			p := BuildPlan(dir, obs, o)
			if err := p.Check(dir, obs, o); err != nil {
				t.Fatal(err)
			}
			var linked, added bool
			for _, a := range p.Actions {
				switch {
				case a.Kind == KindUpdate && a.Patch.Props[PropLink] != "":
					linked = true
					if a.Unverified != tt.unverified {
						t.Errorf("unverified flag %v, want %v", a.Unverified, tt.unverified)
					}
				case a.Kind == KindTeamAdd && a.AccountID == tt.acct.ID:
					added = true
				case a.Kind == KindCreate:
					t.Errorf("a second account is created for the address: %+v", a)
				}
			}
			if linked != tt.adopted || added != tt.adopted {
				t.Fatalf("linked %v, team-add %v, want %v: %+v", linked, added, tt.adopted, p.Actions)
			}
			if len(tt.conflict) == 0 {
				if len(p.Conflicts) != 0 {
					t.Fatalf("conflicts: %+v", p.Conflicts)
				}
				return
			}
			if len(p.Conflicts) != 1 || p.Conflicts[0].HolderID != x.ID || p.Conflicts[0].EntraID != newHire.ID {
				t.Fatalf("conflicts: %+v", p.Conflicts)
			}
			for _, s := range tt.conflict {
				if !strings.Contains(p.Conflicts[0].Reason, s) {
					t.Errorf("the conflict does not say %q: %s", s, p.Conflicts[0].Reason)
				}
			}
		})
	}
}

// The invariant check refuses a plan that adopts an unverified account
// under adopt-existing: verified, whoever built it.
func TestCheckRefusesAnUnverifiedAdoption(t *testing.T) {
	x := Account{ID: "mm-x", Username: "xavier", Email: "new.hire@contoso.example", Roles: "system_user"}
	dir := Directory{Users: []DirectoryUser{user("id-new", "new.hire@contoso.example", "New Hire")}}
	obs := Observed{Accounts: []Account{x}, SelfID: "self"}
	o := opts()
	o.AdoptUnverified = true
	p := BuildPlan(dir, obs, o) // adopts, as any allows
	if p.Count(KindUpdate) != 1 {
		t.Fatalf("%+v", p.Actions)
	}
	// The same plan judged under verified.
	if err := p.Check(dir, obs, opts()); err == nil || !strings.Contains(err.Error(), "adoption rule refuses") {
		t.Fatalf("Check = %v", err)
	}
}
