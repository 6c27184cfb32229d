package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Source is where raw values come from.
type Source struct {
	// Args are the command-line arguments after the program name.
	Args []string
	// Getenv reads the environment (INPUT_* and the fallback names).
	Getenv func(string) string
}

// ErrHelp is returned when --help (-h, -help) was asked for; nothing has been
// printed: the caller prints the help page (WriteOptions lists the options).
var ErrHelp = flag.ErrHelp

// Raw returns the unvalidated value of every option: a flag wins, then the
// Actions input, then the environment variable, then the default.
func Raw(src Source) (map[string]string, error) {
	fs := flag.NewFlagSet("entra-mattermost-sync", flag.ContinueOnError)
	// The flag package would print its error and the whole usage; the
	// caller prints one line and the hint instead (UsageError), and the
	// help page is WriteOptions', so the flags carry no usage text.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	flags := make(map[string]*string, len(options))
	for _, o := range options {
		v := new(string)
		if isBool(o) {
			// Booleans work as bare switches (--dry-run) and as --dry-run=false.
			fs.Var((*boolFlag)(v), o.Name, "")
		} else {
			fs.StringVar(v, o.Name, "", "")
		}
		flags[o.Name] = v
	}
	if err := fs.Parse(src.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, ErrHelp
		}
		return nil, &UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	vals := make(map[string]string, len(options))
	for _, o := range options {
		v := ""
		switch {
		case set[o.Name]:
			v = *flags[o.Name]
		case strings.TrimSpace(src.Getenv(inputEnv(o.Name))) != "":
			v = src.Getenv(inputEnv(o.Name))
		default:
			v = src.Getenv(o.Env)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			v = o.Default
		}
		vals[o.Name] = v
	}
	return vals, nil
}

// boolFlag keeps a boolean flag's text, so that it is validated with every
// other source by ParseBool.
type boolFlag string

func (b *boolFlag) String() string     { return string(*b) }
func (b *boolFlag) Set(s string) error { *b = boolFlag(s); return nil }
func (b *boolFlag) IsBoolFlag() bool   { return true }

// inputEnv is the variable the Actions runner sets for an input: INPUT_ and
// the upper-cased name, hyphens kept.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Secrets returns the raw values of secret options, for masking before
// anything else happens, even when validation later fails.
func Secrets(vals map[string]string) []string {
	var out []string
	for _, o := range options {
		if o.Secret && vals[o.Name] != "" {
			out = append(out, vals[o.Name])
		}
	}
	// Each key of a list is masked on its own too: a mask of the whole
	// value would not cover one key printed alone.
	if keys := SplitList(vals["link-key"]); len(keys) > 1 {
		for _, k := range keys {
			if !strings.EqualFold(k, DerivedKeyEntry) {
				out = append(out, k)
			}
		}
	}
	return out
}
