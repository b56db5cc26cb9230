"""Stakeholder communication: templates now; Slack and email delivery later."""
