"""The owners' dashboard at `/admin`: server-rendered HTML, no JavaScript at all.

`routes` holds the pages, `pages` their templates and answers, `headers` the CSP that
forbids scripts outright on every response under `/admin`, `session` who is signed in;
charts are inline SVG (`charts`), the one stylesheet is served from this package.
"""
