package entra

import (
	"context"
	"fmt"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// userSelect is the $select ListUsers sends.
var userSelect = []string{"id", "accountEnabled", "userType", "displayName", "givenName", "surname",
	"jobTitle", "department", "employeeId", "officeLocation", "mail", "userPrincipalName", "mailNickname"}

// PageSize is the $top every listing sends (Graph's maximum for users).
const PageSize = 999

// Permission names used in hints.
const (
	PermUsers        = "User.Read.All"
	PermGroupMembers = "GroupMember.Read.All"
)

// ListUsers returns every user of the tenant, or an error. It reads all pages
// or fails with *IncompleteReadError (wrapping the classified cause, e.g.
// *AuthError): a partial list is never returned.
func (s *Source) ListUsers(ctx context.Context) ([]mmsync.DirectoryUser, error) {
	return s.ListUsersFiltered(ctx, "")
}

// ListUsersFiltered is ListUsers with a Graph $filter (user-filter). A filter
// is sent as an advanced query (ConsistencyLevel: eventual with $count=true),
// which every filter Graph supports on users accepts and some require; the
// header is carried to every page, where the SDK's iterator would drop it.
func (s *Source) ListUsersFiltered(ctx context.Context, filter string) ([]mmsync.DirectoryUser, error) {
	top := int32(PageSize)
	rb := users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": s.baseURL}, s.adapter)
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Select: userSelect,
			Top:    &top,
		},
	}
	var headers *abstractions.RequestHeaders
	if filter != "" {
		count := true
		cfg.QueryParameters.Filter = &filter
		cfg.QueryParameters.Count = &count
		headers = abstractions.NewRequestHeaders()
		headers.Add("ConsistencyLevel", "eventual")
		cfg.Headers = headers
	}
	resp, err := rb.Get(ctx, cfg)
	if err != nil {
		return nil, &IncompleteReadError{What: "users", Err: s.classify(err, PermUsers)}
	}
	var out []mmsync.DirectoryUser
	err = iterateWithHeaders(ctx, s, "users", resp, models.CreateUserCollectionResponseFromDiscriminatorValue, PermUsers, headers,
		func(u models.Userable) error {
			if u == nil {
				return nil
			}
			du := toDirectoryUser(u)
			if du.ID == "" {
				return fmt.Errorf("%w (user %q)", ErrMissingID, firstNonEmpty(du.UserPrincipalName, du.Mail, du.DisplayName))
			}
			out = append(out, du)
			if s.cfg.Progress != nil {
				s.cfg.Progress(1)
			}
			return nil
		}, func() int { return len(out) })
	if err != nil {
		return nil, err
	}
	return dedupe(out), nil
}

// iterate walks all pages of a collection whose first page is first,
// calling fn for each item. Any failure ends in *IncompleteReadError.
func iterate[T any](ctx context.Context, s *Source, what string, first any, factory absser.ParsableFactory,
	perm string, fn func(T) error, count func() int) error {
	return iterateWithHeaders(ctx, s, what, first, factory, perm, nil, fn, count)
}

// iterateWithHeaders is iterate with request headers sent on every further
// page too.
func iterateWithHeaders[T any](ctx context.Context, s *Source, what string, first any, factory absser.ParsableFactory,
	perm string, headers *abstractions.RequestHeaders, fn func(T) error, count func() int) error {
	pages := 1 // the first page is already in hand
	it, err := msgraphgocore.NewPageIterator[T](first, countingAdapter{RequestAdapter: s.adapter, pages: &pages}, factory)
	if err != nil {
		return &IncompleteReadError{What: what, Err: fmt.Errorf("entra: %w", err)}
	}
	if headers != nil {
		it.SetHeaders(headers)
	}
	var itemErr error
	err = it.Iterate(ctx, func(item T) bool {
		if e := fn(item); e != nil {
			itemErr = e
			return false
		}
		return true
	})
	if itemErr != nil {
		return &IncompleteReadError{What: what, Pages: pages, Users: count(), Err: itemErr}
	}
	if err != nil {
		return &IncompleteReadError{What: what, Pages: pages, Users: count(), Err: s.classify(err, perm)}
	}
	return nil
}

func toDirectoryUser(u models.Userable) mmsync.DirectoryUser {
	return mmsync.DirectoryUser{
		ID:                str(u.GetId()),
		AccountEnabled:    mmsync.BoolOf(u.GetAccountEnabled()),
		UserType:          str(u.GetUserType()),
		DisplayName:       str(u.GetDisplayName()),
		GivenName:         str(u.GetGivenName()),
		Surname:           str(u.GetSurname()),
		JobTitle:          str(u.GetJobTitle()),
		Department:        str(u.GetDepartment()),
		EmployeeID:        str(u.GetEmployeeId()),
		OfficeLocation:    str(u.GetOfficeLocation()),
		Mail:              str(u.GetMail()),
		UserPrincipalName: str(u.GetUserPrincipalName()),
		MailNickname:      str(u.GetMailNickname()),
	}
}

// dedupe drops repeated ids (keeping the first), which a directory changing
// during paging can produce.
func dedupe(in []mmsync.DirectoryUser) []mmsync.DirectoryUser {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, u := range in {
		k := strings.ToLower(u.ID)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, u)
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

var _ abstractions.RequestAdapter = countingAdapter{}
