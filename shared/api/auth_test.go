package api

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestAuthorizeUser(t *testing.T) {
	jwt := Auth{Mode: AuthJWT, ServiceScope: DefaultServiceScope}
	tests := []struct {
		name   string
		auth   Auth
		claims map[string]string
		user   string
		ok     bool
	}{
		{"zero value allows", Auth{}, nil, "u1", true},
		{"none allows", Auth{Mode: AuthNone}, nil, "u1", true},
		{"jwt own user", jwt, map[string]string{"sub": "u1"}, "u1", true},
		{"jwt other user", jwt, map[string]string{"sub": "u2"}, "u1", false},
		{"jwt no claims", jwt, nil, "u1", false},
		{"jwt empty sub and user", jwt, map[string]string{"sub": ""}, "", false},
		{"jwt service scope", jwt, map[string]string{"sub": "svc", "scope": "openid mlbundle/service"}, "u1", true},
		{"jwt scope prefix is not the scope", jwt, map[string]string{"scope": "mlbundle/service-x"}, "u1", false},
		{"jwt no service scope configured", Auth{Mode: AuthJWT}, map[string]string{"scope": "mlbundle/service"}, "u1", false},
		{"unknown mode denies", Auth{Mode: "open"}, map[string]string{"sub": "u1"}, "u1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := AuthorizeUser(&Request{Auth: tc.auth, Claims: tc.claims}, tc.user)
			var e *Error
			switch {
			case tc.ok && err != nil:
				t.Errorf("got %v, want nil", err)
			case !tc.ok && (!errors.As(err, &e) || e.Status != 403):
				t.Errorf("got %v, want a 403 *Error", err)
			}
		})
	}
}

func TestLambdaPassesJWTClaimsAndScopes(t *testing.T) {
	rt := NewRouter(WithAuth(Auth{Mode: AuthJWT, ServiceScope: "mlbundle/service"}))
	var got *Request
	rt.Handle("GET", "/v1/users/{user_id}/recommendations", func(_ context.Context, r *Request) (*Response, error) {
		got = r
		if err := AuthorizeUser(r, r.PathParams["user_id"]); err != nil {
			return nil, err
		}
		return JSON(200, "ok"), nil
	})
	e := event("GET", "/v1/users/u9/recommendations", "", "")
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": "client-1"}, Scopes: []string{"mlbundle/service"}},
	}
	resp, _ := rt.Lambda(context.Background(), e)
	if resp.StatusCode != 200 {
		t.Fatalf("service scope: status %d body %s", resp.StatusCode, resp.Body)
	}
	if got.Claims["sub"] != "client-1" || got.Claims["scope"] != "mlbundle/service" {
		t.Errorf("claims = %v", got.Claims)
	}
	e.RequestContext.Authorizer.JWT.Scopes = nil
	resp, _ = rt.Lambda(context.Background(), e)
	if resp.StatusCode != 403 {
		t.Errorf("other user without scope: status %d, want 403", resp.StatusCode)
	}
}
