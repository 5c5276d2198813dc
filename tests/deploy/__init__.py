"""The production set-up: gunicorn settings, systemd units and their environment, backups."""
