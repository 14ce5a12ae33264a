"""The browser-facing web UI: aiohttp-jinja2 routes, templates, sessions, CSRF and static assets."""
