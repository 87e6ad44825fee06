package client

import (
	"context"
	"time"
)

// Roles of dashboard users.
const (
	// RoleOwner may do everything, managing users included.
	RoleOwner = "owner"
	// RoleAdmin may do everything but manage users.
	RoleAdmin = "admin"
	// RoleViewer may read everything an admin sees and change nothing.
	RoleViewer = "viewer"
)

// User is a dashboard account.
type User struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Password is a generated password, present only in the answer that
	// made it (UserCreate without a password, UserUpdate with "").
	Password string `json:"password,omitempty"`
}

// UserCreateParams describe a new dashboard user.
type UserCreateParams struct {
	Username string `json:"username"`
	// Role is RoleOwner, RoleAdmin or RoleViewer.
	Role string `json:"role"`
	// Password is the user's; empty has the server generate one, returned
	// once in User.Password.
	Password string `json:"password,omitempty"`
}

// UserUpdateParams change a dashboard user; nil fields stay as they are.
type UserUpdateParams struct {
	Role *string `json:"role,omitempty"`
	// Password sets a new password and ends the user's sessions; a
	// pointer to "" has the server generate one, returned once.
	Password *string `json:"password,omitempty"`
}

// UserList returns every dashboard user, by username.
//
// GET /api/v1/users (owner).
func (c *Client) UserList(ctx context.Context) ([]User, error) {
	var page Page[User]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/users"}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// UserGet returns one dashboard user.
//
// GET /api/v1/users/{id} (owner).
func (c *Client) UserGet(ctx context.Context, username string) (*User, error) {
	var u User
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/users/%s", username)}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserCreate makes a dashboard user.
//
// POST /api/v1/users (owner).
func (c *Client) UserCreate(ctx context.Context, p UserCreateParams) (*User, error) {
	var u User
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/users", body: p}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserUpdate changes a dashboard user's role or password. The last owner
// cannot be demoted (a 409 Error).
//
// PATCH /api/v1/users/{id} (owner).
func (c *Client) UserUpdate(ctx context.Context, username string, p UserUpdateParams) (*User, error) {
	var u User
	if err := c.do(ctx, request{method: "PATCH", path: pathf("/api/v1/users/%s", username), body: p}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserDelete removes a dashboard user and ends their sessions. The last
// owner cannot be removed (a 409 Error).
//
// DELETE /api/v1/users/{id} (owner).
func (c *Client) UserDelete(ctx context.Context, username string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/users/%s", username)}, nil)
}
