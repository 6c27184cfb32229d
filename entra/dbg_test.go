package entra
import ("testing";"errors";"context";"time";"net/http";"github.com/Azure/azure-sdk-for-go/sdk/azidentity")
func TestDbg(t *testing.T){
	g := &guard{next: http.DefaultTransport}
	src, _ := New(Config{TenantID: tenantID, ClientID: clientID, ClientSecret: secret, Transport: g})
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second); defer cancel()
	_, err := src.adapter.GetSerializationWriterFactory(), error(nil)
	_ = err
	_, err = src.ListUsers(c)
	var afe *azidentity.AuthenticationFailedError
	t.Logf("%v", errors.As(err,&afe))
	if afe!=nil { t.Logf("RAW: %q", afe.Error()) }
}
