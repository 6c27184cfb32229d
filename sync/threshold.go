package sync

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Threshold caps destructive changes per run: a count ("25") or a share
// ("10%", "1.1%") of a base the caller names (for max-deactivations, the
// active managed accounts). A run that would exceed it makes none of them.
//
// A share is kept as an exact fraction, so the limit is integer arithmetic:
// 1.1% of 3,000 is exactly 33, where float64 arithmetic gives 33.000000000000004
// and rounds up to 34.
type Threshold struct {
	Count int      // used when share is nil
	share *big.Rat // of 1 (10% = 1/10); nil for a count
}

// Default caps, documented in the README and action.yml.
const (
	DefaultMaxDeactivations = "10%"
	DefaultMaxRemovals      = "10%"
)

// ParseThreshold reads "25", "10%" or "12.5%" (at most 100%).
func ParseThreshold(s string) (Threshold, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		p = strings.TrimSpace(p)
		r, valid := new(big.Rat).SetString(p)
		if !decimal(p) || !valid || r.Cmp(big.NewRat(100, 1)) > 0 {
			return Threshold{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
		}
		if r.Sign() == 0 {
			return Threshold{}, nil
		}
		return Threshold{share: r.Quo(r, big.NewRat(100, 1))}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || !decimal(s) || strings.Contains(s, ".") {
		return Threshold{}, fmt.Errorf("%q is neither a count (25) nor a percentage (10%%)", s)
	}
	return Threshold{Count: n}, nil
}

// Percent returns a share threshold of p percent (tests and defaults).
func Percent(p int64) Threshold {
	if p <= 0 {
		return Threshold{}
	}
	return Threshold{share: big.NewRat(min(p, 100), 100)}
}

// Limit returns how many changes are allowed out of base. A share rounds up,
// so that a small installation can still deactivate its one leaver.
func (t Threshold) Limit(base int) int {
	if t.share == nil {
		return t.Count
	}
	num := new(big.Int).Mul(t.share.Num(), big.NewInt(int64(base)))
	q, m := new(big.Int).QuoRem(num, t.share.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return int(q.Int64())
}

// IsShare reports whether the threshold is a percentage.
func (t Threshold) IsShare() bool { return t.share != nil }

// All reports whether the threshold allows every change: the one setting
// under which an empty directory or an empty group is acted on.
func (t Threshold) All() bool { return t.share != nil && t.share.Cmp(big.NewRat(1, 1)) >= 0 }

func (t Threshold) String() string {
	if t.share == nil {
		return strconv.Itoa(t.Count)
	}
	pct := new(big.Rat).Mul(t.share, big.NewRat(100, 1))
	if pct.IsInt() {
		return pct.Num().String() + "%"
	}
	f, _ := pct.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64) + "%"
}

// decimal reports whether s is digits with at most one decimal point and
// digits on both sides of it: what big.Rat parses beyond that (fractions,
// exponents, hexadecimal) is not a percentage an administrator writes.
func decimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	digits := func(d string) bool {
		if d == "" || len(d) > 12 {
			return false
		}
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return true
	}
	return digits(whole) && (!dot || digits(frac))
}
