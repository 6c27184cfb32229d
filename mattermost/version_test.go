package mattermost

import (
	"strings"
	"testing"
)

func TestServerVersion(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"5.36.1.5.36.1.94a77aa8d1f6a406c9fabb558a941d5a.false", "5.36.1", true},
		{"11.4.0..6b3e5d4c2f0a9b8e7d6c5b4a39281706.false", "11.4.0", true},
		{"11.1.0.18522385417.6b3e5d4c2f0a9b8e7d6c5b4a39281706.true", "11.1.0", true},
		{"9.11.0.dev.abc.false", "9.11.0", true},
		{" 10.0.0 ", "10.0.0", true},
		{"10.0.0", "10.0.0", true},
		{"", "", false},
		{"5.36", "", false},
		{"v5.36.1.x.y.false", "", false},
		{"5.x.1.2.3.false", "", false},
		{"nginx", "", false},
		{"1234567890.0.0.a.b.false", "", false},
	}
	for _, tc := range cases {
		got, ok := ServerVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ServerVersion(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzServerVersion(f *testing.F) {
	for _, s := range []string{"5.36.1.5.36.1.94a77aa8d1f6a406c9fabb558a941d5a.false", "11.4.0..h.false", "", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ServerVersion(s)
		if !ok {
			if v != "" {
				t.Fatalf("not ok but %q", v)
			}
			return
		}
		parts := strings.Split(v, ".")
		if len(parts) != 3 || !strings.HasPrefix(strings.TrimSpace(s), v) {
			t.Fatalf("ServerVersion(%q) = %q", s, v)
		}
		for _, p := range parts {
			if !isNumber(p) {
				t.Fatalf("ServerVersion(%q) = %q: %q is not a number", s, v, p)
			}
		}
	})
}
