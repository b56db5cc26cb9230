"""``default_playbook.toml``, parsed (generated: do not edit).

Change the TOML file, then generate this again: ``python -m warroom.playbook``.

The console's start-up takes the built-in playbook from here rather than
parsing the TOML (importing tomllib costs a few ms); ``default_playbook``
checks SOURCE_CRC32 against the file and parses the file itself if they differ.
"""

from __future__ import annotations

from typing import Any

SOURCE_CRC32 = 0x3884241F


def data() -> dict[str, Any]:
    """A fresh copy of the parsed file."""
    return {
        "name": "AdvisorOS Incident Response Playbook",
        "warning_minutes": 3,
        "followup_due_days": 7,
        "review_invitees": ["engineering", "product", "support", "customer success"],
        "review_within_business_days": 2,
        "holidays": [],
        "tracker_url": "",
        "stages": ["detect", "triage", "mitigate", "restore", "review"],
        "severities": [
            {
                "level": 1,
                "description": "Platform unavailable or data loss",
                "examples": ["Outage across all tenants", "corrupted production database"],
                "primary_owner": "Incident Commander (on-call lead)",
                "colour": "#d7263d",
                "update_every_minutes": 10,
            },
            {
                "level": 2,
                "description": "Critical functionality degraded",
                "examples": [
                    "QuickBooks sync halted",
                    "document uploads failing for multiple clients",
                ],
                "primary_owner": "On-call engineer",
                "colour": "#f46036",
                "update_every_minutes": 15,
            },
            {
                "level": 3,
                "description": "Single workflow impairment",
                "examples": ["One tenant affected", "degraded performance on non-critical feature"],
                "primary_owner": "Feature owner",
                "colour": "#e2c044",
                "update_every_minutes": 15,
            },
            {
                "level": 4,
                "description": "Question or anomaly",
                "examples": ["Alert with no user impact", "proactive investigation"],
                "primary_owner": "Support triage",
                "colour": "#2e86ab",
                "update_every_minutes": 15,
            },
        ],
        "roles": [
            {
                "key": "incident_commander",
                "title": "Incident Commander",
                "short": "IC",
                "duty": "coordinates and communicates",
            },
            {
                "key": "communications_lead",
                "title": "Communications Lead",
                "short": "Comms",
                "duty": "posts updates to leadership & clients",
            },
            {
                "key": "scribe",
                "title": "Scribe",
                "short": "Scribe",
                "duty": "maintains a minute-by-minute timeline",
            },
            {
                "key": "response_engineers",
                "title": "Response Engineer(s)",
                "short": "Eng",
                "duty": "reproduce and fix",
                "several": True,
            },
        ],
        "checklist": [
            {
                "label": "Declare the incident: post severity, impact and on-call owner",
                "section": "rulebook",
                "done_by": "declare",
            },
            {
                "label": "Freeze risky changes: halt deployments",
                "section": "rulebook",
                "done_by": "freeze",
            },
            {
                "label": "Establish a bridge and capture notes in the incident record",
                "section": "rulebook",
                "done_by": "bridge",
            },
            {
                "label": "Assign roles: IC, Comms, Scribe, Response Engineer(s)",
                "section": "rulebook",
                "done_by": "roles",
            },
            {
                "label": "Update stakeholders (every 15 minutes minimum, faster for SEV-1)",
                "section": "rulebook",
                "done_by": "update",
            },
            {
                "label": "Validate monitoring alerts in Application Insights / Grafana",
                "section": "containment",
            },
            {
                "label": "Capture query plans, logs and error IDs before restarting services",
                "section": "containment",
            },
            {
                "label": "Toggle feature flags when a temporary mitigation is available",
                "section": "containment",
            },
            {
                "label": "If data integrity is at risk, follow the Database Recovery Checklist",
                "section": "containment",
            },
        ],
        "templates": {
            "internal": ":rotating_light: SEV-{severity} | {summary}\n"
            "Start: {start}\n"
            "Impact: {impact}\n"
            "Current mitigation: {mitigation}\n"
            "Next update: {next_update}\n"
            "Tracker: {tracker}",
            "email_subject": "AdvisorOS Incident Update - {summary}",
            "email_body": "We are actively addressing an issue impacting {impact}. "
            "Our team initiated mitigation at {mitigation_time}. "
            "Expect the next update by {next_update}. Track progress "
            "here: {tracker}.\n"
            "\n"
            "Thank you for your patience.\n"
            "AdvisorOS Operations Team",
        },
    }
