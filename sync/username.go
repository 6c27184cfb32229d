package sync

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Username limits chosen so that a generated name is valid for both the
// Mattermost server (1–64 of [a-z0-9._-]) and its web app, which insists on
// 3–22 characters starting with a letter.
const (
	UsernameMinLength = 3
	UsernameMaxLength = 22
)

// reservedUsernames are refused by the server (all, channel, matterbot,
// system) or by the web app (here, valet). Names that would confuse admins in
// mentions are added on purpose.
var reservedUsernames = map[string]bool{
	"all": true, "channel": true, "here": true, "matterbot": true, "system": true, "valet": true,
	"admin": true, "root": true, "surveybot": true, "feedbackbot": true, "playbooks": true, "calls": true,
}

// transliterations cover letters that Unicode decomposition does not reduce
// to ASCII (ø has no combining-mark form, ß expands to two letters).
var transliterations = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'ł': "l", 'Ł': "l", 'þ': "th", 'Þ': "th",
	'ı': "i", 'ħ': "h", 'Ħ': "h", 'ŋ': "n", 'Ŋ': "n", 'ſ': "s",
}

// NormalizeUsername turns an address local part (or any source string) into a
// username candidate: lower case, transliterated, restricted to [a-z0-9._-],
// starting with a letter, without "..", 3–22 characters. It returns "" when
// nothing usable is left, which callers report as a skip. It does not check
// reserved names or uniqueness: see UsernameAllocator.
func NormalizeUsername(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	if !isASCII(s) {
		s = norm.NFKD.String(s)
	}
	for _, r := range s {
		if t, ok := transliterations[r]; ok {
			b.WriteString(t)
			continue
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(unicode.ToLower(r))
		}
		// Everything else is dropped: combining marks left by NFKD, spaces,
		// apostrophes, '+' tags, and scripts with no Latin reading.
	}
	name := collapsePunctuation(b.String())
	if name == "" {
		return ""
	}
	if name[0] < 'a' || name[0] > 'z' {
		// Employee-number mailboxes (82021968@…) are common; the web app
		// rejects a leading digit, so prefix a letter rather than lose them.
		name = "u" + name
	}
	if len(name) < UsernameMinLength {
		name = "user" + name
	}
	if len(name) > UsernameMaxLength {
		name = strings.TrimRight(name[:UsernameMaxLength], "._-")
	}
	return name
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// collapsePunctuation reduces runs of punctuation to their first character and
// trims punctuation from both ends, so "j..doe" becomes "j.doe" (Mattermost's
// Go client strips ".." from URL segments) and ".x." becomes "x".
func collapsePunctuation(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prevPunct := true // drops leading punctuation
	for i := 0; i < len(s); i++ {
		c := s[i]
		punct := c == '.' || c == '_' || c == '-'
		if punct && prevPunct {
			continue
		}
		b.WriteByte(c)
		prevPunct = punct
	}
	return strings.TrimRight(b.String(), "._-")
}

// ValidUsername reports whether name satisfies the rules NormalizeUsername
// produces: ^[a-z][a-z0-9._-]{2,21}$, no "..", not reserved.
func ValidUsername(name string) bool {
	if len(name) < UsernameMinLength || len(name) > UsernameMaxLength || reservedUsernames[name] {
		return false
	}
	if name[0] < 'a' || name[0] > 'z' || strings.Contains(name, "..") {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// WithSuffix returns the n-th alternative for base (n >= 2): base followed by
// n, shortened so the result stays within UsernameMaxLength. A base ending in
// a digit gets a "-" first so that "u8202" and 2 do not read as "u82022".
func WithSuffix(base string, n int) string {
	suffix := strconv.Itoa(n)
	if last := base[len(base)-1]; last >= '0' && last <= '9' {
		suffix = "-" + suffix
	}
	if len(base)+len(suffix) > UsernameMaxLength {
		base = strings.TrimRight(base[:UsernameMaxLength-len(suffix)], "._-")
		if last := base[len(base)-1]; suffix[0] != '-' && last >= '0' && last <= '9' {
			suffix = "-" + suffix
			base = strings.TrimRight(base[:min(len(base), UsernameMaxLength-len(suffix))], "._-")
		}
	}
	return base + suffix
}

// UsernameAllocator hands out unique usernames. It is seeded with every name
// already taken on the server (including bots and deactivated users, which
// keep theirs) and remembers each name it gives out.
// It is safe for concurrent use: Apply resolves username races in parallel.
type UsernameAllocator struct {
	mu    gosync.Mutex
	taken map[string]bool
}

// NewUsernameAllocator returns an allocator that treats taken as in use.
func NewUsernameAllocator(taken []string) *UsernameAllocator {
	a := &UsernameAllocator{taken: make(map[string]bool, len(taken))}
	for _, t := range taken {
		a.taken[strings.ToLower(t)] = true
	}
	return a
}

// Allocate returns base if it is free and allowed, else the first free
// WithSuffix(base, n). base must come from NormalizeUsername.
func (a *UsernameAllocator) Allocate(base string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.allocate(base)
}

func (a *UsernameAllocator) allocate(base string) string {
	name := base
	for n := 2; a.taken[name] || reservedUsernames[name]; n++ {
		name = WithSuffix(base, n)
	}
	a.taken[name] = true
	return name
}

// Names returns the names taken, sorted: what a plan keeps so that Apply
// can seed its own allocator (NewUsernameAllocator) with them.
func (a *UsernameAllocator) Names() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(maps.Keys(a.taken))
}

// Next returns the next free name after a server refused name as taken (a
// concurrent writer, or a group with that name, which the user list cannot
// show). It marks name as taken.
func (a *UsernameAllocator) Next(base, refused string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.taken[refused] = true
	return a.allocate(base)
}
