package entra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Group is an Entra group as FindGroupsByName reports it.
type Group struct {
	ID           string
	DisplayName  string
	MailNickname string
}

// collectionQuery carries OData options for hand-built requests (the groups
// request builders live in a package as heavy to compile as users).
type collectionQuery struct {
	Filter *string  `uriparametername:"%24filter"`
	Select []string `uriparametername:"%24select"`
	Top    *int32   `uriparametername:"%24top"`
}

// ListGroupMembers returns the ids of the users that are members of the
// group, directly or through nested groups, read as Microsoft documents it
// without advanced query parameters: GET
// /groups/{id}/transitiveMembers?$select=id, keeping the items whose
// @odata.type is #microsoft.graph.user (nested groups, devices, contacts and
// service principals are left out). The OData cast
// /transitiveMembers/microsoft.graph.user would be an advanced query
// (ConsistencyLevel: eventual and $count=true, served from an index that
// can lag; Microsoft's aad-advanced-queries table). Needs
// GroupMember.Read.All. Reads every page or fails with *IncompleteReadError.
func (s *Source) ListGroupMembers(ctx context.Context, groupID string) ([]string, error) {
	groupID = strings.TrimSpace(groupID)
	if groupID == "" {
		return nil, errors.New("entra: empty group id")
	}
	what := fmt.Sprintf("members of group %s", groupID)
	top := int32(PageSize)
	ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.GET,
		"{+baseurl}/groups/{group%2Did}/transitiveMembers{?%24select,%24top}",
		map[string]string{"baseurl": s.baseURL, "group%2Did": groupID})
	ri.AddQueryParameters(collectionQuery{Select: []string{"id"}, Top: &top})
	ri.Headers.TryAdd("Accept", "application/json")
	resp, err := s.adapter.Send(ctx, ri, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue, errorMapping())
	if err != nil {
		return nil, &IncompleteReadError{What: what, Err: s.groupError(err, groupID)}
	}
	var ids []string
	err = iterate(ctx, s, what, resp, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue, PermGroupMembers,
		func(o models.DirectoryObjectable) error {
			if o == nil || !strings.EqualFold(str(o.GetOdataType()), userODataType) {
				return nil
			}
			id := str(o.GetId())
			if id == "" {
				return ErrMissingID
			}
			ids = append(ids, id)
			return nil
		}, func() int { return len(ids) })
	if err != nil {
		return nil, err
	}
	return dedupeStrings(ids), nil
}

// userODataType is the @odata.type of a user in a directoryObject listing.
const userODataType = "#microsoft.graph.user"

func (s *Source) groupError(err error, groupID string) error {
	c := s.classify(err, PermGroupMembers)
	var ge *GraphError
	if errors.As(c, &ge) && ge.Status == 404 {
		return fmt.Errorf("group %q was not found in the tenant (deleted, or not this tenant's object id): %w", groupID, c)
	}
	return c
}

// FindGroupsByName returns the groups whose displayName equals name
// (case-insensitively, as Graph compares). Needs GroupMember.Read.All (or
// Group.Read.All).
func (s *Source) FindGroupsByName(ctx context.Context, name string) ([]Group, error) {
	filter := "displayName eq '" + strings.ReplaceAll(name, "'", "''") + "'"
	top := int32(PageSize)
	ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.GET,
		"{+baseurl}/groups{?%24filter,%24select,%24top}", map[string]string{"baseurl": s.baseURL})
	ri.AddQueryParameters(collectionQuery{Filter: &filter, Select: []string{"id", "displayName", "mailNickname"}, Top: &top})
	ri.Headers.TryAdd("Accept", "application/json")
	resp, err := s.adapter.Send(ctx, ri, models.CreateGroupCollectionResponseFromDiscriminatorValue, errorMapping())
	if err != nil {
		return nil, &IncompleteReadError{What: "groups", Err: s.classify(err, PermGroupMembers)}
	}
	var out []Group
	err = iterate(ctx, s, "groups", resp, models.CreateGroupCollectionResponseFromDiscriminatorValue, PermGroupMembers,
		func(g models.Groupable) error {
			if g == nil {
				return nil
			}
			id := str(g.GetId())
			if id == "" {
				return ErrMissingID
			}
			out = append(out, Group{ID: id, DisplayName: str(g.GetDisplayName()), MailNickname: str(g.GetMailNickname())})
			return nil
		}, func() int { return len(out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

func dedupeStrings(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		k := strings.ToLower(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
