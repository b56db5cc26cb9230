"""Stakeholder communication: templates, Slack and email, through a durable outbox.

config (settings, redaction) · slack (safe text, payloads, client) · email (.eml, SMTP)
· outbox (the table's rules) · delivery (CLI pass and console worker) · outcome.
"""
