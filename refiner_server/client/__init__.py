"""The public client API under `/api/v1/client/{project}`: what the browser client calls
(routes, request models, the store behind them, identity, audience and eligibility)."""
