package sync

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Threshold caps deactivations per run: a count ("25") or a share of the
// managed accounts ("10%"). A run that would exceed it deactivates nobody.
type Threshold struct {
	Count   int     // used when Percent is 0
	Percent float64 // 0 < Percent <= 100
}

// DefaultMaxDeactivations is documented in the README and action.yml.
const DefaultMaxDeactivations = "10%"

// ParseThreshold reads "25", "10%" or "12.5%".
func ParseThreshold(s string) (Threshold, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
			return Threshold{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
		}
		if f == 0 {
			return Threshold{}, nil
		}
		return Threshold{Percent: f}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Threshold{}, fmt.Errorf("%q is neither a count (25) nor a percentage (10%%)", s)
	}
	return Threshold{Count: n}, nil
}

// Limit returns how many deactivations are allowed when managed accounts
// are linked. A percentage rounds up, so that a small installation can still
// deactivate its one leaver.
func (t Threshold) Limit(managed int) int {
	if t.Percent > 0 {
		return int(math.Ceil(t.Percent * float64(managed) / 100))
	}
	return t.Count
}

// All reports whether the threshold allows deactivating every managed
// account: the one setting under which an empty directory is acted on.
func (t Threshold) All() bool { return t.Percent >= 100 }

func (t Threshold) String() string {
	if t.Percent > 0 {
		return strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(t.Count)
}
