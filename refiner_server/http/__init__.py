"""The HTTP layer every route shares: the error shape, middleware, rate limits, allowed
methods and the static build."""
