"""The GitLab connector (gitlab.com and self-managed)."""
