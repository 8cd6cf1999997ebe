"""``okr-sync run``: the daemon — schedule, webhooks, health, metrics, logs, replicas."""
