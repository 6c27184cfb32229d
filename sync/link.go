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

// PropInstance names the instance (input instance) that made the account's
// link and marks, when several syncs run against one server. The link's
// HMAC covers it, so it cannot be moved without the key; it is absent for
// the unnamed instance, whose links predate it.
const PropInstance = "entra_instance"

// Domain tags keep the marks' messages apart from each other and from the
// link's (account id, object id), which predates them.
const (
	tagCreated     = "\x01created"
	tagDeactivated = "\x01deactivated"
	tagPending     = "\x01pending-email"
	tagInstance    = "\x01instance"
)

// Linker signs and verifies links and marks. It holds one or more keys,
// newest first (input link-key): the first signs, all verify, and a mark
// that only an older key verifies is stale: the planner re-signs it, so that
// the older key can be dropped after one run. The zero value has no key and
// verifies nothing, so a misconfigured run adopts by email rather than
// trusting props.
//
// A named instance binds its name into every HMAC; the unnamed instance
// ("", today's default) signs exactly what the sync signed before instances
// existed, so its links stay valid.
type Linker struct {
	keys     [][]byte
	instance string
	// claimUnnamed lets a named instance take the unnamed instance's links
	// and marks that its own keys verify (input claim-unnamed-links: the
	// explicit step that names an existing sync). They verify as stale.
	claimUnnamed bool
	// macs reuses keyed HMAC states, one pool per key: planning verifies
	// one link per account, and a fresh HMAC costs two hash initialisations.
	macs []*gosync.Pool
}

// NewLinker returns a Linker of the unnamed instance with one key.
func NewLinker(key []byte) Linker { return NewLinkerKeys("", key) }

// NewLinkerKeys returns a Linker for the named instance ("" = unnamed) with
// keys newest first. Empty keys are ignored.
func NewLinkerKeys(instance string, keys ...[]byte) Linker {
	l := Linker{instance: instance}
	for _, key := range keys {
		if len(key) == 0 {
			continue
		}
		k := append([]byte(nil), key...)
		l.keys = append(l.keys, k)
		l.macs = append(l.macs, &gosync.Pool{New: func() any { return hmac.New(sha256.New, k) }})
	}
	return l
}

// ClaimingUnnamed returns the Linker that also takes, as stale, the links
// and marks of the unnamed instance its keys verify.
func (l Linker) ClaimingUnnamed() Linker {
	l.claimUnnamed = true
	return l
}

// Instance is the name this Linker signs for ("" = the unnamed instance).
func (l Linker) Instance() string { return l.instance }

// verdict is what verifying one link or mark found.
type verdict uint8

const (
	notMine verdict = iota
	// fresh: signed by this instance with the newest key.
	fresh
	// stale: this instance's, but signed with an older key, or by the
	// unnamed instance that claim-unnamed-links hands over, or carrying
	// another instance name than the HMAC covers: re-signed by the plan.
	stale
)

func (v verdict) ok() bool { return v != notMine }

// views are the (instance, key) pairs a signature is checked against, the
// newest-key, own-instance pair first.
func (l Linker) views(fn func(instance string, k int) bool) verdict {
	for k := range l.keys {
		if fn(l.instance, k) {
			if k == 0 {
				return fresh
			}
			return stale
		}
	}
	if l.claimUnnamed && l.instance != "" {
		for k := range l.keys {
			if fn("", k) {
				return stale
			}
		}
	}
	return notMine
}

func (l Linker) mac(k int, instance, accountID, objectID string) [sha256.Size]byte {
	var h hash.Hash
	if k < len(l.macs) && l.macs[k] != nil {
		h = l.macs[k].Get().(hash.Hash)
		h.Reset()
		defer l.macs[k].Put(h)
	} else {
		h = hmac.New(sha256.New, l.keys[k])
	}
	var buf [128]byte // ids are 26 and 36 bytes: no allocation on the hot path
	msg := append(append(append(buf[:0], accountID...), 0), objectID...)
	if instance != "" {
		// A named instance's link message: the unnamed one is a prefix of
		// it, and no id holds a NUL, so neither can pass for the other.
		msg = append(append(msg, 0), instance...)
	}
	h.Write(msg)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// markMAC is the HMAC of the NUL-joined parts under the newest key, bound
// to this instance. Marks of other files (an onboarding mark) use it and
// verifyMark as they are.
func (l Linker) markMAC(parts ...string) string {
	if len(l.keys) == 0 {
		return l.markMACWith(nil, l.instance, parts...)
	}
	return l.markMACWith(l.keys[0], l.instance, parts...)
}

func (l Linker) markMACWith(key []byte, instance string, parts ...string) string {
	h := hmac.New(sha256.New, key)
	if instance != "" {
		h.Write([]byte(tagInstance))
		h.Write([]byte{0})
		h.Write([]byte(instance))
		h.Write([]byte{0})
	}
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// verifyMark reports whether got is the mark of parts under any of the
// keys (older ones included). No key verifies nothing.
func (l Linker) verifyMark(got string, parts ...string) bool {
	return l.markVerdict(got, parts...).ok()
}

// markVerdict says whether got is the mark of parts, and whether it is
// stale (see verdict).
func (l Linker) markVerdict(got string, parts ...string) verdict {
	if len(l.keys) == 0 || got == "" {
		return notMine
	}
	return l.views(func(instance string, k int) bool {
		return hmac.Equal([]byte(got), []byte(l.markMACWith(l.keys[k], instance, parts...)))
	})
}

// CreatedMark is the PropCreated value for a new account.
func (l Linker) CreatedMark(objectID, email, username string) string {
	return l.markMAC(tagCreated, objectID, strings.ToLower(email), strings.ToLower(username))
}

// CreatedBy returns the object id an account was created for, when its
// creation mark verifies against its current address and username.
func (l Linker) CreatedBy(a *Account) (objectID string, ok bool) {
	id, v := l.createdVerdict(a)
	return id, v.ok()
}

func (l Linker) createdVerdict(a *Account) (string, verdict) {
	id := a.Props[PropEntraID]
	if id == "" {
		return "", notMine
	}
	v := l.markVerdict(a.Props[PropCreated], tagCreated, id, strings.ToLower(a.Email), strings.ToLower(a.Username))
	if !v.ok() {
		return "", notMine
	}
	return id, l.instanceField(a, v)
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

// Sign returns the link value for an account and an object id, under the
// newest key and this instance.
func (l Linker) Sign(accountID, objectID string) string {
	if len(l.keys) == 0 {
		return ""
	}
	sum := l.mac(0, l.instance, accountID, objectID)
	return hex.EncodeToString(sum[:])
}

// Linked returns the Entra object id an account is linked to, if its link
// verifies under this instance and one of the keys. A link that fails
// verification counts as no link (another instance's: see Foreign).
func (l Linker) Linked(a *Account) (objectID string, ok bool) {
	id, v := l.linkVerdict(a)
	return id, v.ok()
}

func (l Linker) linkVerdict(a *Account) (string, verdict) {
	id, sig := a.Props[PropEntraID], a.Props[PropLink]
	if len(l.keys) == 0 || id == "" || sig == "" || a.ID == "" {
		return "", notMine
	}
	var got [sha256.Size]byte
	if len(sig) != hex.EncodedLen(len(got)) {
		return "", notMine
	}
	if _, err := hex.Decode(got[:], []byte(sig)); err != nil {
		return "", notMine
	}
	v := l.views(func(instance string, k int) bool {
		want := l.mac(k, instance, a.ID, id)
		return hmac.Equal(got[:], want[:])
	})
	if !v.ok() {
		return "", notMine
	}
	return id, l.instanceField(a, v)
}

// instanceField makes a verified signature stale when the account's
// instance prop does not name this instance: the HMAC proves whose it is,
// and the prop (which the user can edit) is put right, so that another
// instance does not read it as its own forged link.
func (l Linker) instanceField(a *Account, v verdict) verdict {
	if v == fresh && a.Props[PropInstance] != l.instance {
		return stale
	}
	return v
}

// Foreign returns the instance that manages the account when that is
// another sync: the account carries a link or creation mark that none of
// this instance's keys verifies, under an instance name other than this
// one's ("" names the unnamed instance). Such an account is left alone but
// for the address rule. A link under this instance's own name that fails to
// verify is not foreign: it is forged, and counts as no link.
func (l Linker) Foreign(a *Account) (instance string, ok bool) {
	claimed := a.Props[PropInstance]
	if claimed == l.instance {
		return "", false
	}
	if a.Props[PropLink] == "" && a.Props[PropCreated] == "" && (claimed == "" || a.Props[PropEntraID] == "") {
		return "", false
	}
	if _, v := l.linkVerdict(a); v.ok() {
		return "", false
	}
	if _, v := l.createdVerdict(a); v.ok() {
		return "", false
	}
	return claimed, true
}

// InstanceLabel names an instance for people: "the unnamed instance" or
// `instance "hr"`.
func InstanceLabel(name string) string {
	if name == "" {
		return "the unnamed instance"
	}
	return "instance " + strconv.Quote(name)
}

// linkSet is the props that link an account to objectID under this
// instance, and drop the props to remove (the instance prop, for the
// unnamed instance).
func (l Linker) linkSet(accountID, objectID string) (set map[string]string, drop []string) {
	set = map[string]string{PropEntraID: objectID, PropLink: l.Sign(accountID, objectID)}
	if l.instance != "" {
		set[PropInstance] = l.instance
	} else {
		drop = []string{PropInstance}
	}
	return set, drop
}

// createProps are the props of an account this instance creates.
func (l Linker) createProps(objectID, email, username string) map[string]string {
	props := map[string]string{PropEntraID: objectID, PropCreated: l.CreatedMark(objectID, email, username)}
	if l.instance != "" {
		props[PropInstance] = l.instance
	}
	return props
}

// Resign returns the marks of an account this instance owns for objectID
// that verify only as stale (an older key, the unnamed instance claimed, a
// wrong instance prop), signed again with the newest key under this
// instance: one patch makes every mark fresh. It returns nil when nothing
// is stale.
func (l Linker) Resign(a *Account, objectID string) (set map[string]string, drop []string) {
	if len(l.keys) < 2 && !l.claimUnnamed && a.Props[PropInstance] == l.instance {
		return nil, nil // nothing can be stale: the common case, without a second HMAC
	}
	put := func(k, v string) {
		if set == nil {
			set = map[string]string{}
		}
		set[k] = v
	}
	if id, v := l.linkVerdict(a); v == stale && id == objectID {
		s, d := l.linkSet(a.ID, objectID)
		for k, v := range s {
			put(k, v)
		}
		drop = d
	}
	if id, v := l.createdVerdict(a); v == stale && id == objectID {
		put(PropCreated, l.CreatedMark(objectID, a.Email, a.Username))
		if l.instance != "" {
			put(PropInstance, l.instance)
		} else {
			drop = []string{PropInstance}
		}
	}
	if a.DeleteAt != 0 && l.markVerdict(a.Props[PropDeactivated], tagDeactivated, a.ID, objectID, strconv.FormatInt(a.DeleteAt, 10)) == stale {
		put(PropDeactivated, l.DeactivatedMark(a.ID, objectID, a.DeleteAt))
	}
	if email, sig, ok := strings.Cut(a.Props[PropPendingEmail], " "); ok && l.markVerdict(sig, tagPending, a.ID, email) == stale {
		put(PropPendingEmail, l.PendingMark(a.ID, email))
	}
	// Onboarding's marks too: an onboarded record only an older key
	// verifies would otherwise read as "never onboarded" once that key is
	// dropped, and the person would get a new password they did not ask for.
	if l.markVerdict(a.Props[PropOnboarded], tagOnboarded, a.ID, objectID) == stale {
		put(PropOnboarded, l.OnboardedMark(a.ID, objectID))
	}
	if l.markVerdict(a.Props[PropOnboardPending], tagOnboardPending, objectID) == stale {
		put(PropOnboardPending, l.OnboardPendingMark(objectID))
	}
	if set == nil {
		return nil, nil
	}
	return set, drop
}

// linkProps returns the account's props with the link to objectID set,
// keeping every other key: Mattermost replaces props wholesale.
func (l Linker) linkProps(a *Account, accountID, objectID string) map[string]string {
	props := make(map[string]string, len(a.Props)+3)
	for k, v := range a.Props {
		props[k] = v
	}
	set, drop := l.linkSet(accountID, objectID)
	for _, k := range drop {
		delete(props, k)
	}
	for k, v := range set {
		props[k] = v
	}
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
