"""What an operator watches: Prometheus metrics, the health snapshot, their HTTP routes."""
