package sync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	gosync "sync"
)

// Props keys that link a Mattermost account to its Entra ID object. Users can
// edit their own props, so the id alone proves nothing: LinkProp carries an
// HMAC over (Mattermost user id, object id) that only the key holder can make,
// and that cannot be copied onto another account.
const (
	PropEntraID = "entra_object_id"
	PropLink    = "entra_link"
	// PropCreated marks an account this sync created: an HMAC over (object
	// id, address, username) written in the create request itself, so that a
	// create whose response was lost is still recognised as the sync's own.
	// No other account can carry a valid one: the address and the username
	// it covers are unique on the server.
	PropCreated = "entra_created"
	// PropDeactivated records that this sync deactivated the account: an
	// HMAC over (account id, object id, delete_at). Deactivated users cannot
	// log in to edit it, and a later deactivation by an administrator
	// changes delete_at, so it cannot vouch for that one.
	PropDeactivated = "entra_deactivated"
	// PropPendingEmail records an email change Mattermost holds back until
	// the user verifies the new address (EmailSettings.RequireEmailVerification):
	// "<address> <HMAC over (account id, address)>".
	PropPendingEmail = "entra_pending_email"
)

// Domain tags keep the marks' messages apart from each other and from the
// link's (account id, object id), which predates them.
const (
	tagCreated     = "\x01created"
	tagDeactivated = "\x01deactivated"
	tagPending     = "\x01pending-email"
)

// Linker signs and verifies links. The zero value has no key and verifies
// nothing, so a misconfigured run adopts by email rather than trusting props.
type Linker struct {
	key []byte
	// macs reuses keyed HMAC states: planning verifies one link per account,
	// and a fresh HMAC costs two hash initialisations.
	macs *gosync.Pool
}

// NewLinker returns a Linker keyed by key.
func NewLinker(key []byte) Linker {
	k := append([]byte(nil), key...)
	return Linker{key: k, macs: &gosync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}
}

func (l Linker) mac(accountID, objectID string) [sha256.Size]byte {
	var h hash.Hash
	if l.macs != nil {
		h = l.macs.Get().(hash.Hash)
		h.Reset()
		defer l.macs.Put(h)
	} else {
		h = hmac.New(sha256.New, l.key)
	}
	var buf [96]byte // ids are 26 and 36 bytes: no allocation on the hot path
	msg := append(append(append(buf[:0], accountID...), 0), objectID...)
	h.Write(msg)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// markMAC is the HMAC of the NUL-joined parts under the link key.
func (l Linker) markMAC(parts ...string) string {
	h := hmac.New(sha256.New, l.key)
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// verifyMark reports whether got is the mark of parts. No key verifies nothing.
func (l Linker) verifyMark(got string, parts ...string) bool {
	if len(l.key) == 0 || got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(l.markMAC(parts...)))
}

// CreatedMark is the PropCreated value for a new account.
func (l Linker) CreatedMark(objectID, email, username string) string {
	return l.markMAC(tagCreated, objectID, strings.ToLower(email), strings.ToLower(username))
}

// CreatedBy returns the object id an account was created for, when its
// creation mark verifies against its current address and username.
func (l Linker) CreatedBy(a *Account) (objectID string, ok bool) {
	id := a.Props[PropEntraID]
	if id == "" || !l.verifyMark(a.Props[PropCreated], tagCreated, id, strings.ToLower(a.Email), strings.ToLower(a.Username)) {
		return "", false
	}
	return id, true
}

// DeactivatedMark is the PropDeactivated value for an account deactivated
// at deleteAt (milliseconds, Mattermost's delete_at).
func (l Linker) DeactivatedMark(accountID, objectID string, deleteAt int64) string {
	return l.markMAC(tagDeactivated, accountID, objectID, strconv.FormatInt(deleteAt, 10))
}

// DeactivatedBySync reports whether the account's current deactivation is
// one this sync made for objectID.
func (l Linker) DeactivatedBySync(a *Account, objectID string) bool {
	return a.DeleteAt != 0 && l.verifyMark(a.Props[PropDeactivated], tagDeactivated, a.ID, objectID, strconv.FormatInt(a.DeleteAt, 10))
}

// PendingMark is the PropPendingEmail value for an address change asked for.
func (l Linker) PendingMark(accountID, email string) string {
	return email + " " + l.markMAC(tagPending, accountID, email)
}

// PendingEmail returns the address whose change the sync asked for and
// Mattermost holds back for verification, when the record verifies.
func (l Linker) PendingEmail(a *Account) (string, bool) {
	email, sig, ok := strings.Cut(a.Props[PropPendingEmail], " ")
	if !ok || !l.verifyMark(sig, tagPending, a.ID, email) {
		return "", false
	}
	return email, true
}

// DeriveLinkKey turns a secret the run already holds into a link key, for
// installations that set no explicit link-key.
func DeriveLinkKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte("entra-mattermost-sync/link-key/v1"))
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// Sign returns the link value for an account and an object id.
func (l Linker) Sign(accountID, objectID string) string {
	sum := l.mac(accountID, objectID)
	return hex.EncodeToString(sum[:])
}

// Linked returns the Entra object id an account is linked to, if its link
// verifies. A link that fails verification counts as no link.
func (l Linker) Linked(a *Account) (objectID string, ok bool) {
	id, sig := a.Props[PropEntraID], a.Props[PropLink]
	if len(l.key) == 0 || id == "" || sig == "" || a.ID == "" {
		return "", false
	}
	var got [sha256.Size]byte
	if len(sig) != hex.EncodedLen(len(got)) {
		return "", false
	}
	if _, err := hex.Decode(got[:], []byte(sig)); err != nil {
		return "", false
	}
	want := l.mac(a.ID, id)
	if !hmac.Equal(got[:], want[:]) {
		return "", false
	}
	return id, true
}

// linkProps returns the account's props with the link to objectID set,
// keeping every other key: Mattermost replaces props wholesale.
func (l Linker) linkProps(a *Account, accountID, objectID string) map[string]string {
	props := make(map[string]string, len(a.Props)+2)
	for k, v := range a.Props {
		props[k] = v
	}
	props[PropEntraID] = objectID
	props[PropLink] = l.Sign(accountID, objectID)
	return props
}

// withProps returns a copy of props with set applied and drop removed, or
// nil when that changes nothing (so that no write is planned for it).
func withProps(props map[string]string, set map[string]string, drop ...string) map[string]string {
	changed := false
	for k, v := range set {
		if old, ok := props[k]; !ok || old != v {
			changed = true
		}
	}
	for _, k := range drop {
		if _, ok := props[k]; ok {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out := make(map[string]string, len(props)+len(set))
	for k, v := range props {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}
