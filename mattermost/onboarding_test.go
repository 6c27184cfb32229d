package mattermost_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

func TestCheckMail(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	err := c.CheckMail(context.Background())
	var me *mattermost.MailError
	if !errors.As(err, &me) || me.Server != "localhost:10025" {
		t.Fatalf("without SMTP: %v", err)
	}
	srv.SetSMTP(true)
	if err := c.CheckMail(context.Background()); err != nil {
		t.Fatalf("with SMTP: %v", err)
	}
}

func TestSetPasswordAndResetMailer(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{SMTP: true})
	u := srv.AddUser(fakemm.User{Username: "old.user", Email: "old.user@example.com", Password: "New1234!"})
	var masked []string
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{MinimumLength: 8}, mattermost.TargetOptions{Mask: func(s string) { masked = append(masked, s) }})
	pw, err := tg.SetPassword(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if srv.SignIn("old.user", "New1234!") || !srv.SignIn("old.user", pw.Reveal()) || len(masked) != 1 || masked[0] != pw.Reveal() {
		t.Fatal("the new password is not the one that signs in, or it was not masked")
	}
	if err := (mattermost.ResetMailer{C: c}).Onboard(context.Background(), mmsync.Welcome{Email: "old.user@example.com"}); err != nil {
		t.Fatal(err)
	}
	if m := srv.Mails(); len(m) != 2 || m[1].Subject != fakemm.SubjectReset {
		t.Fatalf("mails: %+v", m)
	}
	// The created account's password is returned when asked for, masked first.
	acct, got, err := tg.CreateUser(context.Background(), mmsync.NewUser{Username: "ann", Email: "ann@example.com", KeepPassword: true})
	if err != nil || got.Empty() || !srv.CheckPassword(acct.ID, got.Reveal()) || masked[len(masked)-1] != got.Reveal() {
		t.Fatalf("create: %v", err)
	}
	srv.SetSMTP(false)
	err = (mattermost.ResetMailer{C: c}).Onboard(context.Background(), mmsync.Welcome{Email: "ann@example.com"})
	var ae *mattermost.AppError
	if !errors.As(err, &ae) || ae.ID != mattermost.IDResetSend || strings.Contains(err.Error(), got.Reveal()) {
		t.Fatalf("reset without SMTP: %v", err)
	}
}
