"""Email: one send-once outbox for every message the platform sends."""
