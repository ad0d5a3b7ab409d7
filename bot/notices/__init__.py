"""Notices and their delivery: what a customer (or staff) is told when a ticket changes, through which sink,
and the dispatcher that delivers every outbox event exactly once."""
