package sync

import (
	"context"
	"fmt"
	"maps"
	"strings"
	gosync "sync"
)

// memTarget is an in-memory Target that answers like Mattermost where Apply
// cares: unique addresses and usernames (409-style sentinel errors), props
// replaced wholesale, delete_at set from a clock on deactivation, and, when
// asked, RequireEmailVerification (an email patch answers 200 and keeps the
// old address). loseCreates simulates a create whose answer is lost and
// that the client retries: the retry meets email_exists.
type memTarget struct {
	mu       gosync.Mutex
	accounts map[string]*Account // by id
	failFor  map[string]error    // by email or id
	writes   int
	clock    int64
	nextID   int

	requireVerification bool
	loseCreates         int
	// beforeWrite, when set, runs before each write (a concurrent writer).
	beforeWrite func(m *memTarget)
	// passwords by account id, and set: every password ever set, in order
	// (onboard_test.go).
	passwords map[string]string
	set       []string
}

func newFakeTarget(accts ...Account) *memTarget {
	f := &memTarget{accounts: map[string]*Account{}, failFor: map[string]error{}, clock: 1_700_000_000_000}
	for i := range accts {
		a := accts[i]
		a.Props = maps.Clone(a.Props)
		f.accounts[a.ID] = &a
	}
	return f
}

func (f *memTarget) write() {
	f.writes++
	f.clock++
	if f.beforeWrite != nil {
		hook := f.beforeWrite
		f.beforeWrite = nil
		hook(f)
	}
}

func (f *memTarget) byEmail(email string) *Account {
	for _, a := range f.accounts {
		if strings.EqualFold(a.Email, email) {
			return a
		}
	}
	return nil
}

// Add inserts an account as another writer would (no write counted).
func (f *memTarget) Add(a Account) {
	a.Props = maps.Clone(a.Props)
	f.accounts[a.ID] = &a
}

func (f *memTarget) CreateUser(_ context.Context, u NewUser) (Account, Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write()
	if err := f.failFor[u.Email]; err != nil {
		return Account{}, Secret{}, err
	}
	if f.byEmail(u.Email) != nil {
		return Account{}, Secret{}, ErrEmailExists
	}
	for _, a := range f.accounts {
		if a.Username == u.Username {
			return Account{}, Secret{}, ErrUsernameExists
		}
	}
	f.nextID++
	a := Account{ID: fmt.Sprintf("mm%04d", f.nextID), Username: u.Username, Email: strings.ToLower(u.Email),
		Nickname: u.Nickname, FirstName: u.FirstName, LastName: u.LastName, Position: u.Position, Roles: "system_user",
		Props: maps.Clone(u.Props), EmailVerified: true} // the sync creates with email_verified: true
	f.accounts[a.ID] = &a
	pw := f.newPassword(a.ID)
	if f.loseCreates > 0 {
		// The answer is lost; the client retries the same request, which
		// now meets the account it created.
		f.loseCreates--
		f.writes++
		return Account{}, Secret{}, ErrEmailExists
	}
	if !u.KeepPassword {
		return cloneAccount(a), Secret{}, nil
	}
	return cloneAccount(a), NewSecret(pw), nil
}

func cloneAccount(a Account) Account {
	a.Props = maps.Clone(a.Props)
	return a
}

func (f *memTarget) PatchUser(_ context.Context, id string, p Patch) (Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write()
	if err := f.failFor[id]; err != nil {
		return Account{}, err
	}
	a := f.accounts[id]
	if a == nil {
		return Account{}, ErrNotFound
	}
	if p.Email != nil {
		if h := f.byEmail(*p.Email); h != nil && h.ID != id {
			return Account{}, ErrEmailExists
		}
	}
	for _, s := range []struct {
		src *string
		dst *string
	}{{p.Nickname, &a.Nickname}, {p.FirstName, &a.FirstName}, {p.LastName, &a.LastName}, {p.Position, &a.Position}} {
		if s.src != nil {
			*s.dst = *s.src
		}
	}
	if p.Email != nil && !f.requireVerification && !strings.EqualFold(a.Email, *p.Email) {
		// The server resets email_verified on every address change.
		a.Email, a.EmailVerified = strings.ToLower(*p.Email), false
	}
	if p.Props != nil {
		a.Props = maps.Clone(p.Props)
	}
	return cloneAccount(*a), nil
}

func (f *memTarget) SetActive(_ context.Context, id string, active bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write()
	if err := f.failFor[id]; err != nil {
		return err
	}
	a := f.accounts[id]
	if a == nil {
		return ErrNotFound
	}
	a.DeleteAt = 0
	if !active {
		a.DeleteAt = f.clock
	}
	return nil
}

func (f *memTarget) GetUserByEmail(_ context.Context, email string) (Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a := f.byEmail(email); a != nil {
		return cloneAccount(*a), nil
	}
	return Account{}, ErrNotFound
}

func (f *memTarget) GetUser(_ context.Context, id string) (Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a := f.accounts[id]; a != nil {
		return cloneAccount(*a), nil
	}
	return Account{}, ErrNotFound
}

func (f *memTarget) observed() Observed {
	f.mu.Lock()
	defer f.mu.Unlock()
	var o Observed
	for _, id := range sortedKeys(f.accounts) {
		o.Accounts = append(o.Accounts, cloneAccount(*f.accounts[id]))
	}
	o.SelfID = "self"
	return o
}

type idError struct{ id string }

func (e idError) Error() string   { return "server said " + e.id }
func (e idError) ErrorID() string { return e.id }
