"""Cross-cutting plumbing: settings, errors, HTTP, auth, AWS clients, ids, time, geography."""
