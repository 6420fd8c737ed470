"""localdcos: a local emulation of the DC/OS APIs (Admin Router, IAM, Marathon, Mesos, Edge-LB),
written from docs/dcos-api.md. Run it with `python -m localdcos serve --port 0`."""
