package sync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	gosync "sync"
)

// Props keys that link a Mattermost account to its Entra ID object. Users can
// edit their own props, so the id alone proves nothing: LinkProp carries an
// HMAC over (Mattermost user id, object id) that only the key holder can make,
// and that cannot be copied onto another account.
const (
	PropEntraID = "entra_object_id"
	PropLink    = "entra_link"
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
