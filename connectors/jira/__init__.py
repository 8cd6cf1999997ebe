"""The Jira connector (Cloud and Server/Data Center)."""
