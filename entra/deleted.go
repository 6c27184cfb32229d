package entra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// PermDeletedUsers is the least-privileged application permission that lists
// deleted users (GET /directory/deletedItems/microsoft.graph.user): the same
// User.Read.All the users read needs. Source: Microsoft Graph v1.0, "List
// deletedItems (directory objects)", Permissions table, row "user",
// column Application:
// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list?view=graph-rest-1.0
const PermDeletedUsers = "User.Read.All"

// deletedUserSelect is the $select ListDeletedUsers sends.
var deletedUserSelect = []string{"id", "mail", "userPrincipalName"}

// PermissionError reports that Graph refused a read for lack of permission
// (HTTP 403, code Authorization_RequestDenied): the app registration lacks
// the application permission Permission, or its admin consent. Callers for
// whom the read is optional (the deleted users) can degrade it to a warning;
// Error names the permission and how to grant it.
type PermissionError struct {
	What       string // what could not be read, e.g. "deleted users"
	Permission string // least-privileged application permission, e.g. "User.Read.All"
	Code       string // Graph's error code, e.g. "Authorization_RequestDenied"
	Message    string // Graph's message
}

func (e *PermissionError) Error() string {
	s := fmt.Sprintf("Microsoft Graph refused to list the %s (HTTP 403", e.What)
	if e.Code != "" {
		s += " " + e.Code
	}
	s += ")"
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + " — " + hintForbidden(e.Permission)
}

// ListDeletedUsers returns the users in Entra ID's deleted items (users
// deleted in the last 30 days, GET /directory/deletedItems/microsoft.graph.user),
// with the addresses they held: UserPrincipalName is the UPN before the
// deletion (Graph's rename is undone, see originalUPN). It sends $top=999
// (the endpoint's maximum page size), so D deleted users cost max(1,
// ceil(D/999)) requests.
//
// A missing permission (HTTP 403) returns *PermissionError, which callers can
// tell apart with errors.As and treat as a warning; any other failure returns
// *IncompleteReadError, and never a partial list.
func (s *Source) ListDeletedUsers(ctx context.Context) ([]mmsync.DeletedUser, error) {
	const what = "deleted users"
	top := int32(PageSize)
	ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.GET,
		"{+baseurl}/directory/deletedItems/microsoft.graph.user{?%24select,%24top}",
		map[string]string{"baseurl": s.baseURL})
	ri.AddQueryParameters(collectionQuery{Select: deletedUserSelect, Top: &top})
	ri.Headers.TryAdd("Accept", "application/json")
	resp, err := s.adapter.Send(ctx, ri, models.CreateUserCollectionResponseFromDiscriminatorValue, errorMapping())
	if err != nil {
		return nil, deletedUsersError(&IncompleteReadError{What: what, Err: s.classify(err, PermDeletedUsers)})
	}
	var out []mmsync.DeletedUser
	err = iterate(ctx, s, what, resp, models.CreateUserCollectionResponseFromDiscriminatorValue, PermDeletedUsers,
		func(u models.Userable) error {
			if u == nil {
				return nil
			}
			id := str(u.GetId())
			if id == "" {
				return fmt.Errorf("%w (deleted user %q)", ErrMissingID, str(u.GetUserPrincipalName()))
			}
			out = append(out, mmsync.DeletedUser{
				ID:                id,
				Mail:              str(u.GetMail()),
				UserPrincipalName: originalUPN(id, str(u.GetUserPrincipalName())),
			})
			return nil
		}, func() int { return len(out) })
	if err != nil {
		return nil, deletedUsersError(err)
	}
	return out, nil
}

// deletedUsersError turns a 403 into *PermissionError and leaves any other
// error (an *IncompleteReadError) as it is.
func deletedUsersError(err error) error {
	var ae *AuthError
	if errors.As(err, &ae) && ae.Status == 403 {
		return &PermissionError{What: "deleted users", Permission: PermDeletedUsers, Code: ae.Code, Message: ae.Message}
	}
	return err
}

// originalUPN undoes Graph's rename of a deleted user's userPrincipalName:
// Graph frees the name by putting the object id, without its dashes, in
// front of it (user 0d2f6c1e-… with jane@contoso.com is listed as
// 0d2f6c1e…jane@contoso.com; Microsoft's own examples find a deleted user by
// its old UPN with endsWith, not startsWith). A UPN without that prefix is
// returned as it is.
func originalUPN(id, upn string) string {
	prefix := strings.ReplaceAll(id, "-", "")
	if prefix != "" && len(upn) > len(prefix) && strings.EqualFold(upn[:len(prefix)], prefix) {
		return upn[len(prefix):]
	}
	return upn
}
