package api

import (
	"net/http"

	"github.com/hookline/hookline/internal/auth"
)

// userView is a user as the API shows it; Password is a generated
// password, present once, in the answer that made it.
type userView struct {
	auth.User
	Password string `json:"password,omitempty"`
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	users, err := a.cfg.Users.List(r.Context(), p)
	if err != nil {
		return err
	}
	if users == nil {
		users = []auth.User{}
	}
	writeJSON(w, http.StatusOK, list[auth.User]{Data: users})
	return nil
}

type userRequest struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	u, generated, err := a.cfg.Users.Create(r.Context(), p, auth.UserParams(req))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+u.Username)
	writeJSON(w, http.StatusCreated, userView{User: u, Password: generated})
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	u, err := a.cfg.Users.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView{User: u})
	return nil
}

// userPatch changes a user's role, password, or both. A password of ""
// asks for a generated one, returned once.
type userPatch struct {
	Role     *string `json:"role"`
	Password *string `json:"password"`
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req userPatch
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	name := r.PathValue("id")
	u, err := a.cfg.Users.Get(r.Context(), p, name)
	if err != nil {
		return err
	}
	if req.Role != nil {
		if u, err = a.cfg.Users.SetRole(r.Context(), p, name, *req.Role); err != nil {
			return err
		}
	}
	v := userView{User: u}
	if req.Password != nil {
		if v.Password, err = a.cfg.Users.SetPassword(r.Context(), p, name, *req.Password); err != nil {
			return err
		}
		if v.User, err = a.cfg.Users.Get(r.Context(), p, name); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := a.cfg.Users.Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
