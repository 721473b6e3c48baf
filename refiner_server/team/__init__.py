"""A team per project: people who sign in with email and password, their roles (owner,
editor, viewer), invitations by link, server-side sessions and the audit log.

`principal.Principal` is who a request is (a person or an admin token); `access` turns a
route's needed role into a FastAPI dependency; `audit.record` is what every change writes.
docs/dashboard.md ("People and roles") says how it looks from outside.
"""
