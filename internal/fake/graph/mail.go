package fakegraph

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
)

// Mail is one message POST /v1.0/users/{sender}/sendMail delivered.
type Mail struct {
	From            string // the sender as the path named it
	To              []string
	Subject         string
	ContentType     string // "Text" or "HTML"
	Body            string
	SaveToSentItems bool // as the request said (Graph's default is true)
}

// mailState is the mail part of a Server; guarded by Server.mu.
type mailState struct {
	delivered []Mail
	// denied: the app lacks Mail.Send (or an application access policy
	// excludes the sender): 403 ErrorAccessDenied.
	denied bool
	// badRecipients are addresses Exchange refuses (400 ErrorInvalidRecipients).
	badRecipients map[string]bool
	// throttleN answers the next n sendMail requests 429 with Retry-After.
	throttleN, throttleAfter int
}

// Mails returns the mails delivered so far, in order.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail.delivered...)
}

// SetMailDenied makes sendMail answer 403 ErrorAccessDenied, as Graph does
// for an app without the Mail.Send application permission.
func (s *Server) SetMailDenied(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail.denied = v
}

// RefuseRecipient makes sendMail to addr answer 400 ErrorInvalidRecipients
// (on=false accepts it again).
func (s *Server) RefuseRecipient(addr string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mail.badRecipients == nil {
		s.mail.badRecipients = map[string]bool{}
	}
	s.mail.badRecipients[strings.ToLower(addr)] = on
}

// ThrottleMail answers the next n sendMail requests 429 with Retry-After
// seconds.
func (s *Server) ThrottleMail(n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail.throttleN, s.mail.throttleAfter = n, retryAfterSeconds
}

// sendMail answers POST /v1.0/users/{id|userPrincipalName}/sendMail: 202
// with no body; 403 ErrorAccessDenied without Mail.Send; 404
// ErrorInvalidUser for a sender the tenant does not have; 400
// ErrorInvalidRecipients for a malformed or refused recipient; 429 with
// Retry-After when throttled.
func (s *Server) sendMail(w http.ResponseWriter, r *http.Request, sender string) {
	s.mu.Lock()
	denied, throttle, after := s.mail.denied, s.mail.throttleN > 0, s.mail.throttleAfter
	if throttle {
		s.mail.throttleN--
	}
	s.mu.Unlock()
	if throttle {
		if after <= 0 {
			after = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(after))
		writeODataError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
		return
	}
	if denied {
		writeODataError(w, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return
	}
	if !s.hasUser(sender) {
		writeODataError(w, http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+sender+"' is invalid.")
		return
	}
	var body struct {
		Message struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []struct {
				EmailAddress struct {
					Address string `json:"address"`
				} `json:"emailAddress"`
			} `json:"toRecipients"`
		} `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
	var in io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		// The SDK's compression middleware gzips request bodies; Graph
		// accepts them.
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeODataError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body: "+err.Error())
			return
		}
		in = zr
	}
	if err := json.NewDecoder(io.LimitReader(in, 4<<20)).Decode(&body); err != nil {
		writeODataError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body: "+err.Error())
		return
	}
	m := Mail{From: sender, Subject: body.Message.Subject, ContentType: body.Message.Body.ContentType,
		Body: body.Message.Body.Content, SaveToSentItems: body.SaveToSentItems == nil || *body.SaveToSentItems}
	if len(body.Message.ToRecipients) == 0 {
		writeODataError(w, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
		return
	}
	// The answer is written after the lock is released: the status
	// writer records the request under the same lock.
	s.mu.Lock()
	bad := ""
	for _, rc := range body.Message.ToRecipients {
		addr := rc.EmailAddress.Address
		if _, err := mail.ParseAddress(addr); err != nil || s.mail.badRecipients[strings.ToLower(addr)] {
			bad = addr
			break
		}
		m.To = append(m.To, addr)
	}
	if bad == "" {
		s.mail.delivered = append(s.mail.delivered, m)
	}
	s.mu.Unlock()
	if bad != "" {
		writeODataError(w, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., Recipient '"+bad+"' isn't resolved. All recipients must be resolved before a message can be submitted.")
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// hasUser reports whether id is a user's object id or userPrincipalName.
func (s *Server) hasUser(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(u.ID(), id) {
			return true
		}
		if upn, _ := u["userPrincipalName"].(string); strings.EqualFold(upn, id) {
			return true
		}
	}
	return false
}
