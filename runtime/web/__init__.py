"""The Starlette application: HTML pages for people (htmx), a JSON API for scripts."""
