"""The examiner's review pages (server-rendered, under /review): session, CSRF, view data."""
