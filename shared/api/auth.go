package api

import (
	"slices"
	"strings"
)

// Authorisation modes.
const (
	AuthNone = "none" // every caller may act on every user (local mode, private APIs)
	AuthJWT  = "jwt"  // API Gateway verified a JWT; callers act on their own user id
)

// DefaultServiceScope is the OAuth scope that lets a service act on any user.
const DefaultServiceScope = "mlbundle/service"

// Auth is the authorisation setting a Router stamps on every Request.
type Auth struct {
	Mode         string // AuthNone (also the zero value) or AuthJWT
	ServiceScope string // scope that allows any user id under AuthJWT
}

// AuthorizeUser reports whether the caller of r may act on userID. Under AuthJWT the
// token's "sub" claim must equal userID unless its scopes include the service
// scope; otherwise it returns a 403 *Error. An unknown mode denies everything.
func AuthorizeUser(r *Request, userID string) error {
	switch r.Auth.Mode {
	case "", AuthNone:
		return nil
	case AuthJWT:
		if hasScope(r.Claims["scope"], r.Auth.ServiceScope) {
			return nil
		}
		if sub := r.Claims["sub"]; sub != "" && sub == userID {
			return nil
		}
		return Forbidden("the caller may not act on user " + userID)
	default:
		return Forbidden("authorisation is misconfigured")
	}
}

func hasScope(scopes, want string) bool {
	if want == "" {
		return false
	}
	return slices.Contains(strings.Fields(scopes), want)
}

// AuthorizeService reports whether the caller of r may act for the whole service (for
// example register catalogue items): under AuthJWT only a token with the service
// scope may; otherwise it returns a 403 *Error.
func AuthorizeService(r *Request) error {
	switch r.Auth.Mode {
	case "", AuthNone:
		return nil
	case AuthJWT:
		if hasScope(r.Claims["scope"], r.Auth.ServiceScope) {
			return nil
		}
		return Forbidden("only a caller with the service scope may do this")
	default:
		return Forbidden("authorisation is misconfigured")
	}
}
