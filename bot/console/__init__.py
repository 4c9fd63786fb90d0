"""The support-staff console: a server-rendered web app for working
escalated callbacks, the journal, CSV export and the channel dashboard."""
